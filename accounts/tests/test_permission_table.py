"""Issue 11: every admin action, console page, model page and staff API operation, walked for every staff
group and a plain learner, against THE table (accounts/permission_table.py).

Something registered in the console or the API but missing from the table fails here, so a new admin
action, custom admin view or staff API operation must say who may use it."""

import uuid

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.permissions import IsAdminUser
from rest_framework.test import APIClient

from accounts.api.permissions import ActPermission
from accounts.console import MODEL_URL_SUFFIXES, SITE_URL_NAMES
from accounts.permission_table import ACTS, MODELS, act_for_admin_action, act_for_console_page, model_access
from accounts.roles import STAFF_GROUPS, group_permissions

from .factories import SuperUserFactory, VerifiedUserFactory, console_login, staff_in

pytestmark = pytest.mark.django_db

THIRD_PARTY = ("djstripe", "axes", "account", "auth", "sites")
LEARNER = "learner"
SUPERUSER = "superuser"


def role_names() -> list[str]:
    """Every staff group (including those other apps add later), a plain learner and a superuser."""
    return [*STAFF_GROUPS, LEARNER, SUPERUSER]


@pytest.fixture
def people(db):
    users = {group: staff_in(group) for group in STAFF_GROUPS}
    users[LEARNER] = VerifiedUserFactory()
    users[SUPERUSER] = SuperUserFactory()
    return users


def expected(role: str, groups: frozenset[str]) -> bool:
    return role == SUPERUSER or role in groups


def registered_actions() -> dict[tuple[str, str], list[str]]:
    """(app_label, model_name) -> every action its ModelAdmin has, before any permission filtering."""
    return {
        (model._meta.app_label, model._meta.model_name): [name for _func, name, _desc in ma._get_base_actions()]
        for model, ma in admin.site._registry.items()
    }


