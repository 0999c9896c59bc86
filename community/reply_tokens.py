"""Personal reply addresses: how a mail about a topic lets its reader answer by e-mail.

A notification or digest to a member carries `Reply-To: reply+<topic>-<member>-<mac>@<domain>`.
The mac is an HMAC of the topic and the participant with the site's secret key, so nothing is
stored (no token table to leak) and nobody can make an address for someone else's reply. An
incoming reply is accepted only when its address parses, the mac matches AND the sender is that
participant's address (the inbound side checks the latter): a forwarded mail whose reader answers
from another address is not posted as the member.

Reply by e-mail is on when `COMMUNITY_REPLY_DOMAIN` is set (the domain the ESP or the site's own
mail server receives for); without it, `reply_address` returns None and mails invite the reader to
answer on the site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.crypto import salted_hmac

_SALT = "community.reply_tokens"
# 16 hex characters (64 bits) keep the local part short (RFC 5321: 64 at most) and unguessable.
_MAC_LENGTH = 16
_ADDRESS = re.compile(
    r"^reply\+(?P<topic>\d+)-(?P<participant>\d+)-(?P<mac>[0-9a-f]+)@(?P<domain>.+)$"
)


@dataclass(frozen=True)
class ReplyTarget:
    topic_id: int
    participant_id: int


def _mac(topic_id: int, participant_id: int) -> str:
    return salted_hmac(_SALT, f"{topic_id}-{participant_id}", algorithm="sha256").hexdigest()[
        :_MAC_LENGTH
    ]


def reply_address(*, topic_id: int, participant_id: int) -> str | None:
    """The address a member answers to about a topic, or None when reply by e-mail is off."""
    domain = settings.COMMUNITY_REPLY_DOMAIN
    if not domain:
        return None
    return f"reply+{topic_id}-{participant_id}-{_mac(topic_id, participant_id)}@{domain}"


def parse_reply_address(address: str) -> ReplyTarget | None:
    """The topic and member a reply address names, or None if it is not one of ours or forged."""
    match = _ADDRESS.match(address.strip().lower())
    domain = (settings.COMMUNITY_REPLY_DOMAIN or "").lower()
    if not match or not domain or match["domain"] != domain:
        return None
    topic_id, participant_id = int(match["topic"]), int(match["participant"])
    if not constant_time_compare(match["mac"], _mac(topic_id, participant_id)):
        return None
    return ReplyTarget(topic_id=topic_id, participant_id=participant_id)
