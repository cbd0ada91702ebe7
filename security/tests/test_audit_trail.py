"""Issue 19: the audit trail of staff and org-admin actions (accounts/audit.py, django-auditlog).

Each audited kind of action — money, access, review, configuration — done the way staff or an org admin
really do it (console, site page, API with a Bearer key) leaves an entry naming who, what, when, from where,
the object and the before/after of what changed; the trail is read-only in the console and append-only in
PostgreSQL; secrets never reach it."""

import pytest
from auditlog.models import LogEntry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import APIKeyFactory, SuperUserFactory, VerifiedUserFactory, console_login, staff_in
from accounts.tests.support import MFAClient
from billing.tests.support import test_purpose  # noqa: F401 - pytest fixture

pytestmark = pytest.mark.django_db

CLIENT_ADDRESS = "203.0.113.9"


def entries_for(obj, action=None):
    rows = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_pk=str(obj.pk)
    )
    if action is not None:
        rows = rows.filter(action=action)
    return list(rows.order_by("timestamp", "pk"))


def last_change(obj, actor):
    """The latest entry `actor` left on `obj`."""
    mine = [e for e in entries_for(obj) if e.actor_id == actor.pk]
    assert mine, f"no audit entry by {actor} on {obj!r}: {[(e.action, e.actor_id) for e in entries_for(obj)]}"
    return mine[-1]


def assert_who_and_where(entry, actor, address=CLIENT_ADDRESS):
    assert entry.actor_id == actor.pk
    assert entry.actor_email == actor.email
    assert entry.remote_addr == address
    assert entry.timestamp is not None


# Review --------------------------------------------------------------------------------------


def test_approving_a_course_in_the_console_records_the_reviewer_and_the_status_before_and_after(client):
    from marketplace.models import Course
    from marketplace.services import courses
    from marketplace.tests.factories import CourseFactory, course_with_lessons

    instructor = VerifiedUserFactory(is_instructor=True)
    course = courses.submit_for_review(
        course_with_lessons(factory_class=CourseFactory, instructor=instructor), by=instructor
    )
    reviewer = staff_in("Content review")
    console_login(client, reviewer)
    client.post(
        reverse("admin:marketplace_course_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [course.pk]},
        REMOTE_ADDR=CLIENT_ADDRESS,
    )
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED
    entry = last_change(course, reviewer)
    assert_who_and_where(entry, reviewer)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes["status"] == ["in_review", "published"]


def test_hiding_a_review_records_the_moderator_and_the_reason():
    from marketplace.models import Review
    from marketplace.tests.factories import CourseFactory

    review = Review.objects.create(course=CourseFactory(), user=VerifiedUserFactory(), rating=1, text="Rude words")
    moderator = staff_in("Content review")
    client = _console(moderator)
    client.post(
        reverse("admin:marketplace_review_changelist"),
        {"action": "hide", "apply": "1", ACTION_CHECKBOX_NAME: [review.pk], "reason": "Abusive"},
        REMOTE_ADDR=CLIENT_ADDRESS,
    )
    entry = last_change(review, moderator)
    assert_who_and_where(entry, moderator)
    assert entry.changes["hidden_reason"] == ["", "Abusive"]
    assert entry.changes["hidden_at"][0] is None and entry.changes["hidden_at"][1]


# Access --------------------------------------------------------------------------------------


def test_granting_complimentary_access_records_the_new_entitlement():
    from subscriptions.models import Entitlement, Tier

    learner = VerifiedUserFactory()
    support = staff_in("Support")
    client = _console(support)
    tier = Tier.objects.exclude(code=Tier.FREE).first()
    client.post(
        reverse("admin:subscriptions_entitlement_grant"),
        {"email": learner.email, "apply": "1", "tier": tier.pk, "reason": "Conference speaker"},
        REMOTE_ADDR=CLIENT_ADDRESS,
    )
    entitlement = Entitlement.objects.get(user=learner, source=Entitlement.Source.STAFF_GRANT)
    entry = last_change(entitlement, support)
    assert_who_and_where(entry, support)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes["reason"] == [None, "Conference speaker"]


def test_a_superuser_making_someone_staff_records_the_flag_and_the_groups():
    person = VerifiedUserFactory()
    superuser = SuperUserFactory()
    client = _console(superuser)
    finance = staff_in("Finance").groups.get()  # makes sure the staff groups exist
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(is_staff="on", groups=[finance.pk], user_permissions=[])
    for flag in ("marketing_emails", "learning_reminders", "is_instructor", "is_superuser"):
        if data.get(flag) is False:
            data.pop(flag)
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    response = client.post(reverse("admin:accounts_user_change", args=[person.pk]), data, REMOTE_ADDR=CLIENT_ADDRESS)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.is_staff
    entries = [e for e in entries_for(person) if e.actor_id == superuser.pk]
    assert any(e.changes.get("is_staff") == [False, True] for e in entries)
    groups = [e for e in entries if "groups" in (e.changes or {})]
    assert groups and groups[-1].changes["groups"]["objects"] == [str(finance)]
    assert groups[-1].changes["groups"]["operation"] == "add"
    for entry in entries:
        assert_who_and_where(entry, superuser)


def test_revoking_an_api_key_records_it_and_never_the_key_or_its_digest():
    key = APIKeyFactory()
    superuser = SuperUserFactory()
    client = _console(superuser)
    client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", ACTION_CHECKBOX_NAME: [key.pk]},
        REMOTE_ADDR=CLIENT_ADDRESS,
    )
    entry = last_change(key, superuser)
    assert_who_and_where(entry, superuser)
    assert entry.changes["revoked_at"][0] is None and entry.changes["revoked_at"][1]
    every = LogEntry.objects.filter(object_pk=str(key.pk)).values_list("changes_text", "changes", "object_repr")
    assert key.raw not in str(list(every)) and key.digest not in str(list(every))


