from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_safe

from core.ratelimit import RateLimit
from core.ratelimit import client_ip
from members.forms import NEWSLETTER_LABEL
from newsletters import selectors
from newsletters import services
from newsletters.models import Newsletter
from newsletters.rendering import IssueRenderer
from newsletters.rendering import participant_pk_from_token

ARCHIVE_PAGE_SIZE = 12
# Wrong unsubscribe tokens from one client: past this many, answer 429 (guessing). Only wrong
# tokens count: mailbox providers send every member's one-click POST from a few addresses, and a
# valid one must always work.
BAD_TOKENS_PER_CLIENT = RateLimit(scope="newsletters:unsubscribe-failure", amount=20, period=600)


def _reader_language(request) -> str:
    """The member's own language (their profile's), else the language of the page."""
    return (
        selectors.reader_language(user=request.user)
        or translation.get_language()
        or settings.LANGUAGE_CODE
    )


@login_required
@require_safe
def newsletter_archive_view(request):
    issues = selectors.newsletter_archive_list(language=_reader_language(request))
    page = Paginator(issues, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "newsletters/newsletter_archive.html", {"page": page})


@login_required
@require_safe
def newsletter_detail_view(request, pk: int, language: str | None = None):
    """An issue in the member's language where it has a variant in it, else in English; `language`
    (the links to the other languages) shows that edition."""
    try:
        newsletter = selectors.newsletter_archive_get(pk=pk)
    except Newsletter.DoesNotExist:
        raise Http404 from None
    renderer = IssueRenderer(newsletter)
    if language is None:
        edition = renderer.edition_for(_reader_language(request))
    elif language in renderer.editions:
        edition = renderer.editions[language]
    else:  # a language the issue is not written in (or no longer): the member's edition
        return redirect("newsletters:detail", pk=pk)
    others = [
        {
            "code": code,
            # Each language in its own name, as the language switcher lists them.
            "name": capfirst(translation.get_language_info(code)["name_local"]),
            "url": reverse("newsletters:detail_language", args=[pk, code]),
        }
        for code in renderer.languages
        if code != edition.language
    ]
    return render(
        request,
        "newsletters/newsletter_detail.html",
        {
            "newsletter": newsletter,
            "edition": edition,
            "body_html": edition.body_html,
            "renderer": renderer,
            "other_languages": others,
        },
    )


# CSRF exemption, on this view only: RFC 8058's one-click unsubscribe is a POST that the mail app
# (Gmail, Apple Mail, ...) sends from its own servers with the body "List-Unsubscribe=One-Click",
# without cookies or a CSRF token, and it must work without a login. The capability is the
# unguessable HMAC token in the URL, and the only thing a POST can do is unsubscribe its owner, so
# a forged cross-site POST gains nothing that the token's holder could not do anyway.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def newsletter_unsubscribe_view(request, token: str):
    participant_pk = participant_pk_from_token(token)
    if participant_pk is None:
        status = 429 if BAD_TOKENS_PER_CLIENT.hit(client_ip(request)) else 404
        return render(request, "newsletters/unsubscribe_invalid.html", status=status)
    # A link used before says so, rather than offering a button that does nothing.
    already = selectors.participant_is_unsubscribed(participant_pk=participant_pk)
    context = {"token": token, "already": already, "newsletter_label": NEWSLETTER_LABEL}
    if request.method != "POST":
        # Mail scanners open every link (GET or HEAD): only a POST unsubscribes.
        template = "unsubscribe_done.html" if already else "unsubscribe_confirm.html"
        return render(request, f"newsletters/{template}", context)
    participant = services.newsletter_unsubscribe(token=token)
    if participant is None:
        return render(request, "newsletters/unsubscribe_invalid.html", status=404)
    return render(
        request, "newsletters/unsubscribe_done.html", {**context, "participant": participant}
    )
