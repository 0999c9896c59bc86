"""Handing a group's messages to the mail backend and marking what it took: the connections a
batch keeps busy, one lane of messages per connection (a thread each), the SMTP hand-over that
costs less CPU than Django's own, and the one UPDATE that marks a group `sent`. `sending` decides
what is sent when; this module only moves messages and records the backend's answers."""

from __future__ import annotations

import functools
import re
import smtplib
import threading
from datetime import datetime

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import connection as db_connection

from core.outbound.registry import OutboundStream
from core.outbound.wire import WireMessage
from core.outbound.wire import flatten
from core.outbound_model import OutboundStatus


def message_id_of(message: EmailMessage | WireMessage) -> str:
    if isinstance(message, WireMessage):
        return message.message_id[:255]
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        message_id = status.message_id
        # Anymail gives a set when recipients got different ids; ours have one recipient.
        if isinstance(message_id, set):
            message_id = sorted(message_id)[0]
        return str(message_id)[:255]
    return message.extra_headers.get("Message-ID", "")[:255]


def open_connections(count: int) -> list | Exception:
    connections = []
    for _ in range(max(count, 1)):
        connection = get_connection()
        try:
            connection.open()
        except Exception as exc:
            if not connections:
                return exc
            break  # fewer connections than asked for: the server limits them
        connections.append(connection)
    return connections


# What became of one message of a group.
SENT, REFUSED, FAILED, NOT_SENT = "sent", "refused", "failed", "not sent"


