"""Issue 19: the authorization matrix. Every URL pattern of the site and the API, enumerated from the resolver
(a new endpoint is covered automatically), is called as an anonymous visitor, a signed-in learner, learner B
on learner A's objects and every staff group, and the outcome is compared with ONE table (ACCESS below).
An endpoint missing from the table fails the test. The console (/admin/) is walked per group and per act by
accounts/tests/test_permission_table.py; here every console URL must refuse visitors and learners.

Outcomes: "refused" is 401, 403, 404 or a redirect to sign-in (or to the two-factor step); "allowed" is any
other answer below 500. A 5xx anywhere fails."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.roles import STAFF_GROUPS
from accounts.tests.factories import APIKeyFactory, VerifiedUserFactory, console_login, staff_in
from accounts.tests.support import MFAClient

pytestmark = pytest.mark.django_db

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed in"  # any signed-in person; visitors are sent to sign in
OWNER = "owner"  # signed in, and only on their own objects (or staff with the act in the permission table)
INSTRUCTOR = "instructor"  # signed in, and only their own courses
ORG_ADMIN = "org admin"  # signed in, and only an organisation they administer
SECRET = "secret"  # the URL's own token, a webhook signature or a key is the credential
CONSOLE = "console"  # staff with MFA: accounts/permission_table.py says which group may do what
STAFF = "staff act"  # a staff operation: accounts/permission_table.py says which groups; learners refused
FLOW = "sign-in step"  # a step of a sign-in in progress (code, second factor); without one, back to sign-in

ACCESS: dict[str, str] = {
    "home": PUBLIC,
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "security_txt": PUBLIC,
    "metrics": SECRET,
    "favicon": PUBLIC,
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    # accounts and allauth
    "accounts:profile": SIGNED_IN,
    "accounts:create_api_key": SIGNED_IN,
    "accounts:revoke_api_key": OWNER,
    "accounts:delete": SIGNED_IN,
    "account_login": PUBLIC,
    "account_logout": PUBLIC,
    "account_inactive": PUBLIC,
    "account_signup": PUBLIC,
    "account_reauthenticate": SIGNED_IN,
    "account_request_reauthentication_code": SIGNED_IN,
    "account_confirm_reauthentication_code": SIGNED_IN,
    "account_email": SIGNED_IN,
    "account_email_verification_sent": PUBLIC,
    "account_change_password": SIGNED_IN,
    "account_set_password": SIGNED_IN,
    "account_reset_password": PUBLIC,
    "account_confirm_login_code": FLOW,
    "account_confirm_email": SECRET,
    "account_reset_password_from_key_done": PUBLIC,
    "account_reset_password_from_key": SECRET,
    "account_reset_password_done": PUBLIC,
    "mfa_index": SIGNED_IN,
    "mfa_authenticate": FLOW,
    "mfa_reauthenticate": SIGNED_IN,
    "mfa_activate_totp": SIGNED_IN,
    "mfa_deactivate_totp": OWNER,  # their own authenticator
    "mfa_view_recovery_codes": OWNER,  # their own authenticator
    "mfa_generate_recovery_codes": OWNER,  # their own authenticator
    "mfa_download_recovery_codes": OWNER,  # their own authenticator
    # billing
    "billing:payment_history": SIGNED_IN,
    "billing:payment_status": OWNER,
    "billing:payment_retry": OWNER,
    "billing:receipt": OWNER,
    "stripe_webhook": SECRET,
    # subscriptions
    "subscriptions:pricing": PUBLIC,
    "subscriptions:subscribe": SIGNED_IN,
    "subscriptions:manage": SIGNED_IN,
    "subscriptions:change_preview": SIGNED_IN,
    "subscriptions:change_confirm": SIGNED_IN,
    "subscriptions:cancel": SIGNED_IN,
    "subscriptions:resume": SIGNED_IN,
    "subscriptions:update_card": SIGNED_IN,
    "subscriptions:card_updated": SIGNED_IN,
    # marketplace
    "marketplace:catalogue": PUBLIC,
    "marketplace:course_detail": PUBLIC,
    "marketplace:buy": SIGNED_IN,
    "marketplace:start": SIGNED_IN,
    "marketplace:learn": OWNER,
    "marketplace:lesson": PUBLIC,  # preview lessons are public; the rest need an enrolment (marketplace tests)
    "marketplace:complete_lesson": OWNER,
    "marketplace:review_course": OWNER,
    "marketplace:reply_to_review": INSTRUCTOR,
    "marketplace:certificate": OWNER,
    "marketplace:certificate_verify": PUBLIC,
    "marketplace:my_learning": SIGNED_IN,
    "marketplace:request_refund": OWNER,
    "marketplace:apply_to_teach": SIGNED_IN,
    "marketplace:studio": INSTRUCTOR,
    "marketplace:studio_earnings": INSTRUCTOR,
    "marketplace:studio_earnings_csv": INSTRUCTOR,
    "marketplace:studio_payouts": INSTRUCTOR,
    "marketplace:studio_payouts_onboard": INSTRUCTOR,
    "marketplace:studio_payouts_return": INSTRUCTOR,
    "marketplace:studio_payouts_refresh": INSTRUCTOR,
    "marketplace:studio_course_new": INSTRUCTOR,
    "marketplace:studio_course": INSTRUCTOR,
    "marketplace:studio_course_edit": INSTRUCTOR,
    "marketplace:studio_course_action": INSTRUCTOR,
    "marketplace:studio_module_new": INSTRUCTOR,
    "marketplace:studio_module_edit": INSTRUCTOR,
    "marketplace:studio_lesson_new": INSTRUCTOR,
    "marketplace:studio_lesson_edit": INSTRUCTOR,
    # licensing
    "licensing:request_quote": PUBLIC,
    "licensing:quote_requested": PUBLIC,
    "licensing:quote": SECRET,
    "licensing:invitation": SECRET,
    "licensing:licence_keys": PUBLIC,
    "licensing:my_organisations": SIGNED_IN,
    "licensing:org_overview": ORG_ADMIN,
    "licensing:org_members": ORG_ADMIN,
    "licensing:org_set_role": ORG_ADMIN,
    "licensing:org_add_domain": ORG_ADMIN,
    "licensing:org_seats": ORG_ADMIN,
    "licensing:org_invite": ORG_ADMIN,
    "licensing:org_import": ORG_ADMIN,
    "licensing:org_seat_action": ORG_ADMIN,
    "licensing:org_billing": ORG_ADMIN,
    "licensing:org_pay": ORG_ADMIN,
    "licensing:org_seat_change": ORG_ADMIN,
    "licensing:org_integrations": ORG_ADMIN,
    "licensing:org_create_api_key": ORG_ADMIN,
    "licensing:org_revoke_api_key": ORG_ADMIN,
    # API
    "api:me": SIGNED_IN,
    "api:payment-list": SIGNED_IN,
    "api:payment-detail": OWNER,
    "api:payment-refund": OWNER,
    "api:payment-receipt": OWNER,
    "api:subscription-start": SIGNED_IN,
    "api:subscription-tiers": PUBLIC,
    "api:subscription-current": SIGNED_IN,
    "api:subscription-preview": SIGNED_IN,
    "api:subscription-cancel": SIGNED_IN,
    "api:subscription-resume": SIGNED_IN,
    "api:my-features": SIGNED_IN,
    "api:course-list": PUBLIC,
    "api:course-detail": PUBLIC,
    "api:course-purchase": SIGNED_IN,
    "api:course-submit": INSTRUCTOR,
    "api:enrollment-refund": OWNER,
    "api:course-reviews": PUBLIC,
    "api:lesson-complete": OWNER,
    "api:enrollment-list": SIGNED_IN,
    "api:instructor-earnings": INSTRUCTOR,
    "api:instructor-sales": INSTRUCTOR,
    "api:licence-activate": SECRET,
    "api:licence-validate": SECRET,
    "api:licence-activation": SECRET,
    "api:org-seats": SECRET,  # an organisation API key
    "api:org-seat": SECRET,
    "licensing:org_cancel_renewal": ORG_ADMIN,
    "licensing:org_usage": ORG_ADMIN,
    "licensing:org_usage_csv": ORG_ADMIN,
    "api:org-usage": SECRET,  # an organisation API key (or its admin)
    "api:org-renewal": SECRET,
    "api:org-renewal-seats": SECRET,
    # support
    "support:help": PUBLIC,  # the help page; tickets need an eligible signed-in person
    "support:new_ticket": SIGNED_IN,
    "support:ticket": OWNER,
    "support:reply": OWNER,
    "support:update": OWNER,
    "api:support-tickets": SIGNED_IN,
    "api:support-ticket": OWNER,
    "api:support-ticket-replies": OWNER,
    # rewards
    "rewards:wallet": SIGNED_IN,
    "rewards:league": SIGNED_IN,
    "rewards:shop": SIGNED_IN,
    "rewards:redeem": SIGNED_IN,
    "rewards:friends": SIGNED_IN,
    "rewards:follow": SIGNED_IN,
    "rewards:unfollow": SIGNED_IN,
    "rewards:profile": SIGNED_IN,
    "api:rewards-wallet": SIGNED_IN,
    "api:rewards-entries": SIGNED_IN,
    "api:rewards-streak": SIGNED_IN,
    "api:rewards-leaderboard": SIGNED_IN,
    "api:rewards-shop": SIGNED_IN,
    "api:rewards-redeem": SIGNED_IN,
    "api:rewards-follows": SIGNED_IN,
    "api:rewards-adjustments": STAFF,
}
NEEDS_SIGN_IN = {SIGNED_IN, OWNER, INSTRUCTOR, ORG_ADMIN, CONSOLE, FLOW, STAFF}
# Console URLs that are not console pages: signing out of it is harmless for anyone.
CONSOLE_EXCEPTIONS = {"admin:logout": PUBLIC}
# Visitors come from outside: /metrics answers the internal network (and a token) only.
OUTSIDE = {"REMOTE_ADDR": "203.0.113.50"}


def site_urls() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern outside the console, from the resolver."""
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or ("favicon" if "favicon" in str(pattern.pattern) else "")
                full = f"{namespace}:{name}" if namespace and name else name
                found.append((full, prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


def access_of(name: str, route: str) -> str:
    if route.startswith("admin/"):
        return CONSOLE_EXCEPTIONS.get(name, CONSOLE)
    return ACCESS[name]


def fill(route: str) -> str:
    """A path for a route, with made-up values for its parameters (regex routes included)."""
    route = route.lstrip("^").rstrip("$")
    values = {"uuid": str(uuid.uuid4()), "int": "999999", "slug": "no-such-thing", "str": "no-such-token"}
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: values.get(m.group(1) or "str", "x"), route)
    route = re.sub(r"\(\?P<uidb36>[^)]*\)", "zz", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "no-such-key", route)
    return "/" + route.replace("^", "").replace("$", "")


def refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.get("Location", "") if response.status_code in (301, 302, 303) else ""
    return "/accounts/login/" in location or "/accounts/2fa/" in location or location.startswith("/admin/login/")


def call(client, path: str, **headers):
    """GET, or POST where the view takes only POST; never a 5xx."""
    response = client.get(path, secure=True, **headers)
    if response.status_code == 405:
        response = client.post(path, {}, secure=True, **headers)
    assert response.status_code < 500, (path, response.status_code)
    return response


def test_every_url_of_the_site_and_api_is_in_the_table():
    names = {name for name, route in site_urls() if not route.startswith("admin/")}
    missing = sorted(names - set(ACCESS))
    assert missing == [], "Add these URLs to ACCESS in security/tests/test_authorization_matrix.py"
    assert sorted(set(ACCESS) - names) == [], "The table names URLs that no longer exist"


def test_visitors_are_refused_everywhere_sign_in_is_needed_and_let_in_where_it_is_not():
    client = MFAClient(**OUTSIDE)
    wrong = []
    for name, route in site_urls():
        access = access_of(name, route)
        path = fill(route)
        response = call(client, path)
        if access in NEEDS_SIGN_IN and not refused(response):
            wrong.append((name, path, response.status_code, "let in"))
        if access == SECRET and response.status_code in (200, 201):
            wrong.append((name, path, response.status_code, "answered without its secret"))
        has_parameters = "<" in route or "(?P" in route
        if access == PUBLIC and not has_parameters and refused(response):
            wrong.append((name, path, response.status_code, "refused"))
    assert wrong == [], wrong


@pytest.mark.parametrize("role", ["learner", *STAFF_GROUPS])
def test_signed_in_people_reach_their_own_pages_and_no_console_page_unless_staff(role):
    person = VerifiedUserFactory() if role == "learner" else staff_in(role)
    client = MFAClient(**OUTSIDE)
    console_login(client, person)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {APIKeyFactory(user=person).raw}"}  # integrators call the API so
    wrong = []
    for name, route in site_urls():
        if "<" in route or "(?P" in route:
            continue  # objects of someone else: the next tests
        access = access_of(name, route)
        if name in ("account_logout", "accounts:delete") or access == FLOW:
            continue  # signing out or erasing the account ends the walk; no sign-in in progress
        response = call(client, fill(route), **(bearer if route.startswith("api/") else {}))
        if access == SIGNED_IN and refused(response):
            wrong.append((name, response.status_code, "refused"))
        if access == STAFF and role == "learner" and not refused(response) and response.status_code != 405:
            wrong.append((name, response.status_code, "a learner reached a staff operation"))
        if access == CONSOLE and role == "learner" and not refused(response) and name != "admin:index":
            wrong.append((name, response.status_code, "a learner reached the console"))
        if access == INSTRUCTOR and response.status_code == 200:
            wrong.append((name, response.status_code, "not an instructor, yet served"))
    assert wrong == [], wrong


def test_learner_b_is_refused_every_object_of_learner_a():
    """Payments, receipts, enrolments, lessons, certificates and API keys of A, asked for by B."""
    from billing.tests.factories import SucceededPaymentFactory
    from marketplace.models import Enrollment
    from marketplace.tests.factories import CourseFactory, course_with_lessons

    a, b = VerifiedUserFactory(), VerifiedUserFactory()
    payment = SucceededPaymentFactory(user=a)
    course = course_with_lessons(
        modules=1,
        lessons=1,
        factory_class=CourseFactory,
        status="published",
        published_at=timezone.now(),
        price_amount=0,
    )
    lesson = course.lessons.get()
    enrollment = Enrollment.objects.create(user=a, course=course, source=Enrollment.Source.FREE)
    key = APIKeyFactory(user=a)
    as_b = MFAClient()
    as_b.force_login(b)
    b_key = APIKeyFactory(user=b).raw
    pages = [
        reverse("billing:payment_status", args=[payment.pk]),
        reverse("billing:receipt", args=[payment.pk]),
        reverse("billing:payment_retry", args=[payment.pk]),
        reverse("marketplace:learn", args=[course.slug]),
        reverse("marketplace:complete_lesson", args=[course.slug, lesson.pk]),
        reverse("marketplace:certificate", args=[course.slug]),
        reverse("marketplace:request_refund", args=[enrollment.pk]),
        reverse("accounts:revoke_api_key", args=[key.pk]),
    ]
    api = [
        f"/api/v1/payments/{payment.pk}/",
        f"/api/v1/payments/{payment.pk}/receipt/",
        f"/api/v1/payments/{payment.pk}/refund/",
        f"/api/v1/enrollments/{enrollment.pk}/refund/",
        f"/api/v1/lessons/{lesson.pk}/complete/",
    ]
    wrong = []
    for path in pages:
        response = call(as_b, path)
        allowed_elsewhere = response.status_code in (302, 303) and not refused(response)
        if not refused(response) and not (allowed_elsewhere and _not_acted(path, key)):
            wrong.append((path, response.status_code))
    for path in api:
        response = as_b.get(path, HTTP_AUTHORIZATION=f"Bearer {b_key}", secure=True)
        if response.status_code == 405:
            response = as_b.post(
                path,
                {"reason": "Not what I expected at all", "amount": 100},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {b_key}",
                HTTP_IDEMPOTENCY_KEY=f"b-{uuid.uuid4()}",
                secure=True,
            )
        assert response.status_code < 500, path
        if not refused(response) and response.status_code != 400:
            wrong.append((path, response.status_code))
    key.refresh_from_db()
    assert key.revoked_at is None, "B revoked A's API key"
    assert not Enrollment.objects.filter(user=b).exists(), "B was enrolled through A's objects"
    assert wrong == [], wrong


def _not_acted(path: str, key) -> bool:
    """A redirect back to B's own page is fine as long as nothing of A's changed."""
    key.refresh_from_db()
    return key.revoked_at is None
