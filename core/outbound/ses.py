"""Amazon SES batches: one SES v2 SendBulkEmail call for up to 50 recipients of one template
(`batching.ESPS["amazon_ses"]`), the template sent inline with the call (no template stored at
SES, nothing to create or clean up there).

- **Content**: the subject, text and HTML go as `DefaultContent.Template.TemplateContent`; each
  recipient's fields as their entry's `ReplacementTemplateData`. SES documents that it does not
  HTML-escape what it substitutes ("SES doesn't escape HTML content when rendering the HTML
  template") and that inline templates take "only simple substitutions", so a field is written
  `{{name}}` (not Handlebars' triple braces, which inline templates are not documented to
  take) and the HTML part takes the field's own escaped form (`templates.merge_values`): every
  value goes in exactly once escaped in the HTML and as it is elsewhere. A `{{` that is the
  mail's own text (a newsletter quoting template syntax) would be read by SES as a variable and
  make the message fail to render after SES accepted it; each such brace is written as a field
  whose value is the brace.
- **Headers**: each recipient's List-Unsubscribe (and the template's List-Unsubscribe-Post) go as
  the entry's `ReplacementHeaders`, with anymail's `X-Metadata` ({"stream", "id"}) and `X-Tag`.
  SES refuses custom values for the headers it sets itself (BCC, CC, Content-Disposition,
  Content-Type, Date, From, Message-ID, MIME-Version, Reply-To, Return-Path, Subject, To: SES
  header-fields documentation) and overrides any Message-ID: ours is left out, and each row keeps
  the MessageId SES answers for its entry.
- **Tracking**: SES's events carry the message's headers (X-Metadata: anymail's webhook reads
  the row's {"stream", "id"} from it) and its `mail.messageId`, the entry's MessageId, which the
  tracking receiver also maps back to the row (`esp_message_id`) when the headers are left out
  (a notification without "include original headers", or headers SES truncated).
- **Statuses**: SES answers each entry SUCCESS or an error. None of its errors is about the
  recipient's address (MESSAGE_REJECTED is a virus in the message; the others are the account,
  the sender's domain, the configuration set, a throttle or a transient failure; a suppressed
  or bad address is told later, as a bounce event), so every error means "not taken": that row
  goes back to the queue with its attempt counted, never marked refused. Anymail raises when
  every entry has the same error, which would leave a group SES certainly did not take waiting
  as "maybe taken"; this payload answers per entry instead.
"""

from __future__ import annotations

import re

from anymail.backends.amazon_ses import AmazonSESV2SendBulkEmailPayload
from anymail.backends.amazon_ses import EmailBackend as AmazonSesBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus

MAX_ENTRIES = 50  # SendBulkEmail: at most 50 destinations a call
# SendBulkEmail refuses custom values for these (SES sets them).
SES_SET_HEADERS = frozenset(
    name.lower()
    for name in (
        "BCC",
        "CC",
        "Content-Disposition",
        "Content-Type",
        "Date",
        "From",
        "Message-ID",
        "MIME-Version",
        "Reply-To",
        "Return-Path",
        "Subject",
        "To",
    )
)
# The field whose value is "{": a brace that is the mail's own text.
BRACE = "norecbrace"
_TOKEN = re.compile(r"ZqSESx(?P<name>[a-z][a-z0-9]*)xSESqZ")
_BRACE_BEFORE_BRACE = re.compile(r"\{(?=\{)")


def token(name: str) -> str:
    """How `templates.translate` writes a field for SES: a neutral token this payload turns into
    `{{name}}` once the text's own braces are written as fields."""
    return f"ZqSESx{name}xSESqZ"


def to_handlebars(text: str) -> tuple[str, bool]:
    """The text with its tokens as `{{name}}` and each of its own `{` that starts a `{{` as the
    BRACE field; and whether it had such a brace."""
    escaped, count = _BRACE_BEFORE_BRACE.subn("{{" + BRACE + "}}", text)
    return _TOKEN.sub(lambda match: "{{" + match["name"] + "}}", escaped), bool(count)


def entry_status(result: dict) -> AnymailRecipientStatus:
    """One BulkEmailEntryResult: SUCCESS is taken (with its MessageId); any error not taken."""
    if result.get("Status") == "SUCCESS":
        return AnymailRecipientStatus(message_id=result.get("MessageId"), status="queued")
    return AnymailRecipientStatus(message_id=None, status="failed")


class SesBatchPayload(AmazonSESV2SendBulkEmailPayload):
    """SendBulkEmail with the template inline (TemplateContent) rather than a stored one."""

    def init_payload(self):
        super().init_payload()
        self.content: dict[str, str] = {}
        self.braces = False

    def _set_part(self, part: str, text: str) -> None:
        if text:
            self.content[part], braces = to_handlebars(text)
            self.braces = self.braces or braces

    def set_subject(self, subject):
        self._set_part("Subject", subject)

    def set_text_body(self, body):
        self._set_part("Text", body)

    def set_html_body(self, body):
        self._set_part("Html", body)

    def set_extra_headers(self, headers):
        super().set_extra_headers(_allowed(headers))

    def set_merge_headers(self, merge_headers):
        super().set_merge_headers(
            {address: _allowed(headers) for address, headers in merge_headers.items()}
        )

    def finalize_payload(self):
        if self.braces:
            self.merge_data = {
                to.addr_spec: {**self.merge_data.get(to.addr_spec, {}), BRACE: "{"}
                for to in self.recipients["to"]
            }
        template = self.params.setdefault("DefaultContent", {}).setdefault("Template", {})
        template["TemplateContent"] = self.content
        # Every entry brings its own data; the defaults are empty (as SES's examples give them).
        template.setdefault("TemplateData", "{}")
        super().finalize_payload()

    def parse_recipient_status(self, response):
        try:
            results = response["BulkEmailEntryResults"]
            statuses = [entry_status(result) for result in results]
        except (KeyError, TypeError, AttributeError) as err:
            raise AnymailAPIError(
                f"{err!s} parsing Amazon SES send result {response!r}",
                backend=self.backend,
                email_message=self.message,
                payload=self,
            ) from None
        addresses = [to.addr_spec for to in self.recipients["to"]]
        if len(statuses) != len(addresses):
            # An answer we cannot pair with the entries: what SES took is for its events to say.
            raise AnymailAPIError(
                f"Sent to {len(addresses)} destinations, but {len(statuses)} statuses in Amazon"
                f" SES send result {response!r}",
                backend=self.backend,
                email_message=self.message,
                payload=self,
            )
        return dict(zip(addresses, statuses, strict=True))


def _allowed(headers: dict) -> dict:
    return {name: value for name, value in headers.items() if name.lower() not in SES_SET_HEADERS}


class SesBatchBackend(AmazonSesBackend):
    """Anymail's SES backend; a message with per-recipient merge data (the batch sender's) goes
    as one SendBulkEmail with its template inline, any other as anymail sends it."""

    def build_message_payload(self, message, defaults):
        if getattr(message, "merge_data", None):
            return SesBatchPayload(message, defaults, self)
        return super().build_message_payload(message, defaults)
