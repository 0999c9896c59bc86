"""ESP batch sending: a claimed batch's rows that share a message template go out in one ESP call
per group, rather than one call per message.

When the mail backend is an anymail ESP that sends batches (`ESPS`) and the stream can build its
message as a template (`OutboundStream.build_template`), `sending.send_claimed` hands the claimed
rows here (and a claim takes at least one full ESP group: `widen`). They are grouped by template
key (a campaign, a language...), in id order, at most the ESP's recipients per call
(OUTBOUND_ESP_BATCH_SIZE lowers it; 0 or 1 turns batching off) and never the same address twice
in a group (anymail keys merge data by address). Per group:

1. One query for the group: which of its rows are still this batch's and whose campaign still
   sends (`campaign_sends`); when none are, the campaign was paused or cancelled: the rest of the
   batch goes back to `pending`. The stream's `skip_reason` is asked of each row as the batch
   loaded it (as the one-by-one sender does), and the skipped are marked in one UPDATE a reason.
2. The rows are stamped as handed over (`claimed_by` gets HANDED_OVER, `claimed_at` the time of
   the call): from here until their marks, a dead worker's group is uncertain as a whole, and
   waits for the ESP's webhooks (`sweep`). Before its first group the whole claim is marked as
   sent in groups (IN_GROUPS): its rows not yet handed over are certainly not in flight.
3. One call: the template in the ESP's merge syntax, `to` the group's addresses, per recipient
   `merge_data` (the fields), `merge_metadata` ({"stream", "id"}: the tracking receiver maps each
   event to its row as for a single message) and `merge_headers` (List-Unsubscribe, Message-ID).
4. In one commit (one UPDATE), each row `sent` with its own ESP message id
   (`anymail_status.recipients[address]`); a recipient the ESP refused inside the batch
   (rejected, invalid) is marked refused alone, one it failed to take goes back to the queue,
   and one its answer leaves out stays handed over for the webhooks. An error of the call
   itself hands the rest of the batch back and, for the group, depends on whether the ESP may
   have taken it (`esp_errors`): refused by the ESP (4xx) or never posted, the group goes back
   (an attempt counted, `failed` after MAX_ATTEMPTS); no answer or a 5xx, the group stays
   handed over, uncertain as a whole, as a killed worker leaves it: the sweep gives the webhooks
   OUTBOUND_UNCERTAIN_SECONDS and sends again only what the ESP never reported.

Postmark merges per-recipient data only into templates stored at Postmark; its /email/batch takes
up to 500 complete messages in one call, so for Postmark the fields are filled in while the
payload is built (`PostmarkBatchBackend`). Amazon SES takes 50 recipients a call, with the
template inline in the call (`ses.SesBatchBackend`: its escaping, headers and statuses).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from anymail.backends.postmark import EmailBackend as PostmarkBackend
from anymail.backends.postmark import PostmarkPayload
from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone

from core.outbound import ses
from core.outbound.esp_errors import certainly_not_taken
from core.outbound.handover import mark_rows_sent
from core.outbound.marks import mark_failed_or_retry
from core.outbound.marks import mark_refused
from core.outbound.marks import new_message_id
from core.outbound.marks import release
from core.outbound.marks import row_metadata
from core.outbound.marks import still_ours
from core.outbound.marks import stream_tags
from core.outbound.registry import OutboundStream
from core.outbound.templates import MessageTemplate
from core.outbound.templates import filled_headers
from core.outbound.templates import merge_values
from core.outbound.templates import translate
from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus

logger = logging.getLogger(__name__)

# Appended to `claimed_by` when a batch starts sending in groups: none of its rows is in flight
# until its group is stamped as handed over (the sweep gives them all back at once).
IN_GROUPS = "#groups"
# Appended to `claimed_by` right before a group's call: the sweep then knows that every row of
# that claim may have been handed over, not only its lowest id.
HANDED_OVER = "#handed-over"
# What anymail reports for a recipient the ESP took (with a message id when "unknown"), and for
# one it refused; anything else ("failed") it did not take.
_TAKEN = {"sent", "queued", "unknown"}
_REFUSED = {"rejected", "invalid"}


@dataclass(frozen=True)
class Esp:
    """How one ESP batches: its most recipients per call, how a merge field is written in the
    message (`syntax`, None: filled in by `backend` itself), and the key each recipient's
    merge data takes for that field (`merge_key`)."""

    max_recipients: int
    syntax: Callable[[str], str]
    merge_key: Callable[[str], str] = lambda name: name
    backend: str | None = None
    esp_extra: dict | None = None


def _mustache(name: str) -> str:
    return "{{" + name + "}}"


ESPS: dict[str, Esp] = {
    # /email/batch: 500 messages a call; filled in by our payload (see the module docstring).
    "postmark": Esp(500, _mustache, backend="core.outbound.batching.PostmarkBatchBackend"),
    # Recipient variables; 1,000 recipients a call.
    "mailgun": Esp(1000, lambda name: f"%recipient.{name}%"),
    # Legacy substitutions: the key is the literal text replaced; 1,000 personalizations a call.
    "sendgrid": Esp(1000, lambda name: f"-{name}-", merge_key=lambda name: f"-{name}-"),
    # messageVersions with params.
    "brevo": Esp(1000, lambda name: "{{ params." + name + " }}"),
    # Send API v3.1: 50 messages a call; variables need its template language switched on.
    "mailjet": Esp(
        50,
        lambda name: "{{var:" + name + "}}",
        esp_extra={"Globals": {"TemplateLanguage": True}},
    ),
    # SendBulkEmail: 50 destinations a call, the template inline (see core/outbound/ses.py).
    "amazon_ses": Esp(ses.MAX_ENTRIES, ses.token, backend="core.outbound.ses.SesBatchBackend"),
}

_ANYMAIL_BACKEND = re.compile(r"^anymail\.backends\.(?P<esp>\w+)\.EmailBackend$")


def esp_for_backend() -> tuple[str, Esp] | None:
    match = _ANYMAIL_BACKEND.match(settings.EMAIL_BACKEND)
    if match is None or match["esp"] not in ESPS:
        return None
    return match["esp"], ESPS[match["esp"]]


def group_size(esp: Esp) -> int:
    """Recipients per call: the ESP's most, or OUTBOUND_ESP_BATCH_SIZE when smaller."""
    wanted = settings.OUTBOUND_ESP_BATCH_SIZE
    return esp.max_recipients if wanted is None else min(wanted, esp.max_recipients)


