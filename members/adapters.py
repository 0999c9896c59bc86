from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core.mail import render_email
from core.mail import send_later


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
        # in the active language (the member's request), so that is the one passed on.
        message = render_email(
            template_prefix,
            context,
            to=[email] if isinstance(email, str) else list(email),
            language=translation.get_language(),
            headers=headers,
        )
        message.subject = self.format_email_subject(message.subject)
        return message

    def send_mail(self, template_prefix, email, context):
        # allauth's own send_mail adds `email` and `current_site`, which its templates use ("Hello
        # from <site name>"). The site is named from SITE_URL, so each environment names itself.
        current_site = SimpleNamespace(
            name=gettext("Norec Network"), domain=urlsplit(settings.SITE_URL).netloc
        )
        context = {
            "email": email,
            "current_site": current_site,
            # Security notices (address changed) say whom to tell when it was not the member.
            "adviser_email": settings.NETWORK_ADVISER_EMAIL,
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        send_later(message)
