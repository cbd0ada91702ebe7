import pytest

from .factories import APIKeyFactory, SuperUserFactory, UserFactory, VerifiedUserFactory, solved_captcha


@pytest.fixture
def captcha():
    """Call it for a fresh solved payload; each payload can be used once."""
    return solved_captcha


@pytest.fixture
def user(db):
    return VerifiedUserFactory()


@pytest.fixture
def other_user(db):
    return VerifiedUserFactory()


@pytest.fixture
def superuser(db):
    return SuperUserFactory()


@pytest.fixture
def unverified_user(db):
    return UserFactory()


@pytest.fixture
def api_key(user):
    return APIKeyFactory(user=user)
