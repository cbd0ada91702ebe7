"""Markdown written by instructors and learners, rendered to HTML that is safe to show anyone."""

import html

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> SafeString:
    html = md.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has removed everything not explicitly allowed


MAX_PLAIN_TEXT_PASSES = 10


def plain_text(text: str) -> str:
    """Text with every tag removed (reviews, replies); templates escape it again when showing it.

    Unescaping can turn entity-encoded markup ("&lt;script&gt;") into tags, so the cleaning repeats until
    the text no longer changes. Each pass unwraps one level of encoding; text still changing after
    MAX_PLAIN_TEXT_PASSES is deliberately nested encoding, and is returned without its last unescape, so
    no tag can come back."""
    cleaned = text or ""
    for _ in range(MAX_PLAIN_TEXT_PASSES):
        stripped = nh3.clean(cleaned, tags=set())
        again = html.unescape(stripped)
        if again == cleaned:
            break
        cleaned = again
    else:
        cleaned = stripped
    return cleaned.strip()
