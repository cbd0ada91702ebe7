"""Stripe products and prices from Tier rows, idempotent by lookup_key (running twice creates nothing)."""

from dataclasses import dataclass, field

from django.db import transaction

from billing import interface as billing

from .models import Interval, Tier


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _price_matches(price: dict, tier: Tier, interval: str, product_id: str) -> bool:
    recurring = price.get("recurring") or {}
    product = price.get("product")
    product = product if isinstance(product, str) else (product or {}).get("id")
    return (
        price.get("active", True)
        and price.get("unit_amount") == tier.price(interval)
        and (price.get("currency") or "").lower() == tier.currency
        and recurring.get("interval") == interval
        and recurring.get("interval_count", 1) == 1
        and product == product_id
    )


def sync_tier(tier: Tier, report: SyncReport) -> None:
    if tier.is_free:
        return  # Free never touches Stripe
    keys = {interval: tier.lookup_key(interval) for interval in Interval.values}
    existing = {p.get("lookup_key"): p for p in billing.list_prices(lookup_keys=list(keys.values()))}
    product_id = tier.stripe_product_id
    if not product_id:
        for price in existing.values():
            product = price.get("product")
            product_id = product if isinstance(product, str) else (product or {}).get("id")
            if product_id:
                break
    metadata = {"tier": tier.code}
    if product_id:
        billing.update_product(
            product_id, name=f"Lyceum {tier.name}", description=tier.description or "", metadata=metadata
        )
    else:
        product_id = billing.create_product(
            key=f"tier-{tier.code}", name=f"Lyceum {tier.name}", description=tier.description, metadata=metadata
        )["id"]
        report.created.append(f"product {tier.code}")
    ids = {}
    for interval, key in keys.items():
        price = existing.get(key)
        if price and _price_matches(price, tier, interval, product_id):
            ids[interval] = price["id"]
            report.unchanged.append(key)
            continue
        # Prices are immutable: a new amount is a new price that takes over the lookup_key.
        created = billing.create_price(
            key=f"{key}-{tier.price(interval)}-{tier.currency}-{product_id}",
            product=product_id,
            unit_amount=tier.price(interval),
            currency=tier.currency,
            recurring={"interval": interval, "interval_count": 1},
            lookup_key=key,
            transfer_lookup_key=True,
            metadata={"tier": tier.code, "interval": interval},
        )
        ids[interval] = created["id"]
        (report.updated if price else report.created).append(key)
        if price and price.get("active"):
            billing.update_price(price["id"], active=False)
    with transaction.atomic():
        Tier.objects.filter(pk=tier.pk).update(
            stripe_product_id=product_id,
            stripe_monthly_price_id=ids[Interval.MONTH],
            stripe_annual_price_id=ids[Interval.YEAR],
        )


def sync_catalog() -> SyncReport:
    report = SyncReport()
    for tier in Tier.objects.filter(is_active=True).order_by("order"):
        sync_tier(tier, report)
    return report
