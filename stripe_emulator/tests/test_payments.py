"""Payment methods, payment intents, charges, declines and refunds."""

import pytest
import stripe


@pytest.mark.parametrize(
    ("token", "code", "decline_code", "message"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeCustomerFail", "card_declined", "generic_decline", "Your card was declined."),
    ],
)
def test_declines_carry_stripe_codes(client, token, code, decline_code, message):
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(
            params={"amount": 1500, "currency": "usd", "payment_method": token, "confirm": True}
        )
    error = info.value
    assert error.http_status == 402
    assert error.code == code
    assert error.error.decline_code == decline_code
    assert error.user_message == message
    pi = client.v1.payment_intents.retrieve(error.error.payment_intent["id"])
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.decline_code == decline_code
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "failed"
    assert charge.failure_code == code


def test_card_numbers_in_payment_method_data(client):
    pi = client.v1.payment_intents.create(
        params={
            "amount": 700,
            "currency": "usd",
            "confirm": True,
            "payment_method_data": {
                "type": "card",
                "card": {"number": "5555555555554444", "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            },
        }
    )
    assert pi.status == "succeeded"
    pm = client.v1.payment_methods.retrieve(pi.payment_method)
    assert (pm.card.brand, pm.card.last4) == ("mastercard", "4444")
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(
            params={
                "amount": 700,
                "currency": "usd",
                "confirm": True,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": "4000000000009995", "exp_month": 12, "exp_year": 2031, "cvc": "123"},
                },
            }
        )
    assert info.value.error.decline_code == "insufficient_funds"


def test_invalid_card_number(client):
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.create(
            params={"type": "card", "card": {"number": "4242424242424241", "exp_month": 1, "exp_year": 2030}}
        )
    assert info.value.code == "incorrect_number"


def test_payment_method_attach_detach_and_list(client):
    customer = client.v1.customers.create(params={"email": "pm@example.com"})
    visa = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    master = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": customer.id})
    assert visa.id.startswith("pm_") and visa.id != "pm_card_visa"
    listed = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert {p.id for p in listed.data} == {visa.id, master.id}
    assert client.v1.customers.payment_methods.list(customer.id).data[0].id == master.id
    customer = client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": visa.id}})
    assert customer.invoice_settings.default_payment_method == visa.id
    client.v1.payment_methods.detach(visa.id)
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None
    # a declining card cannot even be attached; 0341 attaches and fails later
    with pytest.raises(stripe.CardError):
        client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer.id})
    client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})


def test_confirm_later_off_session_and_cancel(client):
    customer = client.v1.customers.create(params={"email": "later@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    pi = client.v1.payment_intents.create(
        params={"amount": 1234, "currency": "usd", "customer": customer.id, "metadata": {"order": "7"}}
    )
    assert pi.status == "requires_payment_method"
    pi = client.v1.payment_intents.confirm(pi.id, params={"payment_method": pm.id})
    assert (pi.status, pi.amount_received) == ("succeeded", 1234)
    off = client.v1.payment_intents.create(
        params={
            "amount": 99,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
            "off_session": True,
            "confirm": True,
        }
    )
    assert off.status == "succeeded"
    other = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})
    assert client.v1.payment_intents.cancel(other.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(pi.id)
    charges = client.v1.charges.list(params={"customer": customer.id})
    assert len(charges.data) == 2
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.paid and charge.captured and charge.amount == 1234
    assert charge.metadata.to_dict() == {"order": "7"}


def test_refunds_full_partial_and_over_refund(client):
    pi = client.v1.payment_intents.create(
        params={"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    partial = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 1500, "reason": "requested_by_customer", "metadata": {"ticket": "9"}}
    )
    assert partial.status == "succeeded" and partial.amount == 1500 and partial.charge == pi.latest_charge
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1500, False)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 4000})
    assert info.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"charge": charge.id})
    assert rest.amount == 3500
    charge = client.v1.charges.retrieve(charge.id)
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    assert len(charge.refunds.data) == 2
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 1})
    assert info.value.code == "charge_already_refunded"
    assert {r.id for r in client.v1.refunds.list(params={"payment_intent": pi.id}).data} == {partial.id, rest.id}
    assert client.v1.refunds.retrieve(partial.id).metadata["ticket"] == "9"


def test_products_prices_lookup_keys_and_coupons(client):
    product = client.v1.products.create(params={"name": "Course", "metadata": {"slug": "py"}})
    one_time = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 4900, "lookup_key": "course_py"}
    )
    assert one_time.type == "one_time" and one_time.recurring is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create(
            params={"product": product.id, "currency": "usd", "unit_amount": 5900, "lookup_key": "course_py"}
        )
    moved = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 5900,
            "lookup_key": "course_py",
            "transfer_lookup_key": True,
        }
    )
    found = client.v1.prices.list(params={"lookup_keys": ["course_py"]}).data
    assert [p.id for p in found] == [moved.id]
    assert client.v1.prices.retrieve(one_time.id).lookup_key is None
    client.v1.prices.update(one_time.id, params={"active": False})
    assert [p.id for p in client.v1.prices.list(params={"active": False}).data] == [one_time.id]
    yearly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 9000, "recurring": {"interval": "year"}}
    )
    assert yearly.recurring.interval == "year"
    assert client.v1.products.update(product.id, params={"active": False}).active is False
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "once", "id": "WELCOME25"})
    assert client.v1.coupons.retrieve("WELCOME25").percent_off == coupon.percent_off == 25
    assert client.v1.coupons.delete("WELCOME25").deleted is True
