"""Immediate mails about posts: who gets one and who never does, their language and content."""

from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse

from community import notifications
from community import services
from community import views
from community.models import CommunityMember
from community.models import Post
from members import services as member_services
from members.models import Participant
from tests.community.factories import regular_member
from tests.community.factories import reply
from tests.community.factories import topic
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Run what a post queues once its transaction commits (the one-off mail task, eager)."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def in_directory(member):
    member_services.participant_update_profile(
        participant=member, data={"directory_visibility": Participant.Visibility.MEMBERS}
    )
    return member


def to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_the_topic_author_gets_a_mail_for_a_reply(amina, tendai, send_now, settings):
    settings.COMMUNITY_REPLY_DOMAIN = ""
    question = topic(amina, title="Malaria nets", text="Which nets last?")
    mail.outbox.clear()
    post = send_now(reply, tendai, question, text="The blue ones, in my experience.")
    [message] = mail.outbox
    assert message.to == [amina.email]
    assert tendai.full_name in message.subject and "Malaria nets" in message.subject
    assert "The blue ones, in my experience." in message.body
    assert notifications.post_url(post) in message.body
    assert "A reply goes to everyone in the room." in message.body
    # Reply by mail off: no Reply-To, and no sentence offering it.
    assert message.reply_to == []
    assert "Reply to this email" not in message.body
    html = message.alternatives[0][0]
    assert "The blue ones, in my experience." in html and notifications.post_url(post) in html


def test_reply_to_is_the_recipients_personal_address_when_on(amina, tendai, send_now, settings):
    settings.COMMUNITY_REPLY_DOMAIN = "reply.norec.test"
    question = topic(amina)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    [message] = mail.outbox
    from community.reply_tokens import parse_reply_address

    target = parse_reply_address(message.reply_to[0])
    assert (target.topic_id, target.participant_id) == (question.pk, amina.pk)
    assert "Reply to this email to answer in the room." in message.body


def test_everyone_who_replied_before_gets_one_but_never_the_author(
    amina, tendai, network, send_now
):
    third = regular_member(first_name="Kofi")
    services.room_follow(participant=tendai, room=network)
    services.room_follow(participant=third, room=network)
    question = topic(amina)
    reply(tendai, question)
    mail.outbox.clear()
    send_now(reply, third, question)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([amina.email, tendai.email])
    mail.outbox.clear()
    # Amina answers in her own topic: Tendai and Kofi hear of it, she does not.
    send_now(reply, amina, question)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([tendai.email, third.email])


def test_members_of_the_room_who_took_no_part_get_nothing(amina, tendai, network, send_now):
    bystander = regular_member(first_name="Bea")
    services.room_follow(participant=bystander, room=network)
    question = topic(amina)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    assert not to(bystander.email)


def test_a_member_who_left_the_room_gets_nothing(amina, tendai, network, send_now):
    question = topic(amina)
    services.room_leave(participant=amina, room=network)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    assert mail.outbox == []


def test_a_member_who_turned_them_off_gets_nothing(amina, tendai, send_now):
    question = topic(amina)
    CommunityMember.objects.filter(participant=amina).update(notify_replies=False)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    assert mail.outbox == []


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_a_bad_address_gets_nothing(amina, tendai, send_now, status):
    question = topic(amina)
    member_services.participant_mark_email_status(participant=amina, status=status)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    assert mail.outbox == []


def test_a_deactivated_login_gets_nothing(amina, tendai, send_now):
    question = topic(amina)
    amina.user.is_active = False
    amina.user.save()
    mail.outbox.clear()
    send_now(reply, tendai, question)
    assert mail.outbox == []


def test_a_held_reply_mails_nobody_until_approved(amina, newcomer, network, send_now):
    question = topic(amina)
    services.room_follow(participant=newcomer, room=network)
    mail.outbox.clear()
    held = send_now(reply, newcomer, question, text="My first words here.")
    assert held.status == Post.Status.HELD
    assert mail.outbox == []
    send_now(services.post_approve, post=held, moderator=None)
    [message] = mail.outbox
    assert message.to == [amina.email]
    assert "My first words here." in message.body
    # Approving again sends nothing more.
    send_now(services.post_approve, post=held, moderator=None)
    assert len(mail.outbox) == 1


