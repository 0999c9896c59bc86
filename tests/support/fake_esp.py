"""A fake ESP on loopback for tests and benchmarks: a small threaded HTTP server (stdlib only) that
answers like Postmark's /email and /email/batch and Mailgun's /v3/<domain>/messages (with
recipient-variables), after a configurable delay per call.

It records every recipient it accepted (`accepted`: address, metadata, message id, and the subject
and bodies as that recipient gets them, merge fields filled in) and can refuse chosen addresses
inside a batch (`refuse`), as Postmark does for an inactive recipient. A call is recorded before
the delay: like a real ESP, it has taken the messages even if the caller dies waiting.

    with FakeEsp(delay=0.5) as esp:
        env = esp.postmark_env()      # or esp.mailgun_env(): for a worker's environment
        ...
        esp.accepted, esp.calls
"""

from __future__ import annotations

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

    def anymail_settings(self, esp: str) -> dict:
        """The same as Django settings (`settings.ANYMAIL`) for an in-process test."""
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
        try:
            if self.path in ("/email", "/email/batch"):
                status, answer = self._postmark(json.loads(body))
            elif (match := _MAILGUN_PATH.match(self.path)) is not None:
                status, answer = self._mailgun(match["domain"], body)
            else:
                status, answer = 404, {"message": f"no such API: {self.path}"}
        except Exception as exc:  # a malformed call: say so, as an ESP does
            status, answer = 400, {"ErrorCode": 300, "Message": f"bad request: {exc}"}
        if self.fake.delay:
            time.sleep(self.fake.delay)
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

    def _postmark(self, data) -> tuple[int, object]:
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
            answers.append(
                {
                    "To": address,
                    "SubmittedAt": "2026-12-06T10:00:00.0000000Z",
                    "MessageID": message_id,
                    "ErrorCode": 0,
                    "Message": "OK",
                }
            )
        self.fake._take("/email/batch" if batch else "/email", accepted)
        if batch:
            return 200, answers
        (answer,) = answers
        return (200 if answer["ErrorCode"] == 0 else 422), answer

    # --- Mailgun -------------------------------------------------------------------------------

    def _mailgun(self, domain: str, body: bytes) -> tuple[int, object]:
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
        self.fake._take(self.path, accepted)
        return 200, {"id": message_id, "message": "Queued. Thank you."}


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
