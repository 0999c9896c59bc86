"""The participant's pages: the invitation link (accept or decline) and the request form.

Opening a link (GET) never changes anything, because mail security scanners follow links: only
the person's own form submission (POST) accepts or declines.

The link in the mail carries the secret token. As Django's password reset does, its first GET
puts the token in the session and redirects to a URL without it (`accept_form`, `decline_form`),
so the token stays out of access logs, browser history and Referer headers; those pages and
their forms read the token from the session.

The invitation's pages speak the invitee's language (their `preferred_language`: the roster's, or
guessed from their home country), whatever the browser asks for, with a link to each other
language (`?language=fr`, kept in the session, so the token keeps working). The language the
page is in when they accept becomes the new member's language.
"""

from __future__ import annotations

from allauth.account.utils import complete_signup
from django.conf import settings
from django.contrib import messages
from django.db.models import F
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_safe

from core.ratelimit import RateLimit
from core.ratelimit import client_ip
from invitations.accept import InvitationProblem
from invitations.accept import invitation_accept
from invitations.accept import invitation_decline
from invitations.accept import invitation_problem
from invitations.forms import InvitationAcceptForm
from invitations.forms import InvitationRequestForm
from invitations.requests import invitation_request_create
from invitations.services import InvitationRefused
from invitations.tokens import invitation_for_token
from members.language import CHOSEN_LANGUAGE_SESSION_KEY
from members.language import languages_in_own_names
from members.language import supported_language

# Guessing tokens: the tokens cannot be guessed (160 bits), but a client that keeps trying
# unknown ones is stopped anyway. Only wrong tokens count, so that a real link always works,
# whoever else shares the client's address. Real people open one or two links.
TOKEN_FAILURES_PER_CLIENT = RateLimit(scope="invitations:token-failure", amount=20, period=3600)
# The public request form: a person sends one, perhaps two; robots send many. Every request it
# would record counts, not only failures (a form with errors, or a robot caught by the honeypot,
# records and mails nothing, so it is not counted).
REQUESTS_PER_CLIENT = RateLimit(scope="invitations:request-client", amount=5, period=3600)
REQUESTS_PER_ADDRESS = RateLimit(scope="invitations:request-address", amount=3, period=86400)

# The token of the invitation link last opened in this browser (accept and decline share it).
SESSION_TOKEN_KEY = "invitations:token"

# Why the token-free pages found no invitation in the session: cookies refused, the session
# expired, or the person logged out.
NO_LINK_IN_SESSION = "no_link"


def _link_problem_page(request, problem: str, *, status: int, invitation=None):
    context = {"problem": problem, "adviser_email": settings.NETWORK_ADVISER_EMAIL}
    if invitation is None:
        return render(request, "invitations/invitation_problem.html", context, status=status)
    return _in_invitation_language(
        request,
        invitation,
        lambda: render(request, "invitations/invitation_problem.html", context, status=status),
    )


# --- the invitation's language -------------------------------------------------------------------


def _invitation_language(request, invitation) -> str:
    """The language of the invitation's pages: the one chosen on them (their links, or the
    footer's switcher) since the link was opened, else the invitee's own."""
    return (
        supported_language(request.session.get(CHOSEN_LANGUAGE_SESSION_KEY))
        or supported_language(invitation.participant.preferred_language)
        or settings.LANGUAGE_CODE
    )


def _in_invitation_language(request, invitation, respond):
    """The response `respond()` builds, written in the invitation's language. The language
    cookie follows, so the pages the invitee opens from here (the privacy notice, the login
    page) read the same until they log in and their profile's language takes over."""
    language = _invitation_language(request, invitation)
    with translation.override(language):
        response = respond()
    response.headers["Content-Language"] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _language_switch(request):
    """A language link of the invitation's pages (`?language=fr`): remember the choice and show
    the same page again, in that language and without the parameter. None when not asked."""
    language = supported_language(request.GET.get("language"))
    if language is None or request.method not in ("GET", "HEAD"):
        return None
    request.session[CHOSEN_LANGUAGE_SESSION_KEY] = language
    return redirect(request.path)


def _open_link(request, token: str, *, then: str):
    invitation = invitation_for_token(token)
    if invitation is None:
        if TOKEN_FAILURES_PER_CLIENT.hit(client_ip(request)):
            return _link_problem_page(request, "rate_limited", status=429)
        return _link_problem_page(request, InvitationProblem.UNKNOWN, status=404)
    # Whatever the invitation's state: the next page explains it, without the token in its URL,
    # in the language of this invitation (not one chosen on another's page).
    request.session[SESSION_TOKEN_KEY] = token
    request.session.pop(CHOSEN_LANGUAGE_SESSION_KEY, None)
    return redirect(then)


def _invitation_from_session(request):
    """(invitation or None, problem page or None) for the link opened in this browser."""
    token = request.session.get(SESSION_TOKEN_KEY)
    if not token:
        return None, _link_problem_page(request, NO_LINK_IN_SESSION, status=400)
    invitation = invitation_for_token(token)
    if invitation is None:
        # Revoked since it was opened: the nonce, hence every link to it, changed.
        return None, _link_problem_page(request, InvitationProblem.UNKNOWN, status=404)
    return invitation, None


