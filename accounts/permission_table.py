"""Who may do what: THE table for every console page, admin action and staff API operation.

Each act names the one Django permission it needs and the staff groups that hold it; superusers may do
everything, every other staff group and every learner is refused. The same act is one rule wherever it is
done: a refund is Finance's whether clicked in admin or posted to the API.

How it is enforced:
- admin actions and custom console pages: the console site (accounts.console) looks every action and
  every non-standard admin URL up here and refuses what the user's permissions do not cover; an action or
  page that is not here is refused to everyone but superusers;
- model pages (changelist, add, change, delete): Django's own model permissions, given to the groups by
  each app (``grant_to_group`` in its ``AppConfig.ready``); ``MODELS`` says what that must come to;
- staff API operations and staff reads in selectors: ``accounts.roles.may(user, act)`` /
  ``ActPermission`` on the view, both reading this table.

accounts/tests/test_permission_table.py walks every admin action, console page, model page and staff API
operation for every staff group and a plain learner and compares what happens with this table: something
registered in the console or the API that is missing here fails it. When you add an admin action, a
custom admin view or an API operation that staff call with more rights than a learner, add its row here.
Rows name other apps' permissions as strings only: accounts imports none of them.
"""

from dataclasses import dataclass, field

SUPPORT = "Support"
FINANCE = "Finance"
CONTENT_REVIEW = "Content review"
SALES = "Sales"
REWARDS = "Rewards"
NOBODY: frozenset[str] = frozenset()  # superusers only

# The permission for acts only superusers may do; no group can hold it (it is not a real permission).
SUPERUSER_ONLY = "accounts.superuser_only"


@dataclass(frozen=True)
class Act:
    """One thing staff do. `admin_actions` are "<app_label>.<model_name>.<action>" ("*" matches any);
    `console_pages` are admin URL names; `api` are "<METHOD> <URL name>"; `pages` are site URL names whose
    answer depends on this act (a learner gets their own, staff with the act anybody's)."""

    permission: str
    groups: frozenset[str]
    description: str
    admin_actions: tuple[str, ...] = ()
    console_pages: tuple[str, ...] = ()
    api: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    fields: tuple[str, ...] = field(default=())  # form fields of the console guarded by this act


def _groups(*names: str) -> frozenset[str]:
    return frozenset(names)