def admin_url_names() -> list[tuple[str, str]]:
    """(url name, route) of every named pattern under /admin/."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append((pattern.name, prefix + str(pattern.pattern)))

    walk(admin.site.get_urls(), "")
    return found


def custom_console_pages() -> list[tuple[str, str]]:
    standard = {
        f"{m._meta.app_label}_{m._meta.model_name}_{suffix}"
        for m in admin.site._registry
        for suffix in MODEL_URL_SUFFIXES
    }
    return [(name, route) for name, route in admin_url_names() if name not in SITE_URL_NAMES | standard]


def test_a_console_page_missing_from_the_table_is_refused_to_everyone_but_superusers(people):
    """The tests below fail on an undeclared page; until it is declared, only superusers may open it."""
    from django.test import RequestFactory
    from django.urls import ResolverMatch

    request = RequestFactory().get("/admin/undeclared/")
    request.resolver_match = ResolverMatch(lambda r: None, (), {}, url_name="x_undeclared")
    for role in role_names():
        request.user = people[role]
        refusal = admin.site.page_refusal(request)
        assert (refusal is None) == (role == SUPERUSER), role
    request.user = people["Finance"]
    assert "declares no permission" in admin.site.page_refusal(request)


# Nothing is missing from the table ---------------------------------------------------------


def test_every_admin_action_is_in_the_table():
    missing = [
        f"{app}.{model}.{action}"
        for (app, model), actions in registered_actions().items()
        for action in actions
        if act_for_admin_action(app, model, action) is None
    ]
    assert missing == [], "Add these admin actions to accounts/permission_table.py"


def test_every_console_page_is_in_the_table():
    missing = [name for name, _route in custom_console_pages() if act_for_console_page(name) is None]
    assert missing == [], "Add these console pages to accounts/permission_table.py"
    assert {name for name, _ in custom_console_pages()} >= {
        "billing_revenue",
        "billing_payment_refund",
        "subscriptions_dashboard",
        "subscriptions_entitlement_grant",
    }


def test_every_model_in_the_console_is_in_the_table():
    missing = [
        m._meta.label_lower for m in admin.site._registry if model_access(m._meta.app_label, m._meta.model_name) is None
    ]
    assert missing == [], "Add these models to accounts/permission_table.py MODELS"


def test_the_table_names_nothing_that_does_not_exist():
    """A row for a removed action, page or model would hide a gap: the table lists what is there."""
    actions = {f"{app}.{model}.{a}" for (app, model), names in registered_actions().items() for a in names}
    pages = {name for name, _ in admin_url_names()}
    from accounts.permission_table import _matches

    for key, act in ACTS.items():
        for pattern in act.admin_actions:
            assert any(_matches(pattern, a) for a in actions), (key, pattern)
        for page in act.console_pages:
            assert page in pages, (key, page)
    labels = {m._meta.label_lower for m in admin.site._registry}
    for row in MODELS:
        assert row in labels or any(label.startswith(row[:-1]) for label in labels if row.endswith("*")), row


def test_groups_in_the_table_are_staff_groups():
    for key, act in ACTS.items():
        assert act.groups <= set(STAFF_GROUPS), key
    for key, access in MODELS.items():
        assert (access.view | access.add | access.change | access.delete) <= set(STAFF_GROUPS), key


def test_each_group_holds_exactly_the_permissions_its_acts_need():
    """The grants apps make (grant_to_group) and the table agree: a group holds an act's permission if and
    only if the table gives it the act. (The walks below show the same through the console and the API.)"""
    held = group_permissions()
    for key, act in ACTS.items():
        for group in STAFF_GROUPS:
            assert (act.permission in held[group]) == (group in act.groups), (key, group)


# The console, walked for every role --------------------------------------------------------


def _offered_actions(client, app: str, model: str) -> set[str] | None:
    """The actions the changelist offers this user, or None when they cannot open it."""
    response = client.get(reverse(f"admin:{app}_{model}_changelist"))
    if response.status_code != 200:
        return None
    form = response.context.get("action_form")
    return {name for name, _label in form.fields["action"].choices if name} if form else set()


@pytest.mark.parametrize("role", role_names())
def test_the_console_offers_each_role_exactly_the_actions_the_table_gives_it(client, people, role):
    console_login(client, people[role])
    wrong = []
    for (app, model), actions in registered_actions().items():
        offered = _offered_actions(client, app, model) or set()
        for action in actions:
            act = act_for_admin_action(app, model, action)
            if role == SUPERUSER and (app in THIRD_PARTY or action == "delete_selected"):
                continue  # ModelAdmins drop some actions themselves (no delete); the table never does for superusers
            if act is not None and (action in offered) != expected(role, act.groups):
                wrong.append((f"{app}.{model}.{action}", "offered" if action in offered else "not offered"))
    assert wrong == []


def _our_actions():
    return [
        (app, model, action)
        for (app, model), actions in registered_actions().items()
        if app not in THIRD_PARTY  # their actions are offered to superusers only (above)
        for action in actions
        if action != "delete_selected"
    ]


@pytest.mark.parametrize("role", role_names())
def test_running_an_action_is_refused_exactly_where_the_table_says(client, people, role):
    """Posting the action (over every row: none here) runs it or is refused by Django's own check."""
    console_login(client, people[role])
    wrong = []
    for app, model, action in _our_actions():
        act = act_for_admin_action(app, model, action)
        response = client.post(
            reverse(f"admin:{app}_{model}_changelist"),
            {"action": action, "_selected_action": ["0"], "select_across": "1", "index": "0"},
        )
        if response.status_code == 302:
            notes = [str(m) for m in get_messages(response.wsgi_request)]
            location = response["Location"]
            ran = (
                location.startswith("/admin/")
                and not location.startswith("/admin/login/")
                and not any("No action selected" in n for n in notes)
            )
        else:
            # 200: the action's own page (a reason form), or the plain changelist when no action is offered.
            ran = response.status_code == 200 and "cl" not in (response.context or {})
        if ran != expected(role, act.groups):
            wrong.append((f"{app}.{model}.{action}", response.status_code, "ran" if ran else "refused"))
    assert wrong == []


