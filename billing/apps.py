from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from accounts.interface import grant_to_group

        from . import gateway

        gateway.configure()
        from . import observability

        observability.register()
        viewing = [
            f"billing.view_{model}" for model in ("payment", "refund", "stripeevent", "customer", "connectedaccount")
        ]
        # Finance refunds, sees revenue and replays failed webhooks (accounts/permission_table.py).
        grant_to_group(
            "Finance", viewing + ["billing.refund_payment", "billing.view_revenue", "billing.replay_stripeevent"]
        )
        grant_to_group("Support", viewing)
