"""The rules of a reply by e-mail (`community.inbound.receive`): who may post where, what is
refused and who is told, what is dropped in silence, and the refusal mail itself."""

import contextlib

import pytest
from django.urls import reverse
from django.utils import timezone

from community import inbound
from community import services
from community.models import CommunityMember
from community.models import Post
from community.reply_tokens import reply_address
from core.models import OutgoingMail
from tests.community import factories
from tests.community.inbound_support import REPLY_DOMAIN
from tests.community.inbound_support import message

pytestmark = pytest.mark.django_db

NAME = "N'Dri & <Aya>"


@pytest.fixture(autouse=True)
def _reply_domain(settings):
    settings.COMMUNITY_REPLY_DOMAIN = REPLY_DOMAIN


@pytest.fixture
def sent(mailoutbox, django_capture_on_commit_callbacks):
    """`with sent() as outbox:` runs the block's on-commit callbacks (the eager mail worker)."""

    @contextlib.contextmanager
    def capture():
        with django_capture_on_commit_callbacks(execute=True):
            yield mailoutbox

    return capture


@pytest.fixture
def topic(tendai):
    return factories.topic(tendai, title="Where to find funding?")


def reply_from(member, topic, **kwargs):
    address = reply_address(topic_id=topic.pk, participant_id=member.pk)
    kwargs.setdefault("sender", member.address_of_record)
    return message(reply_address=address, **kwargs)


def replies(topic):
    return Post.objects.filter(topic=topic, is_opening=False)


# --- posting ----------------------------------------------------------------------------------


def test_a_reply_is_posted_as_its_member_with_the_quote_stripped(amina, topic):
    text = "Try the Norad call.\n\nOn Mon, 7 Dec 2026, Norec Network wrote:\n> Where to find?"
    outcome = inbound.receive(reply_from(amina, topic, text=text))
    assert outcome.status == inbound.POSTED
    post = replies(topic).get()
    assert (post.pk, post.author, post.text) == (outcome.post_id, amina, "Try the Norad call.")
    assert post.source == Post.Source.EMAIL


def test_the_sender_matches_whatever_its_case(amina, topic):
    sender = amina.address_of_record.upper()
    assert inbound.receive(reply_from(amina, topic, sender=sender)).status == inbound.POSTED


def test_the_reply_address_is_found_in_cc_or_the_envelope(amina, topic):
    address = reply_address(topic_id=topic.pk, participant_id=amina.pk)
    cc = message(
        reply_address=address,
        sender=amina.address_of_record,
        to="Tendai <tendai@example.org>",
        headers={"Cc": f"Norec <{address}>"},
    )
    assert inbound.receive(cc).status == inbound.POSTED
    envelope = message(
        reply_address=address, sender=amina.address_of_record, to="Norec <network@norec.no>"
    )
    assert inbound.receive(envelope).reason == inbound.UNKNOWN_ADDRESS
    envelope.envelope_recipient = address
    assert inbound.receive(envelope).status == inbound.POSTED


def test_an_html_only_reply_is_posted_as_text(amina, topic):
    html = "<p>Yes &amp; no.</p><blockquote>Where to find?</blockquote>"
    inbound.receive(reply_from(amina, topic, text=None, html=html))
    assert replies(topic).get().text == "Yes & no."


def test_a_new_members_reply_waits_for_approval_as_on_the_site(newcomer, topic):
    CommunityMember.objects.update_or_create(
        participant=newcomer, defaults={"accepted_conduct_at": timezone.now()}
    )
    assert inbound.receive(reply_from(newcomer, topic)).status == inbound.POSTED
    assert replies(topic).get().status == Post.Status.HELD


def test_a_charset_python_does_not_know_is_read_as_utf8(amina, topic):
    mail = reply_from(amina, topic, text="Très bien.")
    mail.get_body().set_param("charset", "x-unknown-charset")
    assert inbound.receive(mail).status == inbound.POSTED
    assert replies(topic).get().text == "Très bien."


def test_a_mail_with_two_senders_is_not_posted(amina, tendai, topic, sent):
    mail = reply_from(amina, topic)
    mail.replace_header("From", f"{amina.address_of_record}, {tendai.address_of_record}")
    with sent() as outbox:
        assert inbound.receive(mail).reason == inbound.OTHER_SENDER
    assert outbox == [] and not replies(topic).exists()


def test_the_same_mail_twice_is_posted_once(amina, topic):
    first = inbound.receive(reply_from(amina, topic, message_id="once@mail.example.org"))
    again = inbound.receive(reply_from(amina, topic, message_id="once@mail.example.org"))
    assert (first.status, again.status) == (inbound.POSTED, inbound.DUPLICATE)
    assert replies(topic).count() == 1


