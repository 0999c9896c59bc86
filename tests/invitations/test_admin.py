"""The adviser's wave pages in the admin: create, preview, launch, progress, pause, resume,
cancel, re-send, direct invitations, bad addresses; permissions and query counts."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from invitations.models import Invitation
from invitations.models import InvitationReminder
from invitations.models import Wave
from invitations.services import AUDIT_INVITATIONS_RESENT
from invitations.services import INVITATION_STREAM
from members.models import StaffAction
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.support.preparing import prepare_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


ADVISER_PERMISSIONS = (
    "view_wave",
    "add_wave",
    "change_wave",
    "view_invitation",
    "add_invitation",
    "change_invitation",
    "view_participant",
    "change_participant",
)


@pytest.fixture
def adviser():
    return grant(StaffUserFactory(email="adviser@example.org"), *ADVISER_PERMISSIONS)


@pytest.fixture
def adviser_client(client, adviser):
    client.force_login(adviser)
    return client


def change_url(wave):
    return reverse("admin:invitations_wave_change", args=[wave.pk])


def test_the_adviser_creates_a_wave_in_the_admin(adviser_client, adviser):
    response = adviser_client.post(
        reverse("admin:invitations_wave_add"),
        {
            "name": "Kenya and Uganda",
            "home_countries": ["KE", "UG"],
            "starts_at_0": "2026-12-01",
            "starts_at_1": "09:00",
            "rate_per_hour": "300",
            "batch_size": "50",
            "window_start": "09:00",
            "window_end": "17:00",
            "window_weekdays": ["0", "1", "2", "3", "4"],
            "expiry_days": "30",
            "reminder_days": "10",
            "reply_to": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    wave = Wave.objects.get()
    assert [c.code for c in wave.home_countries] == ["KE", "UG"]
    assert wave.window_weekdays == [0, 1, 2, 3, 4]
    assert (wave.status, wave.created_by) == ("draft", adviser)


class _FormDefaults(HTMLParser):
    """What a browser would submit for a form left as it came up: text inputs' values, ticked
    boxes, selected options (the first option when none is selected)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._multiple = False
        self._first_option: str | None = None
        self._selected = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self.data.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, False
            self._multiple = "multiple" in attrs
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = attrs.get("value", "")
            if "selected" in attrs:
                self._selected = True
                self.data.setdefault(self._select, []).append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not (self._selected or self._multiple or self._first_option is None):
                self.data.setdefault(self._select, []).append(self._first_option)
            self._select = None


def form_defaults(html: str) -> dict[str, list[str]]:
    parser = _FormDefaults()
    parser.feed(html)
    return parser.data


