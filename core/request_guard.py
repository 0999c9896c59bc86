"""Refuse requests the site cannot use before anything else reads them.

Two rules, checked in this order on every request, ahead of the session (whose cookie is looked up
in the database) and of CSRF protection (which parses the body):

1. Size. A body larger than the site accepts is refused from its Content-Length, before a byte
   of it is read or spooled to disk: `DATA_UPLOAD_MAX_MEMORY_SIZE` everywhere (text forms, ESP
   webhooks), `ADMIN_REQUEST_MAX_BYTES` in the back office, where staff upload files (the roster,
   activity materials). The proxy in front should refuse the same bodies (README). An app may
   answer an oversized body on its own paths instead (`register_oversize_answer`: community's
   reply by e-mail tells the member their mail was too large rather than leave the ESP to retry
   and give up in silence); it may read only a bounded start of the body.
2. NUL characters. PostgreSQL cannot store or compare a text holding U+0000 and psycopg answers
   with an error, i.e. a 500, wherever such a value reaches a query: an admin list filter, a URL
   argument, a session cookie, a form field read without a Django form. No legitimate request
   holds one, so any in the path, the query string, the cookies or the form fields (names and
   values) is refused here, once for every view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

NUL = "\x00"


@dataclass(frozen=True)
class OversizeAnswer:
    """An app's answer to a body over the limit on its own paths: `answer(request, limit)`
    returns a response, or None to let the guard refuse it as usual."""

    name: str
    matches: Callable[[str], bool]
    answer: Callable[[HttpRequest, int], HttpResponse | None]


_oversize_answers: dict[str, OversizeAnswer] = {}


def register_oversize_answer(answer: OversizeAnswer) -> None:
    _oversize_answers[answer.name] = answer


def _oversize_answer(request: HttpRequest, limit: int) -> HttpResponse | None:
    for candidate in _oversize_answers.values():
        if candidate.matches(request.path_info):
            return candidate.answer(request, limit)
    return None


def body_limit(request: HttpRequest) -> int:
    if request.path_info.startswith(reverse("admin:index")):
        return settings.ADMIN_REQUEST_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads no body without a usable length either


def _has_nul(*texts) -> bool:
    return any(NUL in text for group in texts for text in group)


def _fields(data) -> tuple[list[str], list[str]]:
    """The names and every value of a QueryDict (a field may repeat)."""
    return list(data.keys()), [value for _name, values in data.lists() for value in values]


def holds_nul(request: HttpRequest) -> bool:
    if NUL in request.path_info:
        return True
    if _has_nul(*_fields(request.GET), request.COOKIES.keys(), request.COOKIES.values()):
        return True
    if request.method != "POST":
        return False
    if body_limit(request) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        # Keep the raw body (within Django's in-memory limit here) before the form is parsed: a
        # view that reads both, as anymail's SendGrid inbound webhook does, could not otherwise.
        request.body  # noqa: B018
    # A malformed body raises here as it would in CSRF's check, and Django answers it with a 400.
    # Uploaded files' names need no check: Django drops every unprintable character from them.
    return _has_nul(*_fields(request.POST))


def refusal(request: HttpRequest, *, status: int, title: str, message: str, back: str = ""):
    return render(
        request,
        "request_refused.html",
        {"title": title, "message": message, "back": back},
        status=status,
    )


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A refusal is answered before LocaleMiddleware: in the visitor's language (their cookie,
        # else Accept-Language), never in the one the thread's previous request left active.
        translation.activate(translation.get_language_from_request(request))
        limit = body_limit(request)
        if declared_length(request) > limit:
            answered = _oversize_answer(request, limit)
            if answered is not None:
                return answered
            return refusal(
                request,
                status=413,
                title=_("Too much to send"),
                message=_(
                    "What you sent is larger than this page accepts (at most %(size)s), so "
                    "nothing was saved. If you attached a file, choose a smaller one."
                )
                % {"size": filesizeformat(limit)},
                back=request.path,
            )
        if holds_nul(request):
            return refusal(
                request,
                status=400,
                title=_("This address or form could not be read"),
                message=_(
                    "It contains a character that has no place in a web address or a form "
                    "(a null character), so nothing was done. If you followed a link, it may "
                    "have been garbled on the way: try typing the address again."
                ),
            )
        return self.get_response(request)
