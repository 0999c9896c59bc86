"""The digest on the shared bulk sender (`core.outbound`): the "community_digest" stream.

A digest's content depends only on the recipient's language, the rooms they follow and the
period, which most members share: it is rendered (templates and CSS inlining) once per such key
in each worker process, with stand-ins for the first name and the unsubscribe token, and each
message only substitutes them, as newsletters do. Every message carries RFC 8058 one-click
unsubscribe from the digest alone (List-Unsubscribe + List-Unsubscribe-Post); bounces and
complaints come back through the one tracking receiver, which maps them by the stream's name.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Iterator

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import EmailAlternative
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.crypto import salted_hmac

from community.digests import DIGEST_STREAM
from community.digests import digest_items
from community.models import CommunityMember
from community.models import DigestDelivery
from core import outbound
from core.mail import render_email
from core.outbound.templates import MessageTemplate
from core.outbound.templates import fill
from core.outbound.templates import placeholder

STREAM = DIGEST_STREAM
TEMPLATE_PREFIX = "emails/community/digest"
BATCH_SIZE = 200
TOKEN_SALT = "community.digest_unsubscribe"
_RENDERED_KEPT = 64
_FIRST_NAME = placeholder("firstname")
_TOKEN = placeholder("token")
_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


# --- the unsubscribe token (an HMAC: nothing stored) ------------------------------------------


def _digest(participant_pk: int) -> str:
    return salted_hmac(TOKEN_SALT, str(participant_pk), algorithm="sha256").hexdigest()[:32]


def unsubscribe_token(participant_pk: int) -> str:
    return f"{participant_pk}-{_digest(participant_pk)}"


def participant_pk_from_token(token: str) -> int | None:
    pk_text, _, digest = token.partition("-")
    if not (pk_text.isascii() and pk_text.isdigit()) or len(pk_text) > 18:
        return None
    pk = int(pk_text)
    return pk if constant_time_compare(digest, _digest(pk)) else None


def unsubscribe_url(token: str) -> str:
    return settings.SITE_URL + reverse("community:digest_unsubscribe", kwargs={"token": token})


# --- rendering ------------------------------------------------------------------------------


_rendered: OrderedDict[tuple, MessageTemplate | None] = OrderedDict()


def _render(
    language: str, room_ids: tuple[int, ...], since: datetime.datetime, until, frequency: str
) -> MessageTemplate | None:
    """The digest for this key as a template to fill in per recipient, or None when it lists
    nothing."""
    key = (language, room_ids, since, until, frequency)
    if key in _rendered:
        _rendered.move_to_end(key)
        return _rendered[key]
    with translation.override(language):
        new_topics, busy_topics = digest_items(room_ids=room_ids, since=since, until=until)
        result = None
        if new_topics or busy_topics:
            built = render_email(
                TEMPLATE_PREFIX,
                {
                    "first_name": _FIRST_NAME,
                    "new_topics": new_topics,
                    "busy_topics": busy_topics,
                    "daily": frequency == CommunityMember.Digest.DAILY,
                    "unsubscribe_url": unsubscribe_url(_TOKEN),
                    "settings_url": settings.SITE_URL + reverse("community:settings"),
                    "rooms_url": settings.SITE_URL + reverse("community:rooms"),
                },
                to=[],
                language=language,
                # RFC 8058 one-click: mail apps POST "List-Unsubscribe=One-Click" to the https
                # URL of the List-Unsubscribe header.
                headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            )
            built.alternatives = [
                EmailAlternative(_inliner.inline(content), kind)
                if kind == "text/html"
                else EmailAlternative(content, kind)
                for content, kind in built.alternatives
            ]
            result = MessageTemplate(
                key=(STREAM, *key),
                message=built,
                fields=("firstname", "token"),
                headers={"List-Unsubscribe": f"<{unsubscribe_url(_TOKEN)}>"},
            )
    _rendered[key] = result
    while len(_rendered) > _RENDERED_KEPT:
        _rendered.popitem(last=False)
    return result


def _rendered_for(row: DigestDelivery) -> MessageTemplate | None:
    participant = row.participant
    rooms = tuple(sorted(follow.room_id for follow in participant.community_follows.all()))
    language = participant.preferred_language or settings.LANGUAGE_CODE
    return _render(language, rooms, row.since, row.until, row.frequency)


def build_digest_template(row: DigestDelivery) -> tuple[MessageTemplate, dict[str, str]]:
    template = _rendered_for(row)
    if template is None:  # skip_reason says so first
        raise ValueError("this digest lists nothing")
    participant = row.participant
    return template, {
        "firstname": participant.first_name,
        "token": unsubscribe_token(participant.pk),
    }


def build_digest_message(row: DigestDelivery) -> EmailMultiAlternatives:
    return fill(*build_digest_template(row), to=[row.email])


# --- the stream -----------------------------------------------------------------------------


def digest_skip_reason(row: DigestDelivery) -> str | None:
    """Checked right before each message: whoever left the digest, lost their login or their
    address since the run, or whose digest has nothing left to list, is not mailed."""
    participant = row.participant
    user = participant.user if participant.user_id is not None else None
    if participant.deleted_at is not None or user is None or not user.is_active:
        return "no active account"
    try:
        member = participant.community
    except CommunityMember.DoesNotExist:
        member = None
    if member is None or member.digest == CommunityMember.Digest.NEVER:
        return "left the digest"
    if participant.has_bad_address:
        return f"address {participant.email_status}"
    if _rendered_for(row) is None:
        return "nothing to list any more"
    return None


def active_digests(now: datetime.datetime) -> Iterator[outbound.Campaign]:
    if DigestDelivery.objects.filter(status=outbound.OutboundStatus.PENDING).exists():
        yield outbound.Campaign(id=None, rate_per_hour=0, batch_size=BATCH_SIZE)


def register() -> None:
    outbound.register_stream(
        outbound.OutboundStream(
            name=STREAM,
            model=DigestDelivery,
            active_campaigns=active_digests,
            build_message=build_digest_message,
            build_template=build_digest_template,
            prepare=lambda rows: rows.select_related(
                "participant__user", "participant__community"
            ).prefetch_related("participant__community_follows"),
            skip_reason=digest_skip_reason,
            participant_path="participant",
            tags=("community_digest",),
        )
    )
