"""A fake ESP on loopback for tests and benchmarks: a small threaded HTTP server (stdlib only) that
answers like Postmark's /email and /email/batch, Mailgun's /v3/<domain>/messages (with
recipient-variables) and Amazon SES v2's SendEmail and SendBulkEmail (boto3 pointed at it by
`endpoint_url`; an inline template filled in by simple substitution, without escaping, as SES
documents it), after a configurable delay per call.

It records every recipient it accepted (`accepted`: address, metadata, message id, and the subject
and bodies as that recipient gets them, merge fields filled in) and can refuse chosen addresses
inside a batch (`refuse`), as Postmark does for an inactive recipient (SES: that entry answered
MESSAGE_REJECTED). A call is recorded before
the delay: like a real ESP, it has taken the messages even if the caller dies waiting.

It can also misbehave as a real ESP sometimes does, for the next calls (`misbehave`): take the
messages and never answer in time (`hang` past the client's timeout), take them and drop the
connection unanswered (`drop`), answer an error status having taken them or not (`status`,
`take`); answer every entry of an SES bulk call with an error status (`entry_status`: an
account-level error, nothing taken); and take a recipient but leave it out of the answer
(`forget`). The test then posts
the webhooks for what `accepted` holds, as the ESP would.

    with FakeEsp(delay=0.5) as esp:
        env = esp.postmark_env()      # or mailgun_env(), ses_env(): for a worker's environment
        ...
        esp.accepted, esp.calls
"""

from __future__ import annotations

import base64
import dataclasses
import email.parser
import email.policy
import email.utils
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

MAILGUN_DOMAIN = "mg.example.org"
_MAILGUN_PATH = re.compile(r"^/v3/(?P<domain>[^/]+)/messages$")
SES_BULK = "/v2/email/outbound-bulk-emails"
SES_SINGLE = "/v2/email/outbound-emails"
# SES refuses custom values for the headers it sets (its header-fields documentation).
_SES_SET_HEADERS = {
    "bcc",
    "cc",
    "content-disposition",
    "content-type",
    "date",
    "from",
    "message-id",
    "mime-version",
    "reply-to",
    "return-path",
    "subject",
    "to",
}
_SES_VARIABLE = re.compile(r"\{\{([^{}]*)\}\}")


@dataclass(frozen=True)
class Misbehaviour:
    """What the fake does with one call instead of answering it normally."""

    take: bool = True  # the ESP keeps the call's messages (they are recorded as accepted)
    status: int | None = None  # answer this HTTP status with an error body
    hang: float = 0.0  # seconds to wait before answering (past the client's timeout)
    drop: bool = False  # close the connection without any answer
    entry_status: str | None = None  # SES bulk: every entry answered with this error, none taken


@dataclass(frozen=True)
class Accepted:
    esp: str
    address: str
    message_id: str
    metadata: dict
    subject: str
    text: str
    html: str
    headers: dict = field(default_factory=dict)
    tag: str = ""


