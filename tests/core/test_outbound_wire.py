"""A template's skeleton (`core.outbound.wire`) writes each recipient's message with the bytes the
full path writes (`templates.fill`, Django's MIME message, `wire.flatten`), for made-up templates
that try the edges and for every stream that sends from templates; where it cannot, it says so
(None) and the sender builds the message the full way."""

import datetime

import pytest
from django.core.mail import EmailMessage
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from community import digests
from community import sending as community_sending
from community import services as community_services
from community.models import DigestDelivery
from core.outbound import wire
from core.outbound.templates import MessageTemplate
from core.outbound.templates import fill
from core.outbound.templates import placeholder
from invitations import sending as invitation_sending
from invitations.models import Invitation
from newsletters.rendering import IssueRenderer
from newsletters.services import recipient_for
from tests.community.factories import regular_member
from tests.community.factories import topic
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_wave
from tests.members.factories import ExchangeFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.newsletters.factories import NewsletterFactory

DATE = "Mon, 07 Dec 2026 12:00:00 +0000"
MESSAGE_ID = "<invitation.7.1234@norec.test>"
NAMES = ["Amina", "N'Dri & <Co>", "Zoë Ñúñez", "Тимур"]


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    """One Date for both paths: they may fall in different seconds."""
    monkeypatch.setattr("django.core.mail.message.formatdate", lambda **kwargs: DATE)
    monkeypatch.setattr("core.outbound.wire.formatdate", lambda **kwargs: DATE)


def full_path(template: MessageTemplate, values: dict, to: str, boundary: str) -> bytes:
    message = fill(template, values, to=[to])
    message.extra_headers.setdefault("Message-ID", MESSAGE_ID)
    return wire.flatten(message.message(), boundary)


def assert_same_bytes(template: MessageTemplate, values: dict, to: str) -> bytes:
    skeleton = wire.skeleton_of(template)
    assert skeleton is not None
    ours = wire.wire_message(template, values, to=to, message_id=MESSAGE_ID)
    assert ours is not None
    boundary = skeleton.delimiter[2:].decode() or None
    assert ours.data == full_path(template, values, to, boundary)
    assert ours.message_id == MESSAGE_ID and ours.to == to
    return ours.data


def made_up(subject: str, text: str, html: str | None, **headers) -> MessageTemplate:
    name, link = placeholder("name"), placeholder("link")
    kind = EmailMultiAlternatives if html is not None else EmailMessage
    message = kind(
        subject=subject.format(name=name),
        body=text.format(name=name, link=link),
        from_email="Norec Network <network@norec.test>",
        reply_to=["Rådgiver <adviser@norec.test>"],
    )
    if html is not None:
        message.attach_alternative(html.format(name=name, link=link), "text/html")
    return MessageTemplate(
        key=("made-up", subject, text, html),
        message=message,
        fields=("name", "link"),
        headers=headers,
    )


def values(name: str) -> dict:
    return {"name": name, "link": "https://network.norec.test/t/abc123/"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "template",
    [
        # An English (ASCII) template: a non-ASCII name turns its parts from 7bit to 8bit.
        made_up("Welcome, {name}", "Hello {name},\nOpen {link}\n", "<p>Hello <b>{name}</b></p>"),
        # A subject without a field, in French: encoded once, the same for everyone.
        made_up("Invitation à rejoindre le réseau", "Bonjour {name}\n", "<p>Bonjour {name}</p>"),
        # A long subject with a field: folded per recipient.
        made_up("Réseau Norec " * 8 + "{name}", "Olá {name}\n.dot first\n", "<p>{name}</p>"),
        # One part only, ASCII: its top-level Content-Transfer-Encoding follows the name.
        made_up("Hi {name}", "Hi {name}, see {link}\n", None),
        # A per-recipient header, longer than a line.
        made_up(
            "News",
            "{name}\n",
            "<a href='{link}'>x</a>",
            **{
                "List-Unsubscribe": "<https://network.norec.test/unsubscribe/"
                + "a" * 70
                + "/{link}>"
            },
        ),
    ],
    ids=["ascii", "french-subject", "long-subject", "one-part", "header"],
)
def test_a_skeleton_writes_what_the_full_path_writes(template, name):
    if "List-Unsubscribe" in template.headers:
        template.headers["List-Unsubscribe"] = template.headers["List-Unsubscribe"].replace(
            "{link}", placeholder("link")
        )
    assert_same_bytes(template, values(name), f"person{len(name)}@example.org")


def test_each_field_is_escaped_in_the_html_part_only():
    template = made_up("Hi {name}", "Hi {name}\n", "<p>Hi {name}</p>")

    data = assert_same_bytes(template, values("N'Dri & <Co>"), "ndri@example.org")

    assert b"<p>Hi N&#x27;Dri &amp; &lt;Co&gt;</p>" in data
    assert b"Hi N'Dri & <Co>\r\n" in data


