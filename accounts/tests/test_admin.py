import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import APIKey

from .factories import APIKeyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


class TestUserAdmin:
    def test_changelist_with_search_and_filters(self, admin_client):
        UserFactory(email="findme@example.com", is_instructor=True)
        UserFactory(email="other@example.com")
        url = reverse("admin:accounts_user_changelist")
        assert admin_client.get(url).status_code == 200

        found = admin_client.get(url, {"q": "findme"})
        assert found.status_code == 200
        emails = [user.email for user in found.context["cl"].result_list]
        assert emails == ["findme@example.com"]

        filtered = admin_client.get(url, {"is_instructor__exact": "1"})
        assert [u.email for u in filtered.context["cl"].result_list] == ["findme@example.com"]
        group = Group.objects.get(name="Support")
        assert admin_client.get(url, {"groups__id__exact": group.pk}).status_code == 200

    def test_change_and_add_pages_render(self, admin_client, user):
        assert admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200
        assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 200

    def test_add_user_by_email(self, admin_client):
        response = admin_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "made-by-staff@example.com",
                "password1": "a-long-password-99",
                "password2": "a-long-password-99",
            },
        )
        assert response.status_code == 302
        from accounts.models import User

        assert User.objects.get(email="made-by-staff@example.com").check_password("a-long-password-99")

    def test_grant_instructor_action(self, admin_client, user):
        response = admin_client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "grant_instructor_role", "_selected_action": [user.pk]},
            follow=True,
        )
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.is_instructor

    def test_non_staff_cannot_open_the_console(self, client, user):
        client.force_login(user)
        response = client.get(reverse("admin:accounts_user_changelist"))
        assert response.status_code == 302


class TestAPIKeyAdmin:
    def test_changelist_and_change_page(self, admin_client, user):
        key = APIKeyFactory(user=user, name="ci")
        url = reverse("admin:accounts_apikey_changelist")
        assert admin_client.get(url).status_code == 200
        found = admin_client.get(url, {"q": user.email})
        assert list(found.context["cl"].result_list) == [key]
        assert admin_client.get(url, {"revoked_at__isempty": "1"}).status_code == 200
        page = admin_client.get(reverse("admin:accounts_apikey_change", args=[key.pk]))
        assert page.status_code == 200
        assert key.raw not in page.content.decode()

    def test_keys_cannot_be_added_from_the_console(self, admin_client):
        assert admin_client.get(reverse("admin:accounts_apikey_add")).status_code == 403

    def test_revoke_action_revokes_through_the_service(self, admin_client, user, other_user):
        mine, theirs, kept = APIKeyFactory(user=user), APIKeyFactory(user=other_user), APIKeyFactory(user=user)
        response = admin_client.post(
            reverse("admin:accounts_apikey_changelist"),
            {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert "2 key(s) revoked" in response.content.decode()
        assert set(APIKey.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == {
            mine.pk,
            theirs.pk,
        }
        kept.refresh_from_db()
        assert kept.revoked_at is None
