"""ESP batch sending (core/outbound/batching.py) and the message templates it sends
(core/outbound/templates.py): one call per ESP-sized group of one template, each recipient with
their own fields, metadata, headers and ESP message id; a recipient refused inside a batch is
marked alone; groups split by size, by language and never with one address twice."""

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from core import outbound
from core.outbound import batching
from core.outbound.templates import MessageTemplate
from core.outbound.templates import fill
from core.outbound.templates import html_key
from core.outbound.templates import merge_values
from core.outbound.templates import placeholder
from core.outbound.templates import translate
from invitations.models import Invitation
from members.services import participant_set_newsletter_subscription
from newsletters import services as newsletter_services
from newsletters.models import Delivery
from newsletters.rendering import unsubscribe_token
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import MemberFactory
from tests.support.esp_batches import invitations_accepted
from tests.support.esp_batches import prepared_newsletter
from tests.support.fake_esp import FakeEsp

NAME = "N'Dri & <Co>"


def _template(**headers) -> MessageTemplate:
    message = EmailMultiAlternatives(
        subject=f"{placeholder('firstname')}, hello",
        body=f"Dear {placeholder('firstname')}, see https://x.org/{placeholder('token')}/",
        from_email="news@example.org",
        headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(
        f"<p>Dear {placeholder('firstname')}</p><a href='/{placeholder('token')}/'>x</a>",
        "text/html",
    )
    return MessageTemplate(
        key=("t", 1),
        message=message,
        fields=("firstname", "token"),
        headers=headers or {"List-Unsubscribe": f"<https://x.org/{placeholder('token')}/>"},
    )


# --- templates ------------------------------------------------------------------------------------


def test_fill_puts_each_value_raw_in_subject_text_and_headers_and_escaped_in_html():
    template = _template()

    message = fill(template, {"firstname": NAME, "token": "7-abc"}, to=["a@example.org"])

    assert message.to == ["a@example.org"]
    assert message.subject == f"{NAME}, hello"
    assert message.body == f"Dear {NAME}, see https://x.org/7-abc/"
    html = message.alternatives[0].content
    assert "Dear N&#x27;Dri &amp; &lt;Co&gt;" in html and "/7-abc/" in html
    assert message.extra_headers["List-Unsubscribe"] == "<https://x.org/7-abc/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The template is untouched, ready for the next recipient.
    assert placeholder("firstname") in template.message.subject
    assert template.message.to == []


def test_a_field_may_bring_its_own_html():
    template = _template()
    values = {"firstname": "A & B", html_key("firstname"): "<b>A</b>", "token": "t"}

    message = fill(template, values, to=["a@example.org"])

    assert "Dear <b>A</b>" in message.alternatives[0].content
    assert message.subject == "A & B, hello"


def test_a_merge_field_name_that_would_not_survive_escaping_is_refused():
    with pytest.raises(ValueError, match="first_name"):
        placeholder("first_name")


@pytest.mark.parametrize(
    ("esp", "written"),
    [
        ("postmark", "{{firstname}}"),
        ("mailgun", "%recipient.firstname%"),
        ("sendgrid", "-firstname-"),
        ("brevo", "{{ params.firstname }}"),
        ("mailjet", "{{var:firstname}}"),
    ],
)
def test_each_esp_gets_the_template_in_its_own_merge_syntax(esp, written):
    syntax = batching.ESPS[esp].syntax
    template = _template()

    message = translate(template, syntax)

    assert message.subject == f"{written}, hello"
    assert written in message.body
    # The HTML part takes the field's HTML form, under its own merge field.
    assert syntax(html_key("firstname")) in message.alternatives[0].content
    assert "ZqMRG" not in message.body + message.subject + message.alternatives[0].content
    # Per-recipient headers go as merge headers, never with a placeholder in them.
    assert "List-Unsubscribe" not in message.extra_headers
    values = merge_values(template, {"firstname": NAME, "token": "t"})
    assert values == {
        "firstname": NAME,
        "token": "t",
        "firstnamehtml": "N&#x27;Dri &amp; &lt;Co&gt;",
        "tokenhtml": "t",
    }


def test_every_batching_esp_has_a_documented_size():
    sizes = {name: esp.max_recipients for name, esp in batching.ESPS.items()}
    assert sizes == {
        "postmark": 500,
        "mailgun": 1000,
        "sendgrid": 1000,
        "brevo": 1000,
        "mailjet": 50,
        "amazon_ses": 50,
    }


# --- groups ---------------------------------------------------------------------------------------


def _rows(*emails):
    return [SimpleNamespace(pk=pk, email=address) for pk, address in enumerate(emails, start=1)]


def test_groups_are_split_by_size_and_keep_id_order():
    rows = _rows(*[f"p{i}@example.org" for i in range(7)])

    groups = batching.groups([("en", row) for row in rows], size=3)

    assert [[row.pk for row in group] for group in groups] == [[1, 2, 3], [4, 5, 6], [7]]


def test_groups_are_split_by_template_key():
    rows = _rows("a@x.org", "b@x.org", "c@x.org", "d@x.org")
    keys = ["en", "fr", "en", "fr"]

    groups = batching.groups(list(zip(keys, rows, strict=True)), size=10)

    assert [[row.pk for row in group] for group in groups] == [[1, 3], [2, 4]]


def test_the_same_address_twice_never_shares_a_group():
    rows = _rows("a@x.org", "b@x.org", "A@X.org", "c@x.org")

    groups = batching.groups([("en", row) for row in rows], size=10)

    assert [[row.pk for row in group] for group in groups] == [[1, 2], [3, 4]]


def test_batching_is_off_over_smtp_for_a_size_of_one_and_for_a_stream_without_templates(
    settings,
):
    stream = outbound.get_stream("newsletter")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert batching.batches(stream) is None
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.OUTBOUND_ESP_BATCH_SIZE = None
    assert batching.batches(stream) is batching.ESPS["postmark"]
    settings.OUTBOUND_ESP_BATCH_SIZE = 1
    assert batching.batches(stream) is None
    settings.OUTBOUND_ESP_BATCH_SIZE = 0
    assert batching.batches(stream) is None
    settings.OUTBOUND_ESP_BATCH_SIZE = None
    # Amazon SES batches with the template inline (tests/core/test_outbound_ses.py).
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    assert batching.batches(stream) is batching.ESPS["amazon_ses"]


# --- end to end through the fake ESP, in this process ----------------------------------------


@pytest.fixture
def fake_esp():
    with FakeEsp() as esp:
        yield esp


@pytest.fixture
def through(settings, fake_esp):
    def use(esp: str, size: int | None = None):
        settings.EMAIL_BACKEND = f"anymail.backends.{esp}.EmailBackend"
        settings.ANYMAIL = fake_esp.anymail_settings(esp)
        settings.OUTBOUND_ESP_BATCH_SIZE = size
        return fake_esp

    return use


@pytest.mark.django_db
@pytest.mark.parametrize("esp", ["postmark", "mailgun"])
def test_a_newsletter_goes_out_in_groups_each_row_with_its_own_id_and_content(
    esp, through, django_capture_on_commit_callbacks
):
    fake = through(esp, size=4)
    members = MemberFactory.create_batch(6, preferred_language="en")
    members += MemberFactory.create_batch(3, preferred_language="fr")
    members[0].first_name = NAME
    members[0].save(update_fields=["first_name"])
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)

    result = outbound.send_batch(stream_name="newsletter", campaign_id=newsletter.pk)

    assert result.sent == 9
    # Without a French edition everyone reads the English one: nine in groups of 4, 4 and 1
    # (the split by language is the wave's test below).
    assert sorted(count for _path, count in fake.calls) == [1, 4, 4]
    accepted = {item.address: item for item in fake.accepted}
    assert len(accepted) == 9
    for delivery in Delivery.objects.select_related("participant"):
        item = accepted[delivery.email]
        assert delivery.status == "sent"
        assert delivery.esp_message_id == item.message_id
        assert item.metadata == {"stream": "newsletter", "id": str(delivery.pk)} or (
            item.metadata == {"stream": "newsletter", "id": delivery.pk}
        )
        token = unsubscribe_token(delivery.participant_id)
        assert token in item.text and token in item.html
        assert item.headers["List-Unsubscribe"].endswith(f"/{token}/>")
        assert f".newsletter.{delivery.pk}@" in item.headers.get(
            "Message-ID", item.headers.get("Message-Id", "")
        )
        assert "ZqMRG" not in item.subject + item.text + item.html
    first = accepted[members[0].email]
    assert f"Hello {NAME}," in first.text
    assert "N&#x27;Dri &amp; &lt;Co&gt;" in first.html


