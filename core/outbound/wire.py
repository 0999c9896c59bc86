"""A message as the bytes an SMTP server receives, and a campaign's template as bytes built once.

`flatten` writes a Django message as Django's SMTP backend does (compat32, CRLF), with less CPU:
a random MIME boundary rather than one searched for in the text, and header lines that need no
folding or encoding written as they are (`_WirePolicy`).

`Skeleton` goes further for the messages a stream builds from a `MessageTemplate` (invitations,
reminders, newsletters, digests): the template's message is flattened once, placeholders still in
it, and a recipient's message is those bytes with each placeholder replaced by its value as its
part takes it (as is in the text part, HTML-escaped in the HTML part). The headers that differ per
recipient (To, Date, Message-ID, the template's per-recipient headers, a subject holding a field)
are written by the same functions Django's message and the generator use. Building each message
through the `email` package cost most of the sender's CPU per message (issue 14); a skeleton's
message costs a few string joins. The bytes are the same as `flatten(fill(...).message())` would
write with the same boundary and Date: the tests compare them for every stream that has templates.

Where they could differ, `render` returns None and the sender builds the message the full way:
- a part the template already writes quoted-printable or base64 (a line over 998 bytes: a soft
  line break may cut a placeholder), an attachment, a nested multipart (`build` refuses it);
- a value holding a line break, or any character `str.splitlines` breaks a line at (Django
  refuses the first in a header and splits at the others; the full path does what it does);
- a filled line over 998 bytes (Django would write that part quoted-printable).
"""

from __future__ import annotations

import email.quoprimime
import io
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from email.charset import RFC2047_CHROME_LEN
from email.charset import Charset
from email.generator import BytesGenerator
from email.header import MAXLINELEN
from email.header import Header
from email.policy import compat32
from email.utils import formatdate

from django.conf import settings
from django.core.mail.message import ADDRESS_HEADERS
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT
from django.core.mail.message import forbid_multi_line_headers

from core.outbound.templates import MessageTemplate
from core.outbound.templates import filled_headers
from core.outbound.templates import html_key
from core.outbound.templates import html_values
from core.outbound.templates import placeholder
from core.outbound.templates import translate

CRLF = b"\r\n"


# What `str.splitlines` (and so Django's header encoding) breaks a line at: a value holding one
# goes the full way, never through a shortcut here.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class _WirePolicy(type(compat32)):
    """The policy Django's messages are written with (compat32), but a header line that needs no
    folding or encoding (plain ASCII, one line, short enough) is written as it is rather than
    through `email.header.Header`, which gives the same bytes with far more work."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + 2 + len(value) <= (self.max_line_length or 0)
            and not _LINE_BREAK.search(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


WIRE_POLICY = _WirePolicy()
# What the generator folds with when it writes CRLF: header lines written alone must match.
_HEADER_POLICY = WIRE_POLICY.clone(linesep="\r\n")


def new_boundary() -> str:
    return f"==={secrets.token_hex(16)}=="


def flatten(mime, boundary: str | None = None) -> bytes:
    """A Django MIME message's bytes as its SMTP backend writes them, but the boundary."""
    if mime.is_multipart():
        mime.set_boundary(boundary or new_boundary())
    wire = io.BytesIO()
    BytesGenerator(wire, mangle_from_=False, policy=WIRE_POLICY).flatten(mime, linesep="\r\n")
    return wire.getvalue()


class _LinearCharset(Charset):
    """UTF-8 as `email.charset` writes headers, the encoded words split at the same characters,
    found in linear time: the standard library encodes and measures the whole line again for each
    character it adds, which made a subject with an accent or a name in it (an invitation in French)
    cost more CPU than the rest of its message. A UTF-8 line's encoded length is the sum of its
    characters' (quoted-printable) or follows from its byte count (base64). Tests compare both."""

    def header_encode_lines(self, string, maxlengths):
        codec = self.output_codec
        encoder = self._get_encoder(string.encode(codec))
        quoted_printable = encoder is email.quoprimime

        def grow(length: int, octets: int, encoded: bytes) -> int:
            """The line's encoded length once `encoded` joins its `octets` bytes."""
            if quoted_printable:
                return length + encoder.header_length(encoded)
            return (octets + len(encoded) + 2) // 3 * 4  # base64: 4 per 3 octets or part of them

        extra = len(self.get_output_charset()) + RFC2047_CHROME_LEN
        lines: list[str | None] = []
        start = octets = length = 0  # the line being filled: its first character, its size
        maxlen = next(maxlengths) - extra
        for index, character in enumerate(string):
            encoded = character.encode(codec)
            length = grow(length, octets, encoded)
            if length > maxlen:  # the character goes on the next line
                if not lines and index == start:
                    lines.append(None)  # nothing fits on the first line
                else:
                    lines.append(encoder.header_encode(string[start:index].encode(codec), codec))
                start, octets, length = index, 0, grow(0, 0, encoded)
                maxlen = next(maxlengths) - extra
            octets += len(encoded)
        lines.append(encoder.header_encode(string[start:].encode(codec), codec))
        return lines


