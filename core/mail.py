"""The one email builder and the transactional send path.

Templates follow allauth's naming: `<prefix>_subject.txt`, `<prefix>_message.txt` and, optionally,
`<prefix>_message.html`, rendered in the recipient's language. The subject and the text part are
plain text: they are rendered without HTML autoescaping (a first name "N'Dri" stays "N'Dri", not
"N&#x27;Dri"); only the HTML part is escaped. Every message is sent by a worker: `send_later`
serialises the built message and enqueues it once the surrounding transaction commits.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.template.loader import render_to_string
from django.utils import translation

from core.tasks import message_to_payload
from core.tasks import send_email


def render_text(template_name: str, context: dict) -> str:
    """Render a template as plain text: a subject or a text part is not HTML, so nothing in it is
    escaped. The whole template, and whatever it includes, renders with autoescape off."""
    # The backend's template wraps Django's own; only the latter takes a Context, which is where
    # autoescaping is switched (there is no per-call switch on `render_to_string`).
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_email(
    template_prefix: str,
    context: dict,
    *,
    to: list[str],
    language: str | None = None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    headers: dict | None = None,
) -> EmailMultiAlternatives:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_text(f"{template_prefix}_subject.txt", context)
        # A subject is one line; templates may end with a newline.
        subject = " ".join(subject.split())
        body = render_text(f"{template_prefix}_message.txt", context)
        try:
            html = render_to_string(f"{template_prefix}_message.html", context)
        except TemplateDoesNotExist:
            html = None
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
        headers=headers or {},
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send_later(message: EmailMultiAlternatives) -> None:
    """Hand a transactional message to a worker once the current transaction commits."""
    send_email.delay_on_commit(message_to_payload(message))
