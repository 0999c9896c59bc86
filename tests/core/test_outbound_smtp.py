"""The bulk sender's own SMTP hand-over (`core.outbound.handover._deliver`): recipients get what
Django's SMTP backend would have sent them, byte for byte but the MIME boundary."""

import re
import threading
from smtplib import SMTPRecipientsRefused

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail import get_connection

from core.outbound import wire
from core.outbound.handover import FAILED
from core.outbound.handover import REFUSED
from core.outbound.handover import SENT
from core.outbound.handover import _deliver
from core.outbound.handover import hand_over
from core.outbound.templates import MessageTemplate
from core.outbound.templates import fill
from core.outbound.templates import placeholder
from tests.support.smtp import SmtpSink


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


def _message(to):
    message = EmailMultiAlternatives(
        subject="Invitation à rejoindre le réseau Norec, Zoë",
        body="Bonjour Zoë,\n\n.Une ligne qui commence par un point.\n" + "x" * 1200,
        from_email="Norec Network <network@norec.no>",
        to=[to],
        headers={
            "Message-ID": "<invitation.7@norec.no>",
            # Fixed, or the two sends may fall in different seconds and differ in their Date.
            "Date": "Sun, 06 Dec 2026 12:00:00 +0000",
            # Longer than a line: folded the same way.
            "List-Unsubscribe": "<https://network.norec.no/newsletters/unsubscribe/" + "a" * 70,
            "X-Short": "a  b\tc ",
        },
    )
    message.attach_alternative("<p>Bonjour <b>Zoë</b></p>", "text/html")
    return message


def _without_boundary(raw: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', raw).group(1)
    return raw.replace(boundary, b"BOUNDARY")


@pytest.mark.parametrize(
    "to", ["zoe.banda@example.org", "Zoë Banda <zoe@example.org>", "ZOE@Example.ORG"]
)
def test_the_fast_hand_over_sends_what_djangos_smtp_backend_sends(sink, settings, to):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
    connection = get_connection()
    connection.open()
    try:
        connection.send_messages([_message(to)])
        _deliver(_message(to), connection)
    finally:
        connection.close()

    django_sent, ours = sink.wait_for(2)
    assert ours.envelope_from == django_sent.envelope_from
    assert ours.envelope_to == django_sent.envelope_to
    assert _without_boundary(ours.message.as_bytes()) == _without_boundary(
        django_sent.message.as_bytes()
    )
    assert ours.text() == django_sent.text() and "Zoë" in ours.text()


def test_another_backend_sends_through_its_own_send(settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    connection = get_connection()

    _deliver(_message("zoe@example.org"), connection)

    assert [m.to for m in mail.outbox] == [["zoe@example.org"]]


def _template():
    name = placeholder("name")
    message = EmailMultiAlternatives(
        subject=f"Invitation à rejoindre le réseau, {name}",
        body=f"Bonjour {name},\n\n.Une ligne qui commence par un point.\n",
        from_email="Norec Network <network@norec.no>",
    )
    message.attach_alternative(f"<p>Bonjour <b>{name}</b></p>", "text/html")
    return MessageTemplate(key=("smtp-test",), message=message, fields=("name",))


@pytest.fixture
def smtp_connection(sink, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
    connection = get_connection()
    connection.open()
    yield connection
    connection.close()


@pytest.mark.parametrize("to", ["zoe.banda@example.org", "ZOE@Example.ORG"])
def test_a_message_written_from_its_skeleton_arrives_as_djangos_backend_sends_it(
    sink, smtp_connection, monkeypatch, to
):
    for module in ("django.core.mail.message", "core.outbound.wire"):
        monkeypatch.setattr(
            f"{module}.formatdate", lambda **kwargs: "Mon, 07 Dec 2026 12:00:00 +0000"
        )
    template, values = _template(), {"name": "Zoë & <Co>"}
    full = fill(template, values, to=[to])
    full.extra_headers["Message-ID"] = "<invitation.7@norec.no>"

    smtp_connection.send_messages([full])
    _deliver(
        wire.wire_message(template, values, to=to, message_id="<invitation.7@norec.no>"),
        smtp_connection,
    )

    django_sent, ours = sink.wait_for(2)
    assert (ours.envelope_from, ours.envelope_to) == (
        django_sent.envelope_from,
        django_sent.envelope_to,
    )
    assert _without_boundary(ours.message.as_bytes()) == _without_boundary(
        django_sent.message.as_bytes()
    )
    assert ours.html() == "<p>Bonjour <b>Zoë &amp; &lt;Co&gt;</b></p>"


def test_a_refused_recipient_is_refused_alone_and_the_connection_goes_on(sink, smtp_connection):
    sink.refused.add("nobody@example.org")
    template = _template()
    gone = wire.wire_message(template, {"name": "A"}, to="nobody@example.org", message_id="<1@x>")
    there = wire.wire_message(template, {"name": "B"}, to="amina@example.org", message_id="<2@x>")

    with pytest.raises(SMTPRecipientsRefused) as refused:
        _deliver(gone, smtp_connection)
    _deliver(there, smtp_connection)

    assert refused.value.recipients["nobody@example.org"][0] == 550
    [arrived] = sink.wait_for(1)
    assert arrived.envelope_to == ("amina@example.org",)


def test_a_temporary_refusal_is_no_bounce_and_a_permanent_one_is(sink, smtp_connection):
    sink.refused.add("gone@example.org")
    sink.deferred.add("later@example.org")
    template = _template()
    lane = [
        (address, wire.wire_message(template, {"name": "A"}, to=address, message_id=f"<{n}@x>"))
        for n, address in enumerate(["later@example.org", "gone@example.org", "amina@example.org"])
    ]

    outcomes = hand_over(lane, smtp_connection, threading.Event())

    assert [(row, outcome) for row, _message, outcome, _error in outcomes] == [
        ("later@example.org", FAILED),  # tried again later, the address not marked bad
        ("gone@example.org", REFUSED),  # as good as a bounce
        ("amina@example.org", SENT),
    ]
    assert "temporarily refused" in outcomes[0][3]
    [arrived] = sink.wait_for(1)
    assert arrived.envelope_to == ("amina@example.org",)
