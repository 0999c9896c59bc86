"""A local SMTP sink: aiosmtpd on a free port, keeping every message it receives."""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.controller import Controller


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the machine is shared: never use a fixed port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ReceivedMessage:
    envelope_from: str
    envelope_to: tuple[str, ...]
    message: email.message.EmailMessage

    def __getitem__(self, header: str):
        # A value too long for one line (a Message-ID with a five-digit pid) arrives folded onto
        # the next line, "Message-ID:" CRLF " <...>"; unfolded, as mail readers do, it keeps the
        # folding space in front, which is no part of the value.
        value = self.message[header]
        return value.strip() if isinstance(value, str) else value

    def text(self) -> str:
        """The plain-text part (or the only part), decoded."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


class _Handler:
    def __init__(self, sink: SmtpSink):
        self._sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self._sink.refused:
            return "550 5.1.1 No such user here"
        if address.lower() in self._sink.deferred:
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self._sink._hold_this_one(tuple(envelope.rcpt_tos)):
            # The client waits for our answer to its DATA, as it would on a slow server; a thread
            # waits for the gate so that the event loop goes on serving other connections.
            accepted = await asyncio.get_running_loop().run_in_executor(
                None, self._sink._wait_at_gate
            )
            if not accepted:
                return "451 Requested action aborted: try again later"
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self._sink._add(
            ReceivedMessage(
                envelope_from=envelope.mail_from,
                envelope_to=tuple(envelope.rcpt_tos),
                message=parsed,
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start with `start()`, stop with `stop()`; `messages` is a snapshot, safe across threads."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port: int | None = None
        self._messages: list[ReceivedMessage] = []
        self._condition = threading.Condition()
        self._controller: Controller | None = None
        self._hold_after: int | None = None
        self._hold_only: Callable[[tuple[str, ...]], bool] | None = None
        self._held = 0
        self._gate = threading.Event()
        self._accept_held = True
        # Addresses (lower case) the server refuses at RCPT, as a mailbox that does not exist.
        self.refused: set[str] = set()
        # Addresses (lower case) refused for now at RCPT, as a greylisting server does.
        self.deferred: set[str] = set()

    def start(self) -> SmtpSink:
        # aiosmtpd's Controller cannot bind port 0, so pick a free port first; retry on the rare
        # race where someone else takes it in between.
        last_error: Exception | None = None
        for _ in range(5):
            port = free_port(self.host)
            controller = Controller(_Handler(self), hostname=self.host, port=port)
            try:
                controller.start()
            except Exception as exc:  # the port was taken meanwhile
                last_error = exc
                continue
            self._controller, self.port = controller, port
            return self
        raise RuntimeError(f"could not start the SMTP sink: {last_error}")

    def stop(self) -> None:
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _add(self, message: ReceivedMessage) -> None:
        with self._condition:
            self._messages.append(message)
            self._condition.notify_all()

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._condition:
            return list(self._messages)

    def clear(self) -> None:
        with self._condition:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedMessage]:
        """Block until at least `count` messages arrived; raise if they do not within `timeout`.

        The timeout is a cap against hanging forever, not a performance assertion: keep it generous.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} message(s) at the SMTP sink, got {len(self._messages)}"
                    )
                self._condition.wait(remaining)
            return list(self._messages)

    def wait_for_message(
        self, match: Callable[[ReceivedMessage], bool], timeout: float = 30.0
    ) -> ReceivedMessage:
        """Block until a message that `match` accepts arrived, and return it (the timeout is a cap
        against hanging forever, as for `wait_for`)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = next((message for message in self._messages if match(message)), None)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"no matching message at the SMTP sink among {len(self._messages)}"
                    )
                self._condition.wait(remaining)

    # --- holding messages: a deterministic "mid-send" for tests ----------------------------------

    def hold_after(
        self, count: int, *, only: Callable[[tuple[str, ...]], bool] | None = None
    ) -> None:
        """Accept `count` messages, then keep each further one waiting in DATA (the sender blocks
        with that message in flight) until `release()`. With `only`, just the messages whose
        envelope recipients it accepts are held; the others go through."""
        with self._condition:
            self._hold_after = count
            self._hold_only = only
            self._gate.clear()

    def release(self, *, accept_held: bool = True) -> None:
        """Let every later message through; the held ones too, or, with `accept_held=False`,
        refuse them (temporary error), as a server whose client died before it answered."""
        with self._condition:
            self._hold_after = None
            self._hold_only = None
            self._accept_held = accept_held
            self._gate.set()
            self._condition.notify_all()

    def wait_held(self, count: int = 1, timeout: float = 60.0) -> None:
        """Block until `count` messages are held (their senders are waiting in DATA)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._held < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} held message(s), got {self._held} "
                        f"({len(self._messages)} accepted)"
                    )
                self._condition.wait(remaining)

    def _hold_this_one(self, recipients: tuple[str, ...]) -> bool:
        with self._condition:
            if self._hold_after is None or len(self._messages) + self._held < self._hold_after:
                return False
            if self._hold_only is not None and not self._hold_only(recipients):
                return False
            self._held += 1
            self._condition.notify_all()
            return True

    def _wait_at_gate(self) -> bool:
        self._gate.wait()
        with self._condition:
            self._held -= 1
            return self._accept_held

    def env(self) -> dict[str, str]:
        """Environment that makes a Django process (a worker) send its mail here over SMTP."""
        return {
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "ANYMAIL_ESP": "",
        }

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
