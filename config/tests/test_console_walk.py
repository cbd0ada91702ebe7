"""Issue 12: every page of the operations console answers 200 for a superuser, without CSP violations.

The console is walked as a superuser after real work went through the site: a course sold and refunded, a
refund request, a payout, a quote, a subscription and dj-stripe's mirror synced from the emulator. Every
registered model's list is opened, and the change page of its first row when it has one; the models that
have no row are named (and are only Stripe objects Lyceum never creates).

A CSP without 'unsafe-inline' blocks inline scripts, style attributes and inline event handlers: the HTML
of every page is checked for them (e2e/test_console.py checks the same in Chromium for the heaviest pages).
"""

import json
import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from djstripe.models import WebhookEndpoint

from accounts.tests.factories import APIKeyFactory, SuperUserFactory, VerifiedUserFactory
from billing.models import ConnectedAccount, StripeEvent
from billing.services import apply_checkout_session, refund_payment
from billing.tests.factories import StripeEventFactory
from billing.tests.support import CARD_OK, pay
from licensing import demo as licensing_demo
from licensing.models import Organisation
from licensing.services import organisations
from licensing.tests.factories import sent_quote
from marketplace.models import Enrollment, Payout, Sale
from marketplace.services import earnings, instructors, learning, payouts, purchases, refunds, reviews
from marketplace.tests.factories import InstructorFactory, course_with_lessons
from stripe_emulator.webhooks import sign
from subscriptions.models import Subscription, Tier
from support import demo as support_demo

pytestmark = pytest.mark.django_db

# Stripe objects Lyceum never creates (disputes, files, mandates, tax objects...): their lists are walked,
# their change pages cannot be, having no row. Anything of ours or any object our flows create must have one.
NEVER_CREATED = {
    "djstripe.accountv2",
    "djstripe.activeentitlement",
    "djstripe.apikey",
    "djstripe.applicationfee",
    "djstripe.applicationfeerefund",
    "djstripe.bankaccount",
    "djstripe.card",
    "djstripe.coupon",
    "djstripe.discount",
    "djstripe.dispute",
    "djstripe.feature",
    "djstripe.file",
    "djstripe.filelink",
    "djstripe.idempotencykey",
    "djstripe.lineitem",
    "djstripe.mandate",
    "djstripe.payout",
    "djstripe.productfeature",
    "djstripe.promotioncode",
    "djstripe.refund",
    "djstripe.session",
    "djstripe.setupintent",
    "djstripe.shippingrate",
    "djstripe.subscriptionschedule",
    "djstripe.taxcode",
    "djstripe.taxrate",
    "djstripe.transfer",
    "djstripe.transferreversal",
    "djstripe.balancetransaction",
    "djstripe.account",
    "djstripe.event",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "operations.operationalcheck",
    "licensing.activation",
    "licensing.organisationapikey",
}

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)


def csp_violations(html: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("style attribute", STYLE_ATTRIBUTE),
        ("inline event handler", EVENT_HANDLER),
        ("<style> element", INLINE_STYLE_ELEMENT),
    ):
        for match in pattern.finditer(html):
            found.append(f"{name}: {html[match.start() : match.start() + 160]!r}")
    return found


def sync_stripe_mirror(emulator) -> None:
    """Objects in Stripe (the emulator) mirrored by dj-stripe, as its sync and webhooks do."""
    from djstripe import models as mirror

    stripe = emulator.configure_global_stripe()
    client = emulator.stripe_client()
    product = client.v1.products.create(params={"name": "Lyceum Pro"})
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 999, "recurring": {"interval": "month"}}
    )
    customer = client.v1.customers.create(params={"email": "mirror@example.com", "name": "Mirror Test"})
    method = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": method.id}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    intent = client.v1.payment_intents.create(
        params={
            "amount": 4900,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": method.id,
            "confirm": True,
        }
    )
    for name, object_id in {
        "Product": product.id,
        "Price": price.id,
        "Customer": customer.id,
        "PaymentMethod": method.id,
        "PaymentIntent": intent.id,
        "Charge": intent.latest_charge,
        "Subscription": subscription.id,
        "Invoice": subscription.latest_invoice,
    }.items():
        getattr(mirror, name).sync_from_stripe_data(getattr(stripe, name).retrieve(object_id), api_key=stripe.api_key)