def test_a_hidden_topic_mails_nobody(amina, tendai, send_now):
    question = topic(amina)
    opening = question.posts.get(is_opening=True)
    services.post_set_hidden(post=opening, hidden=True, moderator=None)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    assert mail.outbox == []


def test_a_hidden_post_is_never_the_subject_of_a_mail(amina, tendai):
    question = topic(amina)
    post = reply(tendai, question)
    services.post_set_hidden(post=post, hidden=True, moderator=None)
    post.refresh_from_db()
    assert notifications.recipients(post) == {}


def test_the_mail_is_in_the_recipients_language(amina, tendai, send_now):
    Participant.objects.filter(pk=amina.pk).update(preferred_language="fr")
    question = topic(amina, title="Moustiquaires")
    mail.outbox.clear()
    send_now(reply, tendai, question)
    [message] = mail.outbox
    assert "a répondu" in message.subject
    assert "Une réponse est lue par tout le salon." in message.body


def test_the_text_part_is_not_html_escaped(network, send_now):
    author = regular_member(first_name="N'Dri", last_name="Kouassi")
    other = regular_member(first_name="Tom")
    question = topic(other, title="Fish & chips")
    mail.outbox.clear()
    send_now(reply, author, question, text="I'd say <yes> & more")
    [message] = mail.outbox
    assert "N'Dri" in message.subject and "Fish & chips" in message.subject
    assert "I'd say <yes> & more" in message.body
    assert "<yes>" not in message.alternatives[0][0]


def test_reply_privately_only_when_the_authors_profile_allows(amina, tendai, send_now):
    question = topic(amina)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    profile = reverse("members:directory_profile", args=[tendai.pk])
    assert profile not in mail.outbox[0].body
    in_directory(tendai)
    mail.outbox.clear()
    send_now(reply, tendai, question)
    assert profile in mail.outbox[0].body
    assert profile in mail.outbox[0].alternatives[0][0]


def test_the_post_link_points_at_its_page(amina, tendai, unlimited):
    assert notifications.POSTS_PER_PAGE == views.POSTS_PER_PAGE
    question = topic(amina)
    posts = [reply(tendai, question, text=f"n{i}") for i in range(notifications.POSTS_PER_PAGE)]
    assert "?page=2#post-" in notifications.post_url(posts[-1])
    assert "?page=" not in notifications.post_url(posts[0])


# --- mentions ----------------------------------------------------------------------------


def test_a_mentioned_member_gets_a_mail_worded_as_a_mention(amina, tendai, send_now):
    question = topic(amina)
    mail.outbox.clear()
    send_now(reply, amina, question, text="What do you say?", mentions=[in_directory(tendai).pk])
    [message] = mail.outbox
    assert message.to == [tendai.email]
    assert "mentioned you" in message.subject


def test_a_mention_of_a_member_outside_the_room_mails_nobody(amina, network, send_now):
    outsider = in_directory(regular_member(first_name="Olu", home_country="NG"))
    services.room_leave(participant=outsider, room=network)
    question = topic(amina)
    mail.outbox.clear()
    send_now(reply, amina, question, mentions=[outsider.pk])
    assert mail.outbox == []


def test_a_held_post_notifies_its_mentions_when_approved(amina, tendai, newcomer, send_now):
    question = topic(amina)
    mail.outbox.clear()
    held = send_now(reply, newcomer, question, mentions=[in_directory(tendai).pk])
    assert mail.outbox == []
    send_now(services.post_approve, post=held, moderator=None)
    assert {m.to[0] for m in mail.outbox} == {amina.email, tendai.email}
    assert "mentioned you" in to(tendai.email)[0].subject


def test_a_new_topic_mails_only_those_it_mentions(amina, tendai, network, send_now):
    mail.outbox.clear()
    send_now(topic, amina, mentions=[in_directory(tendai).pk])
    assert [m.to for m in mail.outbox] == [[tendai.email]]


def test_only_topic_people_and_directory_members_can_be_mentioned(amina, tendai, send_now):
    hidden = regular_member(first_name="Hidda")  # not in the directory, took no part
    question = topic(amina)
    reply(tendai, question)  # tendai took part, though hidden from the directory
    mail.outbox.clear()
    send_now(reply, amina, question, mentions=[hidden.pk, tendai.pk])
    assert {m.to[0] for m in mail.outbox} == {tendai.email}


# --- the picker on the pages -------------------------------------------------------------


