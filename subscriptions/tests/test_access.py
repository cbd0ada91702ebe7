from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from config.errors import DomainError
from subscriptions import access
from subscriptions.errors import UnknownTier
from subscriptions.models import Entitlement, Feature, Tier, TierFeature
from subscriptions.services import entitlements

pytestmark = pytest.mark.django_db

SOURCES = ["licence_seat", "token_redemption", "staff_grant"]


def test_seeded_tiers_and_features():
    tiers = {t.code: t for t in Tier.objects.prefetch_related("features")}
    assert (tiers["pro"].monthly_price, tiers["pro"].annual_price) == (999, 9900)
    assert (tiers["enterprise"].monthly_price, tiers["enterprise"].annual_price) == (9900, 99000)
    assert {f.code for f in tiers["free"].features.all()} == set()
    assert {f.code for f in tiers["pro"].features.all()} == {"pro_library", "certificates", "token_boost"}
    assert {f.code for f in tiers["enterprise"].features.all()} == {
        "pro_library",
        "certificates",
        "token_boost",
        "priority_support",
    }


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "tier,granted,denied",
    [
        ("pro", ["pro_library", "certificates", "token_boost"], ["priority_support"]),
        ("enterprise", ["pro_library", "certificates", "token_boost", "priority_support"], []),
    ],
)
def test_each_feature_granted_and_denied_by_tier_and_source(user, staff_user, source, tier, granted, denied):
    for code in granted + denied:
        assert not access.has_feature(user, code)
    entitlements.grant_entitlement(user, tier, source, reason="test", granted_by=staff_user, reference="x:1")
    for code in granted:
        assert access.has_feature(user, code), code
    for code in denied:
        assert not access.has_feature(user, code), code
    assert access.current_tier(user).code == tier


def test_anonymous_and_free_have_nothing(user):
    from django.contrib.auth.models import AnonymousUser

    assert not access.has_feature(AnonymousUser(), "pro_library")
    assert access.current_tier(user).code == "free"


def test_window_start_and_end(user):
    now = timezone.now()
    entitlements.grant_entitlement(user, "pro", "staff_grant", reason="later", valid_from=now + timedelta(days=1))
    assert not access.has_feature(user, "pro_library")
    cache.clear()
    Entitlement.objects.all().delete()
    entitlements.grant_entitlement(
        user,
        "pro",
        "staff_grant",
        reason="past",
        valid_from=now - timedelta(days=2),
        valid_until=now - timedelta(days=1),
    )
    assert not access.has_feature(user, "pro_library")


def test_cache_is_used_and_invalidated_on_grant_and_revoke(user, django_assert_num_queries):
    assert not access.has_feature(user, "pro_library")
    with django_assert_num_queries(0):
        assert not access.has_feature(user, "pro_library")
    ent = entitlements.grant_entitlement(user, "pro", "token_redemption", reference="redemption:1")
    assert access.has_feature(user, "pro_library")
    with django_assert_num_queries(0):
        assert access.has_feature(user, "certificates")
    entitlements.revoke_entitlement(ent, reason="refund")
    assert not access.has_feature(user, "pro_library")


def test_cache_invalidated_when_tier_features_change(user):
    entitlements.grant_entitlement(user, "pro", "staff_grant", reason="comp")
    assert not access.has_feature(user, "priority_support")
    TierFeature.objects.create(tier=Tier.objects.get(code="pro"), feature=Feature.objects.get(code="priority_support"))
    assert access.has_feature(user, "priority_support")


def test_staff_grant_needs_reason_and_db_enforces_it(user):
    with pytest.raises(DomainError) as exc:
        entitlements.grant_entitlement(user, "pro", "staff_grant", reason=" ")
    assert exc.value.code == "reason_required"
    with pytest.raises(UnknownTier):
        entitlements.grant_entitlement(user, "gold", "staff_grant", reason="x")
    with pytest.raises(IntegrityError):
        Entitlement.objects.create(
            user=user, tier=Tier.objects.get(code="pro"), source="staff_grant", valid_from=timezone.now()
        )


def test_subscription_entitlement_needs_subscription(user):
    with pytest.raises(IntegrityError):
        Entitlement.objects.create(
            user=user, tier=Tier.objects.get(code="pro"), source="subscription", valid_from=timezone.now()
        )


def test_decorator_permission_and_template_tag(user, rf: RequestFactory):
    @access.feature_required("certificates")
    def view(request):
        return HttpResponse("ok")

    request = rf.get("/x")
    request.user = user
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        view(request)
    template = Template('{% load subscriptions %}{% has_feature "certificates" as ok %}{{ ok }}')
    assert template.render(Context({"user": user})) == "False"
    permission = access.HasFeature("certificates")()
    assert not permission.has_permission(request, None)

    entitlements.grant_entitlement(user, "pro", "licence_seat", reference="seat:1")
    assert view(request).status_code == 200
    assert template.render(Context({"user": user})) == "True"
    assert permission.has_permission(request, None)


def test_decorator_sends_anonymous_to_login(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/x")
    request.user = AnonymousUser()
    response = access.feature_required("certificates")(lambda r: HttpResponse("ok"))(request)
    assert response.status_code == 302 and "login" in response["Location"]
