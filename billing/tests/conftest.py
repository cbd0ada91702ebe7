import pytest

from accounts.tests.factories import StaffUserFactory, SuperUserFactory, VerifiedUserFactory
from billing.tests.support import test_purpose  # noqa: F401 - pytest fixture


@pytest.fixture
def user(db):
    return VerifiedUserFactory()


@pytest.fixture
def other_user(db):
    return VerifiedUserFactory()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()


@pytest.fixture
def superuser(db):
    return SuperUserFactory()
