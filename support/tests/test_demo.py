import pytest
from django.core.management import call_command

from support.models import Ticket


@pytest.mark.django_db(transaction=True)
def test_seed_demo_opens_one_ticket_for_the_demo_organisation_once(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    ticket = Ticket.objects.get()
    assert ticket.organisation.slug == "acme-learning" and ticket.clocks.count() == 2
