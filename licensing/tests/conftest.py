import pytest

from accounts.tests.factories import VerifiedUserFactory

from .factories import LicenceFactory, MembershipFactory, OrganisationFactory


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Acme", slug="acme")


@pytest.fixture
def org_admin(org):
    return MembershipFactory(organisation=org, role="admin").user


@pytest.fixture
def licence(org):
    return LicenceFactory(organisation=org)


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Globex", slug="globex")


@pytest.fixture
def other_admin(other_org):
    """An admin of another organisation: must see nothing of Acme's."""
    LicenceFactory(organisation=other_org)
    return MembershipFactory(organisation=other_org, role="owner").user


@pytest.fixture
def person(db):
    return VerifiedUserFactory(email="member@acme.example")