class FakeEsp:
    def __init__(self, *, delay: float = 0.0, host: str = "127.0.0.1", keep_content: bool = True):
        self.delay = delay
        # A benchmark's 12,000 newsletters would hold 100 MB of bodies: it keeps only the rest.
        self.keep_content = keep_content
        self.host = host
        self.port: int | None = None
        self._accepted: list[Accepted] = []
        self._refused: set[str] = set()
        self._forgotten: dict[str, bool] = {}  # address: whether it is taken all the same
        self._misbehaviours: list[Misbehaviour] = []
        self._calls: list[tuple[str, int]] = []  # (path, recipients)
        self.call_times: list[float] = []  # time.monotonic() of each call's arrival
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle and settings ----------------------------------------------------------------

    def start(self) -> FakeEsp:
        esp = self

        class Handler(_Handler):
            fake = esp

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeEsp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def postmark_env(self) -> dict[str, str]:
        """A worker's environment for Postmark's API on this server (README: ANYMAIL_ESP and
        its keys as ANYMAIL_<KEY> variables)."""
        return {
            "ANYMAIL_ESP": "postmark",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "fake-token",
            "ANYMAIL_POSTMARK_API_URL": f"{self.url}/",
            "ANYMAIL_WEBHOOK_SECRET": "hook:secret",
        }

    def mailgun_env(self) -> dict[str, str]:
        return {
            "ANYMAIL_ESP": "mailgun",
            "ANYMAIL_MAILGUN_API_KEY": "fake-key",
            "ANYMAIL_MAILGUN_SENDER_DOMAIN": MAILGUN_DOMAIN,
            "ANYMAIL_MAILGUN_API_URL": f"{self.url}/v3",
            "ANYMAIL_WEBHOOK_SECRET": "hook:secret",
        }

    def ses_env(self) -> dict[str, str]:
        """boto3 at this server, with made-up credentials (the fake checks no signature)."""
        return {
            "ANYMAIL_ESP": "amazon_ses",
            "ANYMAIL_AMAZON_SES_CLIENT_PARAMS": json.dumps(self.ses_client_params()),
            "AWS_ACCESS_KEY_ID": "AKIDFAKE",
            "AWS_SECRET_ACCESS_KEY": "fake-secret",
            "ANYMAIL_WEBHOOK_SECRET": "hook:secret",
        }

    def ses_client_params(self) -> dict:
        return {"endpoint_url": self.url, "region_name": "eu-west-1"}

    def anymail_settings(self, esp: str) -> dict:
        """The same as Django settings (`settings.ANYMAIL`) for an in-process test (for SES, the
        client's retries and timeouts are the caller's to add, as settings.py adds them)."""
        if esp == "amazon_ses":
            return {
                "AMAZON_SES_CLIENT_PARAMS": self.ses_client_params(),
                "AMAZON_SES_SESSION_PARAMS": {
                    "aws_access_key_id": "AKIDFAKE",
                    "aws_secret_access_key": "fake-secret",
                },
            }
        env = self.postmark_env() if esp == "postmark" else self.mailgun_env()
        return {
            key.removeprefix("ANYMAIL_"): value
            for key, value in env.items()
            if key not in ("ANYMAIL_ESP", "ANYMAIL_WEBHOOK_SECRET")
        }

    def refuse(self, *addresses: str) -> None:
        """These addresses are refused inside a batch, as Postmark refuses inactive ones."""
        with self._lock:
            self._refused.update(address.lower() for address in addresses)

    def forget(self, *addresses: str, take: bool = True) -> None:
        """These addresses are left out of the answer to a batch call, taken all the same (the
        webhooks will tell) or not (nothing ever will)."""
        with self._lock:
            self._forgotten.update({address.lower(): take for address in addresses})

    def forget_nobody(self) -> None:
        with self._lock:
            self._forgotten.clear()

    def misbehave(self, misbehaviour: Misbehaviour, times: int = 1) -> None:
        """The next `times` calls get `misbehaviour` instead of a normal answer."""
        with self._lock:
            self._misbehaviours.extend([misbehaviour] * times)

    def _next_misbehaviour(self) -> Misbehaviour | None:
        with self._lock:
            return self._misbehaviours.pop(0) if self._misbehaviours else None

    def _forgotten_taken(self, address: str) -> bool | None:
        """None for an address not forgotten; else whether it is taken all the same."""
        with self._lock:
            return self._forgotten.get(address.lower())

    # --- what it saw ---------------------------------------------------------------------------

    @property
    def accepted(self) -> list[Accepted]:
        with self._lock:
            return list(self._accepted)

    @property
    def calls(self) -> list[tuple[str, int]]:
        with self._lock:
            return list(self._calls)

    def wait_for(self, count: int, timeout: float = 90.0) -> list[Accepted]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            accepted = self.accepted
            if len(accepted) >= count:
                return accepted
            time.sleep(0.05)
        raise TimeoutError(f"{len(self.accepted)} of {count} recipients accepted in time")

    def _take(self, path: str, accepted: list[Accepted]) -> None:
        if not self.keep_content:
            accepted = [
                dataclasses.replace(item, subject="", text="", html="") for item in accepted
            ]
        with self._lock:
            self.call_times.append(time.monotonic())
            self._calls.append((path, len(accepted)))
            self._accepted.extend(accepted)

    def _is_refused(self, address: str) -> bool:
        with self._lock:
            return address.lower() in self._refused


