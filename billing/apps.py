from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from accounts.interface import grant_to_group

        from . import gateway

        gateway.configure()
        viewing = [
            f"billing.view_{model}" for model in ("payment", "refund", "stripeevent", "customer", "connectedaccount")
        ]
        # Finance refunds (change_payment gates the refund page) and replays failed webhooks.
        grant_to_group("Finance", viewing + ["billing.change_payment", "billing.change_stripeevent"])
        grant_to_group("Support", viewing)
