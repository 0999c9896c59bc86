"""Branch announcements: a committee member (or staff) writes to every member of their branch.

The mail goes out through the shared bulk sender as the stream `branch_announcement`: one
`AnnouncementMessage` per recipient, rendered by the worker in the recipient's language (the
greeting, the footer and the unsubscribe link; the text is as its author wrote it), from
"Norec Network <branch>", within the stream's pace, with RFC 8058 one-click unsubscribe from
branch announcements alone. The audit log records who sent what to how many.

Recipients (`branch_recipients`): registered members with an active login whose home country is
one of the branch's, whose address works and who have not left the branch announcements.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from email.utils import formataddr
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from community import moderation
from community.models import Announcement
from community.models import AnnouncementMessage
from community.models import Branch
from community.models import CommunityMember
from community.models import Room
from core import outbound
from core.mail import render_email
from core.stored_text import Sentence
from core.tasks import outbound_prepare
from core.tasks import start_campaign
from members.audit import record_staff_action
from members.extensions import register_audit_kind
from members.models import Participant
from members.models import bad_address_q

STREAM = "branch_announcement"
AUDIT_ANNOUNCEMENT = "branch_announcement"
TEMPLATES = "emails/community/announcement"
# The stream's pace: like a newsletter's default, so a large branch never floods the ESP.
RATE_PER_HOUR = 3000
BATCH_SIZE = 200
TOKEN_SALT = "community.announcements.unsubscribe"


def register_audit_kinds() -> None:
    register_audit_kind(AUDIT_ANNOUNCEMENT, _("branch announcement sent"))


# --- who announces, who receives ----------------------------------------------------------------


def may_announce(*, user, branch: Branch) -> bool:
    """Staff who moderate, and the branch's own committee: the same rule as moderating its room."""
    room = Room(kind=Room.Kind.BRANCH, branch_id=branch.pk)
    return moderation.may_moderate(user=user, room=room)


def branches_announceable(user) -> list[Branch]:
    rooms = moderation.moderated_room_ids(user)
    branches = Branch.objects.all()
    if rooms is not None:
        branches = branches.filter(room__pk__in=rooms)
    return list(branches.order_by("name"))


def branch_recipients(branch: Branch) -> QuerySet[Participant]:
    return (
        Participant.objects.filter(
            user__isnull=False,
            user__is_active=True,
            deleted_at__isnull=True,
            home_country__in=list(branch.countries),
        )
        .exclude(bad_address_q())
        .exclude(user__email="")
        .exclude(community__announcements_unsubscribed_at__isnull=False)
    )


# --- sending ------------------------------------------------------------------------------------


@transaction.atomic
def announcement_send(*, branch: Branch, subject: str, body: str, user) -> Announcement:
    """Queue the announcement for every recipient of the branch: it is "preparing" while a
    worker creates its messages, a chunk at a time (`announcement_prepare_chunk`), then sends.
    `recipient_count` is the audience counted now. The caller checked `may_announce`; this checks
    again."""
    if not may_announce(user=user, branch=branch):
        raise PermissionError("not a moderator of this branch")
    count = branch_recipients(branch).count()
    announcement = Announcement.objects.create(
        branch=branch,
        subject=subject.strip(),
        body=body.strip(),
        sent_by=user,
        status=Announcement.Status.PREPARING,
        recipient_count=count,
    )
    record_staff_action(
        actor=user,
        kind=AUDIT_ANNOUNCEMENT,
        summary=Sentence(
            gettext_noop("Branch announcement “%(subject)s” to the members of %(branch)s."),
            {"subject": announcement.subject, "branch": branch.name},
        ),
        affected_count=count,
        target_url=reverse("community:announcement_create", args=[branch.slug]),
    )
    outbound_prepare.delay_on_commit(STREAM, announcement.pk)
    return announcement


def announcement_prepare_chunk(
    *, announcement_id: int, after: int | None = None
) -> outbound.PrepareResult:
    """One chunk of a preparing announcement (see `core.outbound.preparing`): the messages of the
    next PREPARE_CHUNK recipients above `after`, unique per member, so a chunk run twice creates
    nothing twice. The last chunk starts the sending (or, with nobody to send to, ends it)."""
    with transaction.atomic():
        announcement = (
            Announcement.objects.select_for_update()
            .select_related("branch")
            .filter(pk=announcement_id, status=Announcement.Status.PREPARING)
            .first()
        )
        if announcement is None:
            return outbound.PrepareResult(rows=0, more=False)
        rows = announcement.messages
        chunk = outbound.next_recipients(
            branch_recipients(announcement.branch),
            rows,
            after,
            outbound.PREPARE_CHUNK,
            "user__email",
            "email",
            "time_zone",
        )
        AnnouncementMessage.objects.bulk_create(
            [
                AnnouncementMessage(
                    announcement=announcement,
                    participant_id=participant_id,
                    # `Participant.address_of_record`: the login address, else the roster's.
                    email=login_email or roster_email,
                    time_zone=time_zone,
                )
                for participant_id, login_email, roster_email, time_zone in chunk
            ],
            ignore_conflicts=True,
        )
        if len(chunk) == outbound.PREPARE_CHUNK:
            announcement.save(update_fields=["updated_at"])  # the sweep reads it as a heartbeat
            return outbound.PrepareResult(rows=len(chunk), more=True, after=chunk[-1][0])
        total = rows.count()
        announcement.recipient_count = total
        announcement.status = Announcement.Status.SENDING if total else Announcement.Status.SENT
        announcement.sent_at = None if total else timezone.now()
        announcement.save(update_fields=["recipient_count", "status", "sent_at", "updated_at"])
        if total:
            start_campaign(STREAM, announcement.pk)
        return outbound.PrepareResult(rows=len(chunk), more=False)


