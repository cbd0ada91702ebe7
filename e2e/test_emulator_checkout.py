"""The Stripe emulator's hosted Checkout page in a real browser: a decline, a retry, then success."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from stripe_emulator.testing import start_emulator


@pytest.fixture
def running_emulator():
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture
def shop():
    """A tiny shop site that the success and cancel URLs point at."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = b"<!doctype html><html lang='en'><title>Shop</title><h1>Thank you</h1></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_hosted_checkout_decline_then_success(page, console_errors, running_emulator, shop):
    client = running_emulator.stripe_client()
    product = client.v1.products.create(params={"name": "Intro to Python"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 2900})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": f"{shop}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{shop}/cart",
        }
    )
    page.goto(session.url)
    expect(page.get_by_text("$29.00").first).to_be_visible()
    expect(page.get_by_role("link", name="Cancel and return")).to_have_attribute("href", f"{shop}/cart")

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")

    page.get_by_label("Card number").fill("4000 0000 0000 9995")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("alert")).to_have_text("Your card has insufficient funds.")
    assert console_errors == []

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    expect(page).to_have_url(re.compile(re.escape(f"{shop}/thanks?session_id={session.id}")))
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert session.id in page.url
