from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from .roles import grant_to_group, sync_staff_groups

        grant_to_group("Support", ["accounts.view_user", "accounts.change_user", "accounts.view_apikey"])
        grant_to_group("Finance", ["accounts.view_user"])
        post_migrate.connect(sync_staff_groups, dispatch_uid="accounts.sync_staff_groups")

        from allauth.mfa.signals import authenticator_added

        from .mfa import record_activation

        authenticator_added.connect(
            lambda sender, request, user, authenticator, **kw: record_activation(request, user, authenticator),
            dispatch_uid="accounts.mfa_activation_counts",
            weak=False,
        )