def test_the_reply_form_lists_the_topics_people_and_finds_members_by_name(client, amina, tendai):
    question = topic(amina)
    reply(tendai, question)
    in_directory(regular_member(first_name="Zawadi", last_name="Mwangi"))
    regular_member(first_name="Zainab", last_name="Hidden")  # not in the directory
    client.force_login(amina.user)
    page = client.get(reverse("community:topic", args=[question.pk])).content.decode()
    assert tendai.full_name in page and "Zawadi" not in page
    found = client.post(
        reverse("community:topic", args=[question.pk]),
        {"text": "Half typed", "mention_search": "zaw", "find_mentions": "1"},
    )
    page = found.content.decode()
    assert found.status_code == 200
    assert "Zawadi Mwangi" in page and "Zainab" not in page
    assert "Half typed" in page  # what was typed is kept
    assert not question.posts.filter(text="Half typed").exists()


def test_posting_with_a_ticked_name_mails_them(client, amina, tendai, send_now):
    question = topic(amina)
    reply(tendai, question)
    client.force_login(amina.user)
    mail.outbox.clear()
    response = send_now(
        client.post,
        reverse("community:topic", args=[question.pk]),
        {"text": "See this", "mention": [str(tendai.pk)]},
    )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[tendai.email]]


def test_a_name_not_offered_is_refused_with_the_text_kept(client, amina):
    stranger = regular_member(first_name="Stranger")
    question = topic(amina)
    client.force_login(amina.user)
    response = client.post(
        reverse("community:topic", args=[question.pk]),
        {"text": "Kept text", "mention": [str(stranger.pk)]},
    )
    assert response.status_code == 200
    assert "Kept text" in response.content.decode()
    assert not question.posts.filter(text="Kept text").exists()


def test_the_new_topic_form_finds_members(client, amina, network):
    in_directory(MemberFactory(first_name="Baraka", last_name="Ochieng"))
    client.force_login(amina.user)
    response = client.post(
        reverse("community:topic_create", args=[network.slug]),
        {"title": "Hello", "text": "Hi", "mention_search": "baraka", "find_mentions": "1"},
    )
    assert "Baraka Ochieng" in response.content.decode()


def test_a_deleted_account_takes_its_mentions_and_digests_along(amina, tendai, send_now):
    from community.models import DigestDelivery
    from community.models import Mention

    question = topic(amina)
    reply(amina, question, mentions=[in_directory(tendai).pk])
    DigestDelivery.objects.create(
        participant=tendai,
        email=tendai.email,
        frequency="weekly",
        since=question.created_at,
        until=question.created_at,
    )
    assert services.member_data_export(tendai)["mail_about_replies_and_mentions"] is True
    member_services.participant_delete_account(participant=tendai)
    assert not Mention.objects.filter(participant=tendai).exists()
    assert not DigestDelivery.objects.filter(participant=tendai).exists()


# --- checked again when the worker sends ----------------------------------------------------------


def _queued_reply(django_capture_on_commit_callbacks, author, question, **kwargs):
    """A reply whose notification is queued but not yet sent (the task did not run)."""
    from core.models import OutgoingMail

    with django_capture_on_commit_callbacks(execute=False):
        post = reply(author, question, **kwargs)
    [row] = OutgoingMail.objects.filter(template=notifications.TEMPLATE)
    return post, row


def _send(row):
    from core import tasks
    from core.models import OutgoingMail

    mail.outbox.clear()
    result = tasks.send_email.delay(row.pk).get()
    return result, OutgoingMail.objects.get(pk=row.pk)


def test_a_queued_notification_still_wanted_is_sent(
    amina, tendai, django_capture_on_commit_callbacks
):
    _post, row = _queued_reply(django_capture_on_commit_callbacks, tendai, topic(amina))
    result, row = _send(row)
    assert row.status == "sent" and [m.to for m in mail.outbox] == [[amina.email]]


def test_a_notification_about_a_post_hidden_before_sending_is_skipped(
    amina, tendai, django_capture_on_commit_callbacks
):
    post, row = _queued_reply(django_capture_on_commit_callbacks, tendai, topic(amina))
    services.post_set_hidden(post=post, hidden=True, moderator=None)
    result, row = _send(row)
    assert result == "skipped" and mail.outbox == []
    assert row.status == "skipped" and "hidden" in row.last_error


