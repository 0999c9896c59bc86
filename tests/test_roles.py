"""Staff roles (issue 7): the groups a migration creates, and the boundaries each one keeps.

Each test logs in a real staff account (with its authenticator, as the MFA gate requires) that
belongs to one group only, and checks what it may and may not open.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from invitations.models import InvitationRequest
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory
from tests.support.roles import staff_group

pytestmark = pytest.mark.django_db

ADVISERS = "Network advisers"
ACTIVITY_STAFF = "Activity staff"

ROSTER_PAGES = [
    "admin:members_participant_changelist",
    "admin:members_participant_import",
    "admin:members_participant_export",
    "admin:members_participant_counts_by_country",
    "admin:members_exchange_changelist",
]
INVITATION_PAGES = [
    "admin:invitations_wave_changelist",
    "admin:invitations_wave_add",
    "admin:invitations_invitation_changelist",
    "admin:invitations_invitationrequest_changelist",
]
ACTIVITY_PAGES = [
    "admin:activities_activity_changelist",
    "admin:activities_activity_add",
    "admin:monthly_plan",
    "admin:activities_registration_changelist",
    "admin:newsletters_newsletter_changelist",
    "admin:newsletters_newsletter_add",
    "admin:newsletters_delivery_changelist",
]
# The community: branches, rooms, themes, moderation (issue 13; migration 0014).
COMMUNITY_PAGES = [
    "admin:community_branch_changelist",
    "admin:community_branch_add",
    "admin:community_room_changelist",
    "admin:community_tag_changelist",
    "admin:community_topic_changelist",
    "admin:community_post_changelist",
    "admin:community_report_changelist",
    "admin:community_announcement_changelist",
    "admin:community_digestdelivery_changelist",
]
# The log of one-off mails: advisers answer "I never got the reset mail" and fix bad addresses.
MAIL_LOG_PAGES = ["admin:core_outgoingmail_changelist"]
SUPERUSER_ONLY_PAGES = [
    "admin:members_user_changelist",
    "admin:auth_group_changelist",
    "admin:mfa_authenticator_changelist",
]


def staff_in(group_name: str):
    user = StaffUserFactory()
    user.groups.add(staff_group(group_name))
    return user


def status_of(client, url_name: str) -> int:
    return client.get(reverse(url_name)).status_code


def test_the_migration_creates_exactly_the_two_staff_groups():
    # No ensure_staff_groups() here: this test is about what the migration left. (pytest-django
    # runs the transactional tests, whose flush would remove the groups, after this one.)
    groups = {group.name: group for group in Group.objects.all()}

    assert set(groups) == {ADVISERS, ACTIVITY_STAFF}
    adviser_apps = set(
        groups[ADVISERS].permissions.values_list("content_type__app_label", flat=True)
    )
    staff_apps = set(
        groups[ACTIVITY_STAFF].permissions.values_list("content_type__app_label", flat=True)
    )
    assert adviser_apps == {"members", "invitations", "core", "community"}
    assert staff_apps == {"members", "activities", "newsletters"}
    # The mail log only to read (a later migration, 0011, gave it to the advisers).
    assert set(
        groups[ADVISERS]
        .permissions.filter(content_type__app_label="core")
        .values_list("codename", flat=True)
    ) == {"view_outgoingmail"}
    # No role manages accounts or groups: that stays with superusers.
    for group in groups.values():
        assert not group.permissions.filter(content_type__app_label__in=["auth", "mfa"]).exists()
        assert not group.permissions.filter(codename__endswith="_user").exists()


@pytest.mark.parametrize(
    "url_name", ROSTER_PAGES + INVITATION_PAGES + MAIL_LOG_PAGES + COMMUNITY_PAGES
)
def test_an_adviser_reaches_the_roster_and_the_invitations(client, url_name):
    client.force_login(staff_in(ADVISERS))
    assert status_of(client, url_name) == 200


@pytest.mark.parametrize("url_name", ACTIVITY_PAGES + SUPERUSER_ONLY_PAGES)
def test_an_adviser_does_not_reach_activities_newsletters_or_accounts(client, url_name):
    client.force_login(staff_in(ADVISERS))
    assert status_of(client, url_name) == 403


@pytest.mark.parametrize("url_name", ACTIVITY_PAGES + ["admin:members_resourceperson_changelist"])
def test_activity_staff_reach_activities_newsletters_and_resource_persons(client, url_name):
    client.force_login(staff_in(ACTIVITY_STAFF))
    assert status_of(client, url_name) == 200


@pytest.mark.parametrize(
    "url_name",
    ROSTER_PAGES + INVITATION_PAGES + MAIL_LOG_PAGES + SUPERUSER_ONLY_PAGES + COMMUNITY_PAGES,
)
def test_activity_staff_cannot_import_the_roster_see_invitations_or_read_requests(client, url_name):
    client.force_login(staff_in(ACTIVITY_STAFF))
    assert status_of(client, url_name) == 403


def test_activity_staff_cannot_open_one_invitation_request_by_its_id(client):
    request_row = InvitationRequest.objects.create(
        first_name="Ana", last_name="Silva", email="ana@example.org", home_country="MZ"
    )
    client.force_login(staff_in(ACTIVITY_STAFF))

    url = reverse("admin:invitations_invitationrequest_change", args=[request_row.pk])
    response = client.get(url)

    assert response.status_code == 403
    assert b"ana@example.org" not in response.content


@pytest.mark.parametrize(
    "url_name", ROSTER_PAGES + INVITATION_PAGES + ACTIVITY_PAGES + MAIL_LOG_PAGES + COMMUNITY_PAGES
)
def test_a_member_account_never_reaches_the_admin(client, url_name):
    client.force_login(MemberFactory().user)
    assert status_of(client, url_name) in (302, 403)
    assert client.get(reverse(url_name), follow=True).status_code == 403


def test_a_group_member_without_an_authenticator_is_sent_to_set_one_up(client):
    adviser = StaffUserFactory(mfa=False)
    adviser.groups.add(staff_group(ADVISERS))
    client.force_login(adviser)

    response = client.get(reverse("admin:invitations_wave_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
