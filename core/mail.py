"""The one email builder and the one-off mail path.

Templates follow allauth's naming: `<prefix>_subject.txt`, `<prefix>_message.txt` and, optionally,
`<prefix>_message.html`, rendered in the recipient's language. The subject and the text part are
plain text: they are rendered without HTML autoescaping (a first name "N'Dri" stays "N'Dri", not
"N&#x27;Dri"); only the HTML part is escaped.

How a one-off mail travels (account mails, confirmations, reminders, the contact relay, receipts;
broadcasts to many are streams of the bulk sender, `core.outbound`, instead):

1. `send_later(template=..., context=..., to=...)` writes an `OutgoingMail` row: the recipient, the
   participant when known, the template, the context by primary keys (`dump_context`) and the
   language. Once the transaction commits, it enqueues `send_email(row id)` on the `email` queue,
   which a worker of its own serves: a newsletter on the `bulk` queue never delays it.
2. The task (`core.tasks.send_email`, through `outbound.send_one`) locks the row, leaves if it is
   in flight or done, marks it `sending` and lets the lock go. It renders the mail in the
   recipient's language from the stored context (`build_outgoing`: an app's `MailBuilder` for its
   templates, else `render_email`), stamps it with metadata naming its row
   (`{"stream": "mail", "id": ...}`) and a Message-ID of its own, sends it, and marks the row
   `sent` with the ESP's message id.
3. A refused address is a bounce. Another error puts the row back to `pending`, `failed` after
   three attempts; `core.tasks.outgoing_mail_retry_due` (beat, every minute) enqueues the pending
   rows whose task is late or lost. A row a dead worker left `sending` is given back by the bulk
   sender's sweep, as a bulk row is: never a blind retry that could send a mail twice.
4. The ESP's tracking events come back through the one receiver, `outbound.apply_event`: the
   "mail" stream maps them to the row and its participant, so a bounced reminder or a complained
   contact mail marks the address (while it is still the participant's).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.template import Context
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.template.loader import render_to_string
from django.utils import translation

from core import outbound
from core.models import OutgoingMail
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


# --- the context, by primary keys ---------------------------------------------------------------

_MODEL = "$model"
_DATETIME = "$datetime"
_PLAIN = (str, int, float, bool, type(None))


class MailDataGone(Exception):
    """A row the mail's context refers to no longer exists (erased with an account, say)."""


def dump_context(context: dict) -> dict:
    """The context as JSON to store on the row: a model instance becomes a reference to its row
    (loaded again when the mail is rendered), a datetime its ISO form; plain values (text,
    numbers, lists of them) stay. Anything else is refused rather than stored half-way: pass what
    the templates need as a row or as a plain value."""
    stored = {}
    for key, value in context.items():
        if isinstance(value, models.Model):
            if value.pk is None:
                raise TypeError(f"mail context {key!r}: an unsaved {type(value).__name__}")
            stored[key] = {_MODEL: value._meta.label_lower, "pk": value.pk}
        elif isinstance(value, datetime.datetime):
            stored[key] = {_DATETIME: value.isoformat()}
        elif isinstance(value, _PLAIN) or (
            isinstance(value, list | tuple) and all(isinstance(item, _PLAIN) for item in value)
        ):
            stored[key] = list(value) if isinstance(value, tuple) else value
        else:
            raise TypeError(
                f"mail context {key!r}: a {type(value).__name__} cannot be stored; "
                "pass a model instance or a plain value"
            )
    return stored


def load_context(stored: dict) -> dict:
    """The template context again, with each referenced row loaded as it is now."""
    context = {}
    for key, value in stored.items():
        if isinstance(value, dict) and _MODEL in value:
            value = _load_row(value[_MODEL], value["pk"])
        elif isinstance(value, dict) and _DATETIME in value:
            value = datetime.datetime.fromisoformat(value[_DATETIME])
        context[key] = value
    return context


def _load_row(label: str, pk) -> models.Model:
    try:
        return apps.get_model(label)._default_manager.get(pk=pk)
    except (LookupError, ObjectDoesNotExist):  # a model removed since, or the row gone
        raise MailDataGone(f"{label} {pk} no longer exists") from None


# --- building a stored mail ---------------------------------------------------------------------


