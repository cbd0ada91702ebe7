import pytest
from django.urls import reverse

from subscriptions import access
from subscriptions.models import Entitlement

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, superuser):
    client.force_login(superuser)
    return client


def test_grant_needs_a_reason_then_grants_and_revokes(console, user, superuser):
    url = reverse("admin:subscriptions_entitlement_grant")
    pro = Entitlement._meta.get_field("tier").related_model.objects.get(code="pro")
    response = console.post(url, {"email": user.email, "tier": pro.pk, "reason": "", "apply": "1"})
    assert response.status_code == 200 and not Entitlement.objects.exists()
    response = console.post(url, {"email": user.email, "tier": pro.pk, "reason": "Conference speaker", "apply": "1"})
    assert response.status_code == 302
    ent = Entitlement.objects.get(user=user)
    assert ent.source == "staff_grant" and ent.granted_by == superuser and ent.reason == "Conference speaker"
    assert access.has_feature(user, "certificates")

    changelist = reverse("admin:subscriptions_entitlement_changelist")
    response = console.post(changelist, {"action": "revoke", "_selected_action": [ent.pk]})
    assert response.status_code == 200 and b"reason" in response.content  # the intermediate form
    console.post(changelist, {"action": "revoke", "_selected_action": [ent.pk], "reason": "Ended", "apply": "1"})
    ent.refresh_from_db()
    assert ent.revoked_at and ent.revoke_reason == "Ended" and ent.revoked_by == superuser
    assert not access.has_feature(user, "certificates")


def test_console_pages_render(console):
    for name in [
        "admin:subscriptions_subscription_changelist",
        "admin:subscriptions_dashboard",
        "admin:subscriptions_tier_changelist",
        "admin:subscriptions_feature_changelist",
        "admin:subscriptions_entitlement_changelist",
    ]:
        response = console.get(reverse(name))
        assert response.status_code == 200, name
    body = console.get(reverse("admin:subscriptions_dashboard")).content.decode()
    assert "MRR" in body and "bar-chart" in body and "style=" not in body.split('<div id="content-main">')[1]
