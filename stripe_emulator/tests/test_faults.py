"""API fault injection: 500s, hangs and their interaction with the SDK and idempotency."""

import time

import pytest
import stripe


def test_error_fault_returns_500_api_error(emulator, client):
    emulator.control.fault("error", 2, status=500)
    with pytest.raises(stripe.APIError) as info:
        client.v1.customers.create()
    assert info.value.http_status == 500
    with pytest.raises(stripe.APIError):
        client.v1.customers.list()
    assert client.v1.customers.list().data == []


def test_error_fault_with_path_filter(emulator, client):
    emulator.control.fault("error", 1, status=503, path="/v1/payment_intents")
    client.v1.customers.create()
    with pytest.raises(stripe.APIError) as info:
        client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    assert info.value.http_status == 503
    assert emulator.control.faults()["api"] == []


def test_sdk_retry_with_idempotency_key_recovers_from_a_500(emulator):
    client = emulator.stripe_client(max_network_retries=2)
    emulator.control.fault("error", 1, status=500, path="/v1/customers")
    customer = client.v1.customers.create(params={"email": "retry@example.com"})
    assert customer.email == "retry@example.com"
    assert len(client.v1.customers.list().data) == 1


def test_hang_fault_makes_the_sdk_time_out(emulator):
    client = emulator.stripe_client(http_client=stripe.RequestsClient(timeout=0.5))
    emulator.control.fault("hang", 1, seconds=2)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.list()
    assert time.monotonic() - started < 1.9
    assert client.v1.customers.list().data == []


def test_clear_faults(emulator, client):
    emulator.control.fault("error", 5)
    emulator.control.clear_faults()
    assert client.v1.customers.list().data == []
