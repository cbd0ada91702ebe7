"""The vendored ALTCHA stylesheet must stay the one the widget would inject, or the CSP blocks it."""

import re
from pathlib import Path

import django_altcha

from config.settings.base import BASE_DIR, CONTENT_SECURITY_POLICY

WIDGET_JS = Path(django_altcha.__file__).parent / "static" / "altcha" / "altcha.min.js"
VENDORED_CSS = BASE_DIR / "static" / "vendor" / "altcha" / "altcha.css"


def test_vendored_altcha_css_matches_the_widget():
    source = WIDGET_JS.read_text()
    # The bundle keeps its CSS in one string literal handed to the function that injects <style id="__altcha-css">.
    match = re.search(r"const (\w+)='(@keyframes overlay-slidein[^']*)';function \w+\(e,t=\"__altcha-css\"\)", source)
    assert match, "altcha.min.js changed shape: re-extract its CSS into static/vendor/altcha/altcha.css"
    assert VENDORED_CSS.read_text() == match.group(2), "static/vendor/altcha/altcha.css is stale: copy the new CSS"


def test_csp_has_no_unsafe_inline():
    for directive, sources in CONTENT_SECURITY_POLICY["DIRECTIVES"].items():
        assert "'unsafe-inline'" not in sources, directive
        assert "'unsafe-eval'" not in sources, directive
