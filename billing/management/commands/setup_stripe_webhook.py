import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from djstripe.models import WebhookEndpoint

from billing import gateway
from billing.errors import PaymentError
from billing.webhooks import webhook_events


class Command(BaseCommand):
    help = (
        "Register this site's webhook endpoint with Stripe (or the emulator) and store its secret where "
        "dj-stripe expects it. Idempotent: an endpoint that still exists is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=settings.SITE_URL, help="Public address of this site.")

    @transaction.atomic
    def handle(self, *args, base_url, **options):
        base_url = base_url.rstrip("/")
        try:
            remote = {ep["id"]: ep for ep in gateway.list_webhook_endpoints()}
        except PaymentError as exc:
            raise CommandError(
                f"Could not reach Stripe at {settings.STRIPE_API_BASE or 'api.stripe.com'}: {exc.message}"
            )
        events = webhook_events()
        for local in WebhookEndpoint.objects.filter(url__startswith=base_url + "/stripe/webhook/"):
            found = remote.get(local.id) or {}
            enabled = set(found.get("enabled_events") or [])
            covers = "*" in enabled or enabled >= set(events)
            if found and found.get("status", "enabled") == "enabled" and local.secret and covers:
                self.stdout.write(f"Webhook endpoint already registered: {local.url}")
                return
            if found and not covers:  # an app now handles more event types: register anew
                gateway.delete_webhook_endpoint(local.id)
            local.delete()  # gone from Stripe (e.g. the emulator was reset): register again
        endpoint_uuid = uuid.uuid4()
        url = f"{base_url}/stripe/webhook/{endpoint_uuid}/"
        data = gateway.create_webhook_endpoint(url=url, events=events)
        secret = data.get("secret")
        endpoint = WebhookEndpoint.sync_from_stripe_data(data, api_key=settings.STRIPE_SECRET_KEY)
        endpoint.djstripe_uuid = endpoint_uuid
        endpoint.secret = secret
        endpoint.save()
        self.stdout.write(self.style.SUCCESS(f"Registered webhook endpoint {url}"))
