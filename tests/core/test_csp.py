"""The Content-Security-Policy: on every response, strict (no inline script or style), and no
template of ours that the policy would break. tests/browser/test_content_security_policy.py shows
Chromium applying it to the pages without a single violation."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_every_page_carries_a_strict_policy(client, admin_client):
    for response in (
        client.get(reverse("home")),
        client.get("/no-such-page/"),
        client.get(reverse("account_login")),
        admin_client.get(reverse("admin:index")),
    ):
        policy = directives(response)
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'"
        assert policy["style-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert "unsafe" not in response["Content-Security-Policy"]


def test_the_newsletter_preview_frame_has_its_own_policy(admin_client):
    # The mail, as members get it, has inline styles; it is framed by the send page.
    newsletter = NewsletterFactory()

    response = admin_client.get(
        reverse("admin:newsletters_newsletter_preview_html", args=[newsletter.pk])
    )

    policy = directives(response)
    assert policy["default-src"] == "'none'"  # so no script at all
    assert policy["style-src"] == "'unsafe-inline'"
    assert policy["frame-ancestors"] == "'self'"
    assert "script-src" not in policy


def site_templates():
    """Every template a browser renders as a page: not the mails (css-inline gives them inline
    styles, which mail apps need)."""
    root = Path(settings.BASE_DIR) / "templates"
    for path in sorted(root.rglob("*.html")):
        parts = path.relative_to(root).parts
        if "email" in parts or "emails" in parts:
            continue
        yield path


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)


def test_no_template_holds_inline_script_or_style():
    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)!r}"
        for path in site_templates()
        for pattern in (INLINE_SCRIPT, INLINE_STYLE)
        for match in pattern.finditer(path.read_text())
    ]

    assert offenders == []


def test_the_template_check_would_notice_inline_script_and_style():
    assert INLINE_SCRIPT.search('<script>alert("x")</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/x.js"></script>')
    assert INLINE_STYLE.search('<table style="width:100%">')
    assert INLINE_STYLE.search("<style>.a{}</style>")
    assert INLINE_STYLE.search('<button onclick="go()">')
