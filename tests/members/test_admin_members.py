"""Staff pages for issue 4: resource persons (filters, CSV recorded), the contact log."""

import pytest
from django.urls import reverse

from members import services
from members.audit import CSV_EXPORT
from members.models import ContactMessage
from members.models import ExpertiseField
from members.models import Language
from members.models import StaffAction
from tests.members.factories import ExpertiseFieldFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    health = ExpertiseFieldFactory(name="Health")
    french, _ = Language.objects.get_or_create(code="fr", defaults={"name": "French"})
    yes = MemberFactory(first_name="Willing", residence_country="KE")
    services.participant_update_profile(
        participant=yes, data={"resource_person": True}, expertise=[health], languages=[french]
    )
    other = MemberFactory(first_name="Other", residence_country="UG")
    services.participant_update_profile(participant=other, data={"resource_person": True})
    MemberFactory(first_name="Notopted")
    return {"health": health, "french": french}


def names(response):
    return sorted(p.first_name for p in response.context["cl"].result_list)


def test_resource_persons_are_those_who_opted_in(admin_client, people):
    url = reverse("admin:members_resourceperson_changelist")
    assert names(admin_client.get(url)) == ["Other", "Willing"]
    assert names(admin_client.get(url, {"expertise__id__exact": people["health"].pk})) == [
        "Willing"
    ]
    assert names(admin_client.get(url, {"languages__id__exact": people["french"].pk})) == [
        "Willing"
    ]
    assert names(admin_client.get(url, {"residence_country": "UG"})) == ["Other"]


def test_resource_person_csv_export_is_recorded(admin_client, people):
    response = admin_client.get(
        reverse("admin:members_resourceperson_export"), {"residence_country": "KE"}
    )
    body = b"".join(response.streaming_content).decode()
    assert "Willing" in body and "Health" in body and "Other" not in body
    action = StaffAction.objects.get()
    assert action.kind == CSV_EXPORT
    assert action.affected_count == 1


def test_a_member_cannot_open_resource_persons(client, people):
    member = MemberFactory()
    client.force_login(member.user)
    response = client.get(reverse("admin:members_resourceperson_changelist"))
    assert response.status_code == 302


def test_contact_log_shows_who_and_when_not_the_text(admin_client):
    message = ContactMessage.objects.create(
        sender=MemberFactory(), recipient=MemberFactory(), subject="Secret", body="Private words"
    )
    response = admin_client.get(reverse("admin:members_contactmessage_changelist"))
    assert response.status_code == 200
    assert str(message.sender) in response.content.decode()
    assert "Private words" not in response.content.decode()
    response = admin_client.get(reverse("admin:members_contactmessage_change", args=[message.pk]))
    assert "Private words" not in response.content.decode()


def test_approving_a_suggestion_makes_it_searchable(admin_client):
    member = MemberFactory()
    services.participant_update_profile(
        participant=member, data={}, expertise=[], suggested_expertise="Beekeeping"
    )
    field = ExpertiseField.objects.get(name="Beekeeping")
    admin_client.post(
        reverse("admin:members_expertisefield_changelist"),
        {"action": "approve_action", "_selected_action": [field.pk]},
    )
    field.refresh_from_db()
    member.refresh_from_db()
    assert field.is_approved
    assert "beekeeping" in member.search_text


def test_approving_with_the_tick_in_the_form_makes_it_searchable(admin_client):
    member = MemberFactory()
    services.participant_update_profile(
        participant=member, data={}, expertise=[], suggested_expertise="Beekeeping"
    )
    field = ExpertiseField.objects.get(name="Beekeeping")

    admin_client.post(
        reverse("admin:members_expertisefield_change", args=[field.pk]),
        {"name": "Beekeeping", "is_approved": "on"},
    )

    member.refresh_from_db()
    assert "beekeeping" in member.search_text


def test_a_name_corrected_by_staff_is_what_the_directory_finds(admin_client):
    member = MemberFactory(first_name="Amina", last_name="Odhiambo")
    services.participant_refresh_search_text(participant=member)
    url = reverse("admin:members_participant_change", args=[member.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and not isinstance(value, list)
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    data.update(
        first_name="Aminata",
        home_country=str(member.home_country),
        email_status=member.email_status,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert "aminata" in member.search_text


def change_form_data(admin_client, url) -> dict:
    """What the participant's admin page posts back when nothing is changed."""
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and not isinstance(value, list)
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    return data


def test_staff_unticking_the_newsletter_is_recorded_like_any_unsubscription(admin_client):
    member = MemberFactory(newsletter_subscribed=True)
    url = reverse("admin:members_participant_change", args=[member.pk])
    data = change_form_data(admin_client, url)
    del data["newsletter_subscribed"]  # an unticked checkbox is not posted

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.newsletter_subscribed is False
    assert member.newsletter_unsubscribe_source == services.NEWSLETTER_SOURCE_STAFF
    assert member.newsletter_unsubscribed_at is not None


def test_staff_ticking_it_again_clears_the_record(admin_client):
    member = MemberFactory(newsletter_subscribed=True)
    services.participant_set_newsletter_subscription(
        participant=member, subscribed=False, source=services.NEWSLETTER_SOURCE_LINK
    )
    url = reverse("admin:members_participant_change", args=[member.pk])
    data = change_form_data(admin_client, url)
    data["newsletter_subscribed"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.newsletter_subscribed is True
    assert (member.newsletter_unsubscribe_source, member.newsletter_unsubscribed_at) == ("", None)