def announcements_preparation_stalled(before: datetime.datetime) -> list[int]:
    """Preparing announcements no chunk touched since `before`: their chain was lost."""
    return list(
        Announcement.objects.filter(
            status=Announcement.Status.PREPARING, updated_at__lt=before
        ).values_list("pk", flat=True)
    )


def announcement_mark_sent(*, announcement_id: int) -> bool:
    return bool(
        Announcement.objects.filter(pk=announcement_id, status=Announcement.Status.SENDING).update(
            status=Announcement.Status.SENT, sent_at=timezone.now()
        )
    )


def sender_address(branch: Branch) -> str:
    """The portal's usual address with the branch in its display name:
    "Norec Network Uganda <network@norec.no>"."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((f"{name or 'Norec Network'} {branch.name}", address))


# --- unsubscribe from announcements alone -------------------------------------------------------


def _token_digest(participant_pk: int) -> str:
    return salted_hmac(TOKEN_SALT, str(participant_pk), algorithm="sha256").hexdigest()[:32]


def unsubscribe_token(participant_pk: int) -> str:
    return f"{participant_pk}-{_token_digest(participant_pk)}"


def participant_pk_from_token(token: str) -> int | None:
    pk_text, _sep, digest = token.partition("-")
    if not (pk_text.isascii() and pk_text.isdigit()) or len(pk_text) > 18:
        return None
    pk = int(pk_text)
    return pk if constant_time_compare(digest, _token_digest(pk)) else None


def is_unsubscribed(*, participant_pk: int) -> bool:
    return CommunityMember.objects.filter(
        participant_id=participant_pk, announcements_unsubscribed_at__isnull=False
    ).exists()


@transaction.atomic
def announcements_unsubscribe(*, participant_pk: int) -> bool:
    """The member leaves branch announcements (nothing else: digest, newsletter stay)."""
    participant = Participant.objects.filter(pk=participant_pk).first()
    if participant is None:
        return False
    member, _created = CommunityMember.objects.get_or_create(participant=participant)
    if member.announcements_unsubscribed_at is None:
        CommunityMember.objects.filter(pk=member.pk).update(
            announcements_unsubscribed_at=timezone.now()
        )
    return True


# --- the stream ---------------------------------------------------------------------------------


def mail_context(*, branch: Branch, subject: str, body: str, participant) -> dict:
    token = unsubscribe_token(participant.pk) if participant is not None else ""
    room = Room.objects.filter(branch=branch).only("slug").first()
    return {
        "participant": participant,
        "branch": branch,
        "subject": subject,
        "body": body,
        "site_url": settings.SITE_URL,
        "room_url": f"{settings.SITE_URL}{reverse('community:room', args=[room.slug])}"
        if room
        else settings.SITE_URL,
        "unsubscribe_url": (
            f"{settings.SITE_URL}{reverse('community:announcements_unsubscribe', args=[token])}"
            if token
            else ""
        ),
    }


def build_announcement_message(row: AnnouncementMessage) -> EmailMessage:
    announcement, participant = row.announcement, row.participant
    context = mail_context(
        branch=announcement.branch,
        subject=announcement.subject,
        body=announcement.body,
        participant=participant,
    )
    headers = {
        # RFC 8058 one-click: mail apps POST "List-Unsubscribe=One-Click" to this https URL.
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return render_email(
        TEMPLATES,
        context,
        to=[row.email],
        language=participant.preferred_language or settings.LANGUAGE_CODE,
        from_email=sender_address(announcement.branch),
        headers=headers,
    )


def active_announcements(now: datetime.datetime) -> Iterator[outbound.Campaign]:
    sending = Announcement.objects.filter(status=Announcement.Status.SENDING)
    for pk in sending.values_list("pk", flat=True):
        yield outbound.Campaign(id=pk, rate_per_hour=RATE_PER_HOUR, batch_size=BATCH_SIZE)


def announcement_skip_reason(row: AnnouncementMessage) -> str | None:
    """Checked right before each message: erased, gone bad or left announcements since queued."""
    participant = row.participant
    if participant is None:
        return "the member's data was erased"
    if participant.deleted_at is not None or participant.user_id is None:
        return "no active account"
    if participant.has_bad_address:
        return f"address {participant.email_status}"
    if is_unsubscribed(participant_pk=participant.pk):
        return "left the branch announcements"
    return None


def announcement_finished(announcement_id: int | None) -> None:
    if announcement_id is not None:
        announcement_mark_sent(announcement_id=announcement_id)


def register() -> None:
    register_audit_kinds()
    outbound.register_stream(
        outbound.OutboundStream(
            name=STREAM,
            model=AnnouncementMessage,
            campaign_field="announcement",
            active_campaigns=active_announcements,
            build_message=build_announcement_message,
            prepare=lambda rows: rows.select_related("announcement__branch", "participant__user"),
            skip_reason=announcement_skip_reason,
            participant_path="participant",
            campaign_finished=announcement_finished,
            campaign_sends=Q(announcement__status=Announcement.Status.SENDING),
            tags=("branch_announcement",),
        )
    )
    outbound.register_preparation(
        STREAM,
        outbound.Preparation(
            prepare_chunk=lambda announcement_id, after: announcement_prepare_chunk(
                announcement_id=announcement_id, after=after
            ),
            stalled_campaigns=announcements_preparation_stalled,
        ),
    )