def batches(stream: OutboundStream) -> Esp | None:
    """The ESP this stream's rows go out through in batches, or None (one call per message)."""
    found = esp_for_backend()
    if found is None or stream.build_template is None or group_size(found[1]) <= 1:
        return None
    return found[1]


def widen(stream: OutboundStream, campaign):
    """The campaign as a batch claims it: through an ESP that batches, at least one full ESP
    group at a time (a newsletter's claims of 200 in three languages would otherwise make three
    calls of 70). The pace (`rate_per_hour`) still limits every claim."""
    esp = batches(stream)
    if esp is None or campaign.batch_size >= group_size(esp):
        return campaign
    return dataclasses.replace(campaign, batch_size=group_size(esp))


# --- groups ---------------------------------------------------------------------------------------


def groups(keyed: list[tuple[object, OutboundMessage]], size: int) -> list[list[OutboundMessage]]:
    """Rows (with their template key, in id order) in groups of one key, at most `size` each and
    never one address twice; each group in id order, the groups by their first row."""
    open_groups: dict[object, list[OutboundMessage]] = {}
    addresses: dict[object, set[str]] = {}
    done: list[list[OutboundMessage]] = []
    for key, row in keyed:
        address = row.email.lower()
        group = open_groups.get(key)
        if group is not None and (len(group) >= size or address in addresses[key]):
            done.append(group)
            group = None
        if group is None:
            group = open_groups[key] = []
            addresses[key] = set()
        group.append(row)
        addresses[key].add(address)
    done.extend(open_groups.values())
    return sorted(done, key=lambda group: group[0].pk)


# --- sending --------------------------------------------------------------------------------------


