"""The admin's first page shows the network at a glance, with figures counted from the database."""

import datetime
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils import translation

from activities.models import Activity
from activities.models import Registration
from backoffice.dashboard import invitations_panel
from backoffice.dashboard import last_newsletter_panel
from backoffice.dashboard import members_panel
from backoffice.dashboard import next_activities
from backoffice.dashboard import plan_panel
from invitations.models import Invitation
from invitations.models import InvitationRequest
from invitations.models import Wave
from members.models import Participant
from newsletters.models import Delivery
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory
from tests.members.factories import StaffUserFactory
from tests.newsletters.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster():
    ParticipantFactory.create_batch(7)
    ParticipantFactory(email_status=Participant.EmailStatus.BOUNCED)
    ParticipantFactory(email_status=Participant.EmailStatus.COMPLAINED)
    old = MemberFactory.create_batch(2)
    for member in old:
        member.user.date_joined = timezone.now() - timedelta(days=100)
        member.user.save(update_fields=["date_joined"])
    MemberFactory.create_batch(3)  # joined just now


def test_the_figures_equal_counts_taken_straight_from_the_database(roster):
    panel = members_panel(today=timezone.localdate())

    assert panel.roster == Participant.objects.count() == 14
    assert panel.registered == Participant.objects.exclude(user=None).count() == 5
    assert panel.new_this_week == 3
    assert panel.bad_addresses == 2
    assert panel.registered_share == pytest.approx(5 / 14)


def test_the_chart_ends_at_the_number_of_members(roster):
    panel = members_panel(today=timezone.localdate())

    assert "On the roster 14" in panel.chart
    assert ">5</text>" in panel.chart


def test_the_panel_costs_the_same_queries_for_a_small_and_a_larger_roster(
    roster, django_assert_num_queries
):
    with django_assert_num_queries(2):
        members_panel(today=timezone.localdate())
    MemberFactory.create_batch(20)
    with django_assert_num_queries(2):
        members_panel(today=timezone.localdate())


def test_staff_see_the_dashboard_on_the_admin_first_page(client, roster):
    client.force_login(StaffUserFactory(is_superuser=True))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Registered members over time" in content
    assert "<svg" in content
    assert "bad addresses to fix" in content


def test_an_empty_roster_shows_an_empty_dashboard_not_an_error(client):
    client.force_login(StaffUserFactory())

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "No data yet" in response.content.decode()


# --- Invitations per country and per wave


@pytest.fixture
def invited_roster():
    """Kenya: 4 on the roster; Nepal: 2; Tanzania: 1 and never invited. Amina was invited twice
    (her first invitation expired, the second was accepted): she counts once."""
    now = timezone.now()
    first = Wave.objects.create(
        name="Kenya and Nepal", home_countries=["KE", "NP"], status="completed", launched_at=now
    )
    second = Wave.objects.create(
        name="Kenya again",
        home_countries=["KE"],
        status="sending",
        launched_at=now + timedelta(days=1),
    )
    amina, baraka, chege, dalia = ParticipantFactory.create_batch(4, home_country="KE")
    bishnu, _ = ParticipantFactory.create_batch(2, home_country="NP")
    ParticipantFactory(home_country="TZ")
    sent = {"sent_at": now}
    Invitation.objects.create(
        wave=first, participant=amina, status="expired", delivered_at=now, **sent
    )
    Invitation.objects.create(
        wave=second, participant=amina, status="accepted", delivered_at=now, **sent
    )
    Invitation.objects.create(
        wave=first, participant=baraka, status="accepted", delivered_at=now, **sent
    )
    Invitation.objects.create(
        wave=first, participant=chege, status="bounced", bounced_at=now, **sent
    )
    Invitation.objects.create(wave=second, participant=dalia, status="pending")
    Invitation.objects.create(wave=first, participant=bishnu, status="sent", **sent)
    InvitationRequest.objects.create(
        first_name="Ana", last_name="Silva", email="ana@example.org", home_country="MZ"
    )
    InvitationRequest.objects.create(
        first_name="Joe", last_name="Banda", email="joe@example.org", status="dismissed"
    )
    return first, second


def straight_counts(country: str) -> dict:
    people = Participant.objects.filter(home_country=country)
    return {
        "roster": people.count(),
        "invited": people.filter(invitations__sent_at__isnull=False).distinct().count(),
        "delivered": people.filter(invitations__delivered_at__isnull=False).distinct().count(),
        "bounced": people.filter(invitations__status="bounced").distinct().count(),
        "accepted": people.filter(invitations__status="accepted").distinct().count(),
    }


