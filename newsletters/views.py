from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
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


@login_required
@require_safe
def newsletter_archive_view(request):
    page = Paginator(selectors.newsletter_archive_list(), ARCHIVE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "newsletters/newsletter_archive.html", {"page": page})


@login_required
@require_safe
def newsletter_detail_view(request, pk: int):
    try:
        newsletter = selectors.newsletter_archive_get(pk=pk)
    except Newsletter.DoesNotExist:
        raise Http404 from None
    renderer = IssueRenderer(newsletter)
    return render(
        request,
        "newsletters/newsletter_detail.html",
        {"newsletter": newsletter, "body_html": renderer.body_html, "renderer": renderer},
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
