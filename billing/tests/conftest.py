import pytest

from accounts.tests.factories import SuperUserFactory, VerifiedUserFactory, staff_in
from billing.tests.support import test_purpose  # noqa: F401 - pytest fixture


@pytest.fixture
def user(db):
    return VerifiedUserFactory()


@pytest.fixture
def other_user(db):
    return VerifiedUserFactory()


@pytest.fixture
def staff_user(db):
    return staff_in("Finance")  # refunds and reads anyone's payments (accounts/permission_table.py)


@pytest.fixture
def superuser(db):
    return SuperUserFactory()