def test_invitations_per_country_equal_counts_taken_straight_from_the_database(invited_roster):
    panel = invitations_panel()

    rows = {row.code: row for row in panel.countries}
    for code in ("KE", "NP", "TZ"):
        row = rows[code]
        assert {
            "roster": row.roster,
            "invited": row.invited,
            "delivered": row.delivered,
            "bounced": row.bounced,
            "accepted": row.accepted,
        } == straight_counts(code)
    assert (rows["KE"].invited, rows["KE"].accepted) == (3, 2)
    assert rows["KE"].acceptance_percent == 67
    assert panel.open_requests == InvitationRequest.objects.filter(status="open").count() == 1


def test_countries_not_yet_invited_stand_out_first(invited_roster):
    panel = invitations_panel()

    assert panel.countries[0].code == "TZ"
    assert panel.countries[0].not_yet_invited
    assert panel.countries_not_invited == 1
    assert "not yet invited" in panel.chart
    assert "stroke-dasharray" in panel.chart  # drawn differently, not only in another colour


def test_each_wave_is_a_funnel_of_its_own_invitations(invited_roster):
    first, second = invited_roster
    funnels = {funnel.wave: funnel for funnel in invitations_panel().waves}

    assert [funnel.wave for funnel in invitations_panel().waves] == [second, first]
    assert (
        funnels[first].invitations,
        funnels[first].sent,
        funnels[first].delivered,
        funnels[first].bounced,
        funnels[first].accepted,
    ) == (4, 4, 2, 1, 1)
    assert (funnels[second].invitations, funnels[second].accepted) == (2, 1)
    assert "Accepted" in funnels[first].chart


def test_the_twenty_latest_waves_are_shown_each_with_its_own_counts():
    now = timezone.now()
    for n in range(22):
        wave = Wave.objects.create(
            name=f"Wave {n}", status="completed", launched_at=now - timedelta(days=30 - n)
        )
        for _ in range(n % 3 + 1):
            Invitation.objects.create(wave=wave, participant=ParticipantFactory(), sent_at=now)

    funnels = invitations_panel().waves

    assert [funnel.wave.name for funnel in funnels] == [f"Wave {n}" for n in range(21, 1, -1)]
    assert [(funnel.invitations, funnel.sent) for funnel in funnels] == [
        (n % 3 + 1, n % 3 + 1) for n in range(21, 1, -1)
    ]


def test_the_invitations_panel_costs_the_same_queries_whatever_the_number_of_waves(
    invited_roster, django_assert_num_queries
):
    # Four, and a fifth for the waiting invitations' zones since a wave is sending (the pace).
    with django_assert_num_queries(5):
        invitations_panel()
    for n in range(5):
        status = "sending" if n % 2 else "completed"
        wave = Wave.objects.create(name=f"Wave {n}", home_countries=["NP"], status=status)
        Invitation.objects.create(wave=wave, participant=ParticipantFactory(home_country="NP"))
    with django_assert_num_queries(5):
        invitations_panel()


def test_without_a_wave_under_way_the_invitations_panel_costs_four_queries(
    invited_roster, django_assert_num_queries
):
    Wave.objects.filter(status="sending").update(status="completed")
    with django_assert_num_queries(4):
        invitations_panel()


def test_the_adviser_sees_invitation_figures_on_the_first_page(client, invited_roster):
    client.force_login(StaffUserFactory(is_superuser=True))

    content = client.get(reverse("admin:index")).content.decode()

    assert "Invitations per home country" in content
    assert "invitation requests waiting" in content
    assert "Kenya again" in content


def test_staff_without_invitation_permissions_see_no_invitation_figures(client, invited_roster):
    client.force_login(StaffUserFactory())  # staff, but no permission on invitations

    content = client.get(reverse("admin:index")).content.decode()

    assert "Registered members over time" in content
    assert "Invitations per home country" not in content
    assert "invitation requests waiting" not in content
    assert "bad addresses to fix" not in content  # the roster is the advisers' business


# --- Next activities and the monthly plan


def test_next_activities_carry_registration_counts_taken_straight_from_the_database():
    now = timezone.now()
    soon = ActivityFactory(title="Soon", starts_at=now + timedelta(days=2), capacity=2)
    later = ActivityFactory(title="Later", starts_at=now + timedelta(days=9))
    ActivityFactory(title="Draft", status=Activity.Status.DRAFT)
    ActivityFactory(
        title="Over", starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3)
    )
    for status in ("confirmed", "attended", "waitlisted", "cancelled"):
        Registration.objects.create(activity=soon, participant=ParticipantFactory(), status=status)

    rows = next_activities(now=now)

    assert [activity.title for activity in rows] == ["Soon", "Later"]
    assert (rows[0].confirmed, rows[0].waitlisted) == (
        soon.registrations.filter(status__in=["confirmed", "attended"]).count(),
        soon.registrations.filter(status="waitlisted").count(),
    )
    assert (rows[0].confirmed, rows[0].waitlisted) == (2, 1)
    assert (rows[1].confirmed, rows[1].waitlisted) == (later.registrations.count(), 0)


