"""Checkout Sessions and the hosted payment page (driven over plain HTTP here; see e2e/ for a browser)."""

import urllib.error
import urllib.parse
import urllib.request

import pytest
import stripe


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_form(url, fields):
    opener = urllib.request.build_opener(NoRedirect)
    data = urllib.parse.urlencode(fields).encode()
    try:
        response = opener.open(urllib.request.Request(url, data=data, method="POST"))
        return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


CARD = {"email": "buyer@example.com", "expiry": "12 / 34", "cvc": "123", "name": "Ada Lovelace"}


@pytest.fixture
def course_price(client):
    product = client.v1.products.create(params={"name": "Python for Data"})
    return client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 4900})


def create_session(client, price, **params):
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 2}],
            "success_url": "http://shop.test/done?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://shop.test/cart",
            "client_reference_id": "order-17",
            "metadata": {"order": "17"},
            "payment_intent_data": {"metadata": {"order": "17"}},
            **params,
        }
    )


def test_session_shape_and_line_items(client, emulator, course_price):
    session = create_session(client, course_price)
    assert session.id.startswith("cs_test_")
    assert session.url == f"{emulator.url}/checkout/{session.id}"
    assert (session.status, session.payment_status, session.amount_total) == ("open", "unpaid", 9800)
    assert session.client_reference_id == "order-17"
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.price.id, i.quantity, i.amount_total) for i in items.data] == [(course_price.id, 2, 9800)]
    assert client.v1.checkout.sessions.list(params={"status": "open"}).data[0].id == session.id


def test_hosted_page_is_accessible_and_self_contained(client, course_price):
    session = create_session(client, course_price)
    html = urllib.request.urlopen(session.url).read().decode()
    for field in ("email", "card_number", "expiry", "cvc", "name"):
        assert f'<label for="{field}"' in html and f'id="{field}"' in html
    assert ">Pay</button>" in html
    assert 'href="http://shop.test/cart"' in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert 'href="/checkout/static/checkout.css"' in html
    css = urllib.request.urlopen(session.url.split("/checkout/")[0] + "/checkout/static/checkout.css")
    assert css.headers["Content-Type"].startswith("text/css")


def test_decline_then_retry_then_success_redirects(client, emulator, course_price, webhook_receiver):
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["*"]})
    session = create_session(client, course_price)
    status, _, body = post_form(session.url, {**CARD, "card_number": "4000 0000 0000 0002"})
    assert status == 200 and "Your card was declined." in body
    status, _, body = post_form(session.url, {**CARD, "card_number": "4000000000009995"})
    assert "Your card has insufficient funds." in body
    pi = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    assert pi.last_payment_error.decline_code == "insufficient_funds"
    status, headers, _ = post_form(session.url, {**CARD, "card_number": "4242 4242 4242 4242"})
    assert status == 303
    assert headers["Location"] == f"http://shop.test/done?session_id={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent.latest_charge"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.payment_intent.status == "succeeded"
    assert done.payment_intent.metadata["order"] == "17"
    assert done.payment_intent.latest_charge.amount == 9800
    assert done.customer_details.email == "buyer@example.com"
    emulator.control.flush()
    types = webhook_receiver.types()
    assert types.count("payment_intent.payment_failed") == 2
    assert types[-1] == "checkout.session.completed"
    assert (
        webhook_receiver.wait_for("checkout.session.completed")["data"]["object"]["client_reference_id"] == "order-17"
    )
    status, _, body = post_form(session.url, {**CARD, "card_number": "4242424242424242"})
    assert "already been completed" in body


def test_expire_session(client, emulator, course_price, webhook_receiver):
    client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["checkout.session.expired"]}
    )
    session = create_session(client, course_price)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
    emulator.control.flush()
    assert webhook_receiver.types() == ["checkout.session.expired"]
    page = client.v1.checkout.sessions.retrieve(session.id)
    assert page.url is None


def test_subscription_mode_creates_customer_subscription_and_paid_invoice(client, emulator, pro_prices):
    _, monthly, _ = pro_prices
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": monthly.id, "quantity": 1}],
            "success_url": "http://shop.test/welcome?cs={CHECKOUT_SESSION_ID}",
            "subscription_data": {"metadata": {"tier": "pro"}},
            "customer_email": "sub@example.com",
        }
    )
    declined = emulator.control.complete_checkout(session.id, "4000000000000341")
    assert declined["ok"] is False and declined["error"] == "Your card was declined."
    result = emulator.control.complete_checkout(session.id, "4242424242424242")
    assert result["ok"], result
    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription.latest_invoice", "customer"]}
    )
    assert done.status == "complete"
    sub = done.subscription
    assert sub.status == "active"
    assert sub.metadata["tier"] == "pro"
    assert sub.latest_invoice.status == "paid" and sub.latest_invoice.amount_paid == 999
    assert done.customer.email == "sub@example.com"
    assert done.customer.invoice_settings.default_payment_method == sub.default_payment_method


def test_payment_mode_requires_one_time_prices(client, pro_prices):
    _, monthly, _ = pro_prices
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": monthly.id, "quantity": 1}],
                "success_url": "http://x.test/",
            }
        )


def test_setup_mode_saves_a_card_that_pays_a_past_due_invoice(client, emulator, pro_prices, webhook_receiver):
    _, monthly, _ = pro_prices
    customer = client.v1.customers.create(params={"email": "dunning@example.com"})
    good = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    client.v1.payment_methods.attach(good.id, params={"customer": customer.id})
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}], "default_payment_method": good.id}
    )
    assert sub.status == "active"
    client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["checkout.session.completed", "setup_intent.succeeded"]}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(
            params={
                "mode": "setup",
                "line_items": [{"price": monthly.id, "quantity": 1}],
                "customer": customer.id,
                "success_url": "http://shop.test/card",
            }
        )
    assert refused.value.param == "line_items"
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer.id,
            "currency": "usd",
            "success_url": "http://shop.test/card?cs={CHECKOUT_SESSION_ID}",
            "setup_intent_data": {"metadata": {"subscription": sub.id}},
        }
    )
    assert session.mode == "setup" and session.amount_total is None and session.setup_intent is None
    page = urllib.request.urlopen(session.url).read().decode()
    assert "Save card" in page and "You will not be charged now" in page

    declined = emulator.control.complete_checkout(session.id, "4000000000000002")
    assert declined["ok"] is False and "declined" in declined["error"]
    result = emulator.control.complete_checkout(session.id, "5555555555554444")
    assert result["ok"], result
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent"]})
    assert done.status == "complete" and done.payment_status == "no_payment_required"
    intent = done.setup_intent
    assert intent.status == "succeeded" and intent.customer == customer.id
    assert intent.metadata["subscription"] == sub.id
    saved = client.v1.payment_methods.retrieve(intent.payment_method)
    assert saved.customer == customer.id and saved.card.last4 == "4444"
    emulator.control.flush()
    assert sorted(webhook_receiver.types()) == ["checkout.session.completed", "setup_intent.succeeded"]
    listed = client.v1.setup_intents.list(params={"customer": customer.id})
    assert [s.id for s in listed.data] == [intent.id]
