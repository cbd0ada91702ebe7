from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from billing import views as billing_views
from operations import views as operations_views

from . import health
from .security_txt import security_txt

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("subscriptions.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("licensing.api.urls")),
    path("", include("rewards.api.urls")),
    path("", include("support.api.urls")),
]


class FaviconView(RedirectView):
    """For browsers that ask for /favicon.ico (Django admin, API JSON). A temporary redirect: the target's
    hashed name changes with the icon. Resolved per request: the static manifest may not exist at import."""

    def get_redirect_url(self, *args, **kwargs):
        return static_url("img/favicon.svg")


urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(".well-known/security.txt", security_txt, name="security_txt"),
    # Served by operations.middleware before host checks; listed here so every page is in the URLconf.
    path("metrics", operations_views.metrics, name="metrics"),
    # Browsers ask for /favicon.ico on pages without an icon link (Django admin, API JSON).
    path("favicon.ico", FaviconView.as_view()),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("billing/", include("billing.urls")),
    path("", include("subscriptions.urls")),
    path("", include("marketplace.urls")),
    path("", include("licensing.urls")),
    path("", include("rewards.urls")),
    path("", include("support.urls")),
    path("stripe/webhook/<uuid:endpoint_uuid>/", billing_views.stripe_webhook, name="stripe_webhook"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
