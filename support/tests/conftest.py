import pytest

from accounts.tests.factories import VerifiedUserFactory, staff_in
from licensing.tests.factories import LicenceFactory, MembershipFactory, OrganisationFactory


@pytest.fixture
def org(db):
    org = OrganisationFactory(name="Acme", slug="acme")
    LicenceFactory(organisation=org)
    return org


@pytest.fixture
def member(org):
    return MembershipFactory(organisation=org, role="member", user=VerifiedUserFactory(email="mia@acme.example")).user


@pytest.fixture
def colleague(org):
    return MembershipFactory(organisation=org, role="member", user=VerifiedUserFactory(email="cole@acme.example")).user


@pytest.fixture
def org_admin(org):
    return MembershipFactory(organisation=org, role="admin", user=VerifiedUserFactory(email="ada@acme.example")).user


@pytest.fixture
def outsider(db):
    """A member of another organisation with a licence: sees nothing of Acme's."""
    other = OrganisationFactory(name="Globex", slug="globex")
    LicenceFactory(organisation=other)
    return MembershipFactory(organisation=other, role="owner", user=VerifiedUserFactory(email="o@globex.example")).user


@pytest.fixture
def agent(db):
    return staff_in("Support", email="sam@lyceum.test")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Attachments land in a temporary folder, not the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