_UTF8 = _LinearCharset("utf-8")


def header_line(name: str, value: str, encoding: str) -> bytes:
    """One header as Django's message stores it and the generator writes it."""
    if _LINE_BREAK.search(value):
        return _HEADER_POLICY.fold_binary(*forbid_multi_line_headers(name, value, encoding))
    if name.lower() == "subject" and value.isascii() and len(value) <= MAXLINELEN:
        # Django passes an ASCII subject through `Header(value).encode()`, which gives a value
        # this short back unchanged, and costs more than the rest of the header line.
        return _HEADER_POLICY.fold_binary(name, value)
    if (
        encoding.lower() in ("utf-8", "utf8")
        and not value.isascii()
        and name.lower() not in ADDRESS_HEADERS
    ):
        # What `forbid_multi_line_headers` does with such a value, with the faster charset.
        return _HEADER_POLICY.fold_binary(name, Header(value, _UTF8).encode())
    return _HEADER_POLICY.fold_binary(*forbid_multi_line_headers(name, value, encoding))


# The stand-in recipient of the flattened template: replaced per recipient, never sent.
_PROBE_TO = "recipient@skeleton.invalid"
_PROBE_MESSAGE_ID = "<skeleton@skeleton.invalid>"
_HEADER_NAME = re.compile(rb"[!-9;-~]+:")
# Captured: `split` then keeps each placeholder between the literal bytes around it.
_PLACEHOLDER = re.compile(rb"(ZqMRGx[a-z0-9]+xMRGqZ)")
_CTE_7BIT = b"Content-Transfer-Encoding: 7bit\r\n"
_CTE_8BIT = b"Content-Transfer-Encoding: 8bit\r\n"


@dataclass(frozen=True)
class _Chunk:
    """Bytes holding placeholders: `pieces` alternates literal bytes and placeholder names
    (`pieces[1::2]`). `seven_bit`: the part the chunk belongs to says 7bit, which a non-ASCII
    value turns into 8bit (as Django's `encode_7or8bit` would have decided)."""

    pieces: tuple[bytes, ...]
    seven_bit: bool

    @classmethod
    def of(cls, data: bytes, seven_bit: bool) -> _Chunk:
        return cls(tuple(_PLACEHOLDER.split(data)), seven_bit)

    @property
    def has_fields(self) -> bool:
        return len(self.pieces) > 1

    def fill(self, values: dict[bytes, bytes]) -> bytes | None:
        pieces = list(self.pieces)
        for index in range(1, len(pieces), 2):
            pieces[index] = values[pieces[index]]
        data = b"".join(pieces)
        if self.seven_bit and not data.isascii():
            data = data.replace(_CTE_7BIT, _CTE_8BIT, 1)
        if len(max(data.split(CRLF), key=len)) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
            return None
        return data