@pytest.mark.django_db
def test_a_recipient_refused_inside_a_batch_is_marked_alone(
    through, django_capture_on_commit_callbacks
):
    fake = through("postmark")
    members = MemberFactory.create_batch(5)
    fake.refuse(members[2].email)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)

    result = outbound.send_batch(stream_name="newsletter", campaign_id=newsletter.pk)

    assert (result.sent, result.refused) == (4, 1)
    assert len(fake.calls) == 1
    statuses = dict(Delivery.objects.values_list("email", "status"))
    assert statuses.pop(members[2].email) == "bounced"
    assert set(statuses.values()) == {"sent"}
    members[2].refresh_from_db()
    assert members[2].email_status == "bounced"


@pytest.mark.django_db
def test_rows_whose_reason_to_skip_came_up_are_skipped_in_the_group(
    through, django_capture_on_commit_callbacks
):
    fake = through("postmark")
    members = MemberFactory.create_batch(4)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    stream = outbound.get_stream("newsletter")
    ids = outbound.claim(stream=stream, campaign=outbound.Campaign(id=newsletter.pk))
    # Unsubscribed after the claim, before the group's call.
    participant_set_newsletter_subscription(participant=members[1], subscribed=False)

    result = outbound.send_claimed(stream=stream, ids=ids)

    assert (result.sent, result.skipped) == (3, 1)
    assert {item.address for item in fake.accepted} == {
        m.email for m in members if m.pk != members[1].pk
    }


