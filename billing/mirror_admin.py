"""dj-stripe's mirror of Stripe in the console: one "Stripe mirror" section, read-only.

The section's name is billing.apps.StripeMirrorConfig's (dj-stripe's app config, renamed).

dj-stripe registers an editable admin for each of its 41 models. Lyceum never edits the mirror by hand (our
own rows are the source of truth; the mirror follows Stripe through webhooks and syncs), so each of those
admins is re-registered here view-only: no "Add" links, no save buttons, no deletes. Its "re-sync from
Stripe" actions stay (superusers only, accounts/permission_table.py).

dj-stripe's properties read ``stripe_data[...]`` and raise KeyError for a key the API version in use no
longer sends (``Invoice.paid`` is gone since 2025-03-31: the invoice list answered 500). Every property and
list column is read through ``_MirrorColumn``, which shows "—" for a missing key and formats amounts as
money with the object's currency.
"""

from django.contrib import admin

from .money import CURRENCIES, format_money

# Stripe's amount fields (minor units of the object's currency).
MONEY_FIELDS = frozenset(
    {
        "amount",
        "amount_captured",
        "amount_due",
        "amount_off",
        "amount_paid",
        "amount_received",
        "amount_refunded",
        "amount_remaining",
        "amount_reversed",
        "amount_subtotal",
        "amount_total",
        "application_fee_amount",
        "balance",
        "fee",
        "net",
        "starting_balance",
        "ending_balance",
        "subtotal",
        "tax",
        "total",
        "unit_amount",
    }
)
EMPTY = "—"


def _currency_of(obj) -> str | None:
    currency = getattr(obj, "currency", None)
    if not currency:
        data = getattr(obj, "stripe_data", None) or {}
        currency = data.get("currency")
    currency = (currency or "").lower()
    return currency if currency in CURRENCIES else None


class _MirrorColumn:
    """A dj-stripe field or property shown safely: "—" when Stripe no longer sends it, money as money."""

    def __init__(self, name: str):
        self.name = name
        self.short_description = name.replace("_", " ")
        self.__name__ = name

    def __call__(self, obj):
        try:
            value = getattr(obj, self.name)
        except (KeyError, AttributeError):
            return EMPTY
        if self.name in MONEY_FIELDS and isinstance(value, int) and not isinstance(value, bool):
            currency = _currency_of(obj)
            if currency:
                return format_money(value, currency)
        return EMPTY if value is None else value


class ReadOnlyMirrorMixin:
    """View-only pages for one dj-stripe model (superusers only: MODELS["djstripe.*"])."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _mirror_names(self) -> set[str]:
        names = set(MONEY_FIELDS)
        for name in dir(self.model):
            if isinstance(getattr(self.model, name, None), property) and name != "pk":
                names.add(name)
        return names

    def __getattr__(self, name):
        # Django's lookup_field asks the ModelAdmin first: a property or amount column is answered here.
        if not name.startswith("_") and "model" in self.__dict__ and name in ReadOnlyMirrorMixin._mirror_names(self):
            return _MirrorColumn(name)
        raise AttributeError(name)

    def get_list_display(self, request):
        return [name for name in super().get_list_display(request) if name != "djstripe_owner_account"]


def make_mirror_read_only(site: admin.AdminSite) -> None:
    """Re-register every dj-stripe admin on the site with ReadOnlyMirrorMixin."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label != "djstripe" or isinstance(model_admin, ReadOnlyMirrorMixin):
            continue
        admin_class = type(model_admin)
        site.unregister(model)
        site.register(model, type(admin_class.__name__, (ReadOnlyMirrorMixin, admin_class), {}))
