"""The shop: spend tokens on perks. Spending and granting happen in one transaction, or not at all.

A redemption is keyed by the learner's Idempotency-Key: the same key returns the first redemption. A perk
that cannot be granted (e.g. Stripe down for a coupon) gives the tokens back with a reversal entry."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from config.errors import ConflictError, DomainError, NotFoundError
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
    raise ConflictError(f"“{item.name}” cannot be redeemed here.", code="not_redeemable")


def redeem(user, item_id: int, *, key: str) -> Outcome:
    """Spend the item's price and grant it, atomically. Checks stock, the per-learner limit and the balance."""
    key = _clean_key(key)
    full_key = f"redeem:{user.pk}:{key}"
    found = Redemption.objects.filter(key=full_key).select_related("item").first()
    if found is not None:
        return Outcome(found, _message(found), False)
    item = item_for_sale(item_id)
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
                mine = Redemption.objects.filter(user_id=user.pk, item=item, status=Redemption.Status.GRANTED).count()
                if mine >= item.per_learner_limit:
                    raise ConflictError(
                        f"You can redeem “{item.name}” at most {item.per_learner_limit} time(s).", code="limit_reached"
                    )
            if balance.balance < item.price:
                raise ConflictError(
                    f"“{item.name}” costs {item.price} tokens; you have {balance.balance}.",
                    code="insufficient_tokens",
                )
            redemption = Redemption.objects.create(user_id=user.pk, item=item, key=full_key, price=item.price)
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
    return Outcome(redemption, _message(redemption), True)


def refund_redemption(redemption: Redemption, *, reason: str) -> Redemption:
    """The perk could not be granted after the spend: give the tokens back with a reversal entry (once)."""
    with transaction.atomic():
        user = redemption.user
        balance = ledger.lock_balance(user)
        redemption = Redemption.objects.select_for_update().get(pk=redemption.pk)
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
