"""The course coupon: tokens buy a single-use Stripe promotion code that billing applies at a real checkout
in the emulator; it works once, for its course and learner only; Stripe down gives the tokens back."""

import pytest
import stripe

from accounts.tests.factories import SuperUserFactory, VerifiedUserFactory
from billing.services import apply_checkout_session
from billing.tests.support import CARD_OK, pay
from config.errors import DomainError
from marketplace.models import Enrollment, Sale
from marketplace.services import purchases
from marketplace.tests.factories import course_with_lessons
from rewards.models import Redemption, ShopItem, TokenBalance
from rewards.services import earning, ledger, shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    learner = VerifiedUserFactory()
    earning.correct(learner, amount=500, reason="Test tokens", by=SuperUserFactory(), key=f"t:{learner.pk}")
    return learner


def coupon_item():
    return ShopItem.objects.get(code="course-coupon-20")


def test_a_coupon_discounts_a_real_checkout_once(emulator, buyer):
    course = course_with_lessons(price_amount=2999)
    outcome = shop.redeem(buyer, coupon_item().pk, key="c1", course_id=course.pk)
    redemption = outcome.redemption
    assert redemption.status == Redemption.Status.GRANTED and redemption.coupon_code.startswith("LYC-")
    assert redemption.coupon_code in outcome.message
    assert TokenBalance.objects.get(user=buyer).balance == 300
    assert shop.redeem(buyer, coupon_item().pk, key="c1", course_id=course.pk).redemption.pk == redemption.pk

    start = purchases.start_course_purchase(buyer, course, promotion_code=redemption.coupon_code.lower())
    assert start.payment.amount == 2399  # 20% off 29.99, to the cent
    session = stripe.checkout.Session.retrieve(start.payment.stripe_checkout_session_id)
    assert (session["amount_subtotal"], session["amount_total"]) == (2999, 2399)
    assert session["total_details"]["amount_discount"] == 600
    assert pay(start.url, CARD_OK, email=buyer.email).ok
    payment = apply_checkout_session(start.payment.stripe_checkout_session_id)
    assert payment.is_paid and payment.amount == 2399
    assert Enrollment.objects.filter(user=buyer, course=course, revoked_at__isnull=True).exists()
    assert Sale.objects.get(payment=payment).gross == 2399  # the instructor's share is of what was paid
    promo = stripe.PromotionCode.list(code=redemption.coupon_code)["data"][0]
    assert (promo["times_redeemed"], promo["active"]) == (1, False)
    # Single use: another checkout with the same code is refused.
    other = course_with_lessons(price_amount=1999)
    with pytest.raises(DomainError, match="already been used|another course"):
        purchases.start_course_purchase(buyer, other, promotion_code=redemption.coupon_code)
    assert ledger.verify()[1] == []


def test_a_coupon_is_for_its_course_and_its_learner(emulator, buyer):
    course, other_course = course_with_lessons(price_amount=2999), course_with_lessons(price_amount=2999)
    code = shop.redeem(buyer, coupon_item().pk, key="c2", course_id=course.pk).redemption.coupon_code
    with pytest.raises(DomainError, match="another course"):
        purchases.start_course_purchase(buyer, other_course, promotion_code=code)
    with pytest.raises(DomainError, match="someone else"):
        purchases.start_course_purchase(VerifiedUserFactory(), course, promotion_code=code)
    with pytest.raises(DomainError, match="does not exist"):
        purchases.start_course_purchase(buyer, course, promotion_code="LYC-NOSUCHCODE")


@pytest.mark.parametrize(
    ("course_kwargs", "code"),
    [({"price_amount": 0}, "free_course"), ({}, "already_enrolled"), (None, "not_found")],
)
def test_a_coupon_needs_a_paid_course_the_learner_lacks(buyer, course_kwargs, code):
    from marketplace.tests.factories import EnrollmentFactory

    course_id = 999_999
    if course_kwargs is not None:
        course = course_with_lessons(**course_kwargs)
        if code == "already_enrolled":
            EnrollmentFactory(user=buyer, course=course)
        course_id = course.pk
    with pytest.raises(DomainError) as refused:
        shop.redeem(buyer, coupon_item().pk, key=f"bad-{code}", course_id=course_id)
    assert refused.value.code == code
    assert TokenBalance.objects.get(user=buyer).balance == 500  # nothing spent
    with pytest.raises(DomainError, match="Choose the course"):
        shop.redeem(buyer, coupon_item().pk, key="none")


def test_stripe_down_refunds_the_tokens_and_says_so(emulator, buyer):
    course = course_with_lessons(price_amount=2999)
    emulator.control.fault("error", 10, status=500, path="/v1/coupons", method="POST")
    outcome = shop.redeem(buyer, coupon_item().pk, key="c3", course_id=course.pk)
    assert outcome.redemption.status == Redemption.Status.REFUNDED
    assert "tokens were given back" in outcome.message
    assert TokenBalance.objects.get(user=buyer).balance == 500
    assert ledger.verify()[1] == []
    # The same key replays the refunded outcome; a new try once Stripe is back works.
    assert shop.redeem(buyer, coupon_item().pk, key="c3", course_id=course.pk).redemption.status == "refunded"
    emulator.control.clear_faults()
    assert shop.redeem(buyer, coupon_item().pk, key="c4", course_id=course.pk).redemption.status == "granted"