@pytest.mark.django_db
def test_a_paused_campaign_sends_no_further_group(through, django_capture_on_commit_callbacks):
    fake = through("postmark", size=2)
    MemberFactory.create_batch(6)
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)
    stream = outbound.get_stream("newsletter")
    ids = outbound.claim(stream=stream, campaign=outbound.Campaign(id=newsletter.pk))
    real_send = batching._send_group

    def pause_after_first(*args, **kwargs):
        sent = real_send(*args, **kwargs)
        newsletter.refresh_from_db()
        if newsletter.status == "sending":
            newsletter_services.newsletter_pause(newsletter=newsletter, reason="wrong link")
        return sent

    batching._send_group = pause_after_first
    try:
        result = outbound.send_claimed(stream=stream, ids=ids)
    finally:
        batching._send_group = real_send

    assert (result.sent, result.released) == (2, 4)
    assert len(fake.calls) == 1
    pending = Delivery.objects.filter(status="pending")
    assert pending.count() == 4 and set(pending.values_list("attempts", flat=True)) == {0}


@pytest.mark.django_db
def test_a_wave_and_its_invitations_go_out_in_groups(through):
    fake = through("postmark")
    people = make_participants(7, preferred_language="en")
    people += make_participants(3, preferred_language="pt")
    wave = make_wave(batch_size=100)
    launch(wave)

    send_all(campaign_id=wave.pk)

    assert sorted(count for _path, count in fake.calls) == [3, 7]
    accepted = invitations_accepted(fake)
    for invitation in Invitation.objects.all():
        item = accepted[invitation.email]
        assert "Kenya Red Cross" in item.text and "2012" in item.text
        assert "ZqMRG" not in item.subject + item.text + item.html


# --- the other ESPs' payloads (their HTTP call stood in for) -----------------------------------


def _answer(esp: str, data) -> tuple[int, object]:
    if esp == "sendgrid":
        return 202, None
    payload = json.loads(data)
    if esp == "brevo":
        return 201, {"messageIds": [f"<{uuid.uuid4()}@relay>" for _ in payload["messageVersions"]]}
    if esp == "mailjet":
        return 200, {
            "Messages": [
                {
                    "Status": "success",
                    "To": [
                        {
                            "Email": message["To"][0]["Email"],
                            "MessageUUID": str(uuid.uuid4()),
                            "MessageID": 1000 + number,
                            "MessageHref": "https://api.mailjet.com/v3/REST/message/1",
                        }
                    ],
                }
                for number, message in enumerate(payload["Messages"])
            ]
        }
    raise AssertionError(esp)


