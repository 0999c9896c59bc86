"""Every state change of a newsletter goes through a function here (views, admin, tasks call them).

draft -> scheduled -> preparing -> sending <-> paused -> sent (cancelled from any state before sent)

"preparing": a worker creates the deliveries, a chunk at a time (`newsletter_prepare_chunk`).
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import outbound
from core.mail import send_later
from core.refusals import Refused
from core.stored_text import Sentence
from core.tasks import outbound_prepare
from core.tasks import start_campaign
from members.audit import record_staff_action
from members.models import Participant
from members.services import NEWSLETTER_SOURCE_LINK
from members.services import participant_set_newsletter_subscription
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.rendering import TEMPLATE_PREFIX
from newsletters.rendering import IssueRenderer
from newsletters.rendering import Recipient
from newsletters.rendering import activities_for_month
from newsletters.rendering import participant_pk_from_token
from newsletters.selectors import newsletter_audience_counts
from newsletters.selectors import newsletter_edition_language
from newsletters.selectors import newsletter_recipients

Status = Newsletter.Status
# The newsletter's stream on the shared bulk sender (`newsletters.sending` plugs it in).
STREAM = "newsletter"


def _kick(newsletter: Newsletter) -> None:
    """Start sending once the transaction commits (one batch chain per worker process)."""
    start_campaign(STREAM, newsletter.pk)


class NewsletterRefused(Refused):
    """newsletters' "no" (see `core.refusals`): an action the newsletter's state does
    not allow, a time in the past, an audience of nobody or not the one staff confirmed."""


# The kind of staff action this app records in the audit log (registered in apps.py).
AUDIT_NEWSLETTER_SEND = "newsletter_send"

# `NewsletterRefused.code` of the refusals a caller treats apart.
AUDIENCE_CHANGED = "audience_changed"
TIME_IN_THE_PAST = "time_in_the_past"


def _locked(newsletter: Newsletter) -> Newsletter:
    return Newsletter.objects.select_for_update().get(pk=newsletter.pk)


def _require(newsletter: Newsletter, *allowed: str, refusal: str) -> None:
    """`refusal` is a whole sentence with the status in it: a sentence built from a status and a
    verb cannot agree in gender in French, Spanish or Portuguese."""
    if newsletter.status not in allowed:
        raise NewsletterRefused(refusal % {"status": newsletter.get_status_display()})


@transaction.atomic
def newsletter_schedule(
    *,
    newsletter: Newsletter,
    actor,
    send_at: datetime.datetime | None = None,
    confirmed_count: int | None = None,
) -> Newsletter:
    """Schedule a draft for `send_at`, or start it now (`newsletter_start`: a worker creates its
    deliveries, as a wave's invitations at launch, and sends them once they are all there).
    Recorded in the audit log with the number of people it will reach.

    `confirmed_count` is the audience the staff member saw on the "Send now" confirmation: when
    given and no longer right, nothing is scheduled (code `AUDIENCE_CHANGED`)."""
    newsletter = _locked(newsletter)
    _require(
        newsletter,
        Status.DRAFT,
        refusal=_("This newsletter cannot be scheduled: its status is “%(status)s”."),
    )
    now = timezone.now()
    if send_at is not None and send_at < now - datetime.timedelta(minutes=5):
        raise NewsletterRefused(_("Choose a time in the future."), code=TIME_IN_THE_PAST)
    counts = newsletter_audience_counts(newsletter=newsletter)
    if counts.receive == 0:
        raise NewsletterRefused(_("Nobody would receive this newsletter: check the audience."))
    if confirmed_count is not None and counts.receive != confirmed_count:
        raise NewsletterRefused(
            _(
                "The audience has changed since you looked: it is now %(count)s. "
                "Check it before you send."
            )
            % {"count": counts.receive},
            code=AUDIENCE_CHANGED,
        )
    newsletter.status = Status.SCHEDULED
    newsletter.scheduled_for = send_at or now
    newsletter.paused_reason = ""
    newsletter.save(update_fields=["status", "scheduled_for", "paused_reason", "updated_at"])
    when = timezone.localtime(newsletter.scheduled_for).strftime("%Y-%m-%d %H:%M")
    record_staff_action(
        actor=actor,
        kind=AUDIT_NEWSLETTER_SEND,
        summary=Sentence(
            gettext_noop("Newsletter “%(subject)s” scheduled for %(when)s"),
            {"subject": newsletter.subject, "when": when},
        ),
        affected_count=counts.receive,
        target_url=reverse("admin:newsletters_newsletter_change", args=[newsletter.pk]),
    )
    if send_at is None:
        newsletter = newsletter_start(newsletter=newsletter)
    return newsletter


@transaction.atomic
def newsletter_unschedule(*, newsletter: Newsletter) -> Newsletter:
    """Back to draft before sending started (to edit it or pick another time)."""
    newsletter = _locked(newsletter)
    _require(
        newsletter,
        Status.SCHEDULED,
        refusal=_("This newsletter cannot be put back to draft: its status is “%(status)s”."),
    )
    newsletter.status = Status.DRAFT
    newsletter.scheduled_for = None
    newsletter.save(update_fields=["status", "scheduled_for", "updated_at"])
    return newsletter


@transaction.atomic
def newsletter_pause(*, newsletter: Newsletter, reason: str) -> Newsletter:
    """Stop sending after the message in flight; `newsletter_resume` goes on where it stopped."""
    newsletter = _locked(newsletter)
    _require(
        newsletter,
        Status.PREPARING,
        Status.SENDING,
        Status.SCHEDULED,
        refusal=_("This newsletter cannot be paused: its status is “%(status)s”."),
    )
    newsletter.status = Status.PAUSED
    newsletter.paused_reason = reason[:300]
    newsletter.save(update_fields=["status", "paused_reason", "updated_at"])
    return newsletter


@transaction.atomic
def newsletter_resume(*, newsletter: Newsletter) -> Newsletter:
    newsletter = _locked(newsletter)
    _require(
        newsletter,
        Status.PAUSED,
        refusal=_("This newsletter cannot be resumed: its status is “%(status)s”."),
    )
    # A newsletter paused before it started goes back to waiting for its time; one paused while
    # preparing goes on preparing where its deliveries stop.
    if newsletter.prepared_at:
        newsletter.status = Status.SENDING
    elif newsletter.started_at:
        newsletter.status = Status.PREPARING
    else:
        newsletter.status = Status.SCHEDULED
    newsletter.paused_reason = ""
    newsletter.save(update_fields=["status", "paused_reason", "updated_at"])
    if newsletter.status == Status.SENDING:
        _kick(newsletter)  # go on now rather than at the sender's next tick
    elif newsletter.status == Status.PREPARING:
        outbound_prepare.delay_on_commit(STREAM, newsletter.pk)
    return newsletter


@transaction.atomic
def newsletter_cancel(*, newsletter: Newsletter) -> Newsletter:
    """Nothing more goes out; what was already sent stays counted."""
    newsletter = _locked(newsletter)
    before_sent = (Status.DRAFT, Status.SCHEDULED, Status.PREPARING, Status.SENDING, Status.PAUSED)
    _require(
        newsletter,
        *before_sent,
        refusal=_("This newsletter cannot be cancelled: its status is “%(status)s”."),
    )
    newsletter.status = Status.CANCELLED
    newsletter.save(update_fields=["status", "updated_at"])
    # Rows a batch has claimed are cancelled too: the sender checks before each message and
    # stops (only a message already in flight still goes out). A preparation stops at its next
    # chunk; the lock above waited for the chunk in flight, whose rows are cancelled here.
    newsletter.deliveries.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).update(status=Delivery.Status.CANCELLED)
    return newsletter


# --- recipients -----------------------------------------------------------------------------------


def recipient_for(participant: Participant, *, address: str | None = None) -> Recipient:
    return Recipient(
        first_name=participant.first_name,
        address=address or participant.address_of_record,
        participant_pk=participant.pk,
        language=participant.preferred_language or settings.LANGUAGE_CODE,
    )


def staff_recipient(user) -> Recipient:
    """The staff member as a recipient, for the preview and the test mail: their own roster row
    personalises it if they have one, else their account's first name. Never a real member: the
    preview must not show a member's address to staff, nor carry a member's unsubscribe link."""
    participant = Participant.objects.filter(user=user).first()
    if participant is not None:
        return recipient_for(participant, address=user.email)
    return Recipient(
        first_name=user.first_name,
        address=user.email,
        participant_pk=None,
        language=settings.LANGUAGE_CODE,
    )


def newsletter_send_test(*, newsletter: Newsletter, user, language: str | None = None) -> str:
    """Send the newsletter to a staff member's own address, marked as a test (a one-off mail,
    rendered by the worker with `build_test_mail`): the edition in `language` (a variant, else
    the English issue), or, without one, the edition the staff member would get themselves."""
    recipient = staff_recipient(user)
    if language is not None:
        recipient = replace(recipient, language=language)
    send_later(
        template=TEMPLATE_PREFIX,
        context={"newsletter": newsletter, "user": user, "language": recipient.language},
        to=recipient.address,
        # The mail's language is the edition's, so that "[Test]" reads like the rest of it.
        language=newsletter_edition_language(newsletter=newsletter, language=recipient.language),
    )
    return user.email


def build_test_mail(mail, context: dict) -> EmailMultiAlternatives:
    """The test mail, exactly as members get the newsletter, with "[Test] " before the subject."""
    recipient = staff_recipient(context["user"])
    if context.get("language"):
        recipient = replace(recipient, language=context["language"])
    return IssueRenderer(context["newsletter"]).message(recipient, subject_prefix=_("[Test] "))


def newsletter_unsubscribe(*, token: str) -> Participant | None:
    """The one-click unsubscribe: None when the token is not a valid one."""
    pk = participant_pk_from_token(token)
    if pk is None:
        return None
    participant = Participant.objects.filter(pk=pk).first()
    if participant is None:
        return None
    with transaction.atomic():
        participant = participant_set_newsletter_subscription(
            participant=participant, subscribed=False, source=NEWSLETTER_SOURCE_LINK
        )
        # At once, not only at the next batch: their waiting deliveries will not go out.
        Delivery.objects.filter(participant=participant, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SKIPPED
        )
    return participant


# --- sending --------------------------------------------------------------------------------------


@transaction.atomic
def newsletter_start(*, newsletter: Newsletter) -> Newsletter:
    """Freeze the issue and start preparing: a worker creates one Delivery per eligible
    recipient, a chunk at a time (`newsletter_prepare_chunk`), then sends. Running this twice
    starts nothing twice. `recipient_count` holds the audience counted now until the
    preparation ends, then the deliveries made."""
    newsletter = _locked(newsletter)
    if newsletter.status != Status.SCHEDULED or newsletter.started_at is not None:
        return newsletter
    if newsletter.include_activities:
        newsletter.activities_snapshot = activities_for_month(newsletter.month)
    newsletter.recipient_count = newsletter_recipients(newsletter=newsletter).count()
    newsletter.status = Status.PREPARING
    newsletter.started_at = timezone.now()
    newsletter.save(
        update_fields=[
            "activities_snapshot",
            "recipient_count",
            "status",
            "started_at",
            "updated_at",
        ]
    )
    outbound_prepare.delay_on_commit(STREAM, newsletter.pk)
    return newsletter


def newsletter_prepare_chunk(
    *, newsletter_id: int, after: int | None = None
) -> outbound.PrepareResult:
    """One chunk of a preparing newsletter (see `core.outbound.preparing`): the deliveries of the
    next PREPARE_CHUNK recipients above `after` (a unique pair per recipient, so a chunk run twice
    creates nothing twice); the last chunk starts the sending. Leaves at once when the newsletter
    is no longer preparing (paused, cancelled, done)."""
    with transaction.atomic():
        newsletter = Newsletter.objects.select_for_update().filter(pk=newsletter_id).first()
        if newsletter is None or newsletter.status != Status.PREPARING:
            return outbound.PrepareResult(rows=0, more=False)
        chunk = outbound.next_recipients(
            newsletter_recipients(newsletter=newsletter),
            newsletter.deliveries,
            after,
            outbound.PREPARE_CHUNK,
            "user__email",
        )
        Delivery.objects.bulk_create(
            [
                Delivery(newsletter=newsletter, participant_id=pk, email=address)
                for pk, address in chunk
            ],
            ignore_conflicts=True,
        )
        if len(chunk) == outbound.PREPARE_CHUNK:
            newsletter.save(update_fields=["updated_at"])  # the sweep reads it as a heartbeat
            return outbound.PrepareResult(rows=len(chunk), more=True, after=chunk[-1][0])
        newsletter.recipient_count = newsletter.deliveries.count()
        newsletter.status = Status.SENDING
        newsletter.prepared_at = timezone.now()
        newsletter.save(update_fields=["recipient_count", "status", "prepared_at", "updated_at"])
        _kick(newsletter)
        return outbound.PrepareResult(rows=len(chunk), more=False)


def newsletters_preparation_stalled(before: datetime.datetime) -> list[int]:
    """Preparing newsletters no chunk touched since `before`: their chain of chunks was lost."""
    return list(
        Newsletter.objects.filter(status=Status.PREPARING, updated_at__lt=before).values_list(
            "pk", flat=True
        )
    )


def newsletters_start_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Start every scheduled newsletter whose time has come; returns their ids."""
    now = now or timezone.now()
    due = Newsletter.objects.filter(status=Status.SCHEDULED, scheduled_for__lte=now)
    started = []
    for pk in due.values_list("pk", flat=True):
        newsletter = newsletter_start(newsletter=Newsletter(pk=pk))
        if newsletter.status == Status.PREPARING:
            started.append(pk)
    return started


@transaction.atomic
def newsletter_mark_sent(*, newsletter: Newsletter) -> Newsletter:
    """The sender found nothing left to send: the newsletter is sent (its counts stay)."""
    newsletter = _locked(newsletter)
    if newsletter.status != Status.SENDING:
        return newsletter
    if newsletter.deliveries.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).exists():
        return newsletter
    newsletter.status = Status.SENT
    newsletter.sent_at = timezone.now()
    newsletter.save(update_fields=["status", "sent_at", "updated_at"])
    return newsletter


def deliveries_skip_ineligible(*, newsletter_id: int | None = None) -> int:
    """Waiting deliveries of a sending newsletter (`newsletter_id`, else every one) whose
    recipient unsubscribed, lost their address (bounced, complained) or was erased since sending
    started: they are never sent. Returns how many."""
    waiting = Delivery.objects.filter(
        newsletter__status=Status.SENDING, status=Delivery.Status.PENDING
    )
    if newsletter_id is not None:
        waiting = waiting.filter(newsletter_id=newsletter_id)
    return waiting.filter(
        Q(participant__isnull=True)
        | ~Q(participant__in=Participant.objects.newsletter_recipients())
    ).update(status=Delivery.Status.SKIPPED)