class _Handler(BaseHTTPRequestHandler):
    fake: FakeEsp
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        accepted: list[Accepted] = []
        misbehaviour = self.fake._next_misbehaviour() or Misbehaviour()
        try:
            if self.path in ("/email", "/email/batch"):
                status, answer, accepted = self._postmark(json.loads(body))
            elif (match := _MAILGUN_PATH.match(self.path)) is not None:
                status, answer, accepted = self._mailgun(match["domain"], body)
            elif self.path == SES_BULK:
                status, answer, accepted = self._ses_bulk(json.loads(body), misbehaviour)
            elif self.path == SES_SINGLE:
                status, answer, accepted = self._ses_single(json.loads(body))
            else:
                status, answer = 404, {"message": f"no such API: {self.path}"}
        except Exception as exc:  # a malformed call: say so, as an ESP does
            status, answer = 400, {"ErrorCode": 300, "Message": f"bad request: {exc}"}
        self.fake._take(self.path, accepted if misbehaviour.take else [])
        if misbehaviour.status is not None:
            status = misbehaviour.status
            answer = {"ErrorCode": status, "Message": "fake ESP trouble", "message": "trouble"}
        if self.fake.delay or misbehaviour.hang:
            time.sleep(self.fake.delay + misbehaviour.hang)
        if misbehaviour.drop:
            self.close_connection = True
            return
        payload = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The caller died waiting (a killed worker): the ESP has taken the messages anyway.
            self.close_connection = True

    # --- Postmark ------------------------------------------------------------------------------

    def _postmark(self, data) -> tuple[int, object, list[Accepted]]:
        batch = isinstance(data, list)
        messages = data if batch else [data]
        answers, accepted = [], []
        for message in messages:
            address = message["To"]
            addr_spec = email.utils.parseaddr(address)[1]
            if self.fake._is_refused(addr_spec):
                answers.append(
                    {
                        "ErrorCode": 406,
                        "Message": "You tried to send to recipient(s) that have been marked as "
                        f"inactive. Found inactive addresses: {addr_spec.lower()}. Inactive "
                        "recipients are ones that have generated a hard bounce or a spam "
                        "complaint.",
                    }
                )
                continue
            forgotten = self.fake._forgotten_taken(addr_spec) if batch else None
            if forgotten is False:
                continue
            message_id = str(uuid.uuid4())
            accepted.append(
                Accepted(
                    esp="postmark",
                    address=addr_spec,
                    message_id=message_id,
                    metadata=dict(message.get("Metadata") or {}),
                    subject=message.get("Subject", ""),
                    text=message.get("TextBody", ""),
                    html=message.get("HtmlBody", ""),
                    headers={h["Name"]: h["Value"] for h in message.get("Headers") or []},
                    tag=message.get("Tag", ""),
                )
            )
            if forgotten:
                continue
            answers.append(
                {
                    "To": address,
                    "SubmittedAt": "2026-12-06T10:00:00.0000000Z",
                    "MessageID": message_id,
                    "ErrorCode": 0,
                    "Message": "OK",
                }
            )
        if batch:
            return 200, answers, accepted
        (answer,) = answers
        return (200 if answer["ErrorCode"] == 0 else 422), answer, accepted

    # --- Amazon SES v2 ---------------------------------------------------------------------------

    def _ses_bulk(self, data, misbehaviour: Misbehaviour) -> tuple[int, object, list[Accepted]]:
        template = data["DefaultContent"]["Template"]
        if "TemplateContent" not in template:
            return 400, {"message": "fake SES keeps no stored templates"}, []
        content = template["TemplateContent"]
        results, accepted = [], []
        for entry in data["BulkEmailEntries"]:
            (to,) = entry["Destination"]["ToAddresses"]
            address = email.utils.parseaddr(to)[1]
            replacement = entry["ReplacementEmailContent"]["ReplacementTemplate"]
            values = json.loads(replacement["ReplacementTemplateData"])
            headers = {h["Name"]: h["Value"] for h in entry.get("ReplacementHeaders", [])}
            refused = [name for name in headers if name.lower() in _SES_SET_HEADERS]
            if refused:
                return 400, {"message": f"headers SES sets itself: {refused}"}, []
            if misbehaviour.entry_status is not None:
                results.append({"Status": misbehaviour.entry_status, "Error": "fake SES says no"})
                continue
            if self.fake._is_refused(address):
                results.append({"Status": "MESSAGE_REJECTED", "Error": "Email rejected"})
                continue

            def filled(text: str, values=values) -> str:
                # Simple substitution, in one pass, nothing escaped (SES's documentation).
                return _SES_VARIABLE.sub(lambda m: str(values.get(m[1].strip(), "")), text or "")

            message_id = f"0102018c{uuid.uuid4().hex}-000000"
            results.append({"Status": "SUCCESS", "MessageId": message_id})
            accepted.append(
                Accepted(
                    esp="amazon_ses",
                    address=address,
                    message_id=message_id,
                    metadata=json.loads(headers.get("X-Metadata", "{}")),
                    subject=filled(content.get("Subject", "")),
                    text=filled(content.get("Text", "")),
                    html=filled(content.get("Html", "")),
                    headers=headers,
                    tag=headers.get("X-Tag", ""),
                )
            )
        return 200, {"BulkEmailEntryResults": results}, accepted

    def _ses_single(self, data) -> tuple[int, object, list[Accepted]]:
        raw = email.message_from_bytes(
            base64.b64decode(data["Content"]["Raw"]["Data"]), policy=email.policy.default
        )
        text = raw.get_body(("plain",))
        html = raw.get_body(("html",))
        message_id = f"0102018c{uuid.uuid4().hex}-000000"
        accepted = [
            Accepted(
                esp="amazon_ses",
                address=email.utils.parseaddr(to)[1],
                message_id=message_id,
                metadata=json.loads(raw.get("X-Metadata", "{}")),
                subject=str(raw.get("Subject", "")),
                text=text.get_content() if text else "",
                html=html.get_content() if html else "",
                headers={name: str(value) for name, value in raw.items()},
                tag=str(raw.get("X-Tag", "")),
            )
            for to in data["Destination"]["ToAddresses"]
        ]
        return 200, {"MessageId": message_id}, accepted

    # --- Mailgun -------------------------------------------------------------------------------

    def _mailgun(self, domain: str, body: bytes) -> tuple[int, object, list[Accepted]]:
        form = _form(self.headers.get("Content-Type", ""), body)
        recipients = [
            email.utils.parseaddr(address)[1]
            for value in form.get("to", [])
            for address in value.split(",")
        ]
        variables = json.loads(form.get("recipient-variables", ["{}"])[0])
        message_id = f"<{uuid.uuid4()}@{domain}>"
        keep = self.fake.keep_content
        accepted = []
        for address in recipients:
            mine = variables.get(address, {})

            def merged(text: str, mine=mine) -> str:
                return re.sub(
                    r"%recipient\.([^%]+)%", lambda m: str(mine.get(m[1], "")), text or ""
                )

            metadata = {
                key[2:]: merged(values[0]) for key, values in form.items() if key.startswith("v:")
            }
            headers = {
                key[2:]: merged(values[0]) for key, values in form.items() if key.startswith("h:")
            }
            accepted.append(
                Accepted(
                    esp="mailgun",
                    address=address,
                    message_id=message_id,
                    metadata=metadata,
                    subject=merged(form.get("subject", [""])[0]) if keep else "",
                    text=merged(form.get("text", [""])[0]) if keep else "",
                    html=merged(form.get("html", [""])[0]) if keep else "",
                    headers=headers,
                    tag=(form.get("o:tag") or [""])[0],
                )
            )
        return 200, {"id": message_id, "message": "Queued. Thank you."}, accepted


def _form(content_type: str, body: bytes) -> dict[str, list[str]]:
    """A form post's fields: urlencoded, or multipart (parsed with the email package)."""
    if content_type.startswith("multipart/form-data"):
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        fields: dict[str, list[str]] = {}
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields.setdefault(name, []).append(part.get_content())
        return fields
    return parse_qs(body.decode(), keep_blank_values=True)
