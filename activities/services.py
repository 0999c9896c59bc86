"""Every change to activities and registrations.

Seats are the contested thing: `activity_register`, `registration_cancel` and
`activity_fill_from_waitlist` all take the activity's row lock first (SELECT ... FOR UPDATE), so
two people can never get the last seat and the waitlist keeps the order in which people came.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from activities.models import Activity
from activities.models import Broadcast
from activities.models import BroadcastMessage
from activities.models import CalendarFeed
from activities.models import Registration
from core.mail import send_later
from core.refusals import Refused
from core.stored_text import Sentence
from core.tasks import start_campaign
from members.audit import record_staff_action
from members.extensions import activity_discussion
from members.models import Participant

# The bulk sender's stream of broadcasts (activities/sending.py registers it).
BROADCAST_STREAM = "activity_broadcast"
# The kind of staff action this app records in the audit log (registered in apps.py).
AUDIT_ACTIVITY_MESSAGE = "activity_message"


class ActivityRefused(Refused):
    """activities' "no" (see `core.refusals`): a seat, a cancellation or a publication
    that a rule forbids; `message` is for the member or staff, in plain words."""


# --- mail ---------------------------------------------------------------------------------------


def _mail(
    *,
    participant: Participant,
    activity: Activity,
    template: str,
    extra: dict | None = None,
    attach_ics: bool = False,
) -> bool:
    """One mail to a participant, recorded in the caller's transaction (so a registration never
    lacks its mail, nor a mail its registration) and rendered and sent by a worker after commit
    (activities/sending.py builds it): under the activity's lock it costs one insert. Returns
    False (and records nothing) when the address is missing, bounced or complained about."""
    address = participant.mailable_address
    if not address:
        return False
    send_later(
        template=f"emails/activities/{template}",
        context={
            "participant": participant,
            "activity": activity,
            "attach_ics": attach_ics,
            **(extra or {}),
        },
        to=address,
        participant_id=participant.pk,
        language=participant.preferred_language,
        reply_to=[settings.NETWORK_ADVISER_EMAIL],
    )
    return True


def _broadcast(
    *,
    activity: Activity,
    kind: str,
    registrations: list[Registration],
    subject: str = "",
    body: str = "",
) -> tuple[int, int]:
    """Queue one mail per registered member on the bulk sender; a worker renders and sends them
    after commit. Returns how many were queued and how many left out (no usable address)."""
    broadcast = Broadcast.objects.create(activity=activity, kind=kind, subject=subject, body=body)
    rows = [
        BroadcastMessage(
            broadcast=broadcast,
            participant=registration.participant,
            email=registration.participant.mailable_address,
        )
        for registration in registrations
        if registration.participant.mailable_address
    ]
    BroadcastMessage.objects.bulk_create(rows)
    skipped = len(registrations) - len(rows)
    if rows:
        start_campaign(BROADCAST_STREAM, broadcast.pk)
    else:
        broadcast_mark_sent(broadcast_id=broadcast.pk)
    return len(rows), skipped


@transaction.atomic
def broadcast_mark_sent(*, broadcast_id: int) -> bool:
    """The bulk sender has nothing left of the broadcast to send."""
    return bool(
        Broadcast.objects.filter(pk=broadcast_id, status=Broadcast.Status.SENDING).update(
            status=Broadcast.Status.SENT, sent_at=timezone.now()
        )
    )


# --- staff: the activity itself -----------------------------------------------------------------


@transaction.atomic
def activity_publish(*, activity: Activity) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Activity.Status.CANCELLED:
        raise ActivityRefused(_("A cancelled activity cannot be published again. Duplicate it."))
    if activity.status == Activity.Status.PUBLISHED:
        return activity
    try:
        activity.full_clean()
    except ValidationError as error:
        # Say what is missing (the form lets a draft be saved without it).
        raise ActivityRefused(
            _("Not published: %(problems)s") % {"problems": "; ".join(error.messages)}
        ) from None
    activity.status = Activity.Status.PUBLISHED
    activity.published_at = timezone.now()
    activity.save(update_fields=["status", "published_at", "updated_at"])
    activity_open_discussion(activity=activity)
    return activity


def activity_open_discussion(*, activity: Activity) -> None:
    """Where members talk about a published activity (community's topic, reached through
    `members.extensions.activity_discussion`; nothing without it). Safe to call again."""
    hook = activity_discussion()
    if hook is not None:
        hook.open(
            activity_id=activity.pk, title=activity.title, country=activity.country.code or ""
        )


@transaction.atomic
def activity_cancel(*, activity: Activity, note: str = "") -> int:
    """Cancel the activity and tell everyone registered or waitlisted (a broadcast on the bulk
    sender). Returns how many mails are queued."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Activity.Status.CANCELLED:
        return 0
    was_published = activity.status == Activity.Status.PUBLISHED
    activity.status = Activity.Status.CANCELLED
    activity.cancelled_at = timezone.now()
    activity.cancellation_note = note
    activity.save(update_fields=["status", "cancelled_at", "cancellation_note", "updated_at"])
    if not was_published:
        return 0
    registrations = list(
        activity.registrations.filter(status__in=Registration.ACTIVE_STATUSES).select_related(
            "participant__user"
        )
    )
    # Only rows are written under the lock; the mails are rendered by the bulk sender's worker.
    queued, _skipped = _broadcast(
        activity=activity, kind=Broadcast.Kind.CANCELLED, registrations=registrations, body=note
    )
    return queued