def test_the_plan_marks_the_months_without_an_activity():
    today = timezone.localdate()
    noon = timezone.make_aware(datetime.datetime(today.year, 3, 10, 12, 0))
    ActivityFactory(title="March webinar", starts_at=noon, ends_at=noon + timedelta(hours=1))

    panel = plan_panel(today=today)

    march = panel.months[2]
    assert [item.title for item in march.items["activities"]] == ["March webinar"]
    assert "activities" not in march.missing
    assert "activities" in panel.months[3].missing
    missing_activities = [m.month.month for m in panel.months if "activities" in m.missing]
    assert missing_activities == [n for n in range(1, 13) if n != 3]


def test_activity_staff_see_the_plan_and_next_activities_but_no_invitation_figures(client):
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_activity"))
    ActivityFactory(title="Monthly webinar", starts_at=timezone.now() + timedelta(days=3))
    client.force_login(staff)

    content = client.get(reverse("admin:index")).content.decode()

    assert "Next activities" in content
    assert "Monthly webinar" in content
    assert "The plan for" in content
    assert "Invitations per home country" not in content


def test_the_whole_first_page_costs_a_fixed_number_of_queries(
    client, invited_roster, django_assert_max_num_queries
):
    client.force_login(StaffUserFactory(is_superuser=True))
    client.get(reverse("admin:index"))  # warm caches (sessions, content types)
    with django_assert_max_num_queries(25) as small:
        client.get(reverse("admin:index"))
    for n in range(6):
        wave = Wave.objects.create(name=f"More {n}", home_countries=["NP"], status="completed")
        Invitation.objects.create(wave=wave, participant=ParticipantFactory(home_country="UG"))
        activity = ActivityFactory(starts_at=timezone.now() + timedelta(days=n + 1))
        Registration.objects.create(
            activity=activity, participant=ParticipantFactory(), status="confirmed"
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("admin:index"))


# --- The last newsletter


def test_the_last_newsletter_figures_equal_its_deliveries_in_the_database(client):
    now = timezone.now()
    older = NewsletterFactory(subject="October", status="sent", started_at=now - timedelta(30))
    last = NewsletterFactory(subject="November", status="sending", started_at=now)
    NewsletterFactory(subject="December draft", status="draft")
    for status, delivered in [("sent", True), ("sent", True), ("sent", False), ("bounced", False)]:
        Delivery.objects.create(
            newsletter=last,
            participant=ParticipantFactory(),
            status=status,
            delivered_at=now if delivered else None,
        )
    Delivery.objects.create(newsletter=older, participant=ParticipantFactory(), status="sent")

    panel = last_newsletter_panel()

    assert panel.newsletter == last
    assert panel.progress["total"] == Delivery.objects.filter(newsletter=last).count() == 4
    assert panel.progress["delivered"] == 2
    assert panel.progress["bounced"] == 1
    client.force_login(StaffUserFactory(is_superuser=True))
    content = client.get(reverse("admin:index")).content.decode()
    assert "The last newsletter" in content
    assert "November" in content


def test_no_newsletter_yet_says_so(client):
    client.force_login(StaffUserFactory(is_superuser=True))

    assert "No newsletter has been sent yet." in client.get(reverse("admin:index")).content.decode()


def test_the_chart_counts_each_month_once_when_its_two_years_cross_a_leap_day():
    # From 15 March 2025, two years back (730 days) lands on 2 March 2023, not the 1st.
    joined = timezone.make_aware(datetime.datetime(2023, 3, 10, 12, 0))
    for member in MemberFactory.create_batch(3):
        member.user.date_joined = joined
        member.user.save(update_fields=["date_joined"])

    panel = members_panel(today=datetime.date(2025, 3, 15))

    assert ">3</text>" in panel.chart
    assert ">6</text>" not in panel.chart


# --- The reader's language (issue 12, item 7) -------------------------------------------------