@pytest.fixture
def busy_site(emulator, settings):
    """Rows in every table the site's own flows fill."""
    import io

    from django.core.management import call_command

    call_command("setup_stripe_webhook", base_url="http://127.0.0.1:9", stdout=io.StringIO())
    instructor = InstructorFactory()
    learner = VerifiedUserFactory()
    APIKeyFactory(user=learner)
    instructors.apply_to_teach(
        VerifiedUserFactory(),
        bio="I have taught Go to backend teams for ten years, in person and online.",
        expertise="Go programming",
    )

    # A course sold; its earnings released and paid out to the instructor's connected account.
    sold = course_with_lessons(instructor=instructor, price_amount=2500)
    start = purchases.start_course_purchase(learner, sold)
    assert pay(start.url, CARD_OK).ok
    payment = apply_checkout_session(start.payment.stripe_checkout_session_id)
    sale = Sale.objects.get(payment=payment)
    earnings.release_sale(sale.pk, now=sale.available_at)
    from billing import connect

    account = connect.get_or_create_account(instructor)
    emulator.control.complete_onboarding(account.stripe_account_id)
    connect.refresh_account(account)
    payout = payouts.reserve_payout(instructor.pk, "usd")
    payouts.send_payout(payout.pk)

    # Another bought and refunded; a third asked back outside the policy (a refund request waiting).
    refunded = course_with_lessons(instructor=instructor, price_amount=1500)
    start = purchases.start_course_purchase(learner, refunded)
    assert pay(start.url, CARD_OK).ok
    refund_payment(
        apply_checkout_session(start.payment.stripe_checkout_session_id), amount=None, reason="Bought twice."
    )
    late = course_with_lessons(instructor=instructor, price_amount=1800)
    start = purchases.start_course_purchase(learner, late)
    assert pay(start.url, CARD_OK).ok
    apply_checkout_session(start.payment.stripe_checkout_session_id)
    enrollment = Enrollment.objects.get(user=learner, course=late)
    refunds.request_refund(learner, enrollment, reason="Not what I expected.", now=timezone.now() + timedelta(days=60))

    # Progress and a review on the paid course; an organisation with a licence, seats and a domain.
    lesson = sold.modules.first().lessons.first()
    learning.complete_lesson(learner, lesson)
    reviews.submit_review(learner, sold, 5, "Clear and well paced.")
    # Rewards: the lesson's tokens, streak and league seat (the award task, run here as after the commit), a
    # correction posted by staff and a badge bought with tokens.
    from rewards.models import ShopItem
    from rewards.services import earning as rewards_earning
    from rewards.services import shop as rewards_shop
    from rewards.services import workflows as rewards_workflows

    rewards_workflows.on_lesson_completed(learner.pk, sold.pk, lesson.pk)
    rewards_earning.correct(learner, amount=200, reason="Walk", by=SuperUserFactory(), key="walk-correction")
    rewards_shop.redeem(learner, ShopItem.objects.get(code="badge-scholar").pk, key="walk-badge")
    licensing_demo.seed_demo()
    support_demo.seed_demo()  # a ticket from a member of the demo organisation
    organisations.add_domain(Organisation.objects.get(), "acme-walk.test")

    # A webhook as Stripe sends it (dj-stripe keeps its trigger).
    endpoint = WebhookEndpoint.objects.get()
    event = {"id": "evt_walk", "object": "event", "type": "customer.created", "created": 1767225600}
    body = json.dumps({**event, "livemode": False, "data": {"object": {"id": "cus_walk", "object": "customer"}}})
    response = Client().post(
        reverse("stripe_webhook", args=[endpoint.djstripe_uuid]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, endpoint.secret),
    )
    assert response.status_code == 200, response.content

    StripeEventFactory()
    StripeEventFactory(status=StripeEvent.Status.FAILED, last_error="boom")
    sent_quote()
    sync_stripe_mirror(emulator)
    assert ConnectedAccount.objects.exists() and Payout.objects.exists()


def registered_models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def test_every_console_list_and_change_page_answers_for_a_superuser(client, busy_site):
    Subscription.objects.create(
        user=VerifiedUserFactory(),
        tier=Tier.objects.get(code="pro"),
        interval="month",
        status=Subscription.Status.ACTIVE,
        stripe_subscription_id="sub_walk",
        current_period_start=timezone.now(),
        current_period_end=timezone.now() + timedelta(days=30),
    )
    client.force_login(SuperUserFactory())
    client.raise_request_exception = False  # a 500 is one failure among the others, not the end of the walk
    failures, without_rows, walked = [], [], 0

    def visit(url: str) -> None:
        nonlocal walked
        response = client.get(url)
        walked += 1
        if response.status_code != 200:
            failures.append(f"{url}: {response.status_code}")
            return
        failures.extend(f"{url}: {v}" for v in csp_violations(response.content.decode()))

    visit(reverse("admin:index"))
    for model, model_admin in registered_models():
        label = model._meta.label_lower
        info = (model._meta.app_label, model._meta.model_name)
        visit(reverse("admin:{}_{}_changelist".format(*info)))
        visit(reverse("admin:app_list", args=[model._meta.app_label]))
        first = model_admin.get_queryset(client_request(model_admin)).order_by("pk").first()
        if first is None:
            without_rows.append(label)
            continue
        visit(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    assert failures == [], "\n".join(failures)
    missing = sorted(set(without_rows) - NEVER_CREATED)
    assert missing == [], f"these models have no row, give the walk one: {missing}"
    assert walked > 2 * len(admin.site._registry)


def client_request(model_admin):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = SuperUserFactory.build(is_superuser=True, is_staff=True, is_active=True)
    return request


def test_the_stripe_mirror_is_one_read_only_section_and_each_section_appears_once(client, emulator):
    sync_stripe_mirror(emulator)
    client.force_login(SuperUserFactory())
    html = client.get(reverse("admin:index")).content.decode()
    sections = re.findall(r'<a href="/admin/[a-z_]+/" class="section"[^>]*>([^<]+)</a>', html)
    assert sections.count("Stripe mirror") == 1 and "Djstripe" not in sections
    assert len(sections) == len(set(sections)), sections  # "Accounts" once
    assert "/admin/djstripe/" in html and not re.search(r'href="/admin/djstripe/[a-z]+/add/"', html)

    invoice = client.get(reverse("admin:djstripe_invoice_changelist"))
    assert invoice.status_code == 200 and "$9.99" in invoice.content.decode()  # money, not 999
    assert not re.search(r'href="/admin/djstripe/[a-z]+/add/"', invoice.content.decode())  # nor in the sidebar
    from djstripe.models import Invoice

    page = client.get(reverse("admin:djstripe_invoice_change", args=[Invoice.objects.get().pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # nothing to save: a mirror
    assert client.get(reverse("admin:djstripe_invoice_add")).status_code == 403
    assert client.post(reverse("admin:djstripe_invoice_delete", args=[Invoice.objects.get().pk])).status_code == 403
