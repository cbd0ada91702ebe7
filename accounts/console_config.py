from allauth.account.apps import AccountConfig
from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """Django admin on Lyceum's console site (accounts.console): listed in INSTALLED_APPS instead of
    django.contrib.admin. A module of its own: INSTALLED_APPS imports it before any model exists."""

    default_site = "accounts.console.ConsoleSite"


class EmailAddressesConfig(AccountConfig):
    """allauth's account app, which the console listed as a second "Accounts" section: it holds the
    e-mail addresses people signed up with. Listed in INSTALLED_APPS instead of "allauth.account"."""

    default = False
    verbose_name = "E-mail addresses"
