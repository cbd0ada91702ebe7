from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self):
        from accounts.interface import grant_to_group

        from . import observability, purpose, receivers, webhooks  # noqa: F401 - receivers connect on import

        observability.register()
        from . import console

        console.register()

        purpose.register()
        webhooks.register()
        viewing = [f"subscriptions.view_{m}" for m in ("tier", "feature", "tierfeature", "subscription", "entitlement")]
        grant_to_group("Finance", viewing)
        grant_to_group("Support", viewing + ["subscriptions.add_entitlement", "subscriptions.change_entitlement"])
