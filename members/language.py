"""Which language a page is shown in, and the footer's language switcher (issue 12).

The order, for every request:

1. A logged-in member: their profile's language (`Participant.preferred_language`), whatever the
   browser asks for. It is "their" language: their mails follow it too.
2. Anyone else (and a login without a roster row, such as most staff accounts): the switcher's
   choice (Django's language cookie), else the browser's `Accept-Language`, else English. Django's
   `LocaleMiddleware` does this part, before the user is known.
3. The admin (/admin/, the back office included): English, unless the language cookie chose
   another language. Neither the browser's `Accept-Language` nor a profile's language reaches it:
   staff share screens, instructions and Django's own admin words in English, and a staff member
   who is also a member keeps the back office they know when their profile says Portuguese for
   their mails. A staff member who wants the admin in French chooses Français with the switcher
   (on any page, before or after logging in), which sets the cookie; choosing English sets it back.

`MemberLanguageMiddleware` applies rules 1 and 3; it stands right after `AuthenticationMiddleware`
(it needs the user) and after `LocaleMiddleware` (whose choice it replaces). Pages that follow a
language of their own (an invitation's page, in the invitee's language) activate it themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from members.models import Participant
from members.services import participant_set_language

# The language chosen with a switcher in this browser session, kept when the visitor already has a
# session (an invitation link opened): the invitation's pages let it win over the invitation's own
# language, so the footer's switcher and the page's own links agree.
CHOSEN_LANGUAGE_SESSION_KEY = "members:chosen-language"


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def supported_language(value: str | None) -> str | None:
    """The portal's code for `value` ("pt-br" gives "pt"), or None if the portal does not offer
    it."""
    if not value:
        return None
    try:
        code = translation.get_supported_language_variant(str(value).lower())
    except LookupError:
        return None
    return code if code in language_codes() else None


def languages_in_own_names() -> list[tuple[str, str]]:
    """Each language the portal offers, named in itself (English, Français, Español,
    Português): a visitor finds their own language whatever the page is shown in."""
    return [
        (code, translation.get_language_info(code)["name_local"].capitalize())
        for code in language_codes()
    ]


def _member(request) -> Participant | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # The reverse accessor caches the row (or its absence) on the user, for the view too.
    return getattr(user, "participant", None)


def _is_admin(request) -> bool:
    return request.path_info.startswith(reverse("admin:index"))


def page_language(request) -> str | None:
    """The language rules 1 and 3 above give this request, or None to keep LocaleMiddleware's."""
    if _is_admin(request):
        chosen = supported_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        return chosen or settings.LANGUAGE_CODE
    member = _member(request)
    if member is not None:
        return supported_language(member.preferred_language)
    return None


class MemberLanguageMiddleware:
    """A logged-in member's pages in their profile's language; the admin in English unless the
    switcher chose another (see the module's docstring for the whole order)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = page_language(request)
        if language and language != translation.get_language():
            translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        # LocaleMiddleware's response step names the active language in Content-Language.
        return self.get_response(request)


@require_POST
def language_switch_view(request):
    """The footer's switcher (a button per language, no JavaScript): Django's `set_language`
    sets the language cookie and goes back to the page; a logged-in member's choice is also
    saved as their profile's language, which their mails follow."""
    language = supported_language(request.POST.get("language"))
    if language is None:
        # Django's view would keep any language it has a catalogue for ("de") in the cookie.
        return redirect(_safe_next(request))
    member = _member(request)
    if member is not None:
        participant_set_language(participant=member, language=language)
        with translation.override(language):
            messages.success(
                request,
                gettext(
                    "Your language is saved. The portal and Norec's emails to you are now in "
                    "this language."
                ),
            )
    if not request.session.is_empty():
        request.session[CHOSEN_LANGUAGE_SESSION_KEY] = language
    return set_language(request)


def _safe_next(request) -> str:
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return "/"
