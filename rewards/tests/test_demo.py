"""seed_demo gives the demo learner a balance, a streak and a league group with believable neighbours, once."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.roles import sync_staff_groups
from rewards.models import LeagueMember, TokenBalance, TokenEntry
from rewards.selectors import wallet_summary
from rewards.services import ledger

pytestmark = pytest.mark.django_db(transaction=True)  # seed_demo's e-mails and awards run after its commit


def test_seed_demo_brings_the_rewards_pages_to_life_once():
    sync_staff_groups()
    call_command("seed_demo", stdout=io.StringIO())
    from accounts.models import User

    learner = User.objects.get(email="learner@lyceum.test")
    summary = wallet_summary(learner)
    assert summary.balance >= 180 and summary.streak >= 3
    member = LeagueMember.objects.get(user=learner, week__starts_on__isnull=False)
    neighbours = LeagueMember.objects.filter(group=member.group).exclude(user=learner)
    assert neighbours.count() >= 10
    assert len(set(neighbours.values_list("tokens", flat=True))) >= 4  # not all the same
    entries = TokenEntry.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert TokenEntry.objects.count() == entries
    assert TokenBalance.objects.get(user=learner).balance == summary.balance
    assert ledger.verify()[1] == []
    assert mail.outbox == []
