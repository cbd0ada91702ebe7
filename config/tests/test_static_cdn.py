"""The static-files CDN path: STATIC_URL may name a CDN origin that pulls from the site's /static/.
Pages link the CDN, the CSP allows exactly that origin, and the origin serves hashed names with far-future
immutable caching (and CORS, for fonts fetched cross-origin)."""

import copy
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings

from .fresh_process import django_json

CDN = "https://cdn.lyceum.example"
CDN_STATIC_URL = f"{CDN}/static/"
BASE_DIR = django_settings.BASE_DIR
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def settings_under(environment: dict[str, str]) -> dict:
    """STATIC_URL, the CSP and the storages as a fresh process builds them from this environment."""
    return django_json(
        "{'STATIC_URL': settings.STATIC_URL, 'csp': settings.CONTENT_SECURITY_POLICY['DIRECTIVES'],"
        " 'storages': settings.STORAGES}",
        environment,
    )


def test_the_csp_follows_static_url():
    default = settings_under({})
    assert default["STATIC_URL"] == "/static/"
    for directive in ("script-src", "style-src", "font-src"):
        assert default["csp"][directive] == ["'self'"]

    cdn = settings_under({"STATIC_URL": CDN_STATIC_URL})
    assert cdn["STATIC_URL"] == CDN_STATIC_URL
    for directive in ("script-src", "style-src", "font-src"):
        assert cdn["csp"][directive] == ["'self'", CDN], directive
    assert cdn["csp"]["img-src"] == ["'self'", "data:", CDN]
    # Only the origin is allowed, not every host: the rest of the policy is unchanged.
    assert cdn["csp"]["default-src"] == ["'self'"] and cdn["csp"]["connect-src"] == ["'self'"]
    assert settings_under({"STATIC_URL": f"{CDN}/static"})["STATIC_URL"] == CDN_STATIC_URL


def test_the_uploads_bucket_is_an_image_source_when_configured():
    bucket = settings_under(
        {"AWS_STORAGE_BUCKET_NAME": "lyceum-media", "AWS_S3_ENDPOINT_URL": "https://objects.example:9000"}
    )
    assert bucket["storages"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert bucket["csp"]["img-src"] == [
        "'self'",
        "data:",
        "https://objects.example:9000",
        "https://lyceum-media.objects.example:9000",
    ]
    assert bucket["csp"]["script-src"] == ["'self'"]
    domain = settings_under({"AWS_STORAGE_BUCKET_NAME": "lyceum-media", "AWS_S3_CUSTOM_DOMAIN": "media.example"})
    assert domain["csp"]["img-src"] == ["'self'", "data:", "https://media.example"]
    aws = settings_under({"AWS_STORAGE_BUCKET_NAME": "lyceum-media", "AWS_S3_REGION_NAME": "eu-west-1"})
    assert aws["csp"]["img-src"][2:] == [
        "https://lyceum-media.s3.amazonaws.com",
        "https://lyceum-media.s3.eu-west-1.amazonaws.com",
    ]


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic as the image build (deploy/Dockerfile) runs it: base settings and no other variable (no
    secret exists at build time), hashed and compressed names, a manifest."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.base", "STATIC_ROOT": str(root)}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    storages["staticfiles"] = {"BACKEND": MANIFEST_STORAGE}
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    return root, storages, manifest


@pytest.fixture
def cdn_site(collected, settings):
    root, storages, manifest = collected
    csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    csp["DIRECTIVES"] = {**csp["DIRECTIVES"], **settings_under({"STATIC_URL": CDN_STATIC_URL})["csp"]}
    with override_settings(
        STATIC_ROOT=str(root), STATIC_URL=CDN_STATIC_URL, STORAGES=storages, CONTENT_SECURITY_POLICY=csp
    ):
        yield Client(), manifest  # a new client builds its middleware (WhiteNoise) under these settings


@pytest.mark.django_db
def test_pages_link_hashed_files_on_the_cdn_and_the_csp_allows_it(cdn_site):
    client, manifest = cdn_site
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    hashed_css = manifest["css/lyceum.css"]
    assert re.fullmatch(r"css/lyceum\.[0-9a-f]{12}\.css", hashed_css)
    assert f'href="{CDN_STATIC_URL}{hashed_css}"' in html
    assert 'href="/static/' not in html
    policy = response["Content-Security-Policy"]
    assert f"style-src 'self' {CDN}" in policy and f"script-src 'self' {CDN}" in policy


def test_the_origin_serves_hashed_names_immutable_for_the_cdn_to_pull(cdn_site):
    client, manifest = cdn_site
    hashed = client.get(f"/static/{manifest['css/lyceum.css']}", HTTP_ACCEPT_ENCODING="gzip")
    assert hashed.status_code == 200
    cache_control = hashed["Cache-Control"]
    assert "immutable" in cache_control and "public" in cache_control
    assert int(re.search(r"max-age=(\d+)", cache_control).group(1)) >= 365 * 24 * 3600
    assert hashed["Access-Control-Allow-Origin"] == "*"
    assert hashed["Content-Encoding"] == "gzip" and "Accept-Encoding" in hashed["Vary"]

    # An unhashed name may change with the next release: it must not be cached for long.
    plain = client.get("/static/css/lyceum.css")
    assert plain.status_code == 200
    assert "immutable" not in plain["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", plain["Cache-Control"]).group(1)) <= 3600