def _fill(route: str) -> str:
    """A route with made-up values for its parameters."""
    import re

    values = {"uuid": str(uuid.uuid4()), "int": "999999", "str": "x", "slug": "x", "path": "x"}
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: values.get(m.group(1) or "str", "x"), route)


@pytest.mark.parametrize("role", role_names())
def test_custom_console_pages_open_exactly_for_the_roles_the_table_gives_them(client, people, role):
    console_login(client, people[role])
    client.raise_request_exception = False  # a made-up object may crash a third-party page: still "opened"
    wrong = []
    for name, route in custom_console_pages():
        act = act_for_console_page(name)
        response = client.get("/admin/" + _fill(route))
        opened = response.status_code not in (302, 403)
        if opened != expected(role, act.groups):
            wrong.append((name, response.status_code))
    assert wrong == []


@pytest.mark.parametrize("role", role_names())
def test_model_pages_follow_the_table(client, people, role):
    console_login(client, people[role])
    wrong = []
    for model, ma in admin.site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        access = model_access(app, name)
        changelist = client.get(reverse(f"admin:{app}_{name}_changelist"))
        request = changelist.wsgi_request  # went through every middleware, as the admin's own checks expect
        checks = {
            "view": changelist.status_code == 200,
            "add": bool(ma.has_add_permission(request)),
            "change": bool(ma.has_change_permission(request)),
            "delete": bool(ma.has_delete_permission(request)),
        }
        for what, actual in checks.items():
            if role == SUPERUSER:
                continue  # superusers may do whatever each ModelAdmin allows at all
            if role == LEARNER:
                allowed = False
            else:
                allowed = role in getattr(access, what)
            if what != "view" and not people[role].is_staff:
                allowed = False
            if actual != allowed:
                wrong.append((f"{app}.{name}", what, actual))
    assert wrong == []


# The staff API, walked for every role ------------------------------------------------------


def _payment_of_someone_else(people, paid=False):
    from billing.tests.factories import PaymentFactory, SucceededPaymentFactory

    return (SucceededPaymentFactory if paid else PaymentFactory)(user=VerifiedUserFactory())


def _draft_course():
    from marketplace.tests.factories import CourseFactory

    return CourseFactory()


