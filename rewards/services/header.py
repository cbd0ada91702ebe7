"""The header badge's numbers, kept in the cache (written through after every change, warmed at sign-in)."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from . import ledger, streaks

TTL = 24 * 3600


def _key(user_id: int) -> str:
    return f"rewards:header:{user_id}"


def _load(user_id: int) -> dict:
    from ..models import Streak, TokenBalance

    balance = TokenBalance.objects.filter(user_id=user_id).values_list("balance", flat=True).first() or 0
    streak = Streak.objects.filter(user_id=user_id).values("current", "last_day", "freezes").first() or {}
    return {"balance": balance, **streak}


def warm(user_id: int) -> dict:
    data = _load(user_id)
    cache.set(_key(user_id), data, TTL)
    return data


def refresh_after_commit(user_id: int) -> None:
    transaction.on_commit(lambda: warm(user_id), robust=True)


@dataclass(frozen=True)
class Chip:
    balance: int
    streak: int
    learned_today: bool


def chip(user) -> Chip:
    data = cache.get(_key(user.pk))
    if data is None:
        data = warm(user.pk)
    today = ledger.local_date(user)

    class _S:  # the cached fields, shaped like a Streak for current_length
        current = data.get("current", 0)
        last_day = data.get("last_day")
        freezes = data.get("freezes", 0)

    length = streaks.current_length(_S, today) if data.get("current") else 0
    return Chip(balance=data["balance"], streak=length, learned_today=bool(length and data.get("last_day") == today))