@dataclass(frozen=True)
class MailBuilder:
    """How an app builds its mails whose template starts with `prefix` (a folder such as
    "emails/activities/", or one template), when the stored context is not all the templates
    need: `build(mail, context)` returns the message for `mail.email`, with `context` loaded
    (`render_outgoing` is the plain way, to add to). It runs in the recipient's language.
    `forget_context`: the context holds secrets (reset links, login codes), dropped once sent.
    `skip_reason(mail, context)`: checked right before sending, with `context` loaded; a reason
    (text) means the mail is no longer wanted (a community notification about a post hidden
    since) and the row becomes `skipped` with it."""

    prefix: str
    build: Callable[[OutgoingMail, dict], EmailMultiAlternatives]
    forget_context: bool = False
    skip_reason: Callable[[OutgoingMail, dict], str | None] | None = None


_builders: dict[str, MailBuilder] = {}


def register_mail_builder(builder: MailBuilder) -> None:
    # Keyed by prefix so that a second ready() (tests, autoreload) replaces rather than repeats.
    _builders[builder.prefix] = builder


def builder_for(template: str) -> MailBuilder | None:
    matching = [prefix for prefix in _builders if template.startswith(prefix)]
    return _builders[max(matching, key=len)] if matching else None


def render_outgoing(mail: OutgoingMail, context: dict) -> EmailMultiAlternatives:
    return render_email(
        mail.template,
        context,
        to=[mail.email],
        language=mail.language,
        reply_to=mail.reply_to or None,
    )


def build_outgoing(mail: OutgoingMail) -> EmailMultiAlternatives:
    """The message for a stored mail, rendered now, in the recipient's language."""
    builder = builder_for(mail.template)
    context = load_context(mail.context)
    with translation.override(mail.language or settings.LANGUAGE_CODE):
        if builder is not None:
            return builder.build(mail, context)
        return render_outgoing(mail, context)


def _skip_reason(mail: OutgoingMail) -> str | None:
    # Checked right before sending: a mail about an erased contact message is no longer wanted,
    # nor one its app's builder says is no longer wanted.
    try:
        context = load_context(mail.context)
    except MailDataGone as gone:
        return f"its data was erased ({gone})"
    builder = builder_for(mail.template)
    if builder is not None and builder.skip_reason is not None:
        return builder.skip_reason(mail, context)
    return None


def _sent_fields(mail: OutgoingMail, now) -> dict:
    builder = builder_for(mail.template)
    return {"context": {}} if builder is not None and builder.forget_context else {}


# The one-off path lends the bulk sender's tracking and sweep; it has no campaigns (see send_one).
outbound.register_stream(
    outbound.OutboundStream(
        name=OutgoingMail.STREAM,
        model=OutgoingMail,
        active_campaigns=lambda now: (),
        build_message=build_outgoing,
        skip_reason=_skip_reason,
        sent_fields=_sent_fields,
        participant_path="participant",
    )
)


# --- services -----------------------------------------------------------------------------------


def send_later(
    *,
    template: str,
    context: dict,
    to: str,
    participant_id: int | None = None,
    language: str | None = None,
    reply_to: list[str] | None = None,
) -> OutgoingMail:
    """Record a mail for `to` and have a worker send it once the current transaction commits.
    `participant_id`: the person it is for, when known (tracking marks their address)."""
    mail = OutgoingMail.objects.create(
        email=to,
        participant_id=participant_id,
        template=template,
        context=dump_context(context),
        language=language or settings.LANGUAGE_CODE,
        reply_to=list(reply_to or []),
    )
    send_email.delay_on_commit(mail.pk)
    return mail


def outgoing_mails_export(*, participant_id: int) -> list[dict]:
    """The person's mail log for "Download my data": what was sent to which address, and when."""
    mails = OutgoingMail.objects.filter(participant_id=participant_id).order_by("created_at", "pk")
    return [
        {
            "mail": mail.what,
            "to": mail.email,
            "status": mail.status,
            "created_at": mail.created_at.isoformat(),
            "sent_at": mail.sent_at.isoformat() if mail.sent_at else None,
        }
        for mail in mails.only("template", "email", "status", "created_at", "sent_at")
    ]


def outgoing_mails_erase(*, participant_id: int) -> int:
    """On account deletion: the person's mail log goes with them."""
    deleted, _ = OutgoingMail.objects.filter(participant_id=participant_id).delete()
    return deleted
