"""PostgreSQL: row locks keep the token ledger exact under concurrency, and verify_tokens agrees after."""

import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection

from accounts.tests.factories import VerifiedUserFactory
from rewards.models import EarningRule, Redemption, ShopItem, TokenBalance, TokenEntry
from rewards.services import earning, ledger, shop

from .factories import enrolled_course

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - returned to the test thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    return results


def _give(user, tokens):
    from django.db import transaction

    with transaction.atomic():
        balance = ledger.lock_balance(user)
        ledger.post(
            balance,
            user,
            kind="correction",
            amount=tokens,
            key=f"seed:{user.pk}",
            cause="correction",
            note="Test balance",
        )


def test_fifty_concurrent_redemptions_on_a_balance_good_for_ten():
    user = VerifiedUserFactory()
    item = ShopItem.objects.create(code="sticker", name="Sticker", kind="badge", price=10)
    _give(user, 100)
    results = _at_once([lambda: shop.redeem(user, item.pk, key=uuid.uuid4().hex) for _ in range(50)])
    granted = [r for r in results if isinstance(r, shop.Outcome)]
    refused = [r for r in results if not isinstance(r, shop.Outcome)]
    assert len(granted) == 10
    assert {getattr(r, "code", repr(r)) for r in refused} == {"insufficient_tokens"}
    assert TokenBalance.objects.get(user=user).balance == 0
    assert Redemption.objects.filter(user=user).count() == 10
    call_command("verify_tokens")


def test_the_same_idempotency_key_fifty_times_redeems_once():
    user = VerifiedUserFactory()
    item = ShopItem.objects.create(code="sticker2", name="Sticker", kind="badge", price=10)
    _give(user, 100)
    results = _at_once([lambda: shop.redeem(user, item.pk, key="same-key") for _ in range(50)])
    assert all(isinstance(r, shop.Outcome) for r in results), [r for r in results if not isinstance(r, shop.Outcome)]
    assert len({r.redemption.pk for r in results}) == 1
    assert TokenBalance.objects.get(user=user).balance == 90
    call_command("verify_tokens")


def test_concurrent_awards_for_one_learner_never_lose_an_update():
    user = VerifiedUserFactory()
    course = enrolled_course(user, lessons=40)
    lesson_ids = list(course.lessons.values_list("pk", flat=True))
    # Each lesson awarded twice at once (a replayed task): exactly once each, the balance the sum.
    calls = [lambda lid=lid: earning.award_lesson(user, course, lid) for lid in lesson_ids for _ in range(2)]
    results = _at_once(calls)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    per_lesson = EarningRule.objects.get(code="lesson_completed").tokens
    assert TokenEntry.objects.filter(user=user, rule_code="lesson_completed").count() == 40
    assert TokenBalance.objects.get(user=user).balance == min(40 * per_lesson, 200)  # the daily cap
    call_command("verify_tokens")
