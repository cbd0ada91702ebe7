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
    return StaffUserFactory()


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


@pytest.fixture
def pro_library(monkeypatch):
    """Stand-in for subscriptions' answer until that app exists: these users have `pro_library`."""
    from marketplace import access

    holders: set[int] = set()
    monkeypatch.setattr(access, "has_feature", lambda user, code: code == "pro_library" and user.pk in holders)
    return holders
