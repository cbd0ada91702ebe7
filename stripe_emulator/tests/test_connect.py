"""Connect: platform account, Express onboarding, transfers and reversals."""

import urllib.request

import pytest
import stripe

from .test_checkout import post_form


def test_platform_account(client, emulator):
    account = client.v1.accounts.retrieve_current()
    assert account.id.startswith("acct_")
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert client.v1.accounts.retrieve(account.id).id == account.id


def test_express_onboarding_via_hosted_page(client, emulator, webhook_receiver):
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["account.updated"]})
    account = client.v1.accounts.create(
        params={"type": "express", "email": "teacher@example.com", "metadata": {"instructor": "7"}}
    )
    assert account.type == "express"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (False, False, False)
    assert account.requirements.currently_due
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(params={"amount": 1000, "currency": "usd", "destination": account.id})
    assert info.value.code == "insufficient_capabilities_for_transfer"
    assert "cannot receive transfers or payouts" in info.value.user_message
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "return_url": "http://lyceum.test/teach/done",
            "refresh_url": "http://lyceum.test/teach/again",
        }
    )
    assert link.object == "account_link" and link.url.startswith(emulator.url + "/connect/onboarding/")
    page = urllib.request.urlopen(link.url).read().decode()
    assert '<label for="business_name"' in page and "<script" not in page
    status, headers, _ = post_form(
        link.url,
        {
            "business_name": "Ada's Courses",
            "email": "teacher@example.com",
            "routing_number": "110000000",
            "account_number": "000123456789",
        },
    )
    assert (status, headers["Location"]) == (303, "http://lyceum.test/teach/done")
    account = client.v1.accounts.retrieve(account.id)
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (True, True, True)
    assert account.business_profile.name == "Ada's Courses"
    emulator.control.flush()
    event = webhook_receiver.wait_for("account.updated")
    assert event["account"] == account.id
    assert event["data"]["previous_attributes"]["payouts_enabled"] is False
    status, headers, _ = post_form(link.url, {})
    assert headers["Location"] == "http://lyceum.test/teach/again"  # links are single-use


def test_transfers_and_reversals(client, emulator, webhook_receiver):
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["transfer.*", "*"]})
    account = client.v1.accounts.create(params={"type": "express"})
    emulator.control.complete_onboarding(account.id)
    transfer = client.v1.transfers.create(
        params={
            "amount": 7000,
            "currency": "usd",
            "destination": account.id,
            "transfer_group": "order-9",
            "metadata": {"payout": "3"},
        }
    )
    assert transfer.id.startswith("tr_") and transfer.destination == account.id
    assert transfer.metadata["payout"] == "3"
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 2000})
    assert reversal.id.startswith("trr_") and reversal.transfer == transfer.id
    transfer = client.v1.transfers.retrieve(transfer.id)
    assert (transfer.amount_reversed, transfer.reversed) == (2000, False)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 6000})
    client.v1.transfers.reversals.create(transfer.id)
    assert client.v1.transfers.retrieve(transfer.id).reversed is True
    assert [t.id for t in client.v1.transfers.list(params={"transfer_group": "order-9"}).data] == [transfer.id]
    assert len(client.v1.transfers.reversals.list(transfer.id).data) == 2
    emulator.control.flush()
    assert webhook_receiver.types().count("transfer.created") == 1
    assert webhook_receiver.types().count("transfer.reversed") == 2


def test_destination_charge_creates_transfer(client, emulator):
    account = client.v1.accounts.create(params={"type": "express"})
    emulator.control.complete_onboarding(account.id)
    pi = client.v1.payment_intents.create(
        params={
            "amount": 10000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "application_fee_amount": 3000,
            "transfer_data": {"destination": account.id},
        }
    )
    [transfer] = client.v1.transfers.list(params={"destination": account.id}).data
    assert transfer.amount == 7000 and transfer.source_transaction == pi.latest_charge


def test_unknown_destination(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(params={"amount": 1, "currency": "usd", "destination": "acct_nope"})
    assert info.value.http_status == 404
