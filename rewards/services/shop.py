"""The shop: spend tokens on perks. Spending and granting happen in one transaction, or not at all.

A redemption is keyed by the learner's Idempotency-Key: the same key returns the first redemption. A perk
that cannot be granted (e.g. Stripe down for a coupon) gives the tokens back with a reversal entry."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from billing.interface import create_single_use_discount, new_discount_code
from config.errors import ConflictError, DomainError, NotFoundError
from marketplace.interface import Course, active_enrollment
from operations.interface import metrics
from subscriptions.interface import Entitlement, EntitlementSource, grant_entitlement

from ..models import Redemption, ShopItem, TokenEntry
from . import ledger, streaks

Kind = ShopItem.Kind


@dataclass(frozen=True)
class Outcome:
    redemption: Redemption
    message: str
    created: bool


def item_for_sale(item_id: int, *, now=None) -> ShopItem:
    now = now or timezone.now()
    item = ShopItem.objects.filter(pk=item_id).first()
    if item is None or not item.is_active:
        raise NotFoundError("There is no such item in the shop.")
    if (item.available_from and item.available_from > now) or (item.available_until and item.available_until <= now):
        raise ConflictError(f"“{item.name}” is not on sale right now.", code="not_on_sale")
    return item


def _clean_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > 150:
        raise DomainError(
            "Send an idempotency key (1 to 150 characters) so a retry cannot spend twice.",
            code="idempotency_key_required",
        )
    return key


def _grant_pro_days(user, item: ShopItem, redemption: Redemption) -> str:
    """Days of Pro from now, or stacked after the learner's current token-redemption Pro."""
    now = timezone.now()
    latest = Entitlement.objects.filter(
        user=user, source=EntitlementSource.TOKEN_REDEMPTION, revoked_at__isnull=True, valid_until__gt=now
    ).aggregate(until=Max("valid_until"))["until"]
    start = max(now, latest) if latest else now
    entitlement = grant_entitlement(
        user,
        "pro",
        EntitlementSource.TOKEN_REDEMPTION,
        valid_from=start,
        valid_until=start + timedelta(days=item.days),
        reason=f"Redeemed {item.price} tokens for {item.name}",
        reference=f"redemption:{redemption.pk}",
    )
    return f"Pro from {entitlement.valid_from:%Y-%m-%d %H:%M} until {entitlement.valid_until:%Y-%m-%d %H:%M} UTC"


def _grant(user, item: ShopItem, redemption: Redemption) -> str:
    if item.kind == Kind.STREAK_FREEZE:
        streak = streaks.add_freeze(user)
        return f"Streak freeze added: you hold {streak.freezes}."
    if item.kind == Kind.PRO_DAYS:
        return _grant_pro_days(user, item, redemption)
    if item.kind == Kind.BADGE:
        return f"Badge “{item.badge_label or item.name}” added to your profile."
    if item.kind == Kind.COURSE_COUPON:
        return "Creating your discount code…"  # granted after the transaction (a call to Stripe)
    raise ConflictError(f"“{item.name}” cannot be redeemed here.", code="not_redeemable")


def course_id_from_text(text) -> int | str | None:
    """A course number, or a course page link (…/courses/<slug>/), as typed in the shop."""
    import re

    text = str(text or "").strip()
    if text.isdigit():
        return int(text)
    match = re.search(r"/courses/([-\w]+)/?", text)
    if match:
        return Course.objects.filter(slug=match.group(1)).values_list("pk", flat=True).first() or 0
    return text or None


def course_for_coupon(user, course_id) -> Course:
    """The course a coupon is for: a paid, published course the learner does not have and does not teach."""
    try:
        course_id = int(course_id)
    except (TypeError, ValueError):
        raise DomainError(
            "Choose the course the coupon is for.", code="validation_error", fields={"course": ["Required."]}
        ) from None
    course = Course.objects.filter(pk=course_id, status=Course.Status.PUBLISHED).first()
    if course is None:
        raise NotFoundError("There is no such course on sale.", fields={"course": ["Not found."]})
    if course.is_free:
        raise ConflictError("That course is free: a coupon would not help.", code="free_course")
    if course.instructor_id == user.pk:
        raise ConflictError("You teach that course.", code="own_course")
    if active_enrollment(user, course) is not None:
        raise ConflictError("You already have that course.", code="already_enrolled")
    return course


