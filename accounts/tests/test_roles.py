import pytest
from django.contrib.auth.models import Group

from accounts.roles import STAFF_GROUPS, group_permissions, sync_staff_groups


@pytest.mark.django_db
def test_staff_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(STAFF_GROUPS)


@pytest.mark.django_db
def test_finance_may_refund_and_support_may_only_look_at_payments():
    sync_staff_groups()
    finance = set(Group.objects.get(name="Finance").permissions.values_list("codename", flat=True))
    support = set(Group.objects.get(name="Support").permissions.values_list("codename", flat=True))
    assert {"view_payment", "refund_payment", "replay_stripeevent", "view_revenue"} <= finance
    assert "view_payment" in support
    assert not {"refund_payment", "replay_stripeevent", "view_revenue", "change_payment"} & support
    assert "change_payment" not in finance  # refunding is its own permission, not "change"


@pytest.mark.django_db
def test_sync_removes_permissions_no_longer_registered():
    from django.contrib.auth.models import Permission

    support = Group.objects.get(name="Support")
    stray = Permission.objects.get(codename="delete_user")
    support.permissions.add(stray)
    sync_staff_groups()
    assert not support.permissions.filter(pk=stray.pk).exists()
    assert "accounts.view_user" in group_permissions()["Support"]
