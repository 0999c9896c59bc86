"""Replies by e-mail: a member answers a community mail and their reply is posted to the topic.

Mail arrives two ways, and both end in `receive(message)`:
- an ESP's inbound webhook (`/anymail/<esp>/inbound/`, anymail's own views, which refuse a call
  without ANYMAIL_WEBHOOK_SECRET as the tracking webhook does, and check Mailgun's signature):
  anymail's `inbound` signal calls `inbound_receiver`;
- the site's own mail server piping each mail to `manage.py receive_mail`.

What `receive` does, in order:
1. Loops and automatic mail are dropped without an answer: auto-replies (Auto-Submitted,
   X-Autoreply, X-Autorespond, Precedence bulk/junk/list, "Out of office" subjects in our four
   languages), mailing lists (List-Id), delivery reports and bounces (an empty envelope sender,
   MAILER-DAEMON, postmaster), our own addresses as sender, what the ESP flagged as spam.
2. The reply address (`community.reply_tokens`) is looked for among the recipients: the envelope
   recipient the ESP or the mail server gives, Delivered-To, X-Original-To, To, Cc, Bcc.
3. The sender (From; the envelope sender when there is no From) must be the participant's current
   address, case aside. The envelope sender is not required to match: forwarding (SRS), bounce
   addresses and mailing services legitimately change it.
4. The topic must exist and be visible to the member, and the member may post as on the web form
   (an active account, the code of conduct accepted, the posting rate; a new member's reply waits
   for approval, as there). The text is the plain-text part, else the HTML part as text, with the
   quoted mail and signatures stripped (`community.quoting`).
5. The post records `source=email` and the mail's Message-ID (unique), so a mail delivered twice
   (an ESP's retry, a mail server's second delivery) is posted once.

Whoever a refusal can be explained to gets a short mail saying why (`emails/community/
reply_refused`, in their language), never the sender as such: a reply comes only to a member's
own address of record. Backscatter: answering an address we cannot verify (a forged token, an
unknown sender) would let anyone make the portal mail a third party, so then nothing is sent and
the refusal is logged. A valid token answered from another address is explained to the token's
member at their own address (their second address, or a colleague who got the mail forwarded),
never to the other address. A reply address that does not parse is explained only when the
sender is a member's address of record. Refusal mails are limited per member
(`REFUSAL_LIMITS`) and marked Auto-Submitted, so that two auto-responders cannot loop through us.

A mail too large to read (over the site's 2.5 MB request limit through a webhook, over
`receive_mail`'s limit through the mail server; a phone photo attached does it) is never posted,
but its member is told why rather than left in silence: the mail server's is read as far as its
headers and goes through the same checks (`receive(..., too_large_limit=...)`); a webhook's is
authenticated (ANYMAIL_WEBHOOK_SECRET) and only its start read, where every ESP puts the
recipients, to find a reply address whose mac is right (`webhook_oversize_answer`); its member is
told at their own address, as for a reply from another address.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from email.utils import parseaddr

from anymail.utils import get_anymail_setting
from anymail.utils import get_request_basic_auth
from django.conf import settings
from django.db import IntegrityError
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from community import services
from community.models import Post
from community.models import Topic
from community.quoting import html_to_text
from community.quoting import strip_reply
from community.reply_tokens import ReplyTarget
from community.reply_tokens import parse_reply_address
from community.selectors import topics_visible_to
from core.mail import MailBuilder
from core.mail import register_mail_builder
from core.mail import render_outgoing
from core.mail import send_later
from core.ratelimit import RateLimit
from core.request_guard import OversizeAnswer
from core.request_guard import declared_length
from core.request_guard import register_oversize_answer
from members.models import Participant

logger = logging.getLogger(__name__)

REFUSAL_TEMPLATE = "emails/community/reply_refused"
# At most this many "your reply was not posted" mails per member: a loop or a flood of forged
# mail cannot turn the portal into a mailer at a member.
REFUSAL_LIMITS = (
    RateLimit(scope="community:inbound-refusal-hour", amount=3, period=60 * 60),
    RateLimit(scope="community:inbound-refusal-day", amount=10, period=24 * 60 * 60),
)

# What happened to a mail (`Outcome.status`).
POSTED = "posted"
DUPLICATE = "duplicate"
REFUSED = "refused"
DROPPED = "dropped"

# Why it was refused (`Outcome.reason`; the refusal mail's `reason`).
UNKNOWN_ADDRESS = "unknown_address"
OTHER_SENDER = "other_sender"
TOPIC_GONE = "topic_gone"
NOT_MEMBER = "not_member"
CONDUCT_REQUIRED = "conduct_required"
RATE_LIMITED = "rate_limited"
EMPTY = "empty"
TOO_LONG = "too_long"
TOO_LARGE = "too_large"
# Why it was dropped without an answer.
AUTOMATIC = "automatic"
SPAM = "spam"

_OUT_OF_OFFICE = re.compile(
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|away from (?:the )?office"
    r"|on vacation|on holiday|réponse automatique|absent(?:e)? du bureau|absence du bureau"
    r"|message d['’]absence|respuesta automática|fuera de la oficina|ausente de la oficina"
    r"|resposta automática|fora do escritório|ausente do escritório|ausência",
    re.IGNORECASE,
)
_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str = ""
    post_id: int | None = None


# --- reading the mail ---------------------------------------------------------------------------


def _address(value: str | None) -> str:
    return parseaddr(value or "")[1].strip().lower()


def _from_address(message) -> str:
    """The one From address; the envelope sender when there is no From; "" for several."""
    values = message.get_all("From")
    if not values:
        return _address(message.envelope_sender)
    addresses = [address for _name, address in getaddresses(values) if address]
    return addresses[0].strip().lower() if len(addresses) == 1 else ""


def _recipients(message) -> list[str]:
    """Every address the mail was delivered to, the envelope's first."""
    values = [message.envelope_recipient or ""]
    for header in ("Delivered-To", "X-Original-To", "To", "Cc", "Bcc"):
        values.extend(message.get_all(header) or [])
    return [address for _name, address in getaddresses(values) if address]


