"""Inbound mail as the ESPs and a mail server deliver it: the fixtures in tests/community/inbound/
(written from Postmark's, Mailgun's and SendGrid's inbound documentation, and a Postfix
delivery) with the reply address, the sender and the Message-ID filled in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from email.message import EmailMessage
from pathlib import Path

from anymail.inbound import AnymailInboundMessage

FIXTURES = Path(__file__).parent / "inbound"
SECRET = "inbound:s3cret-webhook"
MAILGUN_SIGNING_KEY = "key-mailgun-inbound-signing"
REPLY_DOMAIN = "reply.norec.test"
WHEN = 1796629272  # 2026-12-07 06:41:12 UTC


def fill(name: str, *, reply_address: str, sender: str, message_id: str = "") -> str:
    text = (FIXTURES / name).read_text()
    values = {
        "REPLY_ADDRESS": reply_address,
        "SENDER": sender,
        "MESSAGE_ID": message_id or f"{uuid.uuid4().hex}@mail.example.org",
        "TOPIC_MESSAGE_ID": "topic-1.notification@norec.no",
        "MAILBOX_HASH": reply_address.split("@")[0].partition("+")[2],
        "TIMESTAMP": str(WHEN),
    }
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def basic_auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def post_postmark(client, *, auth: dict | None = None, **values):
    body = fill("postmark.json", **values)
    return client.post(
        "/anymail/postmark/inbound/",
        data=body,
        content_type="application/json",
        **(basic_auth() if auth is None else auth),
    )


def post_mailgun(client, *, auth: dict | None = None, signing_key=MAILGUN_SIGNING_KEY, **values):
    fields = json.loads(fill("mailgun.json", **values))
    token = uuid.uuid4().hex
    fields["token"] = token
    fields["signature"] = hmac.new(
        signing_key.encode(), f"{WHEN}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return client.post(
        "/anymail/mailgun/inbound/", data=fields, **(basic_auth() if auth is None else auth)
    )


def post_sendgrid(client, *, auth: dict | None = None, **values):
    fields = json.loads(fill("sendgrid.json", **values))
    return client.post(
        "/anymail/sendgrid/inbound/", data=fields, **(basic_auth() if auth is None else auth)
    )


def message(
    *,
    reply_address: str,
    sender: str,
    text: str | None = "Thank you, that helps.",
    html: str | None = None,
    subject: str = "Re: A question",
    message_id: str = "",
    headers: dict | None = None,
    envelope_sender: str | None = None,
    to: str = "",
) -> AnymailInboundMessage:
    """A plain reply as a mail program writes it, parsed as the webhooks and the command do."""
    mail = EmailMessage()
    mail["From"] = f"Member <{sender}>"
    mail["To"] = to or f"Norec Network <{reply_address}>"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id or uuid.uuid4().hex + '@mail.example.org'}>"
    for name, value in (headers or {}).items():
        mail[name] = value
    if text is not None:
        mail.set_content(text)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    parsed = AnymailInboundMessage.parse_raw_mime_bytes(mail.as_bytes())
    parsed.envelope_sender = envelope_sender
    return parsed