@dataclass(frozen=True)
class Skeleton:
    """A template's message flattened once (see the module).
    - `headers`: the top-level header lines in Django's order, each bytes, or the lower-case
      name of a header written per recipient.
    - `body`: the chunks after the headers, joined by `delimiter` (a multipart's boundary line;
      one chunk per part) or alone (a message of one part).
    - `cte_per_recipient`: a one-part message whose top-level 7bit a non-ASCII value turns 8bit."""

    template: MessageTemplate
    encoding: str
    headers: tuple[bytes | str, ...]
    body: tuple[_Chunk, ...]
    delimiter: bytes
    adds_date: bool
    subject_has_fields: bool
    cte_per_recipient: bool

    @classmethod
    def build(cls, template: MessageTemplate) -> Skeleton | None:
        source = template.message
        if source.attachments or source.cc or source.bcc:
            return None
        # Each field twice: as is (subject, text) and HTML-escaped (`templates.html_key`).
        probe = translate(template, placeholder)
        named = {name.lower() for name in (*source.extra_headers, *template.headers)}
        if "message-id" in named or "to" in named:
            return None  # one Message-ID or To for every recipient: let the full path have them
        probe.extra_headers.update(dict.fromkeys(template.headers, "x"))
        probe.extra_headers["Message-ID"] = _PROBE_MESSAGE_ID
        probe.to = [_PROBE_TO]
        mime = probe.message()
        parts = mime.get_payload() if mime.is_multipart() else [mime]
        if any(
            part.is_multipart() or part["Content-Transfer-Encoding"] not in ("7bit", "8bit")
            for part in parts
        ):
            return None
        boundary = new_boundary()
        head, _, body = flatten(mime, boundary).partition(CRLF + CRLF)
        subject_has_fields = _PLACEHOLDER.search(probe.subject.encode()) is not None
        per_recipient = {"to", "message-id", *(name.lower() for name in template.headers)}
        if "date" not in named:
            per_recipient.add("date")
        if subject_has_fields:
            per_recipient.add("subject")
        if mime.is_multipart():
            delimiter = b"--" + boundary.encode("ascii")
            chunks = tuple(
                _Chunk.of(piece, _CTE_7BIT in piece.partition(CRLF + CRLF)[0] + CRLF)
                for piece in body.split(delimiter)
            )
            cte_per_recipient = False
        else:
            delimiter = b""
            chunks = (_Chunk.of(body, False),)
            cte_per_recipient = mime["Content-Transfer-Encoding"] == "7bit" and chunks[0].has_fields
            if cte_per_recipient:
                per_recipient.add("content-transfer-encoding")
        known = {placeholder(name).encode() for name in template.fields}
        known |= {placeholder(html_key(name)).encode() for name in template.fields}
        if any(not set(chunk.pieces[1::2]) <= known for chunk in chunks):
            return None  # a placeholder no field fills: the full path shows what it is
        headers: list[bytes | str] = []
        for line in _header_lines(head + CRLF):
            if not _HEADER_NAME.match(line):
                return None  # a line break Django let into a header value: not ours to repeat
            name = line.split(b":", 1)[0].decode("ascii").lower()
            if name in per_recipient:
                headers.append(name)
            elif _PLACEHOLDER.search(line):
                return None  # a field in a header nobody fills per recipient
            else:
                headers.append(line)
        return cls(
            template=template,
            encoding=source.encoding or settings.DEFAULT_CHARSET,
            headers=tuple(headers),
            body=chunks,
            delimiter=delimiter,
            adds_date="date" not in named,
            subject_has_fields=subject_has_fields,
            cte_per_recipient=cte_per_recipient,
        )

    def render(
        self, values: dict[str, str], *, to: str, headers: dict[str, str], date: str = ""
    ) -> bytes | None:
        """One recipient's message, or None where it must be built the full way (see module).
        `headers`: the template's per-recipient headers filled in, and the Message-ID."""
        template = self.template
        plain = {name: values[name] for name in template.fields}
        html = html_values(template, values)
        if any(_LINE_BREAK.search(value) for value in (*plain.values(), *html.values())):
            return None
        encoding = self.encoding
        filled = {
            placeholder(name).encode(): value.encode(encoding) for name, value in plain.items()
        }
        for name, value in html.items():
            filled[placeholder(html_key(name)).encode()] = value.encode(encoding)
        body = []
        for chunk in self.body:
            data = chunk.fill(filled) if chunk.has_fields else chunk.pieces[0]
            if data is None:
                return None
            body.append(data)
        named = {name.lower(): (name, value) for name, value in headers.items()}
        named["to"] = ("To", to)
        if self.adds_date:
            named["date"] = ("Date", date or formatdate(localtime=settings.EMAIL_USE_LOCALTIME))
        if self.subject_has_fields:
            subject = template.message.subject
            for name, value in plain.items():
                subject = subject.replace(placeholder(name), value)
            named["subject"] = ("Subject", subject)
        if self.cte_per_recipient:
            cte = "7bit" if body[0].isascii() else "8bit"
            named["content-transfer-encoding"] = ("Content-Transfer-Encoding", cte)
        out = [
            line if isinstance(line, bytes) else header_line(*named[line], encoding)
            for line in self.headers
        ]
        out.append(CRLF)
        out.append(self.delimiter.join(body))
        return b"".join(out)


@dataclass(frozen=True)
class WireMessage:
    """A message already written as bytes (`Skeleton.render`), with its envelope."""

    from_email: str
    to: str
    data: bytes
    message_id: str


_skeletons: OrderedDict[int, tuple[MessageTemplate, Skeleton | None]] = OrderedDict()
# A worker sends a few templates at a time (a campaign's languages and variants).
_SKELETONS_KEPT = 64


def skeleton_of(template: MessageTemplate) -> Skeleton | None:
    """The template's skeleton, built once per template object (streams keep their templates)."""
    entry = _skeletons.get(id(template))
    if entry is None or entry[0] is not template:
        entry = (template, Skeleton.build(template))
        _skeletons[id(template)] = entry
        while len(_skeletons) > _SKELETONS_KEPT:
            _skeletons.popitem(last=False)
    return entry[1]


def wire_message(
    template: MessageTemplate, values: dict[str, str], *, to: str, message_id: str
) -> WireMessage | None:
    """One recipient's message as bytes from the template's skeleton, or None where it must be
    built the full way (`fill`)."""
    skeleton = skeleton_of(template)
    if skeleton is None:
        return None
    headers = {**filled_headers(template, values), "Message-ID": message_id}
    data = skeleton.render(values, to=to, headers=headers)
    if data is None:
        return None
    return WireMessage(template.message.from_email, to, data, message_id)


def _header_lines(head: bytes) -> list[bytes]:
    """Each header with its folded continuation lines, CRLF-terminated."""
    lines: list[bytes] = []
    for line in head.split(CRLF)[:-1]:
        if line[:1] in (b" ", b"\t") and lines:
            lines[-1] += line + CRLF
        else:
            lines.append(line + CRLF)
    return lines
