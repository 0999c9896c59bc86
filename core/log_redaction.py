"""Logs without the secrets some links carry in their path.

An invitation link's token lets whoever holds it create the invitee's account; an unsubscribe
token, a password-reset key and an email-confirmation key are capabilities too. Whoever reads the
logs must not be able to use them, so that path segment is replaced wherever a log line could
show it: in gunicorn's access log (core/gunicorn_logger.py) and in Django's log of
failed requests ("Not Found: <path>", `RedactSecretsFilter` on the `django.request` logger).
"""

from __future__ import annotations

import logging
import re

# The path prefixes whose next segment is a secret.
SECRET_PATH = re.compile(
    r"(/(?:invitations/accept|invitations/decline|newsletters/unsubscribe"
    r"|community/digest/unsubscribe"
    r"|accounts/password/reset/key|accounts/confirm-email)/)[^/?#\s\"']+",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def redact(value):
    """`value` with every secret path segment replaced, if it is a string; else unchanged."""
    if isinstance(value, str):
        return SECRET_PATH.sub(rf"\g<1>{REDACTED}", value)
    return value


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(arg) for key, arg in record.args.items()}
        return True
