"""Base models every app may build on (abstract: no table of their own; the bulk sender's row,
`OutboundMessage`, is in core/outbound_model.py), and the one-off mail's row."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.outbound_model import OutboundMessage


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OutgoingMail(OutboundMessage):
    """One mail to one person outside any campaign: an account mail, a confirmation, a reminder,
    the contact relay, a receipt. Its row is the truth about whether it was sent, as a bulk row's
    is (it carries the same fields: status, claim, ESP message id, tracking timestamps).

    The mail is rendered by the worker that sends it, from `template` and `context`: model
    instances are stored as references (`{"$model": "members.participant", "pk": 12}`) and loaded
    again, plain values as they are (see `core.mail.dump_context`). The context can hold
    what staff must not read (a contact message is referred to, not copied; allauth's reset links
    and codes are dropped once sent), so the admin never shows it.
    """

    # The person the mail is for, when the portal knows them: a bounce or a complaint marks their
    # address (while it is still theirs), and staff see the mail on their page. A string
    # reference, so that this package imports no app.
    participant = models.ForeignKey(
        "members.Participant",
        verbose_name=_("participant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outgoing_mails",
    )
    template = models.CharField(
        _("template"), max_length=200, help_text=_("Which mail: the templates' common prefix.")
    )
    context = models.JSONField(_("context"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    # The bulk sender's stream that sends these rows one by one (core.mail registers it).
    STREAM = "mail"

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")

    def __str__(self) -> str:
        return f"{self.what} to {self.email}"

    @property
    def what(self) -> str:
        """The template without the folder every mail template lives in, e.g. "activities/reminder"
        or "password_reset_key"."""
        for folder in ("emails/", "account/email/", "mfa/email/"):
            if self.template.startswith(folder):
                return self.template.removeprefix(folder)
        return self.template