def activity_duplicate(*, activity: Activity, months: int = 1) -> Activity:
    """A draft copy `months` later (0: same date), same weekday position is not kept on purpose:
    staff check the date in the form the copy opens in."""
    shift = relativedelta(months=months)
    # Shift in the activity's own zone, so 14:00 in Oslo stays 14:00 across a DST change.
    zone = activity.zone

    def moved(value: datetime.datetime | None) -> datetime.datetime | None:
        if value is None:
            return None
        local = value.astimezone(zone).replace(tzinfo=None) + shift
        return local.replace(tzinfo=zone)

    copy = Activity.objects.create(
        kind=activity.kind,
        title=activity.title,
        languages=activity.languages,
        description=activity.description,
        organiser=activity.organiser,
        starts_at=moved(activity.starts_at),
        ends_at=moved(activity.ends_at),
        time_zone=activity.time_zone,
        place=activity.place,
        city=activity.city,
        country=activity.country,
        online_url=activity.online_url,
        capacity=activity.capacity,
        registration_opens_at=moved(activity.registration_opens_at),
        registration_closes_at=moved(activity.registration_closes_at),
        is_public=activity.is_public,
        status=Activity.Status.DRAFT,
    )
    return copy


# --- members: registering and cancelling --------------------------------------------------------


def _seats_taken(activity: Activity) -> int:
    return activity.registrations.filter(status__in=Registration.SEAT_STATUSES).count()


def registration_window_problem(activity: Activity, now: datetime.datetime | None = None):
    """Why nobody can register right now, or None."""
    now = now or timezone.now()
    if activity.status != Activity.Status.PUBLISHED:
        return _("This activity is not open for registration.")
    if activity.starts_at <= now:
        return _("This activity has already started.")
    if activity.registration_opens_at and now < activity.registration_opens_at:
        return _("Registration has not opened yet.")
    if activity.registration_closes_at and now >= activity.registration_closes_at:
        return _("Registration has closed.")
    return None


@transaction.atomic
def activity_register(*, activity: Activity, participant: Participant) -> Registration:
    """Confirm a seat, or put the member at the end of the waitlist when the activity is full.
    Pressing twice changes nothing."""
    if not participant.is_registered:
        raise ActivityRefused(_("Only registered members can sign up for activities."))
    # The lock that makes seat counting race-free: everyone registering for this activity queues
    # here, so the count below and the insert after it happen one person at a time.
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    problem = registration_window_problem(activity)
    if problem:
        raise ActivityRefused(problem)
    registration = Registration.objects.filter(activity=activity, participant=participant).first()
    if registration and registration.status in Registration.ACTIVE_STATUSES:
        return registration
    if registration is None:
        registration = Registration(activity=activity, participant=participant)
    now = timezone.now()
    registration.cancelled_at = None
    registration.reminded_at = None
    if activity.capacity is None or _seats_taken(activity) < activity.capacity:
        registration.status = Registration.Status.CONFIRMED
        registration.confirmed_at = now
        registration.waitlist_number = None
        template = "confirmed"
    else:
        last = activity.registrations.aggregate(last=Max("waitlist_number"))["last"] or 0
        registration.status = Registration.Status.WAITLISTED
        registration.waitlist_number = last + 1
        registration.confirmed_at = None
        template = "waitlisted"
    registration.save()
    _mail(
        participant=participant,
        activity=activity,
        template=template,
        extra={"position": waitlist_position(registration=registration)},
        attach_ics=registration.status == Registration.Status.CONFIRMED,
    )
    return registration


def waitlist_position(*, registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        activity_id=registration.activity_id,
        status=Registration.Status.WAITLISTED,
        waitlist_number__lt=registration.waitlist_number,
    ).count()
    return ahead + 1


