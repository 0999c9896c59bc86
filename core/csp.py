"""The Content-Security-Policy header on every response.

No page needs JavaScript of its own and none may carry inline script or inline style: scripts and
stylesheets come from the site's static files only (the admin's too), so an injected `<script>` or
`style` attribute does nothing. Images may also come from https addresses, because staff's Markdown
(activity descriptions, newsletters) may show pictures hosted elsewhere, and from data: URIs, which
is how allauth draws the authenticator's QR code every staff member scans. Django 5.2 has no CSP of
its own; one header needs no package.

A view that needs another policy sets the header itself (the newsletter preview, a mail shown in a
frame of the back office); this middleware leaves such a header alone.
"""

from django.http import HttpRequest
from django.http import HttpResponse

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",  # as X-Frame-Options: DENY, which browsers skip when this is set
    ]
)

# A mail as members receive it: inline styles (css-inline puts them there), remote images, no
# script, shown only in a frame of the site itself.
EMAIL_PREVIEW_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src https: data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