def test_a_mail_without_message_id_is_still_posted_once(amina, topic):
    mail = reply_from(amina, topic)
    del mail["Message-ID"]
    assert inbound.receive(mail).status == inbound.POSTED
    assert inbound.receive(mail).status == inbound.DUPLICATE


# --- refusals: who is told, and what ---------------------------------------------------------


def test_a_reply_from_another_address_is_explained_to_the_member_never_the_sender(
    amina, topic, sent
):
    with sent() as outbox:
        outcome = inbound.receive(reply_from(amina, topic, sender="colleague@elsewhere.example"))
    assert (outcome.status, outcome.reason) == (inbound.REFUSED, inbound.OTHER_SENDER)
    assert not replies(topic).exists()
    assert [mail.to for mail in outbox] == [[amina.address_of_record]]
    assert "colleague@elsewhere.example" in outbox[0].body
    assert "Thank you, that helps." not in outbox[0].body  # someone else's text is not relayed


def test_a_forged_address_from_an_unknown_sender_gets_no_answer(amina, tendai, topic, sent):
    forged = reply_address(topic_id=topic.pk, participant_id=amina.pk)[:-20] + "0" * 16
    with sent() as outbox:
        outcome = inbound.receive(
            message(reply_address=forged + "@" + REPLY_DOMAIN, sender="spoofer@example.net")
        )
    assert (outcome.status, outcome.reason) == (inbound.REFUSED, inbound.UNKNOWN_ADDRESS)
    assert outbox == []
    assert not replies(topic).exists()


def test_a_forged_address_from_a_members_own_address_is_explained_to_that_member(
    amina, tendai, topic, sent
):
    # Amina writes to Tendai's reply address: the token is Tendai's, the sender is not.
    tendai_address = reply_address(topic_id=topic.pk, participant_id=tendai.pk)
    forged = tendai_address.replace(f"-{tendai.pk}-", f"-{amina.pk}-")
    with sent() as outbox:
        outcome = inbound.receive(message(reply_address=forged, sender=amina.address_of_record))
    assert outcome.reason == inbound.UNKNOWN_ADDRESS
    assert [mail.to for mail in outbox] == [[amina.address_of_record]]
    assert not replies(topic).exists()


@pytest.mark.parametrize("how", ["hidden", "deleted"])
def test_a_reply_to_a_hidden_or_deleted_topic_is_refused_and_explained(
    amina, tendai, topic, sent, how
):
    opening = topic.posts.get(is_opening=True)
    mail = reply_from(amina, topic, text="Still interested!")
    if how == "hidden":
        services.post_set_hidden(post=opening, hidden=True, moderator=None)
    else:
        topic.delete()
    with sent() as outbox:
        outcome = inbound.receive(mail)
    assert (outcome.status, outcome.reason) == (inbound.REFUSED, inbound.TOPIC_GONE)
    assert not Post.objects.filter(source=Post.Source.EMAIL).exists()
    assert [mail.to for mail in outbox] == [[amina.address_of_record]]
    assert "no longer available" in outbox[0].body
    assert "Where to find funding?" not in outbox[0].body  # a hidden title is not repeated
    assert "Still interested!" in outbox[0].body  # what they wrote is not lost


def test_a_member_who_never_accepted_the_code_of_conduct_is_sent_to_the_site(newcomer, topic, sent):
    with sent() as outbox:
        outcome = inbound.receive(reply_from(newcomer, topic))
    assert outcome.reason == inbound.CONDUCT_REQUIRED
    assert not replies(topic).exists()
    assert reverse("community:topic", args=[topic.pk]) in outbox[0].body
    assert "code of conduct" in outbox[0].body


def test_the_posting_rate_applies_to_replies_by_mail(amina, topic, sent, monkeypatch):
    limit = services.RateLimit(scope="test-post", amount=1, period=3600)
    monkeypatch.setattr(services, "POST_LIMITS", (limit,))
    assert inbound.receive(reply_from(amina, topic)).status == inbound.POSTED
    with sent() as outbox:
        outcome = inbound.receive(reply_from(amina, topic, text="One more thing."))
    assert outcome.reason == inbound.RATE_LIMITED
    assert replies(topic).count() == 1
    assert "One more thing." in outbox[0].body


def test_an_empty_reply_is_not_posted_and_explained(amina, topic, sent):
    text = "\n\nOn Mon, 7 Dec 2026, Norec Network wrote:\n> Where to find funding?\n"
    with sent() as outbox:
        outcome = inbound.receive(reply_from(amina, topic, text=text))
    assert outcome.reason == inbound.EMPTY
    assert not replies(topic).exists()
    assert "empty" in outbox[0].body


def test_a_reply_longer_than_a_post_is_refused(amina, topic, sent):
    with sent() as outbox:
        outcome = inbound.receive(reply_from(amina, topic, text="word " * 2500))
    assert outcome.reason == inbound.TOO_LONG
    assert not replies(topic).exists()
    assert "too long" in outbox[0].body