ACTS: dict[str, Act] = {
    # accounts --------------------------------------------------------------------------------
    "accounts.change_roles": Act(
        SUPERUSER_ONLY,
        NOBODY,
        "Change anyone's staff or superuser status, groups or permissions, or an account's e-mail and "
        "password from the console (own account included).",
        fields=(
            "accounts.user.is_staff",
            "accounts.user.is_superuser",
            "accounts.user.groups",
            "accounts.user.user_permissions",
            "accounts.user.email",
            "accounts.user.password",
        ),
        console_pages=("auth_user_password_change",),
    ),
    "accounts.grant_instructor": Act(
        "accounts.grant_instructor",
        NOBODY,
        "Make someone an instructor without an application (Content review approves applications instead).",
        admin_actions=("accounts.user.grant_instructor_role",),
        fields=("accounts.user.is_instructor",),
    ),
    "accounts.revoke_api_keys": Act(
        "accounts.revoke_apikey",
        NOBODY,
        "Revoke someone else's API keys (a security incident: superusers).",
        admin_actions=("accounts.apikey.revoke",),
    ),
    "accounts.third_party_maintenance": Act(
        SUPERUSER_ONLY,
        NOBODY,
        "Mark e-mail addresses verified by hand (allauth) and clean up expired lockouts (axes).",
        admin_actions=("account.emailaddress.make_verified", "axes.accessattempt.cleanup_expired_attempts"),
    ),
    # billing ---------------------------------------------------------------------------------
    "billing.refund": Act(
        "billing.refund_payment",
        _groups(FINANCE),
        "Refund a payment, in full or in part.",
        admin_actions=("billing.payment.refund_in_full",),
        console_pages=("billing_payment_refund",),
        api=("POST api:payment-refund",),
    ),
    "billing.read_any_payment": Act(
        "billing.view_payment",
        _groups(FINANCE, SUPPORT),
        "Read anyone's payments and receipts (with the buyer's e-mail); others read only their own.",
        api=("GET api:payment-detail", "GET api:payment-receipt"),
        pages=("billing:payment_status", "billing:receipt"),
    ),
    "billing.revenue": Act(
        "billing.view_revenue",
        _groups(FINANCE),
        "See the revenue dashboard.",
        console_pages=("billing_revenue",),
    ),
    "billing.replay_events": Act(
        "billing.replay_stripeevent",
        _groups(FINANCE),
        "Replay Stripe events now.",
        admin_actions=("billing.stripeevent.replay",),
    ),
    "djstripe.sync": Act(
        SUPERUSER_ONLY,
        NOBODY,
        "Re-sync dj-stripe's mirror from Stripe (calls Stripe for every row).",
        admin_actions=("djstripe.*._resync_instances", "djstripe.*._sync_all_instances"),
        console_pages=("djstripe_custom_action",),
    ),
    # subscriptions ---------------------------------------------------------------------------
    "subscriptions.dashboard": Act(
        "subscriptions.view_subscription",
        _groups(SUPPORT, FINANCE),
        "See the subscriptions dashboard (MRR, churn, past due).",
        console_pages=("subscriptions_dashboard",),
    ),
    "subscriptions.grant_access": Act(
        "subscriptions.add_entitlement",
        _groups(SUPPORT),
        "Grant complimentary access to a tier.",
        admin_actions=("subscriptions.subscription.grant_complimentary",),
        console_pages=("subscriptions_entitlement_grant",),
    ),
    "subscriptions.revoke_access": Act(
        "subscriptions.change_entitlement",
        _groups(SUPPORT),
        "Revoke an entitlement, with a reason.",
        admin_actions=("subscriptions.entitlement.revoke",),
    ),
    # marketplace -----------------------------------------------------------------------------
    "marketplace.review_courses": Act(
        "marketplace.review_course",
        _groups(CONTENT_REVIEW),
        "Approve, reject or archive courses.",
        admin_actions=("marketplace.course.approve", "marketplace.course.reject", "marketplace.course.archive"),
    ),
    "marketplace.see_any_course": Act(
        "marketplace.view_course",
        _groups(SUPPORT, FINANCE, CONTENT_REVIEW),
        "Open any course and its lessons, whatever its status (drafts, courses in review).",
        api=("GET api:course-detail", "GET api:course-reviews"),
        pages=("marketplace:course_detail", "marketplace:lesson", "marketplace:learn"),
    ),
    "marketplace.grant_enrollment": Act(
        "marketplace.add_enrollment",
        _groups(SUPPORT),
        "Give someone a course (a support gesture).",
    ),
    "marketplace.decide_applications": Act(
        "marketplace.change_instructorapplication",
        _groups(CONTENT_REVIEW),
        "Approve or reject applications to teach (approval grants the instructor role).",
        admin_actions=("marketplace.instructorapplication.approve", "marketplace.instructorapplication.reject"),
    ),
    "marketplace.moderate_reviews": Act(
        "marketplace.change_review",
        _groups(CONTENT_REVIEW),
        "Hide or show course reviews.",
        admin_actions=("marketplace.review.hide", "marketplace.review.unhide"),
    ),
    "marketplace.decide_refund_requests": Act(
        "marketplace.change_refundrequest",
        _groups(FINANCE),
        "Approve (refund) or decline refund requests outside the policy.",
        admin_actions=(
            "marketplace.refundrequest.approve",
            "marketplace.refundrequest.approve_with_note",
            "marketplace.refundrequest.decline",
        ),
    ),
    "marketplace.correct_ledger": Act(
        "marketplace.add_earningsentry",
        _groups(FINANCE),
        "Post a correcting entry on an instructor balance.",
        admin_actions=("marketplace.instructorbalance.correct",),
    ),
    "marketplace.manage_payouts": Act(
        "marketplace.change_payout",
        _groups(FINANCE),
        "Retry or cancel failed payouts.",
        admin_actions=("marketplace.payout.retry", "marketplace.payout.cancel"),
    ),
    # rewards ----------------------------------------------------------------------------------
    "rewards.correct_ledger": Act(
        "rewards.add_tokenentry",
        _groups(REWARDS),
        "Post a correcting entry (with a reason) on a learner's token balance.",
        admin_actions=("rewards.tokenbalance.correct",),
        console_pages=("rewards_tokenbalance_correct",),
        api=("POST api:rewards-adjustments",),
    ),
    "rewards.dashboard": Act(
        "rewards.view_tokenentry",
        _groups(REWARDS, FINANCE, SUPPORT),
        "See the rewards page (tokens issued, spent and outstanding per week).",
        console_pages=("rewards_dashboard",),
    ),
    "rewards.close_weeks": Act(
        "rewards.change_leagueweek",
        _groups(REWARDS),
        "Close ended league weeks now (the Monday task does it; closing twice changes nothing).",
        admin_actions=("rewards.leagueweek.close",),
    ),
    # licensing --------------------------------------------------------------------------------
    "licensing.work_quotes": Act(
        "licensing.work_quote",
        _groups(SALES),
        "Prepare, revise, send and close quotes.",
        admin_actions=("licensing.quote.send", "licensing.quote.mark_lost"),
        console_pages=("licensing_quote_prepare",),
    ),
    "licensing.extend_licences": Act(
        "licensing.extend_licence",
        _groups(SALES),
        "Extend a licence's end date.",
        admin_actions=("licensing.licence.extend",),
    ),
    "licensing.suspend_licences": Act(
        "licensing.suspend_licence",
        _groups(FINANCE),
        "Suspend a licence whose invoice is unpaid, and reinstate it.",
        admin_actions=("licensing.licence.suspend", "licensing.licence.reinstate"),
    ),
    "licensing.raise_revocation_cap": Act(
        "licensing.raise_revocation_cap",
        _groups(SALES, SUPPORT),
        "Raise a licence's cap on seat revocations.",
        admin_actions=("licensing.licence.raise_cap",),
    ),
    "licensing.verify_domains": Act(
        "licensing.verify_domain",
        _groups(SUPPORT),
        "Verify an organisation's e-mail domain.",
        admin_actions=("licensing.organisationdomain.verify",),
    ),
    "licensing.signing_keys": Act(
        "licensing.rotate_signing_key",
        NOBODY,
        "Rotate or retire the licence-key signing key.",
        admin_actions=("licensing.signingkey.retire",),
        console_pages=("licensing_signingkey_rotate",),
    ),
    # support ----------------------------------------------------------------------------------
    "support.work_tickets": Act(
        "support.work_ticket",
        _groups(SUPPORT),
        "Work the ticket queue: reply to customers, add internal notes, set the status, assign and reassign.",
        admin_actions=("support.ticket.assign_to_me", "support.ticket.reassign", "support.ticket.set_status"),
        console_pages=("support_ticket_reply",),
    ),
    "support.sla_attainment": Act(
        "support.view_ticket",
        _groups(SUPPORT),
        "See SLA attainment per week and per priority.",
        console_pages=("support_ticket_attainment",),
    ),
}


