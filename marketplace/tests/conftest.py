import pytest

from accounts.tests.factories import StaffUserFactory, SuperUserFactory, VerifiedUserFactory

from .factories import InstructorFactory, course_with_lessons


@pytest.fixture
def learner(db):
    return VerifiedUserFactory()


@pytest.fixture
def instructor(db):
    return InstructorFactory()


@pytest.fixture
def staff_user(db):
    from accounts.tests.factories import staff_in

    return staff_in("Support")  # sees every course and gives courses (accounts/permission_table.py)


@pytest.fixture
def superuser(db):
    return SuperUserFactory()


@pytest.fixture
def reviewer(db):
    """Staff in the Content review group (its permissions come from MarketplaceConfig.ready)."""
    from django.contrib.auth.models import Group

    from accounts.roles import sync_staff_groups

    sync_staff_groups()
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Content review"))
    return user


@pytest.fixture
def course(instructor):
    return course_with_lessons(instructor=instructor)


class _ProLibraryHolders:
    """Grants a real Pro entitlement (a staff grant) through the subscriptions service."""

    def __init__(self):
        self.users = []

    def add(self, user_pk: int) -> None:
        from accounts.models import User
        from subscriptions.interface import grant_entitlement
        from subscriptions.models import Entitlement

        user = User.objects.get(pk=user_pk)
        grant_entitlement(user, "pro", Entitlement.Source.STAFF_GRANT, reason="test", reference="pro-library-test")
        self.users.append(user)

    def clear(self) -> None:
        from subscriptions.interface import revoke_entitlements
        from subscriptions.models import Entitlement

        for user in self.users:
            revoke_entitlements(
                user, source=Entitlement.Source.STAFF_GRANT, reference="pro-library-test", reason="test"
            )
        self.users = []


@pytest.fixture
def pro_library(db):
    return _ProLibraryHolders()
