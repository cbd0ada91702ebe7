from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """Django admin on Lyceum's console site (accounts.console): listed in INSTALLED_APPS instead of
    django.contrib.admin. A module of its own: INSTALLED_APPS imports it before any model exists."""

    default_site = "accounts.console.ConsoleSite"
