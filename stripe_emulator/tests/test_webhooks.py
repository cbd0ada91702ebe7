"""Events, webhook endpoints, signatures, retries and delivery fault modes."""

import pytest
import stripe

from stripe_emulator import API_VERSION


@pytest.fixture
def endpoint(client, webhook_receiver):
    return client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["*"]})


def make_payment(client, amount=1000):
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )


def test_endpoint_crud(client, endpoint):
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.id.startswith("we_")
    fetched = client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert "secret" not in fetched
    updated = client.v1.webhook_endpoints.update(endpoint.id, params={"enabled_events": ["charge.succeeded"]})
    assert updated.enabled_events == ["charge.succeeded"]
    assert [e.id for e in client.v1.webhook_endpoints.list().data] == [endpoint.id]
    assert client.v1.webhook_endpoints.delete(endpoint.id).deleted is True


def test_deliveries_are_signed_and_verifiable(client, emulator, endpoint, webhook_receiver):
    pi = make_payment(client)
    emulator.control.flush()
    types = webhook_receiver.types()
    assert types[:3] == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    for record in webhook_receiver.requests:
        event = stripe.Webhook.construct_event(record["body"], record["headers"]["Stripe-Signature"], endpoint.secret)
        assert event.api_version == API_VERSION
        assert event.livemode is False
        assert event.object == "event"
        assert event.id.startswith("evt_")
    succeeded = webhook_receiver.wait_for("payment_intent.succeeded")
    assert succeeded["data"]["object"]["id"] == pi.id
    assert succeeded["data"]["previous_attributes"]["status"] == "requires_confirmation"
    assert succeeded["request"]["id"].startswith("req_")
    record = webhook_receiver.requests[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            record["body"].replace("payment", "pAyment"), record["headers"]["Stripe-Signature"], endpoint.secret
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(record["body"], record["headers"]["Stripe-Signature"], "whsec_wrong")


def test_enabled_events_filter(client, emulator, webhook_receiver):
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["charge.succeeded"]})
    make_payment(client)
    emulator.control.flush()
    assert webhook_receiver.types() == ["charge.succeeded"]


def test_events_api_lists_with_type_and_created_filters(client):
    pi = make_payment(client)
    events = client.v1.events.list(params={"type": "payment_intent.succeeded"}).data
    assert [e.data.object.id for e in events] == [pi.id]
    created = events[0].created
    assert client.v1.events.list(params={"created": {"gt": created + 10}}).data == []
    assert len(client.v1.events.list(params={"created": {"gte": created}, "limit": 100}).data) >= 3
    assert client.v1.events.retrieve(events[0].id).type == "payment_intent.succeeded"
    assert events[0].pending_webhooks == 0


def test_failed_delivery_is_retried_with_backoff(client, emulator, endpoint, webhook_receiver):
    client.v1.webhook_endpoints.update(endpoint.id, params={"enabled_events": ["customer.created"]})
    webhook_receiver.responses = [500, 503]
    customer = client.v1.customers.create(params={"email": "retry@example.com"})
    emulator.control.flush()
    [delivery] = emulator.control.deliveries(type="customer.created")
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 3
    assert [r["status"] for r in webhook_receiver.requests] == [500, 503, 200]
    assert webhook_receiver.events()[0]["data"]["object"]["id"] == customer.id


def test_delivery_gives_up_after_max_attempts(client, emulator, endpoint, webhook_receiver):
    emulator.control.configure(webhook_max_attempts=2)
    client.v1.webhook_endpoints.update(endpoint.id, params={"enabled_events": ["customer.created"]})
    webhook_receiver.responses = [500] * 5
    client.v1.customers.create()
    emulator.control.flush()
    [delivery] = emulator.control.deliveries()
    assert (delivery["status"], delivery["attempts"], delivery["status_code"]) == ("failed", 2, 500)


def test_unreachable_endpoint_records_connection_error(client, emulator):
    client.v1.webhook_endpoints.create(params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]})
    emulator.control.configure(webhook_max_attempts=1)
    client.v1.customers.create()
    emulator.control.flush()
    [delivery] = emulator.control.deliveries()
    assert delivery["status"] == "failed" and "Error" in delivery["error"]


def test_duplicate_mode_delivers_each_event_twice(client, emulator, endpoint, webhook_receiver):
    emulator.control.fault("duplicate")
    client.v1.customers.create()
    emulator.control.flush()
    events = webhook_receiver.events()
    assert len(events) == 2 and events[0]["id"] == events[1]["id"]


def test_drop_mode_drops_deliveries(client, emulator, endpoint, webhook_receiver):
    emulator.control.fault("drop", 1)
    first = client.v1.customers.create()
    second = client.v1.customers.create()
    emulator.control.flush()
    assert [e["data"]["object"]["id"] for e in webhook_receiver.events()] == [second.id]
    statuses = {d["status"] for d in emulator.control.deliveries()}
    assert statuses == {"dropped", "succeeded"}
    assert first.id


def test_shuffle_mode_buffers_until_flush_then_delivers_out_of_order(client, emulator, endpoint, webhook_receiver):
    emulator.control.fault("shuffle")
    created = [client.v1.customers.create().id for _ in range(12)]
    emulator.control.wait(timeout=1)
    assert webhook_receiver.events() == []
    assert {d["status"] for d in emulator.control.deliveries()} == {"buffered"}
    result = emulator.control.flush()
    assert result["released"] == 12 and result["idle"] is True
    received = [e["data"]["object"]["id"] for e in webhook_receiver.events()]
    assert sorted(received) == sorted(created)
    assert received != created


def test_delay_mode(client, emulator, endpoint, webhook_receiver):
    emulator.control.fault("delay", seconds=0.5)
    client.v1.customers.create()
    assert webhook_receiver.events() == []
    emulator.control.wait()
    assert len(webhook_receiver.events()) == 1