KEYS = {
    "sendgrid": {"SENDGRID_API_KEY": "SG.key"},
    "brevo": {"BREVO_API_KEY": "xkeysib-key"},
    "mailjet": {"MAILJET_API_KEY": "public", "MAILJET_SECRET_KEY": "private"},
}


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
@pytest.mark.parametrize("esp", ["sendgrid", "brevo", "mailjet"])
def test_the_other_esps_get_one_call_with_merge_data_per_recipient(
    esp, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"anymail.backends.{esp}.EmailBackend"
    settings.ANYMAIL = KEYS[esp]
    settings.OUTBOUND_ESP_BATCH_SIZE = None
    calls = []

    def request_(session, method=None, url=None, **kwargs):
        calls.append(json.loads(kwargs["data"]))
        response = requests.Response()
        status, body = _answer(esp, kwargs.get("data"))
        response.status_code = status
        response._content = b"" if body is None else json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.encoding = "utf-8"
        return response

    monkeypatch.setattr(requests.Session, "request", request_)
    MemberFactory.create_batch(3, preferred_language="en")
    newsletter = prepared_newsletter(django_capture_on_commit_callbacks)

    result = outbound.send_batch(stream_name="newsletter", campaign_id=newsletter.pk)

    assert result.sent == 3
    (call,) = calls
    syntax = batching.ESPS[esp].syntax
    deliveries = {d.email: d for d in Delivery.objects.all()}
    if esp == "sendgrid":
        assert syntax("token") in call["content"][0]["value"]
        for personalization in call["personalizations"]:
            (to,) = personalization["to"]
            delivery = deliveries[to["email"]]
            assert personalization["substitutions"]["-token-"] == unsubscribe_token(
                delivery.participant_id
            )
            assert personalization["custom_args"]["id"] == str(delivery.pk)
    elif esp == "brevo":
        assert syntax(html_key("token")) in call["htmlContent"]
        for version in call["messageVersions"]:
            delivery = deliveries[version["to"][0]["email"]]
            assert version["params"]["token"] == unsubscribe_token(delivery.participant_id)
            assert json.loads(version["headers"]["X-Mailin-custom"])["id"] == delivery.pk
    else:
        assert call["Globals"]["TemplateLanguage"] is True
        assert syntax(html_key("token")) in call["Globals"]["HTMLPart"]
        for message in call["Messages"]:
            delivery = deliveries[message["To"][0]["Email"]]
            assert message["Variables"]["token"] == unsubscribe_token(delivery.participant_id)
            assert json.loads(message["EventPayload"])["id"] == delivery.pk
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    # Each row has its own id (anymail's per-recipient one for SendGrid).
    ids = list(Delivery.objects.values_list("esp_message_id", flat=True))
    assert len(set(ids)) == 3 and all(ids)


# --- a dead worker's group in the ESP's hands -------------------------------------------------


def _claimed_wave(count: int, worker: str) -> list[int]:
    make_participants(count)
    wave = make_wave(batch_size=100)
    launch(wave)
    stream = outbound.get_stream("invitation")
    campaign = outbound.active_campaign(stream=stream, campaign_id=wave.pk, now=timezone.now())
    return outbound.claim(stream=stream, campaign=campaign, claimed_by=worker)


@pytest.mark.django_db
def test_a_dead_workers_group_handed_over_waits_for_webhooks_as_a_whole(settings):
    settings.OUTBOUND_AWAIT_WEBHOOKS = True
    settings.OUTBOUND_UNCERTAIN_SECONDS = 240
    ids = _claimed_wave(6, "norec@worker-1/4242")
    # The worker sent the batch in groups, stamped its first group of three as handed over, then
    # died in the call.
    batching._mark_in_groups(
        outbound.get_stream("invitation"), list(Invitation.objects.filter(pk__in=ids))
    )
    batching._hand_over(
        outbound.get_stream("invitation"), list(Invitation.objects.filter(pk__in=ids[:3]))
    )
    dead = lambda: frozenset({"norec@worker-2/77"})  # noqa: E731

    outbound.sweep(live=dead)

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["sending"] * 3 + ["pending"] * 3
    # The ESP's webhook for one of them marks it sent; the others are sent again once the
    # webhooks' time is over, their attempt counted.
    Invitation.objects.filter(pk=ids[1]).update(status="sent")
    outbound.sweep(now=timezone.now() + timedelta(seconds=241), live=dead)
    rows = {row.pk: row for row in Invitation.objects.filter(pk__in=ids[:3])}
    assert [rows[pk].status for pk in ids[:3]] == ["pending", "sent", "pending"]
    assert rows[ids[0]].attempts == 1


@pytest.mark.django_db
def test_a_live_workers_group_in_the_esps_hands_is_left_alone(settings):
    settings.OUTBOUND_AWAIT_WEBHOOKS = True
    ids = _claimed_wave(3, "norec@worker-1/4242")
    batching._hand_over(
        outbound.get_stream("invitation"), list(Invitation.objects.filter(pk__in=ids))
    )

    recovered = outbound.sweep(live=lambda: frozenset({"norec@worker-1/4242"}))

    assert recovered["invitation"] == 0
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sending"}
