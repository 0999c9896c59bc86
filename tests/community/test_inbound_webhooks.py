"""Replies by e-mail through each ESP's real inbound webhook (anymail's own URLs, the payloads of
tests/community/inbound/) and through `manage.py receive_mail`: the reply lands in the right
topic as the right member, and what is forged or unauthenticated never does."""

import io
import sys

import pytest
from django.core.management import call_command

from community.models import Post
from community.reply_tokens import reply_address
from tests.community import factories
from tests.community.inbound_support import FIXTURES
from tests.community.inbound_support import MAILGUN_SIGNING_KEY
from tests.community.inbound_support import REPLY_DOMAIN
from tests.community.inbound_support import SECRET
from tests.community.inbound_support import basic_auth
from tests.community.inbound_support import fill
from tests.community.inbound_support import post_mailgun
from tests.community.inbound_support import post_postmark
from tests.community.inbound_support import post_sendgrid

pytestmark = [
    pytest.mark.django_db,
    # anymail warns on every SendGrid request that it no longer supports SendGrid; the README
    # still documents it, so its inbound webhook is tested here.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

POSTS = {
    "postmark": (post_postmark, "The Norad call opens in January; I can share our application."),
    "mailgun": (post_mailgun, "Le Fonds de la francophonie aussi, voir leur site."),
    "sendgrid": (post_sendgrid, "O BAD Africa também financia cursos curtos."),
}


@pytest.fixture(autouse=True)
def _inbound(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.COMMUNITY_REPLY_DOMAIN = REPLY_DOMAIN
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
    }


@pytest.fixture
def conversation(amina, tendai):
    """Tendai's topic, which Amina was told about with her own reply address."""
    topic = factories.topic(tendai, title="Where to find funding for a training course?")
    other = factories.topic(tendai, title="Another topic")
    return topic, other


@pytest.mark.parametrize("esp", POSTS)
def test_a_reply_through_the_esp_lands_in_its_topic_as_its_member(client, esp, amina, conversation):
    topic, other = conversation
    post, text = POSTS[esp]
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    response = post(client, reply_address=address, sender=amina.address_of_record)
    assert response.status_code == 200
    reply = Post.objects.get(topic=topic, is_opening=False)
    assert reply.author == amina
    assert reply.text == text  # the quoted notification and the signature are gone
    assert reply.source == Post.Source.EMAIL
    assert reply.status == Post.Status.VISIBLE
    assert reply.inbound_message_id.endswith("@mail.example.org>")
    assert not other.posts.filter(is_opening=False).exists()
    topic.refresh_from_db()
    assert topic.reply_count == 1


@pytest.mark.parametrize("esp", POSTS)
def test_the_same_mail_delivered_twice_is_posted_once(client, esp, amina, conversation):
    topic, _other = conversation
    post, _text = POSTS[esp]
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    for _ in range(2):
        response = post(
            client,
            reply_address=address,
            sender=amina.address_of_record,
            message_id="same-mail@mail.example.org",
        )
        assert response.status_code == 200
    assert Post.objects.filter(topic=topic, is_opening=False).count() == 1


@pytest.mark.parametrize("esp", POSTS)
def test_a_forged_reply_address_posts_nothing(client, esp, amina, tendai, conversation):
    topic, _other = conversation
    post, _text = POSTS[esp]
    # Tendai's address for the topic with Amina's id put in: the mac no longer matches.
    forged = reply_address(topic_id=topic.pk, participant_id=tendai.pk).replace(
        f"-{tendai.pk}-", f"-{amina.pk}-"
    )
    response = post(client, reply_address=forged, sender=amina.address_of_record)
    assert response.status_code == 200  # handled: an ESP must not retry it for days
    assert not Post.objects.filter(topic=topic, is_opening=False).exists()


@pytest.mark.parametrize("esp", POSTS)
def test_a_reply_from_another_sender_posts_nothing(client, esp, amina, conversation):
    topic, _other = conversation
    post, _text = POSTS[esp]
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    response = post(client, reply_address=address, sender="someone@elsewhere.example")
    assert response.status_code == 200
    assert not Post.objects.filter(topic=topic, is_opening=False).exists()


@pytest.mark.parametrize(
    "esp, auth",
    [
        ("postmark", {}),
        ("postmark", basic_auth("inbound:wrong")),
        ("sendgrid", {}),
        ("sendgrid", basic_auth("inbound:wrong")),
        ("mailgun", {}),
    ],
)
def test_the_webhook_refuses_a_call_without_the_secret(client, esp, auth, amina, conversation):
    topic, _other = conversation
    post, _text = POSTS[esp]
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    response = post(client, auth=auth, reply_address=address, sender=amina.address_of_record)
    assert response.status_code == 400
    assert not Post.objects.filter(topic=topic, is_opening=False).exists()


def test_mailgun_refuses_a_call_without_its_signature(client, amina, conversation):
    topic, _other = conversation
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    response = post_mailgun(
        client, signing_key="not-the-key", reply_address=address, sender=amina.address_of_record
    )
    assert response.status_code == 400
    assert not Post.objects.filter(topic=topic, is_opening=False).exists()


def _receive(path=None, stdin: bytes = b"", **options):
    out, err = io.StringIO(), io.StringIO()
    args = [str(path)] if path else []
    if not path:
        old = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        call_command("receive_mail", *args, stdout=out, stderr=err, **options)
    finally:
        if not path:
            sys.stdin = old
    return out.getvalue().strip()


def test_receive_mail_posts_a_reply_from_an_eml_file(tmp_path, amina, conversation):
    topic, _other = conversation
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    eml = tmp_path / "reply.eml"
    eml.write_text(fill("reply.eml", reply_address=address, sender=amina.address_of_record))
    assert _receive(eml) == "posted"
    reply = Post.objects.get(topic=topic, is_opening=False)
    assert (reply.author, reply.source) == (amina, Post.Source.EMAIL)
    assert reply.text == "El programa de becas de la AECID también sirve."
    # The mail server delivers it again: nothing more.
    assert _receive(eml) == "duplicate"
    assert Post.objects.filter(topic=topic, is_opening=False).count() == 1


def test_receive_mail_reads_standard_input_and_the_envelope(amina, conversation):
    topic, _other = conversation
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    raw = fill("reply.eml", reply_address=address, sender=amina.address_of_record)
    # The To header names the site, the envelope the member's reply address (Postfix's pipe).
    raw = raw.replace(f'"Norec Network" <{address}>', "Norec Network <network@norec.no>")
    raw = raw.replace(f"Delivered-To: {address}\n", "")
    raw = raw.replace(f"for <{address}>", "for <network@norec.no>")
    stdin = raw.encode()
    assert _receive(stdin=stdin) == "refused unknown_address"
    assert _receive(stdin=stdin, recipient=address, sender=amina.address_of_record) == "posted"
    assert Post.objects.get(topic=topic, is_opening=False).author == amina


def test_receive_mail_drops_a_bounce(amina, conversation):
    topic, _other = conversation
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    raw = fill("reply.eml", reply_address=address, sender=amina.address_of_record).encode()
    # An empty envelope sender is a delivery report (Postfix passes ${sender} empty).
    assert _receive(stdin=raw, sender="") == "dropped automatic"
    assert not Post.objects.filter(topic=topic, is_opening=False).exists()


def test_fixtures_hold_no_real_address():
    for path in FIXTURES.iterdir():
        assert "{{REPLY_ADDRESS}}" in path.read_text()


# --- a reply too large to read: the member is told, never silence ---------------------------------

PHOTO = b"\xff\xd8" + bytes(range(256)) * (3 * 1024 * 4)  # ~3 MB, over the 2.5 MB limit


def _oversized_postmark(client, *, auth=None, **values):
    import base64
    import json as json_module

    payload = json_module.loads(fill("postmark.json", **values))
    payload["Attachments"] = [
        {
            "Name": "photo.jpg",
            "Content": base64.b64encode(PHOTO).decode(),
            "ContentType": "image/jpeg",
            "ContentLength": len(PHOTO),
        }
    ]
    return client.post(
        "/anymail/postmark/inbound/",
        data=json_module.dumps(payload),
        content_type="application/json",
        **(basic_auth() if auth is None else auth),
    )


def _oversized_form(esp):
    import json as json_module

    from django.core.files.uploadedfile import SimpleUploadedFile

    def post(client, *, auth=None, **values):
        fields = json_module.loads(fill(f"{esp}.json", **values))
        fields["attachment-1" if esp == "mailgun" else "attachment1"] = SimpleUploadedFile(
            "photo.jpg", PHOTO, content_type="image/jpeg"
        )
        return client.post(
            f"/anymail/{esp}/inbound/", data=fields, **(basic_auth() if auth is None else auth)
        )

    return post


OVERSIZED = {
    "postmark": _oversized_postmark,
    "mailgun": _oversized_form("mailgun"),
    "sendgrid": _oversized_form("sendgrid"),
}


@pytest.mark.parametrize("esp", OVERSIZED)
def test_a_reply_too_large_for_the_webhook_is_explained_to_its_member(
    client, esp, amina, conversation, mailoutbox, django_capture_on_commit_callbacks
):
    topic, _other = conversation
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = OVERSIZED[esp](client, reply_address=address, sender=amina.address_of_record)
    # Handled: the ESP stops retrying; nothing posted; the member learns why, at their address.
    assert response.status_code == 200
    assert not Post.objects.filter(topic=topic, is_opening=False).exists()
    [refusal] = mailoutbox
    assert refusal.to == [amina.address_of_record]
    assert "larger than 2.5\xa0MB (with its attachments)" in refusal.body
    assert "Attachments are never posted" in refusal.body
    assert refusal.extra_headers["Auto-Submitted"] == "auto-replied"


def test_a_too_large_webhook_without_the_secret_or_a_valid_address_is_refused_in_silence(
    client, amina, tendai, conversation, mailoutbox, django_capture_on_commit_callbacks
):
    topic, _other = conversation
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    forged = reply_address(topic_id=topic.pk, participant_id=tendai.pk).replace(
        f"-{tendai.pk}-", f"-{amina.pk}-"
    )
    with django_capture_on_commit_callbacks(execute=True):
        unauthenticated = _oversized_postmark(
            client, auth=basic_auth("wrong:secret"), reply_address=address, sender="x@e.org"
        )
        forged_response = _oversized_postmark(
            client, reply_address=forged, sender=amina.address_of_record
        )
    assert unauthenticated.status_code == 413 and forged_response.status_code == 413
    assert mailoutbox == []


def test_receive_mail_explains_a_mail_too_large_to_read(
    monkeypatch, amina, conversation, mailoutbox, django_capture_on_commit_callbacks
):
    from community.management.commands import receive_mail

    topic, _other = conversation
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    raw = fill("reply.eml", reply_address=address, sender=amina.address_of_record).encode()
    monkeypatch.setattr(receive_mail, "MAX_BYTES", len(raw) - 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert _receive(stdin=raw) == "refused too_large"
    assert not Post.objects.filter(topic=topic, is_opening=False).exists()
    [refusal] = mailoutbox
    assert refusal.to == [amina.address_of_record]
    assert "Attachments are never posted" in refusal.body
    # A stranger's oversized mail with a member's token still goes through the sender check.
    mailoutbox.clear()
    other = raw.replace(amina.address_of_record.encode(), b"someone@elsewhere.example")
    with django_capture_on_commit_callbacks(execute=True):
        assert _receive(stdin=other) == "refused other_sender"
