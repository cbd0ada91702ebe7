import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import services
from accounts.models import APIKey, User
from config.errors import DomainError

from .factories import APIKeyFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestCreateAPIKey:
    def test_returns_the_secret_once_and_stores_only_its_digest(self, user):
        key, raw = services.create_api_key(user, "  CI reporting  ")

        key.refresh_from_db()
        assert key.name == "CI reporting"
        assert raw.startswith(APIKey.PREFIX)
        assert len(raw) > 40
        assert key.digest == services.hash_key(raw)
        assert key.prefix == raw[:12]
        stored = [str(value) for value in APIKey.objects.filter(pk=key.pk).values().get().values()]
        assert raw not in stored

    def test_two_keys_never_share_a_secret(self, user):
        _, first = services.create_api_key(user, "one")
        _, second = services.create_api_key(user, "two")
        assert first != second

    @pytest.mark.parametrize("name", ["", "   ", "x" * 61])
    def test_refuses_a_missing_or_too_long_name(self, user, name):
        with pytest.raises(DomainError) as excinfo:
            services.create_api_key(user, name)
        assert "name" in excinfo.value.fields
        assert not APIKey.objects.exists()

    def test_refuses_a_second_active_key_with_the_same_name(self, user):
        services.create_api_key(user, "deploy")
        with pytest.raises(DomainError, match="already have an active key"):
            services.create_api_key(user, "deploy")

    def test_a_revoked_name_can_be_reused(self, user):
        key, _ = services.create_api_key(user, "deploy")
        services.revoke_api_key(user, key.pk)
        services.create_api_key(user, "deploy")
        assert user.api_keys.count() == 2

    def test_limits_the_number_of_active_keys(self, user):
        for n in range(services.MAX_ACTIVE_KEYS):
            services.create_api_key(user, f"key {n}")
        with pytest.raises(DomainError, match="at most"):
            services.create_api_key(user, "one too many")


class TestAuthenticateAPIKey:
    def test_accepts_the_raw_key_and_records_use(self, api_key):
        assert api_key.last_used_at is None
        found = services.authenticate_api_key(api_key.raw)
        assert found.pk == api_key.pk
        api_key.refresh_from_db()
        assert api_key.last_used_at is not None

    def test_records_use_at_most_once_a_minute(self, api_key):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            services.authenticate_api_key(api_key.raw)
        with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
            services.authenticate_api_key(api_key.raw)
            api_key.refresh_from_db()
            assert api_key.last_used_at == start
        later = start + datetime.timedelta(minutes=2)
        with time_machine.travel(later, tick=False):
            services.authenticate_api_key(api_key.raw)
            api_key.refresh_from_db()
            assert api_key.last_used_at == later

    @pytest.mark.parametrize("raw", ["", "nonsense", "lyc_wrong-secret", "sk_live_123"])
    def test_refuses_unknown_keys(self, api_key, raw):
        assert services.authenticate_api_key(raw) is None

    def test_refuses_a_revoked_key(self, api_key):
        services.revoke_api_key(api_key.user, api_key.pk)
        assert services.authenticate_api_key(api_key.raw) is None

    def test_refuses_the_key_of_an_inactive_user(self, api_key):
        User.objects.filter(pk=api_key.user_id).update(is_active=False)
        assert services.authenticate_api_key(api_key.raw) is None


class TestRevokeAPIKey:
    def test_revokes_and_is_idempotent(self, api_key):
        revoked = services.revoke_api_key(api_key.user, api_key.pk)
        first_time = revoked.revoked_at
        assert first_time is not None
        again = services.revoke_api_key(api_key.user, api_key.pk)
        assert again.revoked_at == first_time

    def test_cannot_revoke_another_users_key(self, api_key, other_user):
        with pytest.raises(DomainError) as excinfo:
            services.revoke_api_key(other_user, api_key.pk)
        assert excinfo.value.status_code == 404
        api_key.refresh_from_db()
        assert api_key.revoked_at is None


class TestDeleteAccount:
    def test_erases_personal_data_and_keeps_the_row(self, user):
        APIKeyFactory(user=user)
        user.marketing_emails = True
        user.save()
        user.groups.add(Group.objects.get(name="Support"))
        old_email, pk = user.email, user.pk

        services.delete_account(user)

        erased = User.objects.get(pk=pk)
        assert erased.email != old_email
        assert erased.email.endswith("@deleted.invalid")
        assert erased.display_name == ""
        assert erased.timezone == "UTC"
        assert not erased.marketing_emails
        assert not erased.learning_reminders
        assert not erased.is_active
        assert not erased.is_staff
        assert not erased.has_usable_password()
        assert erased.deleted_at is not None
        assert not erased.groups.exists()
        assert not APIKey.objects.filter(user_id=pk).exists()
        assert not EmailAddress.objects.filter(user_id=pk).exists()
        assert not EmailAddress.objects.filter(email__iexact=old_email).exists()

    def test_the_address_can_sign_up_again(self, user):
        email = user.email
        services.delete_account(user)
        UserFactory(email=email)


class TestRoles:
    def test_staff_groups_exist_from_the_migration(self):
        assert set(Group.objects.values_list("name", flat=True)) >= set(services.STAFF_GROUPS)

    def test_grant_instructor(self, user):
        services.grant_instructor(user)
        user.refresh_from_db()
        assert user.is_instructor

    def test_add_to_staff_group_makes_staff(self, user, superuser):
        services.add_to_staff_group(user, "Finance", by=superuser)
        user.refresh_from_db()
        assert user.is_staff
        assert user.groups.filter(name="Finance").exists()

    def test_only_superusers_add_to_staff_groups(self, user, other_user, superuser):
        services.add_to_staff_group(other_user, "Support", by=superuser)
        for by in (other_user, user):  # a Support member, a learner: not even for themselves
            with pytest.raises(DomainError, match="Only superusers") as refused:
                services.add_to_staff_group(user, "Finance", by=by)
            assert refused.value.status_code == 403
        user.refresh_from_db()
        assert not user.is_staff and not user.groups.exists()

    def test_unknown_staff_group_is_refused(self, user, superuser):
        with pytest.raises(DomainError, match="Unknown staff group"):
            services.add_to_staff_group(user, "Overlords", by=superuser)


class TestUserModel:
    def test_email_is_the_login_and_is_normalised(self):
        user = User.objects.create_user("Someone@Example.COM", "a-long-password-1")
        assert user.email == "someone@example.com"
        assert user.check_password("a-long-password-1")
        assert User.USERNAME_FIELD == "email"

    def test_name_falls_back_to_the_email_local_part(self):
        assert UserFactory.build(email="ada@example.com", display_name="").name == "ada"
        assert UserFactory.build(display_name="Ada L.").name == "Ada L."

    def test_unknown_timezone_is_invalid(self):
        from django.core.exceptions import ValidationError

        user = UserFactory.build(timezone="Mars/Olympus")
        with pytest.raises(ValidationError, match="time zone"):
            user.full_clean()