def test_the_panels_and_plan_are_written_in_the_readers_language(roster):
    """Needs the project's catalogues (locale/): the French of the dashboard's own texts."""
    ParticipantFactory(home_country="SN")  # a country nobody has invited yet
    today = timezone.localdate()
    with translation.override("fr"):
        members = str(members_panel(today=today).chart)
        invitations = str(invitations_panel().chart)
        plan_labels = [str(source.label) for source in plan_panel(today=today).sources]

    assert "Évolution du nombre de membres inscrits" in members
    assert "Dans la liste" in members
    assert "pas encore invité" in invitations
    assert plan_labels == ["Activités", "Lettres d'information"]


# --- Figures counted a moment ago (issue 14, item 5) ------------------------------------------


def first_page(client, **params) -> str:
    response = client.get(reverse("admin:index"), params)
    assert response.status_code == 200
    return response.content.decode()


def roster_figure(content: str) -> str:
    """The "of N on the roster" figure as the page shows it."""
    return content.split(" on the roster")[0].rsplit("of ", 1)[1]


def test_the_whole_roster_figures_are_kept_and_the_page_says_when_they_were_counted(
    client, invited_roster
):
    client.force_login(StaffUserFactory(is_superuser=True))
    minutes = {timezone.localtime().strftime("%H:%M")}
    before = first_page(client)
    minutes.add(timezone.localtime().strftime("%H:%M"))  # the minute may turn meanwhile
    ParticipantFactory.create_batch(3, home_country="KE")

    kept = first_page(client)

    assert roster_figure(before) == roster_figure(kept) == "7"
    assert any(f"Figures as of {minute}:" in kept for minute in minutes)
    assert "they are kept for 2 minutes, then counted again" in kept
    assert 'href="?recount=1"' in kept


def test_count_again_now_counts_the_new_figures(client, invited_roster):
    client.force_login(StaffUserFactory(is_superuser=True))
    first_page(client)
    ParticipantFactory.create_batch(3, home_country="KE")
    wave = Wave.objects.create(name="Kenya a third time", home_countries=["KE"], status="sending")
    Invitation.objects.create(wave=wave, participant=ParticipantFactory(home_country="KE"))

    recounted = first_page(client, recount="1")

    assert roster_figure(recounted) == "11"
    assert "Kenya a third time" in recounted
    assert roster_figure(first_page(client)) == "11"  # and kept from then on


def test_kept_figures_are_counted_again_once_older_than_the_promised_age(
    client, invited_roster, monkeypatch
):
    from django.core.cache.backends import locmem

    from backoffice.dashboard import FIGURES_MAX_AGE

    client.force_login(StaffUserFactory(is_superuser=True))
    first_page(client)
    ParticipantFactory.create_batch(3, home_country="KE")
    later = locmem.time.time() + FIGURES_MAX_AGE.total_seconds() + 1
    monkeypatch.setattr(locmem, "time", type("Clock", (), {"time": staticmethod(lambda: later)}))

    assert roster_figure(first_page(client)) == "10"


def test_kept_figures_are_kept_per_language(client, invited_roster):
    """The charts and country names are written in the reader's language: a French reader never
    gets the English an earlier reader's visit left in the cache."""
    from backoffice.dashboard import dashboard_context

    today = timezone.localdate()
    dashboard_context(today=today)  # English, kept
    with translation.override("fr"):
        context = dashboard_context(today=today)

    assert "Dans la liste" in context["members_panel"].chart
    assert "pas encore invité" in context["invitations_panel"].chart


def test_kept_figures_never_show_a_panel_the_reader_may_not_see(client, invited_roster):
    client.force_login(StaffUserFactory(is_superuser=True))
    assert "Invitations per home country" in first_page(client)  # kept for everyone

    client.force_login(StaffUserFactory())  # staff, but no permission on invitations
    content = first_page(client)

    assert "Registered members over time" in content
    assert "Invitations per home country" not in content
    assert "Kenya again" not in content


def test_kept_figures_cost_no_whole_roster_query_and_a_recount_a_fixed_number(
    client, invited_roster
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(StaffUserFactory(is_superuser=True))
    first_page(client)  # counts and keeps; warms sessions and content types

    with CaptureQueriesContext(connection) as kept:
        first_page(client)
    with CaptureQueriesContext(connection) as small:
        first_page(client, recount="1")
    for n in range(6):
        wave = Wave.objects.create(name=f"More {n}", home_countries=["NP"], status="completed")
        Invitation.objects.create(wave=wave, participant=ParticipantFactory(home_country="UG"))
        MemberFactory()
    with CaptureQueriesContext(connection) as larger:
        first_page(client, recount="1")

    whole_roster = ("invitations_invitation", "members_participant", "newsletters_delivery")
    assert not [q["sql"] for q in kept if any(table in q["sql"] for table in whole_roster)]
    assert len(kept) < len(small)
    assert len(larger) == len(small)