def send_rows(stream: OutboundStream, rows: list, result, deadline: float, esp: Esp):
    """Send a claimed batch's rows in ESP groups; counts into `result` (a `sending.BatchResult`)."""
    built: dict[int, tuple[MessageTemplate, dict[str, str]]] = {}
    for row in rows:
        try:
            built[row.pk] = stream.build_template(row)
        except Exception as exc:
            # No longer wanted (a digest with nothing left to list) rather than broken?
            reason = stream.skip_reason(row) if stream.skip_reason else None
            if reason:
                result.skipped += _skip(stream, [row.pk], reason)
                continue
            logger.exception("outbound: %s %s could not be built", stream.name, row.pk)
            result.failed += mark_failed_or_retry(stream, row, error=str(exc))
    keyed = [(built[row.pk][0].key, row) for row in rows if row.pk in built]
    _mark_in_groups(stream, [row for _key, row in keyed])
    planned = groups(keyed, group_size(esp))
    connection = get_connection(backend=esp.backend) if esp.backend else get_connection()
    for index, group in enumerate(planned):
        rest = [row for later in planned[index:] for row in later]
        if time.monotonic() > deadline:
            result.released += release(stream, rest)
            break
        ours = still_ours(stream, group)
        if not ours:
            # Paused or cancelled meanwhile (or the sweep took the rows back): stop now.
            result.released += release(stream, rest)
            logger.info("outbound: %s stopped a batch, %s rows handed back", stream.name, len(rest))
            break
        group = [row for row in group if row.pk in ours]
        if not _send_group(stream, group, built, result, connection, esp):
            # The call failed: the connection may be broken; the rest waits for the next batch.
            result.released += release(
                stream, [row for later in planned[index + 1 :] for row in later]
            )
            break
    return result


def _mark_in_groups(stream: OutboundStream, rows: list[OutboundMessage]) -> None:
    if not rows:
        return
    first = rows[0]
    stream.model._default_manager.filter(
        pk__in=[row.pk for row in rows],
        status=OutboundStatus.SENDING,
        claimed_at=first.claimed_at,
        claimed_by=first.claimed_by,
    ).update(claimed_by=f"{first.claimed_by}{IN_GROUPS}"[:255])
    for row in rows:
        row.claimed_by = f"{row.claimed_by}{IN_GROUPS}"[:255]


def _send_group(stream, rows, built, result, connection, esp: Esp) -> bool:
    """One ESP call for rows of one template; False when the call itself failed. The stream's
    `skip_reason` reads the rows as the batch loaded them, as the one-by-one sender does."""
    wanted: list[tuple[OutboundMessage, dict[str, str]]] = []
    skipped: dict[str, list[int]] = {}
    for row in rows:
        reason = stream.skip_reason(row) if stream.skip_reason else None
        if reason:
            skipped.setdefault(reason[:500], []).append(row.pk)
            continue
        wanted.append((row, built[row.pk][1]))
    for reason, pks in skipped.items():
        result.skipped += _skip(stream, pks, reason)
    if not wanted:
        return True
    template = built[wanted[0][0].pk][0]
    message = _batch_message(stream, template, wanted, esp)
    message.connection = connection
    _hand_over(stream, [row for row, _values in wanted])
    try:
        message.send()
    except AnymailRecipientsRefused as exc:
        # Every recipient refused: each as good as a bounce.
        for row, _values in wanted:
            result.refused += 1
            mark_refused(stream, row, error=str(exc))
        return True
    except Exception as exc:
        if not certainly_not_taken(exc):
            # No answer, or a 5xx: the ESP may hold every message of the group. The rows stay
            # handed over, as a killed worker leaves them, for the webhooks (`esp_errors`).
            logger.exception(
                "outbound: %s batch of %s may have reached the ESP; left for its webhooks",
                stream.name,
                len(wanted),
            )
            return False
        logger.exception("outbound: %s batch of %s could not be sent", stream.name, len(wanted))
        for row, _values in wanted:
            result.failed += mark_failed_or_retry(stream, row, error=str(exc))
        return False
    _mark_group(stream, wanted, message, result)
    return True


def _skip(stream: OutboundStream, pks: list[int], reason: str) -> int:
    return stream.model._default_manager.filter(pk__in=pks, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.SKIPPED, last_error=reason[:500]
    )