def _refund(api, people):
    payment = _payment_of_someone_else(people, paid=True)
    # A body that fails validation: the permission check comes first, so 403 (refused) or 400 (allowed).
    response = api.post(f"/api/v1/payments/{payment.pk}/refund/", {"amount": -5}, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code in (400, 403), response.content
    return response.status_code == 400


def _read_payment(api, people):
    response = api.get(f"/api/v1/payments/{_payment_of_someone_else(people).pk}/")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.json()["id"]
    return response.status_code == 200


def _read_receipt(api, people):
    payment = _payment_of_someone_else(people, paid=True)
    response = api.get(f"/api/v1/payments/{payment.pk}/receipt/")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.json()["billed_to"] == payment.user.email
    return response.status_code == 200


def _read_draft_course(api, people):
    response = api.get(f"/api/v1/courses/{_draft_course().pk}/")
    assert response.status_code in (200, 404)
    return response.status_code == 200


def _read_draft_course_reviews(api, people):
    response = api.get(f"/api/v1/courses/{_draft_course().pk}/reviews/")
    assert response.status_code in (200, 404)
    return response.status_code == 200


def _adjust_tokens(api, people):
    # A zero amount fails validation after the permission check: 403 (refused) or 400 (allowed).
    body = {"learner": people[LEARNER].pk, "amount": 0, "reason": "Scenario"}
    response = api.post("/api/v1/rewards/adjustments/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code in (400, 403), response.content
    return response.status_code == 400


API_SCENARIOS = {
    "POST api:rewards-adjustments": _adjust_tokens,
    "POST api:payment-refund": _refund,
    "GET api:payment-detail": _read_payment,
    "GET api:payment-receipt": _read_receipt,
    "GET api:course-detail": _read_draft_course,
    "GET api:course-reviews": _read_draft_course_reviews,
}


def test_every_staff_api_operation_in_the_table_has_a_scenario():
    ops = {op for act in ACTS.values() for op in act.api}
    assert ops == set(API_SCENARIOS)


def _api_views():
    """(view name, view class) of every API endpoint."""
    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif namespace == "api" and hasattr(pattern.callback, "cls"):
                found.append((f"api:{pattern.name}", pattern.callback.cls))

    walk(get_resolver().url_patterns, None)
    return found


def test_no_api_view_is_guarded_by_is_staff_alone_and_every_act_guarded_view_is_in_the_table():
    views = _api_views()
    assert len(views) > 10
    for name, cls in views:
        classes = list(getattr(cls, "permission_classes", []))
        assert IsAdminUser not in classes, f"{name}: use ActPermission and a row in the permission table"
        if ActPermission in classes:
            methods = [m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]
            for method in methods:
                assert f"{method} {name}" in API_SCENARIOS, f"{method} {name} is missing from the table"


@pytest.mark.parametrize("role", role_names())
def test_staff_api_operations_follow_the_table(people, role):
    api = APIClient()
    api.force_authenticate(people[role])
    wrong = []
    for key, act in ACTS.items():
        for op in act.api:
            allowed = API_SCENARIOS[op](api, people)
            if allowed != expected(role, act.groups):
                wrong.append((key, op, "allowed" if allowed else "refused"))
    assert wrong == []


def test_a_learner_still_reads_their_own_payment_and_receipt(people):
    from billing.tests.factories import SucceededPaymentFactory

    learner = people[LEARNER]
    payment = SucceededPaymentFactory(user=learner)
    api = APIClient()
    api.force_authenticate(learner)
    assert api.get(f"/api/v1/payments/{payment.pk}/").status_code == 200
    assert api.get(f"/api/v1/payments/{payment.pk}/receipt/").status_code == 200


# Site pages whose answer depends on a staff act ----------------------------------------------


def _payment_page(client, people):
    payment = _payment_of_someone_else(people, paid=True)
    return client.get(reverse("billing:payment_status", args=[payment.pk])).status_code == 200


def _receipt_page(client, people):
    payment = _payment_of_someone_else(people, paid=True)
    return client.get(reverse("billing:receipt", args=[payment.pk])).status_code == 200


def _draft_course_page(client, people):
    return client.get(reverse("marketplace:course_detail", args=[_draft_course().slug])).status_code == 200


def _draft_course_learn(client, people):
    response = client.get(reverse("marketplace:learn", args=[_draft_course().slug]))
    return response.status_code in (200, 302) and "/accounts/login/" not in response.get("Location", "")


def _draft_lesson(client, people):
    from marketplace.tests.factories import CourseFactory, course_with_lessons

    course = course_with_lessons(modules=1, lessons=1, factory_class=CourseFactory)
    lesson = course.lessons.get()
    return client.get(reverse("marketplace:lesson", args=[course.slug, lesson.pk])).status_code == 200


PAGE_SCENARIOS = {
    "billing:payment_status": _payment_page,
    "billing:receipt": _receipt_page,
    "marketplace:course_detail": _draft_course_page,
    "marketplace:learn": _draft_course_learn,
    "marketplace:lesson": _draft_lesson,
}


def test_every_site_page_in_the_table_has_a_scenario():
    assert {page for act in ACTS.values() for page in act.pages} == set(PAGE_SCENARIOS)


@pytest.mark.parametrize("role", role_names())
def test_site_pages_follow_the_table(client, people, role):
    console_login(client, people[role])
    wrong = []
    for key, act in ACTS.items():
        for page in act.pages:
            allowed = PAGE_SCENARIOS[page](client, people)
            if allowed != expected(role, act.groups):
                wrong.append((key, page, "allowed" if allowed else "refused"))
    assert wrong == []