@pytest.mark.parametrize("how", ["deleted", "deactivated"])
def test_a_former_member_posts_nothing_and_gets_nothing(amina, topic, sent, how):
    mail = reply_from(amina, topic)
    if how == "deleted":
        amina.deleted_at = timezone.now()
        amina.save(update_fields=["deleted_at"])
    else:
        amina.user.is_active = False
        amina.user.save(update_fields=["is_active"])
    with sent() as outbox:
        outcome = inbound.receive(mail)
    assert outcome.reason == inbound.NOT_MEMBER
    assert outbox == []
    assert not replies(topic).exists()


def test_refusal_mails_are_limited_per_member(amina, topic, sent):
    with sent() as outbox:
        for _ in range(5):
            inbound.receive(reply_from(amina, topic, sender="colleague@elsewhere.example"))
    assert len(outbox) == inbound.REFUSAL_LIMITS[0].amount


def test_no_refusal_goes_to_a_bounced_address(amina, topic, sent):
    amina.email_status = amina.EmailStatus.BOUNCED
    amina.save(update_fields=["email_status"])
    with sent() as outbox:
        inbound.receive(reply_from(amina, topic, sender="colleague@elsewhere.example"))
    assert outbox == []


def test_the_refusal_mail_in_the_members_language_threaded_and_automatic(amina, topic, sent):
    amina.first_name = NAME
    amina.preferred_language = "fr"
    amina.save(update_fields=["first_name", "preferred_language"])
    mail = reply_from(amina, topic, message_id="m1@mail.example.org", text="Merci & <bravo>")
    topic.delete()
    with sent() as outbox:
        inbound.receive(mail)
    refusal = outbox[0]
    assert refusal.subject == "Votre réponse n'a pas été publiée"
    assert f"Bonjour {NAME}," in refusal.body.splitlines()  # plain text: not HTML-escaped
    assert "Merci & <bravo>" in refusal.body
    html = refusal.alternatives[0][0]
    assert "N&#x27;Dri &amp; &lt;Aya&gt;" in html and "<bravo>" not in html
    assert refusal.extra_headers["Auto-Submitted"] == "auto-replied"
    assert refusal.extra_headers["In-Reply-To"] == "<m1@mail.example.org>"
    # What the member wrote is not kept on the mail's row once it is sent.
    row = OutgoingMail.objects.get(template=inbound.REFUSAL_TEMPLATE)
    assert row.status == "sent" and row.context == {}


# --- loops and automatic mail: dropped in silence ---------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=it@example.org"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"List-Id": "Alumni <alumni.lists.example.org>"},
        {"Subject": "Out of Office: Where to find funding?"},
        {"Subject": "Automatic reply: Where to find funding?"},
        {"Subject": "Réponse automatique : absent du bureau"},
        {"Subject": "Absent du bureau jusqu'au 4 janvier"},
        {"Subject": "Respuesta automática: Fuera de la oficina"},
        {"Subject": "Resposta automática: Fora do escritório"},
        {"Subject": "Ausência temporária"},
    ],
)
def test_auto_replies_and_lists_are_dropped_without_an_answer(amina, topic, sent, headers):
    headers = dict(headers)
    subject = headers.pop("Subject", "Re: Where to find funding?")
    with sent() as outbox:
        outcome = inbound.receive(reply_from(amina, topic, subject=subject, headers=headers))
    assert (outcome.status, outcome.reason) == (inbound.DROPPED, inbound.AUTOMATIC)
    assert outbox == []
    assert not replies(topic).exists()


def test_auto_submitted_no_is_a_person_writing(amina, topic):
    mail = reply_from(amina, topic, headers={"Auto-Submitted": "no"})
    assert inbound.receive(mail).status == inbound.POSTED


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.org",
        "postmaster@example.org",
        "network@norec.no",  # our own DEFAULT_FROM_EMAIL
        f"reply+1-2-0123456789abcdef@{REPLY_DOMAIN}",
    ],
)
def test_mail_from_mail_servers_or_ourselves_is_dropped(amina, topic, sent, sender):
    with sent() as outbox:
        outcome = inbound.receive(reply_from(amina, topic, sender=sender))
    assert outcome.status == inbound.DROPPED
    assert outbox == []


def test_a_bounce_with_an_empty_envelope_sender_is_dropped(amina, topic, sent):
    with sent() as outbox:
        outcome = inbound.receive(reply_from(amina, topic, envelope_sender="<>"))
    assert outcome.status == inbound.DROPPED
    assert outbox == []


def test_what_the_esp_calls_spam_is_dropped(amina, topic, sent):
    mail = reply_from(amina, topic)
    mail.spam_detected = True
    with sent() as outbox:
        assert inbound.receive(mail).reason == inbound.SPAM
    assert outbox == [] and not replies(topic).exists()