def _batch_message(stream, template: MessageTemplate, wanted, esp: Esp):
    message = translate(template, esp.syntax)
    message.to = [row.email for row, _values in wanted]
    message.tags = stream_tags(stream)
    message.merge_data = {
        row.email: {
            esp.merge_key(name): value for name, value in merge_values(template, values).items()
        }
        for row, values in wanted
    }
    message.merge_metadata = {row.email: row_metadata(stream, row) for row, _values in wanted}
    message.merge_headers = {
        row.email: {**filled_headers(template, values), "Message-ID": new_message_id(stream, row)}
        for row, values in wanted
    }
    if esp.esp_extra:
        message.esp_extra = esp.esp_extra
    return message


def _hand_over(stream: OutboundStream, rows: list[OutboundMessage]) -> None:
    """Mark the group as handed over, with the time, before the call (its own commit): a worker
    killed from here on leaves the whole group for the webhooks to settle (`sweep`)."""
    now = timezone.now()
    first = rows[0]
    stream.model._default_manager.filter(
        pk__in=[row.pk for row in rows], status=OutboundStatus.SENDING
    ).update(claimed_at=now, claimed_by=f"{process_of(first.claimed_by)}{HANDED_OVER}"[:255])


def process_of(claimed_by: str) -> str:
    """The worker process of a claim, without the marks the batch sender adds."""
    return claimed_by.removesuffix(HANDED_OVER).removesuffix(IN_GROUPS)


def _recipient_status(statuses: dict, address: str):
    status = statuses.get(address)
    if status is None:  # anymail keys by the address as sent; the ESP may change its case
        lowered = address.lower()
        status = next((s for key, s in statuses.items() if key.lower() == lowered), None)
    return status


def _mark_group(stream, wanted, message, result) -> None:
    """Each row `sent` with its own ESP message id, in one UPDATE (`handover.mark_rows_sent`, as
    the SMTP groups are marked); a recipient refused inside the batch alone, and one the ESP
    says it failed to take back to the queue. A recipient the answer does not mention (or, as
    anymail's Postmark backend reports it, mentions as "unknown" without a message id) may or
    may not have been taken: its row stays handed over for the webhooks, like a lost answer."""
    statuses = getattr(getattr(message, "anymail_status", None), "recipients", None) or {}
    taken, refused, failed, unreported = [], [], [], []
    for row, _values in wanted:
        status = _recipient_status(statuses, row.email)
        if status is None or (status.status == "unknown" and not status.message_id):
            unreported.append(row)
        elif status.status in _REFUSED:
            refused.append((row, status.status))
        elif status.status not in _TAKEN:
            failed.append((row, status.status))
        else:
            esp_id = status.message_id or message.merge_headers[row.email]["Message-ID"]
            taken.append((row, str(esp_id)[:255]))
    result.sent += mark_rows_sent(stream, taken, timezone.now())
    for row, status in refused:
        result.refused += 1
        mark_refused(stream, row, error=f"the ESP refused the address ({status})")
    for row, status in failed:
        result.failed += mark_failed_or_retry(stream, row, error=f"the ESP said {status}")
    if unreported:
        logger.warning(
            "outbound: %s: the ESP's answer left out %s of %s; left for its webhooks: %s",
            stream.name,
            len(unreported),
            len(wanted),
            [row.pk for row in unreported],
        )


# --- Postmark -------------------------------------------------------------------------------------


class PostmarkBatchPayload(PostmarkPayload):
    """Postmark's /email/batch with each recipient's fields filled into their own copy of the
    subject and bodies (Postmark merges only into its stored templates)."""

    def get_api_endpoint(self):
        if self.merge_data and "TemplateId" not in self.data and "TemplateAlias" not in self.data:
            return "email/batch"
        return super().get_api_endpoint()

    def data_for_recipient(self, to):
        data = super().data_for_recipient(to)
        values = data.pop("TemplateModel", None) or {}
        for part in ("Subject", "TextBody", "HtmlBody"):
            if part in data:
                text = data[part]
                for name, value in values.items():
                    text = text.replace(_mustache(name), value)
                data[part] = text
        return data


class PostmarkBatchBackend(PostmarkBackend):
    def build_message_payload(self, message, defaults):
        return PostmarkBatchPayload(message, defaults, self)