@pytest.mark.parametrize(
    ("template", "value"),
    [
        # A template line over 998 bytes: Django writes that part quoted-printable.
        (made_up("Hi", "{name} " + "x" * 1200 + "\n", "<p>{name}</p>"), "Amina"),
        # A value that makes a line too long: that recipient's part would be quoted-printable.
        (made_up("Hi", "Hi {name}\n", "<p>{name}</p>"), "y" * 1000),
        # A line break in a value: the full path refuses it in a header, or keeps it in a body.
        (made_up("Hi {name}", "Hi {name}\n", "<p>{name}</p>"), "Amina\nBcc: x@example.org"),
    ],
    ids=["long-template-line", "long-value", "line-break"],
)
def test_what_a_skeleton_cannot_write_goes_the_full_way(template, value):
    assert (
        wire.wire_message(template, values(value), to="a@example.org", message_id=MESSAGE_ID)
        is None
    )


@pytest.mark.parametrize("value", ["Amina\x0bOtieno", "Amina\x1c", "Amina\u2028Otieno"])
def test_a_character_python_breaks_lines_at_goes_the_full_way(value):
    template = made_up("Hi {name}", "Hi {name}\n", "<p>{name}</p>")

    assert (
        wire.wire_message(template, values(value), to="a@example.org", message_id=MESSAGE_ID)
        is None
    )


def test_a_fields_own_html_form_with_a_line_break_goes_the_full_way():
    template = made_up("Hi {name}", "Hi {name}\n", "<p>{name}</p>")
    fields = {**values("Amina"), "namehtml": "<b>Amina</b>\n<i>x</i>"}

    assert wire.wire_message(template, fields, to="a@example.org", message_id=MESSAGE_ID) is None


def test_a_template_with_its_own_date_keeps_it_and_one_with_its_own_to_has_no_skeleton():
    dated = made_up("Hi {name}", "Hi {name}\n", "<p>{name}</p>")
    dated.message.extra_headers["Date"] = "Tue, 01 Dec 2026 09:00:00 +0000"
    addressed = made_up("Hi {name}", "Hi {name}\n", "<p>{name}</p>")
    addressed.message.extra_headers["To"] = "Everyone <list@example.org>"

    data = assert_same_bytes(dated, values("Zoë"), "zoe@example.org")

    assert b"Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n" in data
    assert wire.skeleton_of(addressed) is None


def test_a_template_with_an_attachment_has_no_skeleton():
    template = made_up("Hi {name}", "Hi {name}\n", "<p>{name}</p>")
    template.message.attach("agenda.txt", "Agenda", "text/plain")

    assert wire.skeleton_of(template) is None


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
def test_invitations_and_reminders_go_out_as_the_full_path_writes_them(language):
    people = ParticipantFactory.create_batch(
        len(NAMES), home_country="KE", preferred_language=language
    )
    for person, name in zip(people, NAMES, strict=True):
        person.first_name = name
        person.save(update_fields=["first_name"])
        ExchangeFactory(participant=person, year=2012, partner_organisation="Red Cross & <Kenya>")
    launch(make_wave())

    for invitation in Invitation.objects.order_by("pk"):
        template, fields = invitation_sending.build_invitation_template(invitation)
        assert_same_bytes(template, fields, invitation.email)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr", "es", "pt"])
def test_a_newsletter_goes_out_as_the_full_path_writes_it(language):
    newsletter = NewsletterFactory(subject="Nouvelles du réseau")
    renderer = IssueRenderer(newsletter)
    for name in NAMES:
        member = MemberFactory(first_name=name, preferred_language=language)
        template, fields = renderer.template(recipient_for(member))
        assert_same_bytes(template, fields, member.email)


@pytest.mark.django_db
def test_a_digest_goes_out_as_the_full_path_writes_it():
    community_services.network_room()
    author = regular_member(first_name="Amina", last_name="Otieno", home_country="KE")
    readers = [regular_member(first_name=name, preferred_language="fr") for name in NAMES]
    topic(author, title="Pompes solaires & <irrigation>")
    today = digests.today_local(timezone.now())
    digests.digest_start(
        frequency="weekly", day=today + datetime.timedelta(days=7 - today.weekday())
    )
    community_sending._rendered.clear()

    rows = DigestDelivery.objects.filter(participant__in=readers).select_related("participant")
    assert rows.count() == len(readers)
    for row in rows:
        template, fields = community_sending.build_digest_template(row)
        assert_same_bytes(template, fields, row.email)


SUBJECTS = [
    "Invitation à rejoindre le réseau Norec, Zoë",
    "Convite para a rede Norec, João — participe já! " * 3,
    "Тимур, приглашение в сеть Norec",
    "日本語の件名とても長い件名がここに続きます" * 4,
    "Emoji 🎉🎉 and accents éèê " * 5,
    "x" * 70 + "é",
    "é" + "x" * 200,
    # ASCII: Django passes a subject through `Header(value).encode()`, which may fold it.
    "Amina, you are invited to Norec Network",
    "  two  spaces\tand a tab  ",
    "y" * 76,
    "y" * 77,
    "word " * 30,
    # Characters `str.splitlines` breaks at, which Django's header encoding follows.
    "a\x0bb",
    "\x1c",
    "Zoë\u2028x",
]


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize(
    "name", ["Subject", "List-Unsubscribe", "X-A-Very-Long-Header-Name-Indeed"]
)
def test_a_header_is_written_as_django_and_the_generator_write_it(name, subject):
    from email.policy import compat32

    from django.core.mail.message import forbid_multi_line_headers

    django_line = (
        type(compat32)()
        .clone(linesep="\r\n")
        .fold_binary(*forbid_multi_line_headers(name, subject, "utf-8"))
    )

    assert wire.header_line(name, subject, "utf-8") == django_line