def redeem(user, item_id: int, *, key: str, course_id=None) -> Outcome:
    """Spend the item's price and grant it, atomically. Checks stock, the per-learner limit and the balance.
    A course coupon is granted just after (Stripe is called outside our transaction); if that fails, the tokens
    are given back with a reversal entry and the outcome says so."""
    key = _clean_key(key)
    full_key = f"redeem:{user.pk}:{key}"
    found = Redemption.objects.filter(key=full_key).select_related("item").first()
    if found is not None:
        if found.status == Redemption.Status.PENDING:
            return _finish_coupon(found)
        return Outcome(found, _message(found), False)
    item = item_for_sale(item_id)
    course = course_for_coupon(user, course_id) if item.kind == Kind.COURSE_COUPON else None
    try:
        with transaction.atomic():
            balance = ledger.lock_balance(user)
            found = Redemption.objects.filter(key=full_key).select_related("item").first()
            if found is not None:
                return Outcome(found, _message(found), False)
            item = ShopItem.objects.select_for_update().get(pk=item.pk)
            if item.stock is not None and item.stock <= 0:
                raise ConflictError(f"“{item.name}” is sold out.", code="sold_out")
            if item.per_learner_limit is not None:
                mine = (
                    Redemption.objects.filter(user_id=user.pk, item=item)
                    .exclude(status=Redemption.Status.REFUNDED)
                    .count()
                )
                if mine >= item.per_learner_limit:
                    raise ConflictError(
                        f"You can redeem “{item.name}” at most {item.per_learner_limit} time(s).", code="limit_reached"
                    )
            if balance.balance < item.price:
                raise ConflictError(
                    f"“{item.name}” costs {item.price} tokens; you have {balance.balance}.",
                    code="insufficient_tokens",
                )
            redemption = Redemption.objects.create(
                user_id=user.pk,
                item=item,
                key=full_key,
                price=item.price,
                course=course,
                status=Redemption.Status.PENDING if course is not None else Redemption.Status.GRANTED,
            )
            ledger.post(
                balance,
                user,
                kind=TokenEntry.Kind.SPENT,
                amount=-item.price,
                key=f"spend:{full_key}",
                cause=f"item:{item.code}",
                redemption=redemption,
                note=item.name,
            )
            redemption.detail = _grant(user, item, redemption)[:300]
            redemption.save(update_fields=["detail"])
            if item.stock is not None:
                ShopItem.objects.filter(pk=item.pk).update(stock=F("stock") - 1)
            metrics.tokens_spent(item.price, item.kind)
    except IntegrityError:  # the same key raced in from another request: the first one won
        found = Redemption.objects.filter(key=full_key).select_related("item").first()
        if found is None:
            raise
        return Outcome(found, _message(found), False)
    if redemption.status == Redemption.Status.PENDING:
        return _finish_coupon(redemption, created=True)
    return Outcome(redemption, _message(redemption), True)


def _finish_coupon(redemption: Redemption, *, created: bool = False) -> Outcome:
    """Create the single-use promotion code in Stripe (idempotent by the redemption), then record it; if Stripe
    refuses or cannot be reached, give the tokens back."""
    item = redemption.item
    try:
        discount = create_single_use_discount(
            key=f"redemption-{redemption.pk}",
            percent_off=item.percent_off,
            name=f"{item.percent_off}% off a course",
            metadata={"course_id": redemption.course_id, "user_id": redemption.user_id, "redemption": redemption.pk},
            code=new_discount_code(),
        )
    except DomainError as exc:
        refunded = refund_redemption(redemption, reason=f"The discount code could not be created: {exc.message}")
        return Outcome(refunded, _message(refunded), created)
    with transaction.atomic():
        locked = (
            Redemption.objects.select_for_update(of=("self",)).select_related("item", "course").get(pk=redemption.pk)
        )
        if locked.status == Redemption.Status.PENDING:
            locked.status = Redemption.Status.GRANTED
            locked.coupon_code = discount.code
            locked.detail = (
                f"Your code {discount.code} takes {item.percent_off}% off “{locked.course.title}” at checkout (once)."
            )[:300]
            locked.save(update_fields=["status", "coupon_code", "detail"])
    return Outcome(locked, _message(locked), created)


def refund_redemption(redemption: Redemption, *, reason: str) -> Redemption:
    """The perk could not be granted after the spend: give the tokens back with a reversal entry (once)."""
    with transaction.atomic():
        user = redemption.user
        balance = ledger.lock_balance(user)
        redemption = Redemption.objects.select_for_update(of=("self",)).select_related("item").get(pk=redemption.pk)
        if redemption.status == Redemption.Status.GRANTED and redemption.coupon_code:
            return redemption  # a coupon that exists in Stripe is never taken back here
        spend = TokenEntry.objects.get(redemption=redemption, kind=TokenEntry.Kind.SPENT)
        key = f"reverse:{spend.idempotency_key}"
        if ledger.existing(key) is None:
            ledger.post(
                balance,
                user,
                kind=TokenEntry.Kind.REVERSED,
                amount=-spend.amount,
                key=key,
                cause=spend.cause,
                redemption=redemption,
                reverses=spend,
                note=reason[:500],
            )
        redemption.status = Redemption.Status.REFUNDED
        redemption.detail = reason[:300]
        redemption.save(update_fields=["status", "detail"])
    return redemption


def _message(redemption: Redemption) -> str:
    if redemption.status == Redemption.Status.REFUNDED:
        return f"We could not grant “{redemption.item.name}”, so your {redemption.price} tokens were given back. {redemption.detail}"
    return f"You redeemed “{redemption.item.name}” for {redemption.price} tokens. {redemption.detail}"
