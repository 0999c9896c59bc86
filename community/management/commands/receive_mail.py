"""`manage.py receive_mail [FILE] [--sender S] [--recipient R] < message.eml`: one mail from the
site's own mail server (an MTA pipe) into `community.inbound.receive`, as an ESP's inbound
webhook does. See README, "Reply by e-mail".

Exit status, as mail servers read it: 0 when the mail was handled (posted, a duplicate, refused
with a polite mail, or dropped: the refusal is ours to explain, never a bounce to the sender,
which would be backscatter); 75 (EX_TEMPFAIL) when something failed on our side (the database is
down, say), so the mail server keeps the mail and delivers it again later.
"""

from __future__ import annotations

import sys

from anymail.inbound import AnymailInboundMessage
from django.core.management.base import BaseCommand

from community.inbound import receive

EX_TEMPFAIL = 75
# A reply is text; anything larger than this is not read at all (and is not posted).
MAX_BYTES = 25 * 1024 * 1024


class Command(BaseCommand):
    help = "Receive one mail (a member's reply by e-mail) from standard input or a file."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="A .eml file (default: standard input).")
        parser.add_argument(
            "--sender", default=None, help="The envelope sender (Postfix's ${sender})."
        )
        parser.add_argument(
            "--recipient", default=None, help="The envelope recipient (Postfix's ${recipient})."
        )

    def handle(self, *args, file=None, sender=None, recipient=None, **options):
        if file:
            with open(file, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        else:
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        too_large = len(raw) > MAX_BYTES
        if too_large:
            # Only its headers are read: enough to tell its member why it was not posted.
            raw = _headers(raw)
            if raw is None:
                self.stderr.write(f"Not read: the mail is larger than {MAX_BYTES} bytes.")
                return
        message = AnymailInboundMessage.parse_raw_mime_bytes(raw)
        message.envelope_sender = sender
        message.envelope_recipient = recipient
        try:
            outcome = receive(message, too_large_limit=MAX_BYTES if too_large else 0)
        except Exception as error:  # anything: the mail server must try again later
            self.stderr.write(f"Not handled, try again later: {error!r}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{outcome.status} {outcome.reason}".strip())


def _headers(raw: bytes) -> bytes | None:
    """The mail's header block (up to the first empty line), or None when there is none."""
    ends = [end for end in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if end >= 0]
    return raw[: min(ends)] + b"\n\n" if ends else None
