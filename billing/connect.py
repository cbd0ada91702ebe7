"""Stripe Connect for payees (instructors): the Express account, its onboarding link, its status.

Our `ConnectedAccount` row mirrors the flags that matter (details submitted, payouts and charges
enabled). It is refreshed by re-reading the account from Stripe, on the return from onboarding and
on every `account.updated` event, so duplicated or out-of-order events cannot leave it stale.
"""

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import gateway
from .models import ConnectedAccount

logger = logging.getLogger(__name__)


def _flags(data: dict) -> dict:
    return {
        "details_submitted": bool(data.get("details_submitted")),
        "payouts_enabled": bool(data.get("payouts_enabled")),
        "charges_enabled": bool(data.get("charges_enabled")),
    }


def account_for(user) -> ConnectedAccount | None:
    """The user's connected account, whatever its state (None for none, or for an anonymous user)."""
    return ConnectedAccount.objects.filter(user=user).first() if getattr(user, "pk", None) else None


def can_receive_payouts(account: ConnectedAccount | None) -> bool:
    """Whether money can be sent to this account now (False for no account): the one statement of the rule."""
    return account is not None and account.can_receive_payouts


def receiving_accounts(user_ids: Iterable[int]) -> dict[int, ConnectedAccount]:
    """The accounts that can receive payouts now, by user id, in one query (users without one are absent)."""
    ids = set(user_ids)
    if not ids:
        return {}
    accounts = ConnectedAccount.objects.filter(user_id__in=ids)
    return {account.user_id: account for account in accounts if can_receive_payouts(account)}


def receiving_account(user_id: int) -> ConnectedAccount | None:
    """The user's account if it can receive payouts now, else None."""
    return receiving_accounts([user_id]).get(user_id)


def get_or_create_account(user) -> ConnectedAccount:
    """The user's Express account, created once even when several requests race for it."""
    existing = account_for(user)
    if existing:
        return existing
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=user.pk)
        existing = account_for(user)
        if existing:
            return existing
        # The idempotency key (from the user id) makes a retried create return the same account.
        data = gateway.create_express_account(user_id=user.pk, email=user.email)
        return ConnectedAccount.objects.create(user=user, stripe_account_id=data["id"], **_flags(data))


def start_onboarding(user, *, return_url: str, refresh_url: str) -> str:
    """The URL of Stripe's hosted onboarding for the user's account (created if needed). Links are single-use."""
    account = get_or_create_account(user)
    link = gateway.create_account_link(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )
    return link["url"]


def refresh_account(account: ConnectedAccount | str) -> ConnectedAccount | None:
    """Re-read the account from Stripe and store its flags. None if it is not one of ours."""
    account_id = account.stripe_account_id if isinstance(account, ConnectedAccount) else account
    if not ConnectedAccount.objects.filter(stripe_account_id=account_id).exists():
        return None
    data = gateway.retrieve_account(account_id)
    ConnectedAccount.objects.filter(stripe_account_id=account_id).update(**_flags(data), updated_at=timezone.now())
    return ConnectedAccount.objects.get(stripe_account_id=account_id)


def handle_account_updated(payload: dict) -> None:
    """The `account.updated` handler (one of billing.webhooks.BILLING_HANDLERS)."""
    account = (payload.get("data") or {}).get("object") or {}
    account_id = account.get("id") if isinstance(account, dict) else None
    if not account_id:
        return
    if refresh_account(account_id) is None:
        logger.info("account.updated for %s: not one of our connected accounts; ignored", account_id)