def test_a_password_change_is_not_written_into_the_trail():
    person = VerifiedUserFactory()
    person.set_password("a-new-password-1")
    person.save()
    assert "password" not in str([e.changes for e in entries_for(person)])


def test_an_org_admin_adding_a_domain_and_changing_a_role_is_recorded_under_their_name(client):
    from licensing.models import Membership, OrganisationDomain
    from licensing.tests.factories import LicenceFactory, MembershipFactory, OrganisationFactory

    org = OrganisationFactory(slug="acme-audit")
    LicenceFactory(organisation=org)
    org_admin = MembershipFactory(organisation=org, role="admin").user
    member = MembershipFactory(organisation=org, role="member")
    client.force_login(org_admin)
    client.post(
        reverse("licensing:org_add_domain", args=[org.slug]),
        {"domain": "acme-audit.example"},
        REMOTE_ADDR=CLIENT_ADDRESS,
    )
    domain = OrganisationDomain.objects.get(organisation=org)
    assert_who_and_where(last_change(domain, org_admin), org_admin)
    client.post(
        reverse("licensing:org_set_role", args=[org.slug, member.pk]), {"role": "admin"}, REMOTE_ADDR=CLIENT_ADDRESS
    )
    assert Membership.objects.get(pk=member.pk).role == "admin"
    entry = last_change(member, org_admin)
    assert_who_and_where(entry, org_admin)
    assert entry.changes["role"] == ["member", "admin"]


# Money ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("emulator", "test_purpose")
def test_a_refund_in_the_console_records_the_refund_and_the_payment_before_and_after():
    from billing.models import Refund
    from billing.tests.support import paid_payment

    payment = paid_payment(VerifiedUserFactory(), amount=2500)
    finance = staff_in("Finance")
    client = _console(finance)
    response = client.post(
        reverse("admin:billing_payment_refund", args=[payment.pk]),
        {"amount": "1000", "reason": "Charged twice"},
        REMOTE_ADDR=CLIENT_ADDRESS,
    )
    assert response.status_code == 302
    refund = Refund.objects.get(payment=payment)
    created = entries_for(refund, LogEntry.Action.CREATE)[0]
    assert_who_and_where(created, finance)
    assert created.changes["amount"] == [None, 1000]
    payment_entry = last_change(payment, finance)
    assert payment_entry.changes["amount_refunded"] == [0, 1000]
    assert payment_entry.changes["status"] == ["succeeded", "partially_refunded"]


