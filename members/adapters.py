from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext

from core.mail import render_email
from core.mail import send_later
from core.models import OutgoingMail
from core.zones import zone_for_participant
from members.models import Participant
from members.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Our policy on top of allauth: signup is closed, and mail goes out through a worker."""

    def is_open_for_signup(self, request) -> bool:
        # Nobody signs up without a valid invitation; the invitation flow opens signup for the
        # invited person only (invitations app).
        return False

    def get_login_redirect_url(self, request) -> str:
        # Staff work in the back office; /me/ is a member's page and would only tell them their
        # account is "not linked to a former participant". A `next` URL still wins (allauth).
        if request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def render_mail(self, template_prefix, email, context, headers=None):
        # allauth renders every part with HTML autoescaping; our one mail builder renders the
        # subject and the text part as plain text, for allauth's mails as for ours. allauth renders
        # in the active language, which the worker sets to the recipient's.
        message = render_email(
            template_prefix,
            context,
            to=[email] if isinstance(email, str) else list(email),
            language=translation.get_language(),
            headers=headers,
        )
        message.subject = self.format_email_subject(message.subject)
        return message

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        # allauth's security notices (address changed, password changed) do not name the user in
        # their context, and "your address was changed" goes to the old address, which no longer
        # finds them: name them, so that the notice is in their language whoever's page sent it.
        context = {**(context or {}), "user": user}
        return super().send_notification_mail(template_prefix, user, context, email)

    def send_mail(self, template_prefix, email, context):
        # The mail is recorded and rendered later by a worker (`build_account_mail`), so only what
        # can be stored goes along: rows (the user) by id, plain values (links, codes, times).
        # The request does not outlive this one; the site is named again when the mail is built.
        stored = {key: value for key, value in context.items() if key != "request"}
        participant = participant_for_account_mail(email, context.get("user"))
        send_later(
            template=template_prefix,
            context=stored,
            to=email,
            participant_id=participant.pk if participant else None,
            # The member's own language; before we know who it is, the page's.
            language=participant.preferred_language if participant else translation.get_language(),
        )


def participant_for_account_mail(email: str, user) -> Participant | None:
    """The member an account mail is for: the user allauth names, else the account that logs in
    with the address. An address nobody logs in with (an "unknown account" mail) is nobody's."""
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
    if user is None or user.pk is None:
        return None
    return Participant.objects.filter(user_id=user.pk).first()


def build_account_mail(mail: OutgoingMail, context: dict):
    """allauth's mails, rendered by the worker through the adapter (our builder, its subject)."""
    # allauth's own send_mail adds `email` and `current_site`, which its templates use ("Hello
    # from <site name>"). The site is named from SITE_URL, so each environment names itself.
    current_site = SimpleNamespace(
        name=gettext("Norec Network"), domain=urlsplit(settings.SITE_URL).netloc
    )
    context = {
        "email": mail.email,
        "current_site": current_site,
        # Security notices (address changed) say whom to tell when it was not the member.
        "adviser_email": settings.NETWORK_ADVISER_EMAIL,
        **context,
    }
    # In the member's language (the worker's, set from the row) and time zone: "your address
    # was changed on 2 mars 2026 à 14:30 EAT" is their own clock.
    participant = mail.participant
    zone = (
        zone_for_participant(time_zone=participant.time_zone, home_country=participant.home_country)
        if participant is not None
        else settings.TIME_ZONE
    )
    with timezone.override(zone):
        return get_adapter().render_mail(mail.template, mail.email, context)
