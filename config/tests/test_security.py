"""Security headers, a strict CSP, secure cookies, and pages that need no inline script or style."""

import re

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, VerifiedUserFactory, solved_captcha

pytestmark = pytest.mark.django_db

PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
SIGNED_IN_PAGES = ["/accounts/profile/", "/accounts/delete/", "/accounts/password/change/", "/accounts/email/"]


@pytest.fixture
def production_like(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    return settings


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/me/", "/api/docs/", "/healthz"])
def test_security_headers_in_production(client, production_like, path):
    response = client.get(path, secure=True)
    assert response.status_code in (200, 401), response.status_code
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy
    assert response["X-Request-ID"]


@pytest.mark.parametrize("path", [*PAGES, "/api/docs/"])
def test_csp_is_strict(client, path):
    response = client.get(path)
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    for directive, sources in directives.items():
        for source in sources:
            assert source != "*", directive
            assert not source.startswith(("https:", "http:")) or directive == "form-action", (directive, source)


def test_plain_http_is_redirected_to_https_except_probes(client, production_like):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200
    # Behind the load balancer, the forwarded scheme counts.
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_cookies_are_secure_in_production(client, production_like):
    response = client.get("/accounts/login/", secure=True)
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"]
    assert csrf["samesite"] == "Lax"
    user = VerifiedUserFactory()
    signed_in = client.post(
        "/accounts/login/",
        {"login": user.email, "password": DEFAULT_PASSWORD, "captcha": solved_captcha()},
        secure=True,
    )
    assert signed_in.status_code == 302
    cookie = signed_in.cookies["sessionid"]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# A <script type="application/json"> is data, not code; anything else needs a src.
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=\"", re.IGNORECASE)
EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//(?!testserver)""", re.IGNORECASE)


def assert_no_inline_code(html: str, path: str):
    assert not INLINE_SCRIPT.findall(html), (path, INLINE_SCRIPT.findall(html))
    assert not INLINE_STYLE.findall(html), (path, INLINE_STYLE.findall(html))
    assert not INLINE_HANDLER.findall(html), (path, INLINE_HANDLER.findall(html))
    assert not EXTERNAL.findall(html), path


@pytest.mark.parametrize("path", [*PAGES, "/api/docs/"])
def test_pages_have_no_inline_script_style_or_cdn(client, path):
    response = client.get(path)
    assert_no_inline_code(response.content.decode(), path)


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_have_no_inline_script_style_or_cdn(client, path):
    client.force_login(VerifiedUserFactory())
    response = client.get(path)
    assert response.status_code == 200
    assert_no_inline_code(response.content.decode(), path)