@pytest.mark.usefixtures("emulator", "test_purpose")
def test_a_refund_through_the_api_with_a_bearer_key_names_the_key_owner():
    from billing.models import Refund
    from billing.tests.support import paid_payment

    payment = paid_payment(VerifiedUserFactory(), amount=2500)
    finance = staff_in("Finance")
    key = APIKeyFactory(user=finance)
    api = APIClient()
    response = api.post(
        f"/api/v1/payments/{payment.pk}/refund/",
        {"amount": 500, "reason": "Goodwill"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key.raw}",
        HTTP_IDEMPOTENCY_KEY="audit-refund-1",
        REMOTE_ADDR=CLIENT_ADDRESS,
    )
    assert response.status_code in (200, 201), response.content
    created = entries_for(Refund.objects.get(payment=payment), LogEntry.Action.CREATE)[0]
    assert_who_and_where(created, finance)


def test_changing_a_revenue_share_rule_records_the_basis_points_before_and_after():
    from marketplace.models import RevenueShareRule

    rule = RevenueShareRule.objects.filter(is_active=True).first()
    finance = staff_in("Finance")
    client = _console(finance)
    url = reverse("admin:marketplace_revenuesharerule_change", args=[rule.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    before = rule.instructor_bps
    data["instructor_bps"] = before - 100
    response = client.post(url, data, REMOTE_ADDR=CLIENT_ADDRESS)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = last_change(rule, finance)
    assert_who_and_where(entry, finance)
    assert entry.changes["instructor_bps"] == [before, before - 100]


# Where from ----------------------------------------------------------------------------------


def test_a_forged_forwarded_for_header_is_not_believed_without_a_trusted_proxy():
    rule_owner = SuperUserFactory()
    client = _console(rule_owner)
    group = Group.objects.create(name="Auditors")
    client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Auditors 2", "permissions": []},
        REMOTE_ADDR=CLIENT_ADDRESS,
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )
    assert last_change(group, rule_owner).remote_addr == CLIENT_ADDRESS


@override_settings(PROXY_COUNT=1)
def test_behind_one_proxy_the_address_is_the_one_the_proxy_saw():
    superuser = SuperUserFactory()
    client = _console(superuser)
    group = Group.objects.create(name="Auditors")
    client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Auditors 2", "permissions": []},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"198.51.100.66, {CLIENT_ADDRESS}",  # the first hop is whatever the client wrote
    )
    assert last_change(group, superuser).remote_addr == CLIENT_ADDRESS


# Read-only and append-only -------------------------------------------------------------------


def test_the_console_shows_the_trail_read_only_and_to_superusers_only():
    superuser = SuperUserFactory()
    group = Group.objects.create(name="Auditors")
    client = _console(superuser)
    client.post(reverse("admin:auth_group_change", args=[group.pk]), {"name": "Renamed", "permissions": []})
    entry = last_change(group, superuser)
    listing = client.get(reverse("admin:auditlog_logentry_changelist"), {"q": superuser.email})
    assert listing.status_code == 200 and "Renamed" in listing.content.decode()
    detail = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Renamed" in body and 'name="_save"' not in body
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    for group_name in ("Support", "Finance", "Content review", "Sales"):
        staff_client = _console(staff_in(group_name))
        assert staff_client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403, group_name


@pytest.mark.postgres
def test_postgresql_refuses_to_change_or_delete_an_entry_but_lets_an_actor_be_deleted():
    superuser = SuperUserFactory()
    group = Group.objects.create(name="Auditors")
    _console(superuser).post(reverse("admin:auth_group_change", args=[group.pk]), {"name": "X", "permissions": []})
    entry = last_change(group, superuser)
    for statement in (
        "UPDATE auditlog_logentry SET changes_text = 'rewritten' WHERE id = %s",
        "UPDATE auditlog_logentry SET remote_addr = '192.0.2.1' WHERE id = %s",
        "DELETE FROM auditlog_logentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    superuser.delete()  # ON DELETE SET NULL on the actor is the one change allowed
    entry.refresh_from_db()
    assert entry.actor_id is None and entry.actor_email == superuser.email


def _console(user):
    client = MFAClient()
    console_login(client, user)
    return client