@dataclass(frozen=True)
class ModelAccess:
    """What each group may do on a model's console pages (superusers: everything the admin allows)."""

    view: frozenset[str] = NOBODY
    add: frozenset[str] = NOBODY
    change: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY


_STAFF = _groups(SUPPORT, FINANCE)
_EVERY_GROUP = _groups(SUPPORT, FINANCE, CONTENT_REVIEW)

# "<app_label>.<model_name>", or "<app_label>.*" for every model of an app.
MODELS: dict[str, ModelAccess] = {
    # Django, allauth, axes: superusers only.
    "auth.group": ModelAccess(),
    "sites.site": ModelAccess(),
    "account.emailaddress": ModelAccess(),
    # Authenticator apps and recovery codes: a superuser removes a lost one so its owner can set up anew.
    "mfa.authenticator": ModelAccess(),
    "axes.*": ModelAccess(),
    # dj-stripe's mirror of Stripe: superusers only.
    "djstripe.*": ModelAccess(),
    # Operations' record of backups, restore drills and audits (appended by commands): superusers only.
    "operations.operationalcheck": ModelAccess(),
    # The audit trail of staff and org-admin actions (accounts/audit.py): read-only, superusers only — it
    # records what the groups do, so no group reads or edits it.
    "auditlog.logentry": ModelAccess(),
    "accounts.user": ModelAccess(view=_STAFF, change=_groups(SUPPORT)),
    "accounts.apikey": ModelAccess(view=_groups(SUPPORT)),
    "billing.payment": ModelAccess(view=_STAFF),
    "billing.refund": ModelAccess(view=_STAFF),
    "billing.stripeevent": ModelAccess(view=_STAFF),
    "billing.customer": ModelAccess(view=_STAFF),
    "billing.connectedaccount": ModelAccess(view=_STAFF),
    "subscriptions.tier": ModelAccess(view=_STAFF),
    "subscriptions.feature": ModelAccess(view=_STAFF),
    "subscriptions.subscription": ModelAccess(view=_STAFF),
    "subscriptions.entitlement": ModelAccess(view=_STAFF, change=_groups(SUPPORT)),
    "marketplace.category": ModelAccess(
        view=_groups(CONTENT_REVIEW), add=_groups(CONTENT_REVIEW), change=_groups(CONTENT_REVIEW)
    ),
    "marketplace.course": ModelAccess(view=_EVERY_GROUP, change=_groups(CONTENT_REVIEW)),
    "marketplace.module": ModelAccess(view=_groups(CONTENT_REVIEW)),
    "marketplace.lesson": ModelAccess(view=_groups(CONTENT_REVIEW)),
    "marketplace.instructorapplication": ModelAccess(view=_groups(CONTENT_REVIEW), change=_groups(CONTENT_REVIEW)),
    "marketplace.enrollment": ModelAccess(view=_STAFF),
    "marketplace.lessonprogress": ModelAccess(),
    "marketplace.review": ModelAccess(view=_groups(SUPPORT, CONTENT_REVIEW), change=_groups(CONTENT_REVIEW)),
    "marketplace.refundrequest": ModelAccess(view=_groups(FINANCE), change=_groups(FINANCE)),
    "marketplace.revenuesharerule": ModelAccess(view=_groups(FINANCE), change=_groups(FINANCE)),
    "marketplace.sale": ModelAccess(view=_groups(FINANCE)),
    "marketplace.earningsentry": ModelAccess(view=_groups(FINANCE)),
    "marketplace.instructorbalance": ModelAccess(view=_groups(FINANCE)),
    "marketplace.payout": ModelAccess(view=_groups(FINANCE), change=_groups(FINANCE)),
    # Licensing's console is read-only: every change goes through the acts above.
    "licensing.organisation": ModelAccess(view=_groups(SALES, SUPPORT, FINANCE)),
    "licensing.membership": ModelAccess(view=_groups(SALES, SUPPORT)),
    "licensing.organisationdomain": ModelAccess(view=_groups(SALES, SUPPORT)),
    "licensing.quote": ModelAccess(view=_groups(SALES, SUPPORT, FINANCE)),
    "licensing.quoteversion": ModelAccess(view=_groups(SALES, SUPPORT, FINANCE)),
    "licensing.licence": ModelAccess(view=_groups(SALES, SUPPORT, FINANCE)),
    "licensing.licenceevent": ModelAccess(view=_groups(SALES, SUPPORT, FINANCE)),
    "licensing.seat": ModelAccess(view=_groups(SALES, SUPPORT)),
    "licensing.activation": ModelAccess(view=_groups(SALES, SUPPORT)),
    "licensing.organisationapikey": ModelAccess(view=_groups(SALES, SUPPORT)),
    "licensing.signingkey": ModelAccess(),
    # Rewards: the programme's data is the Rewards group's; the ledger is read-only (corrections are an act).
    "rewards.earningrule": ModelAccess(view=_groups(REWARDS), change=_groups(REWARDS)),
    "rewards.tokenboost": ModelAccess(view=_groups(REWARDS), change=_groups(REWARDS)),
    "rewards.program": ModelAccess(view=_groups(REWARDS), change=_groups(REWARDS)),
    "rewards.shopitem": ModelAccess(view=_groups(REWARDS), add=_groups(REWARDS), change=_groups(REWARDS)),
    "rewards.tokenbalance": ModelAccess(view=_groups(REWARDS, SUPPORT)),
    "rewards.tokenentry": ModelAccess(view=_groups(REWARDS, SUPPORT, FINANCE)),
    "rewards.redemption": ModelAccess(view=_groups(REWARDS, SUPPORT)),
    "rewards.streak": ModelAccess(view=_groups(REWARDS)),
    "rewards.leagueweek": ModelAccess(view=_groups(REWARDS), change=_groups(REWARDS)),
    "rewards.leaguegroup": ModelAccess(view=_groups(REWARDS)),
    "rewards.leaguemember": ModelAccess(view=_groups(REWARDS)),
    # Tickets change only through the acts above; SLA policies and calendars are Support's data.
    "support.ticket": ModelAccess(view=_groups(SUPPORT)),
    "support.slapolicy": ModelAccess(view=_groups(SUPPORT), change=_groups(SUPPORT)),
    "support.businesscalendar": ModelAccess(view=_groups(SUPPORT), change=_groups(SUPPORT)),
}


def _matches(pattern: str, key: str) -> bool:
    return all(p in ("*", k) for p, k in zip(pattern.split("."), key.split("."), strict=True))


def act_for_admin_action(app_label: str, model_name: str, action: str) -> Act | None:
    """The act an admin action performs. Django's bulk delete is the model's delete permission."""
    if action == "delete_selected":
        access = model_access(app_label, model_name)
        if access is None:
            return None
        return Act(f"{app_label}.delete_{model_name}", access.delete, "Delete the selected rows.")
    key = f"{app_label}.{model_name}.{action}"
    for act in ACTS.values():
        if any(len(p.split(".")) == 3 and _matches(p, key) for p in act.admin_actions):
            return act
    return None


def act_for_console_page(url_name: str) -> Act | None:
    for act in ACTS.values():
        if url_name in act.console_pages:
            return act
    return None


def act_for_api(method: str, url_name: str) -> Act | None:
    key = f"{method.upper()} {url_name}"
    for act in ACTS.values():
        if key in act.api:
            return act
    return None


def model_access(app_label: str, model_name: str) -> ModelAccess | None:
    return MODELS.get(f"{app_label}.{model_name}") or MODELS.get(f"{app_label}.*")
