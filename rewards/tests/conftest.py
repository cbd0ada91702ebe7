import pytest


@pytest.fixture
def learner(db):
    from accounts.tests.factories import VerifiedUserFactory

    return VerifiedUserFactory(timezone="UTC")
