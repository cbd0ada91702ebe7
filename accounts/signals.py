"""Account domain events. Higher apps listen; accounts never imports them.

`account_deleted` is sent after the transaction that erased the account commits, with
`user_id` and `email` (the address before erasure, for providers that must forget it).
Receivers call their own services (subscriptions cancels the Stripe subscription, billing
anonymises the Stripe customer).
"""

from django.dispatch import Signal

account_deleted = Signal()