def _used_link_response(request, invitation):
    if request.user.is_authenticated and invitation.participant.user_id == request.user.pk:
        messages.info(request, _("You are already registered. Welcome back."))
        return redirect("members:home")

    def to_login():
        messages.info(
            request,
            _(
                "This invitation has already been used to create an account. Log in with your "
                "email address and password. If you forgot the password, you can set a new one."
            ),
        )
        return redirect("account_login")

    return _in_invitation_language(request, invitation, to_login)


PROBLEM_STATUS = {
    InvitationProblem.UNKNOWN: 404,
    InvitationProblem.EXPIRED: 410,
    InvitationProblem.REVOKED: 410,
    InvitationProblem.ADDRESS_TAKEN: 409,
}


# POST too: a page opened before links moved the token to the session posts to the link itself;
# the person lands on the form again instead of an error.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept_link_view(request, token: str):
    return _open_link(request, token, then="invitations:accept_form")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_decline_link_view(request, token: str):
    return _open_link(request, token, then="invitations:decline_form")


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept_view(request):
    invitation, problem_page = _invitation_from_session(request)
    if problem_page:
        return problem_page
    switched = _language_switch(request)
    if switched:
        return switched
    problem = invitation_problem(invitation=invitation)
    if problem == InvitationProblem.USED:
        return _used_link_response(request, invitation)
    if problem:
        return _link_problem_page(
            request, problem, status=PROBLEM_STATUS[problem], invitation=invitation
        )
    participant = invitation.participant
    if request.user.is_authenticated:
        # Never attach someone's roster row to the account that happens to be logged in here.
        return render(
            request,
            "invitations/invitation_accept_signed_in.html",
            {"invitation": invitation},
            status=403,
        )
    return _in_invitation_language(
        request, invitation, lambda: _accept_page(request, invitation, participant)
    )


def _accept_page(request, invitation, participant):
    form = InvitationAcceptForm(
        request.POST if request.method == "POST" else None,
        email=invitation.email,
        first_name=participant.first_name,
        last_name=participant.last_name,
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                # The language the page is in: theirs, or the one they switched to.
                language=translation.get_language(),
            )
        except InvitationRefused as error:
            if error.code == InvitationProblem.USED:
                return _used_link_response(request, invitation)
            return _link_problem_page(
                request, error.code, status=PROBLEM_STATUS.get(error.code, 410)
            )
        request.session.pop(SESSION_TOKEN_KEY, None)
        request.session.pop(CHOSEN_LANGUAGE_SESSION_KEY, None)
        messages.success(
            request,
            _("Welcome to Norec Network! Your account is ready. Please complete your profile."),
        )
        # allauth finishes the signup: the user_signed_up signal, the login and its records.
        return complete_signup(
            request, user, email_verification=None, success_url=reverse("members:profile_edit")
        )
    # The latest exchange with a year (PostgreSQL sorts missing years first otherwise).
    exchange = participant.exchanges.order_by(F("year").desc(nulls_last=True), "-pk").first()
    return render(
        request,
        "invitations/invitation_accept.html",
        {
            "invitation": invitation,
            "participant": participant,
            "exchange": exchange,
            "form": form,
            "invitation_languages": languages_in_own_names(),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_decline_view(request):
    invitation, problem_page = _invitation_from_session(request)
    if problem_page:
        return problem_page
    switched = _language_switch(request)
    if switched:
        return switched
    # A decline is honoured even from an expired or revoked link: the wish still holds.
    if invitation_problem(invitation=invitation) == InvitationProblem.USED:
        return _used_link_response(request, invitation)
    if request.method == "POST":
        invitation_decline(invitation=invitation)
        return _in_invitation_language(
            request,
            invitation,
            lambda: render(request, "invitations/invitation_decline_done.html"),
        )
    return _in_invitation_language(
        request,
        invitation,
        lambda: render(
            request,
            "invitations/invitation_decline.html",
            {
                "invitation": invitation,
                "participant": invitation.participant,
                "invitation_languages": languages_in_own_names(),
            },
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_request_create_view(request):
    form = InvitationRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if form.is_spam:
            # Answer a robot as if it had succeeded, so that it learns nothing.
            return redirect("invitations:request_done")
        data = form.cleaned_data
        if REQUESTS_PER_CLIENT.hit(client_ip(request)) or REQUESTS_PER_ADDRESS.hit(data["email"]):
            form.add_error(
                None,
                _(
                    "We have already received several requests from you. Please wait a few hours "
                    "and try again, or write to %(email)s."
                )
                % {"email": settings.NETWORK_ADVISER_EMAIL},
            )
            status = 429
        else:
            invitation_request_create(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                home_country=data["home_country"],
                exchange_year=data["exchange_year"],
                partner_organisation=data["partner_organisation"],
                message=data["message"],
                language=get_language(),
            )
            return redirect("invitations:request_done")
    return render(
        request, "invitations/invitationrequest_create.html", {"form": form}, status=status
    )


@require_safe
def invitation_request_done_view(request):
    return render(
        request,
        "invitations/invitationrequest_done.html",
        {"adviser_email": settings.NETWORK_ADVISER_EMAIL},
    )
