"""A campaign's message built once, filled in per recipient.

A stream that sends the same mail to many people (a newsletter edition, a wave's invitation in
one language) renders its templates once per `MessageTemplate.key` with neutral placeholders where
each recipient's own parts go (name, links with tokens, per-recipient headers); `fill` then makes
one recipient's message with plain `str.replace`, no template engine per message. The ESP batch
sender (`core.outbound.batching`) hands the same template to an ESP in its own merge syntax, one
call for many recipients.

A placeholder is letters only (`placeholder("token")` is "ZqMRGxtokenxMRGqZ"): it survives HTML
escaping, CSS inlining and URL reversing untouched. A field's value goes as it is into the subject,
the text part and the headers, and HTML-escaped into the HTML part, unless `values` also holds an
HTML form of its own under `html_key(name)` (text that is already HTML, e.g. a sentence a template
rendered with autoescaping).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Hashable
from dataclasses import dataclass
from dataclasses import field

from django.core.mail import EmailMessage
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import EmailAlternative
from django.utils.html import escape

_NAME = re.compile(r"^[a-z][a-z0-9]*$")


def placeholder(name: str) -> str:
    """The neutral stand-in for merge field `name` (lower-case letters and digits)."""
    if not _NAME.match(name):
        raise ValueError(f"merge field names are lower-case letters and digits: {name!r}")
    return f"ZqMRGx{name}xMRGqZ"


def html_key(name: str) -> str:
    """Where `values` may hold a field's own HTML form (else the HTML part gets it escaped)."""
    return f"{name}html"


@dataclass(frozen=True)
class MessageTemplate:
    """- `key`: what the template is the same for, e.g. ("newsletter", 12, "fr", ...): the batch
      sender sends only the rows of one key in one ESP call.
    - `message`: subject, text and HTML holding placeholders; `to` empty; everything else (from,
      reply-to, tags) common to every recipient.
    - `headers`: the per-recipient headers (List-Unsubscribe...), values holding placeholders.
    - `fields`: the merge fields' names, each filled from `values[name]`."""

    key: Hashable
    message: EmailMessage
    fields: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for name in self.fields:
            placeholder(name)  # refuses a name that would not survive escaping


def html_values(template: MessageTemplate, values: dict[str, str]) -> dict[str, str]:
    """Each field's value as the HTML part takes it."""
    return {
        name: values[html_key(name)] if html_key(name) in values else escape(values[name])
        for name in template.fields
    }


def _replace(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(placeholder(name), value)
    return text


def filled_headers(template: MessageTemplate, values: dict[str, str]) -> dict[str, str]:
    plain = {name: values[name] for name in template.fields}
    return {name: _replace(value, plain) for name, value in template.headers.items()}


def fill(template: MessageTemplate, values: dict[str, str], *, to: list[str]) -> EmailMessage:
    """One recipient's message: the template with every placeholder replaced by its value."""
    plain = {name: values[name] for name in template.fields}
    source = template.message
    message = copy.copy(source)
    message.to = list(to)
    message.cc, message.bcc = [], []
    message.subject = _replace(source.subject, plain)
    message.body = _replace(source.body, plain)
    message.extra_headers = {**source.extra_headers, **filled_headers(template, values)}
    if isinstance(source, EmailMultiAlternatives):
        html = html_values(template, values)
        message.alternatives = [
            EmailAlternative(
                _replace(content, html if mimetype == "text/html" else plain), mimetype
            )
            for content, mimetype in source.alternatives
        ]
    # Never share anymail's per-send attributes (status, metadata) with the template.
    for attribute in ("anymail_status", "metadata", "tags", "merge_data", "merge_metadata"):
        message.__dict__.pop(attribute, None)
    return message


def translate(template: MessageTemplate, syntax) -> EmailMessage:
    """The template's message with each placeholder written in an ESP's merge syntax:
    `syntax(name)` for the subject and text, `syntax(html_key(name))` for the HTML part (see
    `merge_values`). Per-recipient headers are left out: the batch sender gives them per
    recipient (anymail's `merge_headers`)."""
    plain = {name: syntax(name) for name in template.fields}
    html = {name: syntax(html_key(name)) for name in template.fields}
    source = template.message
    message = copy.copy(source)
    message.subject = _replace(source.subject, plain)
    message.body = _replace(source.body, plain)
    message.extra_headers = dict(source.extra_headers)
    if isinstance(source, EmailMultiAlternatives):
        message.alternatives = [
            EmailAlternative(
                _replace(content, html if mimetype == "text/html" else plain), mimetype
            )
            for content, mimetype in source.alternatives
        ]
    return message


def merge_values(template: MessageTemplate, values: dict[str, str]) -> dict[str, str]:
    """One recipient's merge data for `translate`d messages: each field, and its HTML form."""
    html = html_values(template, values)
    merged = {name: values[name] for name in template.fields}
    merged.update({html_key(name): html[name] for name in template.fields})
    return merged
