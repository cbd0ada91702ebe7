from django.apps import AppConfig
from djstripe.apps import DjstripeAppConfig


class BillingConfig(AppConfig):
    default = True  # this module holds dj-stripe's config too (StripeMirrorConfig, below)
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from accounts.interface import grant_to_group

        from . import gateway

        gateway.configure()
        from . import observability

        observability.register()
        from . import console

        console.register()
        viewing = [
            f"billing.view_{model}" for model in ("payment", "refund", "stripeevent", "customer", "connectedaccount")
        ]
        # Finance refunds, sees revenue and replays failed webhooks (accounts/permission_table.py).
        grant_to_group(
            "Finance", viewing + ["billing.refund_payment", "billing.view_revenue", "billing.replay_stripeevent"]
        )
        grant_to_group("Support", viewing)


class StripeMirrorConfig(DjstripeAppConfig):
    """dj-stripe, named in the console for what it is to us: a read-only mirror of Stripe (its admin pages are
    made view-only in billing.mirror_admin). Listed in INSTALLED_APPS instead of "djstripe"."""

    default = False
    verbose_name = "Stripe mirror"