def _reply_target(message) -> ReplyTarget | None:
    for address in _recipients(message):
        target = parse_reply_address(address)
        if target is not None:
            return target
    return None


def _own_addresses() -> set[str]:
    return {_address(settings.DEFAULT_FROM_EMAIL), _address(settings.SERVER_EMAIL)} - {""}


def automatic_reason(message) -> str | None:
    """Why the mail is automatic (an auto-reply, a bounce, a list's mail, our own), or None for
    a mail a person wrote."""
    auto_submitted = (message.get("Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autorespond-Sender", "List-Id"):
        if message.get(header) is not None:
            return f"{header} present"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    if message.envelope_sender is not None and _address(message.envelope_sender) == "":
        return "empty envelope sender (a bounce)"
    for sender in {_from_address(message), _address(message.envelope_sender)} - {""}:
        local, _at, domain = sender.partition("@")
        if local in _DAEMONS:
            return "sent by a mail server"
        if sender in _own_addresses():
            return "sent by the portal itself"
        if domain and domain == (settings.COMMUNITY_REPLY_DOMAIN or "").lower():
            return "sent from a reply address"
    if _OUT_OF_OFFICE.search(message.get("Subject") or ""):
        return "an out-of-office subject"
    return None


def message_id(message) -> str:
    """The mail's Message-ID, or (rarely missing) a digest of the whole mail: the same mail
    delivered twice has the same one."""
    value = (message.get("Message-ID") or "").strip()
    if not value:
        value = "sha256:" + hashlib.sha256(message.as_bytes()).hexdigest()
    return value[:255]


def _body(message, content_type: str) -> str:
    """The first body part of that type as text ("" when none). A charset Python does not know
    is read as UTF-8 rather than failing (an ESP would deliver the mail again for days)."""
    for part in message.walk():
        if part.get_content_type() != content_type or part.is_attachment():
            continue
        try:
            return part.get_content_text() or ""
        except LookupError:
            payload = part.get_payload(decode=True) or b""
            return payload.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return ""


def reply_text(message) -> str:
    """What the member wrote: the plain-text part, else the HTML part as text, stripped of the
    quoted mail and signatures."""
    text = _body(message, "text/plain")
    if not text.strip():
        text = html_to_text(_body(message, "text/html"))
    return strip_reply(text)


# --- receiving ------------------------------------------------------------------------------


def _member_by_address(address: str) -> Participant | None:
    """The member whose address of record is `address` (a registered, active account)."""
    if not address:
        return None
    return (
        Participant.objects.select_related("user")
        .filter(user__email__iexact=address, user__is_active=True, deleted_at__isnull=True)
        .first()
    )


def _log(outcome: Outcome, mail_id: str, detail: str = "") -> Outcome:
    # Never the reply address (a capability) nor the text; the Message-ID finds the mail.
    logger.info(
        "community inbound mail %s: %s %s %s", mail_id, outcome.status, outcome.reason, detail
    )
    return outcome


def receive(message, *, too_large_limit: int = 0) -> Outcome:
    """Post a member's reply by e-mail to its topic, or refuse or drop it (see the module).
    `too_large_limit`: the mail was larger than that many bytes and only its headers were read;
    it is refused, with that reason, once its token and sender are checked."""
    mail_id = message_id(message)
    if Post.objects.filter(inbound_message_id=mail_id).exists():
        return _log(Outcome(DUPLICATE), mail_id)
    automatic = automatic_reason(message)
    if automatic is not None:
        return _log(Outcome(DROPPED, AUTOMATIC), mail_id, automatic)
    if message.spam_detected:
        return _log(Outcome(DROPPED, SPAM), mail_id)
    sender = _from_address(message)
    target = _reply_target(message)
    if target is None:
        member = _member_by_address(sender)
        if member is not None:
            _refuse(member, UNKNOWN_ADDRESS, message)
        detail = "" if member else f"unverifiable sender at {sender.partition('@')[2]!r}"
        return _log(Outcome(REFUSED, UNKNOWN_ADDRESS), mail_id, detail)
    participant = (
        Participant.objects.select_related("user")
        .filter(pk=target.participant_id, deleted_at__isnull=True, user__is_active=True)
        .first()
    )
    if participant is None:
        return _log(Outcome(REFUSED, NOT_MEMBER), mail_id, f"participant {target.participant_id}")
    if not sender or sender != participant.address_of_record.strip().lower():
        if sender:  # a mail without one sender is not worth a word to anyone
            _refuse(participant, OTHER_SENDER, message, other_address=sender)
        return _log(Outcome(REFUSED, OTHER_SENDER), mail_id, f"participant {participant.pk}")
    text = reply_text(message)
    topic = topics_visible_to(participant).filter(pk=target.topic_id).first()
    if topic is None:
        return _refuse_logged(participant, TOPIC_GONE, message, mail_id, text=text)
    if too_large_limit:
        return _refuse_logged(
            participant, TOO_LARGE, message, mail_id, topic=topic, size_limit=too_large_limit
        )
    if not text:
        return _refuse_logged(participant, EMPTY, message, mail_id, topic=topic)
    if len(text) > Post._meta.get_field("text").max_length:
        return _refuse_logged(participant, TOO_LONG, message, mail_id, topic=topic, text=text)
    return _post(participant, topic, text, message, mail_id)


def _post(participant: Participant, topic: Topic, text: str, message, mail_id: str) -> Outcome:
    try:
        with transaction.atomic():
            post = services.post_reply(
                participant=participant,
                topic=topic,
                text=text,
                source=Post.Source.EMAIL,
                inbound_message_id=mail_id,
            )
    except services.CommunityRefused as error:
        reason = {
            services.CONDUCT_REQUIRED: CONDUCT_REQUIRED,
            services.RATE_LIMITED: RATE_LIMITED,
        }.get(error.code, error.code)
        return _refuse_logged(participant, reason, message, mail_id, topic=topic, text=text)
    except IntegrityError:
        # The same mail, delivered twice at the same moment: the other delivery posted it.
        if Post.objects.filter(inbound_message_id=mail_id).exists():
            return _log(Outcome(DUPLICATE), mail_id)
        raise
    return _log(Outcome(POSTED, post_id=post.pk), mail_id, f"status {post.status}")


# --- refusals -------------------------------------------------------------------------------


def _refuse_logged(
    participant, reason, message, mail_id, *, topic=None, text="", size_limit=0
) -> Outcome:
    _refuse(participant, reason, message, topic=topic, text=text, size_limit=size_limit)
    return _log(Outcome(REFUSED, reason), mail_id, f"participant {participant.pk}")


def _refuse(
    participant: Participant,
    reason: str,
    message,
    *,
    topic: Topic | None = None,
    text: str = "",
    other_address: str = "",
    size_limit: int = 0,
) -> None:
    """The short mail that says why a reply was not posted, to the member's own address."""
    to = participant.mailable_address
    if not to or any(limit.hit(str(participant.pk)) for limit in REFUSAL_LIMITS):
        return
    topic_url = settings.SITE_URL + reverse("community:topic", args=[topic.pk]) if topic else ""
    send_later(
        template=REFUSAL_TEMPLATE,
        context={
            "reason": reason,
            "first_name": participant.first_name,
            "subject": " ".join((message.get("Subject") or "").split())[:200],
            "topic_url": topic_url,
            "site_url": settings.SITE_URL,
            "community_url": settings.SITE_URL + reverse("community:rooms"),
            # What they wrote, so that nothing typed is lost (only to the verified member).
            "text": text,
            "other_address": other_address,
            "size_limit": size_limit,
            "in_reply_to": (message.get("Message-ID") or "").strip()[:255],
        },
        to=to,
        participant_id=participant.pk,
        language=participant.preferred_language,
    )


def _build_refusal(mail, context):
    built = render_outgoing(mail, context)
    # RFC 3834: an automatic answer, which auto-responders must not answer in turn.
    built.extra_headers["Auto-Submitted"] = "auto-replied"
    if context.get("in_reply_to"):
        built.extra_headers["In-Reply-To"] = context["in_reply_to"]
        built.extra_headers["References"] = context["in_reply_to"]
    return built


# --- a webhook's mail too large to read --------------------------------------------------------

# How much of an oversized webhook body is read to find the reply address: every ESP sends the
# recipients before the text and the attachments.
OVERSIZE_PEEK_BYTES = 64 * 1024
_INBOUND_WEBHOOK_PATH = re.compile(r"^/anymail/[a-z_]+/inbound(?:_mime)?/$")


def _webhook_authenticated(request) -> bool:
    """The webhook secret anymail checks (basic auth). Without one configured, an oversized
    body is not answered at all: anyone could otherwise make the portal mail a member."""
    secrets = get_anymail_setting("webhook_secret", default=[])
    if isinstance(secrets, str):
        secrets = [secrets] if secrets else []
    given = get_request_basic_auth(request) or ""
    return any(constant_time_compare(given, secret) for secret in secrets)


def _reply_target_in(peek: str) -> ReplyTarget | None:
    domain = settings.COMMUNITY_REPLY_DOMAIN
    if not domain:
        return None
    pattern = r"reply\+\d+-\d+-[0-9a-f]+@" + re.escape(domain)
    for match in re.finditer(pattern, peek, re.IGNORECASE):
        target = parse_reply_address(match.group(0))
        if target is not None:
            return target
    return None


def webhook_oversize_answer(request, limit: int) -> HttpResponse | None:
    """An ESP's inbound webhook whose body is over the site's limit (see the module): the
    member whose reply address it holds is told, and the ESP gets 200 so that it stops
    retrying. None (the guard's usual 413) when it is not authenticated or names no member."""
    if not _webhook_authenticated(request):
        return None
    peek = request.read(OVERSIZE_PEEK_BYTES).decode("latin-1")
    target = _reply_target_in(peek)
    if target is None:
        logger.info("community inbound mail over %s bytes without a reply address", limit)
        return None
    participant = (
        Participant.objects.select_related("user")
        .filter(pk=target.participant_id, deleted_at__isnull=True, user__is_active=True)
        .first()
    )
    mail_id = f"oversized webhook body ({declared_length(request)} bytes)"
    if participant is None:
        _log(Outcome(REFUSED, NOT_MEMBER), mail_id, f"participant {target.participant_id}")
        return HttpResponse()
    topic = topics_visible_to(participant).filter(pk=target.topic_id).first()
    _refuse_logged(participant, TOO_LARGE, EmailMessage(), mail_id, topic=topic, size_limit=limit)
    return HttpResponse()


def inbound_receiver(sender, event, esp_name, **kwargs) -> None:
    """anymail's `inbound` signal: every ESP's inbound webhook, normalised. Anymail has already
    refused calls without ANYMAIL_WEBHOOK_SECRET (and Mailgun's without its signature). An error
    here answers 500, so the ESP delivers the mail again later; the Message-ID makes that safe."""
    receive(event.message)


def register() -> None:
    from anymail.signals import inbound

    inbound.connect(inbound_receiver, dispatch_uid="community.inbound.inbound_receiver")
    # The refusal holds what the member wrote: it is dropped from the row once sent.
    register_mail_builder(
        MailBuilder(prefix=REFUSAL_TEMPLATE, build=_build_refusal, forget_context=True)
    )
    register_oversize_answer(
        OversizeAnswer(
            name="community_inbound",
            matches=lambda path: bool(_INBOUND_WEBHOOK_PATH.match(path)),
            answer=webhook_oversize_answer,
        )
    )
