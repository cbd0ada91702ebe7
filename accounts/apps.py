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
