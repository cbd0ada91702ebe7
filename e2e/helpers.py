"""Small building blocks shared by the browser journeys."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

PASSWORD = "correct-horse-battery-9"


def solve_altcha(page: Page) -> None:
    """Tick the ALTCHA checkbox and wait until the browser has solved the proof of work."""
    widget = page.locator("altcha-widget")
    widget.get_by_role("checkbox").click()
    expect(widget.locator(".altcha")).to_have_attribute("data-state", "verified", timeout=15_000)


def confirmation_link(address: str) -> str:
    """The e-mail confirmation link from the last verification mail sent to `address`."""
    messages = [message for message in mail.outbox if address in message.to]
    assert messages, f"no e-mail was sent to {address}; outbox: {[m.to for m in mail.outbox]}"
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+", messages[-1].body)
    assert match, f"no confirmation link in:\n{messages[-1].body}"
    return match.group(0)


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    solve_altcha(page)
    page.get_by_role("button", name="Sign in").click()


def verified_user(email: str, name: str, **fields):
    """A user who has confirmed their e-mail address, with the journeys' password."""
    from accounts.tests.factories import VerifiedUserFactory

    return VerifiedUserFactory(email=email, display_name=name, password=PASSWORD, **fields)


def browse_as(page: Page, base_url: str, client, user) -> None:
    """Give the browser `user`'s session (replacing whoever it was signed in as)."""
    client.force_login(user)
    # Leave the previous identity's page first, so nothing it still loads can answer into the new cookie jar.
    page.goto("about:blank")
    page.context.clear_cookies()
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": base_url, "httpOnly": True}])
    held = {c["name"]: c["value"] for c in page.context.cookies(base_url)}
    assert held == {"sessionid": session}, f"the browser holds {held}, not the session of {user}"


def pay_on_hosted_page(page: Page, card: str, name: str = "Leo Learner") -> None:
    """Fill the emulator's hosted Checkout card form and pay."""
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill(name)
    page.get_by_role("button", name="Pay").click()
