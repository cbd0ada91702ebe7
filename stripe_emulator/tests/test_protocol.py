"""Wire protocol: auth, errors, form encoding, idempotency, pagination, expand, headers."""

import json
import urllib.error
import urllib.request

import pytest
import stripe

from stripe_emulator import API_VERSION
from stripe_emulator.routing import parse_params


def raw(url, method="GET", data=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_bracket_notation_is_decoded():
    params = parse_params(
        "metadata[a]=1&line_items[0][price]=p1&line_items[1][price]=p2&line_items[1][quantity]=3"
        "&expand[]=x&expand[]=y.z&items[0][price]=q&empty="
    )
    assert params == {
        "metadata": {"a": "1"},
        "line_items": [{"price": "p1"}, {"price": "p2", "quantity": "3"}],
        "expand": ["x", "y.z"],
        "items": [{"price": "q"}],
        "empty": "",
    }


def test_missing_api_key_is_401_with_stripe_error(emulator):
    status, headers, body = raw(emulator.url + "/v1/customers")
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert "API key" in body["error"]["message"]
    assert headers["Request-Id"].startswith("req_")


def test_live_or_bogus_key_is_rejected_by_the_sdk(emulator):
    client = emulator.stripe_client(api_key="sk_live_nope1234")
    with pytest.raises(stripe.AuthenticationError) as info:
        client.v1.customers.list()
    assert info.value.http_status == 401


def test_headers_carry_version_and_request_id(emulator):
    status, headers, body = raw(
        emulator.url + "/v1/customers", "POST", b"email=a%40b.c", {"Authorization": "Bearer sk_test_x"}
    )
    assert status == 200
    assert headers["Stripe-Version"] == API_VERSION
    assert headers["Request-Id"].startswith("req_")
    assert body["id"].startswith("cus_")


def test_unknown_object_is_404_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve("cus_doesnotexist")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert info.value.param == "id"
    assert "No such customer" in info.value.user_message


def test_missing_param_is_400(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"currency": "usd"})
    assert info.value.http_status == 400
    assert info.value.code == "parameter_missing"
    assert info.value.param == "amount"


def test_unknown_url_is_400(emulator):
    status, _, body = raw(emulator.url + "/v1/nothing_here", headers={"Authorization": "Bearer sk_test_x"})
    assert status == 400
    assert "Unrecognized request URL" in body["error"]["message"]


def test_idempotent_replay_returns_the_first_response(client):
    options = {"idempotency_key": "order-42"}
    first = client.v1.customers.create(params={"email": "one@example.com"}, options=options)
    again = client.v1.customers.create(params={"email": "one@example.com"}, options=options)
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(client.v1.customers.list().data) == 1


def test_idempotency_key_with_other_params_is_rejected(client):
    options = {"idempotency_key": "order-43"}
    client.v1.customers.create(params={"email": "one@example.com"}, options=options)
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.customers.create(params={"email": "two@example.com"}, options=options)
    assert info.value.http_status == 400
    assert info.value.error.type == "idempotency_error"


def test_idempotent_replay_of_an_error(client):
    options = {"idempotency_key": "pay-1"}
    params = {"amount": 500, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params=params, options=options)
    with pytest.raises(stripe.CardError) as second:
        client.v1.payment_intents.create(params=params, options=options)
    assert first.value.error.payment_intent["id"] == second.value.error.payment_intent["id"]
    assert len(client.v1.payment_intents.list().data) == 1


def test_pagination_with_starting_after_and_ending_before(client):
    ids = [client.v1.customers.create(params={"email": f"c{i}@example.com"}).id for i in range(5)]
    newest_first = list(reversed(ids))
    page1 = client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in page1.data] == newest_first[:2]
    assert page1.has_more is True
    assert page1.url == "/v1/customers"
    page2 = client.v1.customers.list(params={"limit": 2, "starting_after": page1.data[-1].id})
    assert [c.id for c in page2.data] == newest_first[2:4]
    page3 = client.v1.customers.list(params={"limit": 2, "starting_after": page2.data[-1].id})
    assert [c.id for c in page3.data] == newest_first[4:]
    assert page3.has_more is False
    back = client.v1.customers.list(params={"limit": 2, "ending_before": page3.data[0].id})
    assert [c.id for c in back.data] == newest_first[2:4]
    every = [c.id for c in client.v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert every == newest_first


def test_expand_nested_and_on_lists(client):
    customer = client.v1.customers.create(params={"email": "e@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
            "confirm": True,
            "expand": ["latest_charge.balance_transaction", "customer", "payment_method"],
        }
    )
    assert pi.customer.email == "e@example.com"
    assert pi.payment_method.card.last4 == "4242"
    assert pi.latest_charge.balance_transaction.object == "balance_transaction"
    listed = client.v1.payment_intents.list(params={"expand": ["data.customer"]})
    assert listed.data[0].customer.id == customer.id
    assert isinstance(client.v1.payment_intents.retrieve(pi.id).customer, str)


def test_metadata_merge_and_unset(client):
    customer = client.v1.customers.create(params={"metadata": {"a": "1", "b": "2"}})
    customer = client.v1.customers.update(customer.id, params={"metadata": {"b": "", "c": "3"}})
    assert customer.metadata.to_dict() == {"a": "1", "c": "3"}


def test_customer_crud_and_delete(client):
    customer = client.v1.customers.create(params={"email": "d@example.com", "name": "D"})
    assert client.v1.customers.list(params={"email": "d@example.com"}).data[0].id == customer.id
    gone = client.v1.customers.delete(customer.id)
    assert gone.deleted is True
    assert client.v1.customers.retrieve(customer.id).deleted is True


def test_parallel_requests_are_safe(emulator):
    from concurrent.futures import ThreadPoolExecutor

    def create(i):
        client = emulator.stripe_client(max_network_retries=5)  # the SDK retries a 409 (key in flight)
        return client.v1.customers.create(
            params={"email": f"p{i % 10}@example.com"}, options={"idempotency_key": f"k{i % 10}"}
        ).id

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = list(pool.map(create, range(40)))
    # ten distinct keys → ten customers; the other calls were replayed
    assert len(set(ids)) == 10
    assert len(emulator.stripe_client().v1.customers.list(params={"limit": 100}).data) == 10