def hand_over(lane, connection, broken: threading.Event) -> list[tuple]:
    """Send a lane's messages over one connection, in order; after a failure on any lane
    (`broken`) the rest is left unsent, certainly never handed over."""
    outcomes = []
    for row, message in lane:
        if broken.is_set():
            outcomes.append((row, message, NOT_SENT, ""))
            continue
        try:
            _deliver(message, connection)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _answer in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                outcomes.append((row, message, REFUSED, str(exc)))
                continue
            # Refused for now (greylisting, a full mailbox, the server closing): not the
            # address's fault, so no bounce; the message is tried again (an attempt counted).
            if 421 in codes:
                broken.set()  # the server closed the connection
            outcomes.append((row, message, FAILED, f"temporarily refused: {exc}"))
            continue
        except AnymailRecipientsRefused as exc:
            outcomes.append((row, message, REFUSED, str(exc)))
            continue
        except Exception as exc:
            broken.set()
            outcomes.append((row, message, FAILED, f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append((row, message, SENT, ""))
    return outcomes


def is_django_smtp(connection) -> bool:
    """Whether the connection is Django's own SMTP backend, which `_deliver` bypasses."""
    return getattr(type(connection), "_send", None) is SmtpBackend._send


def _deliver(message: EmailMessage | WireMessage, connection) -> None:
    """Hand one message to the backend. Over Django's own SMTP backend, what its `_send` does
    with less CPU and the same bytes on the wire but the MIME boundary (`wire.flatten`): the
    sender's address is sanitised once per process and a plain recipient address is taken as is.
    A `WireMessage` (only ever made for Django's SMTP backend) goes as its bytes."""
    smtp = getattr(connection, "connection", None)
    if isinstance(message, WireMessage):
        encoding = settings.DEFAULT_CHARSET
        _send_one(
            smtp,
            _sanitized(message.from_email, encoding),
            _recipient(message.to, encoding),
            message.data,
        )
        return
    if not is_django_smtp(connection) or smtp is None:
        message.connection = connection
        message.send()
        return
    recipients = message.recipients()
    if not recipients:
        return
    encoding = message.encoding or settings.DEFAULT_CHARSET
    smtp.sendmail(
        _sanitized(message.from_email, encoding),
        [_recipient(address, encoding) for address in recipients],
        flatten(message.message()),
    )


def _send_one(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """What `smtplib.SMTP.sendmail` does for one recipient, the same commands and the same errors,
    with the addresses quoted without parsing them again for every message (`quoteaddr` parses
    each address: a tenth of a message's CPU)."""
    smtp.ehlo_or_helo_if_needed()
    size = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:{_quoted(sender)}{size}")
    code, answer = smtp.getreply()
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    smtp.putcmd("rcpt", f"TO:{_quoted(recipient)}")
    code, answer = smtp.getreply()
    if code not in (250, 251):
        _abandon(smtp, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
    code, answer = smtp.data(data)
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, answer)


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    # As smtplib does: the server closing (421) ends the connection, anything else resets it.
    if code == 421:
        smtp.close()
    else:
        smtp._rset()


def _quoted(address: str) -> str:
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else _quoted_once(address)


@functools.lru_cache(maxsize=256)  # the sender's address, the odd recipient
def _quoted_once(address: str) -> str:
    return smtplib.quoteaddr(address)


def _recipient(address: str, encoding: str) -> str:
    return address if _PLAIN_ADDRESS.fullmatch(address) else sanitize_address(address, encoding)


# An address `sanitize_address` would return unchanged: nothing to quote, encode or punycode.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@[a-z0-9-]+(\.[a-z0-9-]+)+")


@functools.lru_cache(maxsize=32)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def mark_sent(stream: OutboundStream, sent: list[tuple], now: datetime) -> int:
    """One UPDATE for a group of (row, message) the backend took: each row `sent` with its
    message's id (and the stream's `sent_fields`), only while it is still `sending`."""
    return mark_rows_sent(stream, [(row, message_id_of(message)) for row, message in sent], now)


def mark_rows_sent(stream: OutboundStream, taken: list[tuple], now: datetime) -> int:
    """The same for (row, message id) pairs: the ESP batch sender (`batching`) has one id per
    recipient of one message. Returns how many rows were still `sending` and are now `sent`."""
    if not taken:
        return 0
    marks = [(row, message_id, stream.sent_fields(row, now)) for row, message_id in taken]
    names = sorted(marks[0][2])
    if db_connection.vendor != "postgresql" or any(sorted(extra) != names for *_, extra in marks):
        return _mark_sent_portably(stream, marks, now)
    # UPDATE ... FROM (VALUES ...): one statement, the per-row values cast to their columns.
    # (Django's bulk_update builds a CASE per field and row: most of a group's CPU time.)
    meta = stream.model._meta
    fields = [meta.get_field("esp_message_id"), *(meta.get_field(name) for name in names)]
    quote = db_connection.ops.quote_name
    row_sql = "(%s, " + ", ".join(f"%s::{f.cast_db_type(db_connection)}" for f in fields) + ")"
    params: list = []
    for row, message_id, extra in marks:
        params.append(row.pk)
        params.extend(
            field.get_db_prep_save(value, db_connection)
            for field, value in zip(fields, [message_id, *(extra[n] for n in names)], strict=True)
        )
    assignments = ", ".join(f"{quote(f.column)} = v.c{n}" for n, f in enumerate(fields))
    columns = ", ".join(f"c{n}" for n in range(len(fields)))
    pk_column = quote(meta.pk.column)
    status, sent_at, last_error = (
        quote(meta.get_field(name).column) for name in ("status", "sent_at", "last_error")
    )
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {status} = %s, {sent_at} = %s, "
        f"{last_error} = '', {assignments} "
        f"FROM (VALUES {', '.join([row_sql] * len(marks))}) AS v(id, {columns}) "
        f"WHERE t.{pk_column} = v.id AND t.{status} = %s"
    )
    now_value = meta.get_field("sent_at").get_db_prep_save(now, db_connection)
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [OutboundStatus.SENT, now_value, *params, OutboundStatus.SENDING])
        return cursor.rowcount


def _mark_sent_portably(stream: OutboundStream, marks: list[tuple], now: datetime) -> int:
    rows, fields = [], {"status", "sent_at", "esp_message_id", "last_error"}
    for row, message_id, extra in marks:
        fields.update(extra)
        row.status, row.sent_at, row.last_error = OutboundStatus.SENT, now, ""
        row.esp_message_id = message_id
        for name, value in extra.items():
            setattr(row, name, value)
        rows.append(row)
    manager = stream.model._default_manager
    return manager.filter(status=OutboundStatus.SENDING).bulk_update(rows, sorted(fields))
