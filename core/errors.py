"""The page shown when a form fails Django's CSRF check (settings.CSRF_FAILURE_VIEW).

A member meets it when a form was open too long (the session behind it ended), when they logged
in or out in another tab (which renews the token), or when the browser refused the cookie. Django's
own page blames "CSRF verification" and loses what was typed. This one explains in plain words,
links back to the page the form came from, and shows what was typed so that it can be copied.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

# Field names whose values are never shown back, whatever the form: credentials and one-time codes.
SECRET_NAME_PARTS = ("password", "passwd", "token", "secret", "code", "otp", "key", "csrf")
# Values that carry no typing worth keeping (navigation, button names).
TECHNICAL_NAMES = {"next", "csrfmiddlewaretoken", "action", "language"}
KEPT_FIELDS_MAX = 30
KEPT_VALUE_MAX_CHARS = 5000


def _own_origin(request) -> str | None:
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return None


def _same_site_referer(request) -> str | None:
    """The page the form was on, when it is one of ours (path and query only)."""
    referer = request.META.get("HTTP_REFERER", "")
    own = _own_origin(request)
    if not referer or own is None:
        return None
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={urlsplit(own).netloc}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(referer)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _posted_from_our_pages(request) -> bool:
    """Only a form on our own pages gets its text shown back: a forged cross-site POST must not be
    able to put text of its choosing on a page of ours."""
    own = _own_origin(request)
    origin = request.META.get("HTTP_ORIGIN")
    if origin:
        return origin == own or origin in settings.CSRF_TRUSTED_ORIGINS
    return _same_site_referer(request) is not None


def kept_fields(post) -> list[tuple[str, str]]:
    """(name, text) of what was typed into the form, without secrets or technical fields."""
    kept = []
    for name in post:
        lowered = name.lower()
        if lowered in TECHNICAL_NAMES or lowered.startswith("action_"):
            continue
        if any(part in lowered for part in SECRET_NAME_PARTS):
            continue
        for value in post.getlist(name):
            text = str(value).strip()
            if text and text != "on":  # a ticked checkbox is quicker to tick again than to read
                label = name.replace("_", " ").replace("-", " ").strip().capitalize()
                kept.append((label, text[:KEPT_VALUE_MAX_CHARS]))
        if len(kept) >= KEPT_FIELDS_MAX:
            break
    return kept[:KEPT_FIELDS_MAX]


def csrf_failure_view(request, reason: str = ""):
    from_our_pages = _posted_from_our_pages(request)
    context = {
        "back_url": _same_site_referer(request) or "",
        "kept": kept_fields(request.POST) if from_our_pages else [],
    }
    response = render(request, "403_csrf.html", context, status=403)
    # It may hold what the member typed: no cache keeps a copy.
    add_never_cache_headers(response)
    return response
