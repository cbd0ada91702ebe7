"""Subscription and entitlement workflows, one module per concern (entitlements, subscribing, sync,
plan_changes, cards). Stripe is reached only through billing.interface.

How state converges: every path (return from Checkout, each webhook, our own changes, the refund hook)
ends in `sync_from_stripe`, which re-reads the subscription from Stripe and applies it under a row
lock. Side effects (entitlement segments, e-mails) follow from the change between our row's previous
state and Stripe's current state, so duplicated and out-of-order events do nothing twice.

Plan changes:
- upgrade (higher tier, or monthly → annual): takes effect at once; Stripe prorates with
  `proration_behavior=always_invoice` at the preview's `proration_date`, so the charge equals the preview.
- downgrade (lower tier, or annual → monthly): the Stripe price is switched at once with
  `proration_behavior=none` (nothing charged or credited, the next renewal bills the new price) and we
  store the pending change; our row and the entitlement keep the higher tier until the period ends,
  then the renewal applies it. (Stripe keeps the billing anchor on interval changes in the emulator;
  real Stripe resets it for annual → monthly, where a subscription schedule would be the exact tool.)
- Free is never a Stripe plan: "change to Free" is cancel at period end.
"""
