import datetime

import altcha
import factory
from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.models import APIKey, User

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    timezone = "Europe/Paris"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class VerifiedUserFactory(UserFactory):
    """A user whose e-mail address allauth considers verified, so they can sign in."""

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class StaffUserFactory(VerifiedUserFactory):
    is_staff = True


class SuperUserFactory(VerifiedUserFactory):
    is_staff = True
    is_superuser = True


class APIKeyFactory(factory.django.DjangoModelFactory):
    """Creates the key through the service; the raw secret is available as `key.raw`."""

    class Meta:
        model = APIKey

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"key {n}")

    @classmethod
    def _create(cls, model_class, user, name, **kwargs):
        key, raw = services.create_api_key(user, name)
        key.raw = raw
        return key


def solved_captcha(hmac_key: str | None = None) -> str:
    """An ALTCHA payload solved the way the browser widget does, signed with our key."""
    challenge = altcha.create_challenge(
        hmac_key=hmac_key or settings.ALTCHA_HMAC_KEY,
        max_number=settings.ALTCHA_MAX_NUMBER,
        expires=timezone.now() + datetime.timedelta(minutes=10),
    )
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    payload = altcha.Payload(
        challenge.algorithm, challenge.challenge, solution.number, challenge.salt, challenge.signature
    )
    return payload.to_base64()


def staff_in(*group_names: str, **fields) -> User:
    """A verified staff member in these staff groups (with exactly their permissions)."""
    from django.contrib.auth.models import Group

    from accounts.roles import sync_staff_groups

    sync_staff_groups()
    user = VerifiedUserFactory(is_staff=True, **fields)
    user.groups.set(Group.objects.filter(name__in=group_names))
    return user


def console_login(client, user) -> None:
    """Sign `user` in on the test client the way staff reach the console: with MFA used in the session."""
    from .support import give_totp, mark_session_mfa

    client.force_login(user)
    if user.is_staff:
        mark_session_mfa(client, user, give_totp(user))