def test_the_new_wave_form_comes_up_with_monday_to_friday_ticked_and_saves_as_it_is(
    adviser_client,
):
    page = adviser_client.get(reverse("admin:invitations_wave_add"))

    data = form_defaults(page.content.decode())
    assert data["window_weekdays"] == ["0", "1", "2", "3", "4"]
    # The adviser names the wave and picks its countries; everything else stays as it came up.
    data.update({"name": ["Ghana"], "home_countries": ["GH"], "_save": ["Save"]})
    response = adviser_client.post(reverse("admin:invitations_wave_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    wave = Wave.objects.get()
    assert wave.window_weekdays == [0, 1, 2, 3, 4]
    assert (wave.batch_size, wave.expiry_days, wave.reminder_days) == (50, 30, 10)


def test_bad_wave_input_says_what_is_wrong_and_keeps_what_was_typed(adviser_client):
    response = adviser_client.post(
        reverse("admin:invitations_wave_add"),
        {
            "name": "Years the wrong way",
            "home_countries": ["KE"],
            "exchange_year_from": "2020",
            "exchange_year_to": "2010",
            "starts_at_0": "2026-12-01",
            "starts_at_1": "09:00",
            "rate_per_hour": "300",
            "batch_size": "0",
            "window_start": "09:00",
            "window_end": "17:00",
            "window_weekdays": ["0"],
            "expiry_days": "10",
            "reminder_days": "12",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "exchange_year_to" in errors and "batch_size" in errors and "reminder_days" in errors
    assert b"Years the wrong way" in response.content
    assert not Wave.objects.exists()


def test_the_draft_page_previews_counts_with_links_in_few_queries(
    adviser_client, django_assert_max_num_queries
):
    make_participants(3)
    ParticipantFactory(home_country="KE", email="")
    MemberFactory(home_country="KE")
    wave = make_wave()

    with django_assert_max_num_queries(20):
        response = adviser_client.get(change_url(wave))

    assert response.status_code == 200
    preview = {row["reason"]: row["count"] for row in response.context["preview"]}
    assert preview["eligible"] == 3 and preview["no_address"] == 1 and preview["registered"] == 1
    listing = reverse("admin:invitations_wave_participants", args=[wave.pk, "no_address"])
    assert listing.encode() in response.content
    assert b"Launch the wave" in response.content
    # The action buttons are forms of their own, outside the change form: browsers ignore a
    # <form> nested in another and would submit the change form instead.
    content = response.content.decode()
    launch_form = content.index(reverse("admin:invitations_wave_launch", args=[wave.pk]))
    change_form_start = content.index('id="wave_form"')
    assert launch_form < change_form_start


def test_the_list_behind_a_preview_line(adviser_client, django_assert_max_num_queries):
    people = make_participants(3)
    wave = make_wave()

    with django_assert_max_num_queries(12):
        response = adviser_client.get(
            reverse("admin:invitations_wave_participants", args=[wave.pk, "eligible"])
        )

    assert response.status_code == 200
    for person in people:
        assert person.email.encode() in response.content
    missing = adviser_client.get(
        reverse("admin:invitations_wave_participants", args=[wave.pk, "nonsense"])
    )
    assert missing.status_code == 404


def test_launching_from_the_admin(adviser_client, adviser, django_capture_on_commit_callbacks):
    make_participants(2)
    wave = make_wave()

    assert (
        adviser_client.get(reverse("admin:invitations_wave_launch", args=[wave.pk])).status_code
        == 405
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = adviser_client.post(
            reverse("admin:invitations_wave_launch", args=[wave.pk]), follow=True
        )

    assert response.status_code == 200
    assert b"2 invitations are being prepared, then sent" in response.content
    # The worker's preparation (run at commit by the eager test Celery) kicks the first batch.
    assert Invitation.objects.filter(wave=wave).count() == 2
    assert len(mail.outbox) == 2
    assert StaffAction.objects.get().actor == adviser
    # Launched: the form is read-only, the page shows progress and refreshes itself.
    page = adviser_client.get(change_url(wave))
    assert page.context["progress"]["sent"] == 2
    assert b"Launch the wave" not in page.content
    content = page.content.decode()
    assert 'name="_save"' not in content and 'name="_continue"' not in content
    assert "Monday, Tuesday, Wednesday, Thursday, Friday" in content


def test_launching_returns_at_once_and_the_page_shows_preparing(
    adviser_client, django_capture_on_commit_callbacks
):
    """The request only marks the wave "preparing" and enqueues the worker's first chunk: no
    invitation is made inside it, whatever the wave's size."""
    make_participants(3)
    wave = make_wave()

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = adviser_client.post(reverse("admin:invitations_wave_launch", args=[wave.pk]))

    assert response.status_code == 302
    assert len(enqueued) == 1  # the first chunk, for the worker
    wave.refresh_from_db()
    assert (wave.status, wave.prepare_total, wave.prepared_at) == ("preparing", 3, None)
    assert not Invitation.objects.filter(wave=wave).exists()
    page = adviser_client.get(change_url(wave))
    assert b"Preparing: 0 of 3 recipients" in page.content
    assert page.context["refresh_seconds"]
    assert b'value="Pause"' in page.content


def test_the_progress_page_refreshes_while_sending(adviser_client, django_assert_max_num_queries):
    make_participants(4)
    wave = make_wave(batch_size=1, rate_per_hour=60)
    launch(wave)
    send_all(campaign_id=wave.pk, rounds=1)

    with django_assert_max_num_queries(20):
        response = adviser_client.get(change_url(wave))

    progress = response.context["progress"]
    assert (progress["total"], progress["pending"], progress["sent"]) == (4, 3, 1)
    assert progress["done_percent"] == 25
    assert b'<meta http-equiv="refresh" content="10">' in response.content
    # A <progress> element, not an inline style: the Content-Security-Policy forbids those.
    assert b'<progress id="wave-progress" max="100" value="25">' in response.content
    assert b"Pause" in response.content and b"Cancel the wave" in response.content


def test_pause_resume_cancel_and_resend_buttons(adviser_client):
    make_participants(2)
    wave = make_wave(batch_size=1, rate_per_hour=60)
    launch(wave)

    def post(action):
        return adviser_client.post(
            reverse(f"admin:invitations_wave_{action}", args=[wave.pk]), follow=True
        )

    post("pause")
    wave.refresh_from_db()
    assert wave.status == "paused" and "adviser@example.org" in wave.paused_reason
    page = adviser_client.get(change_url(wave))
    assert b"Resume" in page.content and b"refresh" not in page.content
    # Stored as a sentence each reader sees in their language (core.stored_text), shown as one.
    assert b"Paused by adviser@example.org." in page.content
    assert b'{"sentence"' not in page.content

    post("resume")
    assert Wave.objects.get(pk=wave.pk).status == "sending"

    response = post("pause")
    response = post("pause")  # not twice: a clear message, no 500
    assert b"Only a scheduled or sending wave can be paused." in response.content

    post("cancel")
    assert Wave.objects.get(pk=wave.pk).status == "cancelled"


def sent_days_ago(days: int, **filters) -> None:
    """Pretend the wave's messages left `days` days ago."""
    Invitation.objects.filter(**filters).update(sent_at=timezone.now() - timedelta(days=days))


def test_resend_from_the_wave_page_asks_first_with_the_count(adviser_client):
    make_participants(2)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    Invitation.objects.update(status="expired")
    sent_days_ago(8)
    resend_url = reverse("admin:invitations_wave_resend", args=[wave.pk])

    page = adviser_client.get(change_url(wave))
    assert b"Send again to 2 people who have not accepted" in page.content
    assert f'href="{resend_url}"'.encode() in page.content  # a link to a page that asks
    confirm = adviser_client.get(resend_url)
    one_click = adviser_client.post(resend_url)  # an old form without the confirmed count

    assert b"The invitation goes again to 2 people who have not accepted." in confirm.content
    assert b'name="count" value="2"' in confirm.content
    assert one_click.status_code == 200 and b'name="count" value="2"' in one_click.content
    assert set(Invitation.objects.values_list("status", flat=True)) == {"expired"}
    assert not StaffAction.objects.filter(kind=AUDIT_INVITATIONS_RESENT).exists()

    response = adviser_client.post(resend_url, {"count": "2"}, follow=True)

    assert b"2 invitations will be sent again" in response.content
    assert StaffAction.objects.filter(kind=AUDIT_INVITATIONS_RESENT).count() == 1
    assert b"Preparing\xe2\x80\xa6" in response.content  # the worker makes them ready again
    prepare_all(INVITATION_STREAM, wave.pk)
    assert set(Invitation.objects.values_list("status", flat=True)) == {"pending"}


def test_nobody_mailed_less_than_the_minimum_days_ago_is_sent_again(adviser_client, settings):
    settings.INVITATION_RESEND_MIN_DAYS = 7
    people = make_participants(3)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    sent_days_ago(8, participant=people[0])
    sent_days_ago(6, participant=people[1])  # too recent
    # The third was mailed long ago, but got the reminder two days ago.
    sent_days_ago(20, participant=people[2])
    third = Invitation.objects.get(participant=people[2])
    InvitationReminder.objects.create(
        invitation=third,
        wave=wave,
        email=third.email,
        status="sent",
        sent_at=timezone.now() - timedelta(days=2),
    )
    resend_url = reverse("admin:invitations_wave_resend", args=[wave.pk])

    page = adviser_client.get(change_url(wave))
    confirm = adviser_client.get(resend_url)
    adviser_client.post(resend_url, {"count": "1"})
    prepare_all(INVITATION_STREAM, wave.pk)

    assert b"Send again to 1 person who has not accepted" in page.content
    assert b"2 people who have not accepted were mailed less than 7 days ago" in page.content
    assert b"Left out: 2 people who were mailed less than 7 days ago" in confirm.content
    statuses = dict(Invitation.objects.values_list("participant_id", "status"))
    assert statuses == {people[0].pk: "pending", people[1].pk: "sent", people[2].pk: "sent"}


def test_a_resend_when_everyone_was_mailed_recently_sends_nothing_and_says_why(adviser_client):
    make_participants(2)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)  # just now
    resend_url = reverse("admin:invitations_wave_resend", args=[wave.pk])

    page = adviser_client.get(change_url(wave))
    confirm = adviser_client.get(resend_url)
    response = adviser_client.post(resend_url, {"count": "2"}, follow=True)

    assert b"Send again to" not in page.content
    assert b'name="count"' not in confirm.content
    assert b"was mailed less than 7 days ago" in response.content
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}


def test_a_resend_whose_count_changed_since_the_confirmation_asks_again(adviser_client):
    people = make_participants(3)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    sent_days_ago(8)
    resend_url = reverse("admin:invitations_wave_resend", args=[wave.pk])
    adviser_client.get(resend_url)  # the adviser sees 3
    Invitation.objects.filter(participant=people[0]).update(status="accepted")

    response = adviser_client.post(resend_url, {"count": "3"})

    assert response.status_code == 200
    assert b"has changed since you looked" in response.content
    assert b'name="count" value="2"' in response.content
    assert not Invitation.objects.filter(status="pending").exists()


def test_staff_who_may_only_view_waves_cannot_resend(client):
    make_participants(1)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    sent_days_ago(8)
    client.force_login(grant(StaffUserFactory(), "view_wave"))
    resend_url = reverse("admin:invitations_wave_resend", args=[wave.pk])

    page = client.get(change_url(wave))

    assert b"Send again to" not in page.content
    assert client.get(resend_url).status_code == 403
    assert client.post(resend_url, {"count": "1"}).status_code == 403
    assert Invitation.objects.get().status == "sent"


def test_staff_without_wave_permissions_cannot_act(client):
    viewer = grant(StaffUserFactory(), "view_wave")
    client.force_login(viewer)
    make_participants(1)
    wave = make_wave()

    page = client.get(change_url(wave))
    response = client.post(reverse("admin:invitations_wave_launch", args=[wave.pk]))

    assert page.status_code == 200 and b"Launch the wave" not in page.content
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    nobody = StaffUserFactory()
    client.force_login(nobody)
    assert client.get(change_url(wave)).status_code == 403
    assert client.post(reverse("admin:invitations_wave_launch", args=[wave.pk])).status_code == 403


def test_members_and_anonymous_never_reach_the_wave_pages(client):
    wave = make_wave()
    urls = [
        change_url(wave),
        reverse("admin:members_participant_bad_addresses"),
        reverse("admin:invitations_wave_participants", args=[wave.pk, "eligible"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    member = MemberFactory()
    client.force_login(member.user)
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403)
    assert client.post(reverse("admin:invitations_wave_launch", args=[wave.pk])).status_code in (
        302,
        403,
    )
    assert Wave.objects.get().status == "draft"


# --- direct invitations -------------------------------------------------------------------------


def test_the_participant_page_offers_to_invite_now(adviser_client):
    person = ParticipantFactory()

    page = adviser_client.get(reverse("admin:members_participant_change", args=[person.pk]))

    invite_url = reverse("admin:invitations_invite_participant", args=[person.pk])
    assert invite_url.encode() in page.content


def test_inviting_a_participant_directly(adviser_client, django_capture_on_commit_callbacks):
    person = ParticipantFactory()
    url = reverse("admin:invitations_invite_participant", args=[person.pk])

    confirm = adviser_client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = adviser_client.post(url, follow=True)

    assert b"Send the invitation" in confirm.content
    assert b"is on its way" in response.content
    invitation = Invitation.objects.get()
    assert (invitation.wave, invitation.participant, invitation.status) == (None, person, "sent")
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_a_direct_invitation_explains_why_not(adviser_client):
    person = ParticipantFactory(email_status="bounced")
    url = reverse("admin:invitations_invite_participant", args=[person.pk])

    page = adviser_client.get(url)
    response = adviser_client.post(url, follow=True)

    assert b"Fix the address first" in page.content
    assert b"Fix the address first" in response.content
    assert not Invitation.objects.exists()


def test_staff_without_add_invitation_cannot_invite(client):
    staff = grant(StaffUserFactory(), "view_participant")
    client.force_login(staff)
    person = ParticipantFactory()

    response = client.post(reverse("admin:invitations_invite_participant", args=[person.pk]))

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_the_invitation_list_is_read_only_with_filters(
    adviser_client, django_assert_max_num_queries
):
    make_participants(5)
    wave = make_wave()
    launch(wave)

    with django_assert_max_num_queries(15):
        response = adviser_client.get(reverse("admin:invitations_invitation_changelist"))

    assert response.status_code == 200
    invitation = Invitation.objects.first()
    page = adviser_client.get(reverse("admin:invitations_invitation_change", args=[invitation.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert adviser_client.get(reverse("admin:invitations_invitation_add")).status_code == 403


def test_the_wave_list_shows_counts_in_a_fixed_number_of_queries(
    adviser_client, django_assert_max_num_queries
):
    for country in ("KE", "UG", "TZ"):
        make_participants(3, country=country, with_exchange=False)
        launch(make_wave(name=f"Wave {country}", home_countries=[country]))

    with django_assert_max_num_queries(12):
        response = adviser_client.get(reverse("admin:invitations_wave_changelist"))

    assert response.status_code == 200
    assert b"Wave UG" in response.content


def test_the_draft_page_counts_those_it_would_invite_per_language(adviser_client):
    make_participants(2, preferred_language="fr")
    make_participants(1, preferred_language="pt")
    MemberFactory(home_country="KE", preferred_language="es")  # registered: not invited
    wave = make_wave()

    response = adviser_client.get(change_url(wave))

    assert response.status_code == 200
    counts = {row["language"]: row["count"] for row in response.context["preview_languages"]}
    assert counts == {"en": 0, "fr": 2, "es": 0, "pt": 1}
    content = response.content.decode()
    assert "Invitation language of those who will be invited" in content
    assert "<tr><td>French</td><td>2</td></tr>" in content