def test_a_notification_in_a_topic_hidden_before_sending_is_skipped(
    amina, tendai, django_capture_on_commit_callbacks
):
    question = topic(amina)
    _post, row = _queued_reply(django_capture_on_commit_callbacks, tendai, question)
    services.post_set_hidden(post=question.posts.get(is_opening=True), hidden=True, moderator=None)
    result, row = _send(row)
    assert result == "skipped" and mail.outbox == []


def test_a_notification_about_a_post_deleted_before_sending_is_skipped(
    amina, tendai, django_capture_on_commit_callbacks
):
    post, row = _queued_reply(django_capture_on_commit_callbacks, tendai, topic(amina))
    services.post_delete(participant=tendai, post=post)
    result, row = _send(row)
    assert result == "skipped" and mail.outbox == []
    assert "erased" in row.last_error


def test_a_recipient_who_left_the_room_before_sending_gets_nothing(
    amina, tendai, network, django_capture_on_commit_callbacks
):
    _post, row = _queued_reply(django_capture_on_commit_callbacks, tendai, topic(amina))
    services.room_leave(participant=amina, room=network)
    result, row = _send(row)
    assert result == "skipped" and mail.outbox == []
    assert "no longer gets mail" in row.last_error


def test_a_recipient_deactivated_before_sending_gets_nothing(
    amina, tendai, django_capture_on_commit_callbacks
):
    _post, row = _queued_reply(django_capture_on_commit_callbacks, tendai, topic(amina))
    amina.user.is_active = False
    amina.user.save()
    result, row = _send(row)
    assert result == "skipped" and mail.outbox == []


def test_a_mention_whose_member_left_before_sending_is_skipped(
    amina, tendai, network, django_capture_on_commit_callbacks
):
    in_directory(tendai)
    services.room_follow(participant=tendai, room=network)
    question = topic(amina)
    with django_capture_on_commit_callbacks(execute=False):
        reply(amina, question, text="What do you say?", mentions=[tendai.pk])
    from core.models import OutgoingMail

    [row] = OutgoingMail.objects.filter(template=notifications.TEMPLATE, participant=tendai)
    services.room_leave(participant=tendai, room=network)
    result, row = _send(row)
    assert result == "skipped" and mail.outbox == []


class _SubmitButtons(HTMLParser):
    """The submit buttons of the page's post form, in document order."""

    def __init__(self):
        super().__init__()
        self.in_form, self.current, self.buttons = False, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "post-form" in (attrs.get("class") or ""):
            self.in_form = True
        elif tag == "button" and self.in_form and attrs.get("type", "submit") == "submit":
            self.current = {**attrs, "text": ""}
            self.buttons.append(self.current)

    def handle_data(self, data):
        if self.current is not None:
            self.current["text"] += data

    def handle_endtag(self, tag):
        if tag == "button":
            self.current = None
        elif tag == "form":
            self.in_form = False


def _submit_buttons(page: str) -> list[dict]:
    parser = _SubmitButtons()
    parser.feed(page)
    return parser.buttons


@pytest.mark.parametrize("form", ["reply", "new topic"])
def test_enter_in_the_form_posts_rather_than_finds_a_name(client, amina, tendai, network, form):
    question = topic(amina)
    reply(tendai, question)
    client.force_login(amina.user)
    url = (
        reverse("community:topic", args=[question.pk])
        if form == "reply"
        else reverse("community:topic_create", args=[network.slug])
    )
    buttons = _submit_buttons(client.get(url).content.decode())
    names = [button.get("name") for button in buttons]
    assert "find_mentions" in names
    # The default button (the first submit button, which Enter presses) posts: no name, so no
    # "find_mentions" in what the browser sends; the same label as the visible button.
    default, visible = buttons[0], buttons[-1]
    assert default.get("name") is None and visible.get("name") is None
    assert default["text"].strip() == visible["text"].strip()
    assert visible["text"].strip() == ("Post reply" if form == "reply" else "Post topic")
    assert default.get("tabindex") == "-1" and "visually-hidden" in default.get("class", "")
    # What a browser sends on Enter in the name field: the text and the search, no Find.
    data = {"text": "Posted by Enter", "mention_search": "someone"}
    if form == "new topic":
        data["title"] = "By Enter"
    response = client.post(url, data)
    assert response.status_code == 302
    assert Post.objects.filter(text="Posted by Enter").exists()
