"""The operations console: Django admin with Lyceum's rules on top.

- One sign-in for everyone: /admin/login/ sends people to the site's sign-in (CAPTCHA, lockout, MFA).
- Staff reach the console only with multi-factor authentication, used in this session (accounts.mfa).
- Every admin action and every custom console page needs the permission accounts.permission_table
  gives it; an action or page missing from the table is refused to everyone but superusers.

Every ModelAdmin registered on the site (ours, dj-stripe's, allauth's…) gets the action rule, so a
third-party action is covered as well as our own.
"""

from functools import update_wrapper
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import mfa
from .permission_table import act_for_admin_action, act_for_console_page
from .roles import may_perform

# Admin URLs Django itself guards (site pages, and each model's pages by its model permissions).
SITE_URL_NAMES = frozenset(
    {
        "index",
        "app_list",
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "autocomplete",
        "jsi18n",
        "view_on_site",
    }
)
MODEL_URL_SUFFIXES = ("changelist", "add", "history", "delete", "change")


class ConsoleModelAdminMixin:
    """Offers only the actions the table lets this user run (Django runs only actions it offers)."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            name: action
            for name, action in actions.items()
            if may_run_action(request.user, self.opts.app_label, self.opts.model_name, name)
        }


def may_run_action(user, app_label: str, model_name: str, action: str) -> bool:
    act = act_for_admin_action(app_label, model_name, action)
    if act is None:
        return bool(user.is_active and user.is_superuser)  # undeclared: the table test fails on it
    return may_perform(user, act)


class ConsoleSite(admin.AdminSite):
    site_header = "Lyceum operations console"
    site_title = "Lyceum console"
    index_title = "Operations"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ConsoleModelAdminMixin):
            admin_class = type(
                admin_class.__name__, (ConsoleModelAdminMixin, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)
        self._model_url_names = None

    def index(self, request, extra_context=None):
        """The console home: today's figures and the dashboards this user may open (accounts.console_home)."""
        from .console_home import home_for

        return super().index(request, {**home_for(request.user), **(extra_context or {})})

    def login(self, request, extra_context=None):
        """Staff sign in where everyone does; someone signed in without console access is refused, not
        sent round in a loop between the two sign-in pages."""
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("Your account has no access to the operations console.")
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("admin:index", current_app=self.name)
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: target})}")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if self.has_permission(request) and not self._is_logout(request):
                gate = mfa.console_gate(request)
                if gate is not None:
                    return gate
                refusal = self.page_refusal(request)
                if refusal:
                    raise PermissionDenied(refusal)
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, view)

    def _is_logout(self, request) -> bool:
        return request.path == reverse("admin:logout", current_app=self.name)

    def page_refusal(self, request) -> str | None:
        """Why this user may not open this console page, or None. Model pages are Django's to guard."""
        match = request.resolver_match
        url_name = match.url_name if match else None
        if url_name is None or url_name in SITE_URL_NAMES or url_name in self.model_url_names():
            return None
        act = act_for_console_page(url_name)
        if act is None:
            if request.user.is_superuser:
                return None
            return "This console page declares no permission in the permission table."
        if not may_perform(request.user, act):
            return f"You may not open this page: it needs the “{act.permission}” permission."
        return None

    def model_url_names(self) -> frozenset[str]:
        names = getattr(self, "_model_url_names", None)
        if names is None:
            names = frozenset(
                f"{model._meta.app_label}_{model._meta.model_name}_{suffix}"
                for model in self._registry
                for suffix in MODEL_URL_SUFFIXES
            )
            self._model_url_names = names
        return names
