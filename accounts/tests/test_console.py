"""Issue 11, defects 1 and 5: only superusers change staff status, groups, permissions (or an account's
e-mail and password) from the console, own account or another's; /admin/login/ is the site's sign-in."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User

from .factories import SuperUserFactory, VerifiedUserFactory, console_login, staff_in

pytestmark = pytest.mark.django_db


def _form(user: User, **changes) -> dict:
    """The user change form as the console posts it, with `changes` on top."""
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "timezone": user.timezone,
        "learning_reminders": "on" if user.learning_reminders else "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


ESCALATION = {
    "is_staff": "on",
    "is_superuser": "on",
    "is_instructor": "on",
    "email": "taken-over@example.com",
}


@pytest.fixture
def support(db):
    return staff_in("Support")


def _post(client, target, **changes):
    data = _form(target, **changes)
    data["groups"] = [g.pk for g in Group.objects.all()]
    data["user_permissions"] = [p.pk for p in Permission.objects.filter(codename__in=["change_user", "delete_user"])]
    return client.post(reverse("admin:accounts_user_change", args=[target.pk]), data)


def _snapshot(user: User):
    user.refresh_from_db()
    return (
        user.email,
        user.is_staff,
        user.is_superuser,
        user.is_instructor,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
        user.password,
    )


def test_support_cannot_make_itself_superuser_or_change_its_own_groups(client, support):
    console_login(client, support)
    before = _snapshot(support)
    response = _post(client, support, **ESCALATION)
    assert response.status_code == 403  # staff accounts are changed by superusers only
    assert _snapshot(support) == before
    assert not support.has_perm("accounts.delete_user")


def test_support_changes_a_learners_profile_but_not_their_roles_email_or_password(client, support):
    learner = VerifiedUserFactory(display_name="Old name")
    console_login(client, support)
    before = _snapshot(learner)
    response = _post(client, learner, display_name="New name", **ESCALATION)
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.display_name == "New name"
    assert _snapshot(learner) == before  # the role, sign-in and instructor fields were read-only
    page = client.get(reverse("admin:accounts_user_change", args=[learner.pk])).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page and 'name="email"' not in page
    password_page = reverse("admin:auth_user_password_change", args=[learner.pk])
    assert client.post(password_page, {"password1": "x-Long-pass-99", "password2": "x-Long-pass-99"}).status_code == 403
    assert _snapshot(learner) == before


@pytest.mark.parametrize("group", ["Finance", "Content review"])
def test_other_groups_cannot_change_users_at_all(client, group):
    member, learner = staff_in(group), VerifiedUserFactory()
    console_login(client, member)
    for target in (member, learner):
        before = _snapshot(target)
        assert _post(client, target, **ESCALATION).status_code == 403
        assert _snapshot(target) == before


def test_support_cannot_change_another_staff_member_or_superuser(client, support):
    admin_user, colleague = SuperUserFactory(), staff_in("Finance")
    console_login(client, support)
    for target in (admin_user, colleague):
        before = _snapshot(target)
        assert _post(client, target, is_active="", display_name="locked out").status_code == 403
        assert _snapshot(target) == before and target.is_active


def test_a_superuser_changes_roles_of_others_and_itself(client):
    superuser, learner = SuperUserFactory(), VerifiedUserFactory()
    console_login(client, superuser)
    finance = Group.objects.get(name="Finance")
    data = _form(learner, is_staff="on")
    data["groups"] = [finance.pk]
    assert client.post(reverse("admin:accounts_user_change", args=[learner.pk]), data).status_code == 302
    learner.refresh_from_db()
    assert learner.is_staff and list(learner.groups.all()) == [finance]
    data = _form(superuser, is_staff="on", is_superuser="on", display_name="Root")
    assert client.post(reverse("admin:accounts_user_change", args=[superuser.pk]), data).status_code == 302
    superuser.refresh_from_db()
    assert superuser.display_name == "Root" and superuser.is_superuser


def test_no_endpoint_or_profile_form_changes_roles(client, user):
    """The API's only account endpoint reads; the profile form ignores role fields."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    for method in ("put", "patch", "post", "delete"):
        assert getattr(api, method)("/api/v1/me/", {"is_staff": True, "is_superuser": True}).status_code == 405
    client.force_login(user)
    client.post(
        reverse("accounts:profile"),
        {"display_name": "Me", "timezone": "UTC", "is_staff": "on", "is_superuser": "on", "groups": [1]},
    )
    user.refresh_from_db()
    assert user.display_name == "Me" and not user.is_staff and not user.is_superuser and not user.groups.exists()


# One sign-in for everyone (defect 5) ---------------------------------------------------------


def test_admin_login_sends_everyone_to_the_sites_sign_in(client):
    response = client.get("/admin/login/", {"next": "/admin/billing/payment/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fbilling%2Fpayment%2F"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_posting_credentials_to_admin_login_signs_nobody_in(client):
    superuser = SuperUserFactory()
    response = client.post("/admin/login/", {"username": superuser.email, "password": "correct-horse-battery-staple"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_admin_login_never_redirects_off_site(client):
    response = client.get("/admin/login/", {"next": "https://evil.example/"})
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_a_signed_in_learner_is_refused_rather_than_looped(client, user):
    client.force_login(user)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/").status_code == 403