@transaction.atomic
def activity_fill_from_waitlist(*, activity: Activity) -> list[Registration]:
    """Give free seats to the first on the waitlist, in order, and tell them by email."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status != Activity.Status.PUBLISHED or activity.starts_at <= timezone.now():
        return []
    waiting = activity.registrations.filter(status=Registration.Status.WAITLISTED).order_by(
        "waitlist_number", "id"
    )
    if activity.capacity is not None:
        free = activity.capacity - _seats_taken(activity)
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = []
    for registration in waiting.select_related("participant__user"):
        registration.status = Registration.Status.CONFIRMED
        registration.confirmed_at = timezone.now()
        registration.waitlist_number = None
        registration.save(update_fields=["status", "confirmed_at", "waitlist_number", "updated_at"])
        _mail(
            participant=registration.participant,
            activity=activity,
            template="promoted",
            attach_ics=True,
        )
        promoted.append(registration)
    return promoted


@transaction.atomic
def registration_cancel(*, registration: Registration, notify: bool = True) -> Registration:
    """The member gives up their seat or waitlist place; the first waiting member gets the seat."""
    activity = Activity.objects.select_for_update().get(pk=registration.activity_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    if activity.ends_at <= timezone.now():
        raise ActivityRefused(_("This activity is over; it can no longer be cancelled."))
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.waitlist_number = None
    registration.save(update_fields=["status", "cancelled_at", "waitlist_number", "updated_at"])
    if notify:
        _mail(
            participant=registration.participant,
            activity=activity,
            template="registration_cancelled",
        )
    activity_fill_from_waitlist(activity=activity)
    return registration


@transaction.atomic
def registration_set_attended(*, registration: Registration, attended: bool) -> Registration:
    """Staff mark who came, after the event: attended, or back to confirmed."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if attended and registration.status == Registration.Status.CONFIRMED:
        registration.status = Registration.Status.ATTENDED
    elif not attended and registration.status == Registration.Status.ATTENDED:
        registration.status = Registration.Status.CONFIRMED
    else:
        return registration
    registration.save(update_fields=["status", "updated_at"])
    return registration


# --- staff: a message to everyone registered ----------------------------------------------------


@dataclass(frozen=True)
class MessageResult:
    sent: int
    skipped: int


@transaction.atomic
def activity_message_registered(
    *, activity: Activity, subject: str, body: str, actor, include_waitlist: bool = False
) -> MessageResult:
    statuses = Registration.ACTIVE_STATUSES if include_waitlist else Registration.SEAT_STATUSES
    registrations = list(
        activity.registrations.filter(status__in=statuses).select_related("participant__user")
    )
    sent, skipped = _broadcast(
        activity=activity,
        kind=Broadcast.Kind.STAFF_MESSAGE,
        registrations=registrations,
        subject=subject,
        body=body,
    )
    record_staff_action(
        actor=actor,
        kind=AUDIT_ACTIVITY_MESSAGE,
        summary=Sentence(
            gettext_noop("Message “%(subject)s” to the registered members of %(activity)s"),
            {"subject": subject, "activity": str(activity)},
        ),
        affected_count=sent,
        target_url=reverse("admin:activities_activity_change", args=[activity.pk]),
    )
    return MessageResult(sent=sent, skipped=skipped)


# --- reminders ----------------------------------------------------------------------------------


def registrations_send_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind confirmed members of activities starting in the next 24 hours, once each. Safe to
    run twice at once: each row is claimed with SKIP LOCKED and marked before its mail goes."""
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                Registration.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    status=Registration.Status.CONFIRMED,
                    reminded_at__isnull=True,
                    activity__status=Activity.Status.PUBLISHED,
                    activity__starts_at__gt=now,
                    activity__starts_at__lte=now + datetime.timedelta(hours=24),
                )
                .select_related("activity", "participant__user")
                .order_by("id")[:200]
            )
            if not batch:
                return sent
            for registration in batch:
                registration.reminded_at = now
                registration.save(update_fields=["reminded_at", "updated_at"])
                sent += _mail(
                    participant=registration.participant,
                    activity=registration.activity,
                    template="reminder",
                )


# --- the private calendar feed ------------------------------------------------------------------


@transaction.atomic
def calendar_feed_get_or_create(*, participant: Participant) -> CalendarFeed:
    feed = CalendarFeed.objects.filter(participant=participant).first()
    if feed is None:
        feed = CalendarFeed.objects.create(
            participant=participant,
            key=secrets.token_urlsafe(12),
            salt=secrets.token_hex(32),
        )
    return feed


@transaction.atomic
def calendar_feed_revoke(*, participant: Participant) -> bool:
    deleted, _rows = CalendarFeed.objects.filter(participant=participant).delete()
    return bool(deleted)


# --- personal data ------------------------------------------------------------------------------


def registrations_export(participant: Participant) -> list[dict]:
    return [
        {
            "activity": registration.activity.title,
            "starts_at": registration.activity.starts_at.isoformat(),
            "status": registration.status,
            "registered_at": registration.created_at.isoformat(),
        }
        for registration in participant.activity_registrations.select_related("activity")
    ]


def registrations_erase(participant: Participant) -> None:
    """On account deletion: free their seats (the waitlist moves up), then forget them."""
    upcoming = participant.activity_registrations.filter(
        status__in=Registration.ACTIVE_STATUSES, activity__ends_at__gt=timezone.now()
    )
    for registration in upcoming:
        registration_cancel(registration=registration, notify=False)
    with transaction.atomic():
        participant.activity_registrations.all().delete()
        CalendarFeed.objects.filter(participant=participant).delete()
        BroadcastMessage.objects.filter(participant=participant).delete()
