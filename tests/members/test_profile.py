"""The member's home page and profile: edit, phone, expertise suggestions, visibility, consent."""

import pytest
from django.conf import settings
from django.urls import reverse

from members import extensions
from members.extensions import HomeSection
from members.models import ExpertiseField
from members.models import Language
from members.models import Participant
from tests.members.factories import ExpertiseFieldFactory
from tests.members.factories import MemberFactory
from tests.members.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def profile_data(**overrides):
    data = {
        "first_name": "Amina",
        "last_name": "Otieno",
        "phone": "0712 345678",
        "residence_country": "KE",
        "city": "Nairobi",
        "organisation": "Kenya Red Cross",
        "position": "Nurse",
        "bio": "I train community health workers.",
        "linkedin_url": "https://www.linkedin.com/in/amina",
        "time_zone": "Africa/Nairobi",
        "preferred_language": "en",
        "newsletter_subscribed": "on",
        "directory_visibility": "members",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def member(client):
    member = MemberFactory(first_name="Amina", home_country="KE")
    client.force_login(member.user)
    return member


def test_anonymous_is_sent_to_login(client):
    for name in [
        "members:home",
        "members:profile_edit",
        "members:data_download",
        "members:account_delete",
        "members:directory",
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_home_says_what_to_do_next_and_what_is_missing(client, member):
    response = client.get(reverse("members:home"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "complete your profile" in text.lower()
    assert "your phone number" in text
    assert "whether other members may find you" in text
    assert reverse("members:profile_edit") in text


def test_home_renders_the_registered_sections_of_other_apps(client, member, tmp_path, settings):
    template_dir = tmp_path / "templates"
    (template_dir / "x").mkdir(parents=True)
    (template_dir / "x" / "section.html").write_text("<section>Next: {{ title }}</section>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], template_dir]}]
    extensions.register_home_section(
        HomeSection(
            name="test-upcoming",
            template_name="x/section.html",
            context=lambda request, participant: {"title": f"Webinar for {participant.first_name}"},
        )
    )
    extensions.register_home_section(
        HomeSection(name="test-empty", template_name="x/section.html", context=lambda r, p: None)
    )
    try:
        response = client.get(reverse("members:home"))
    finally:
        extensions._home_sections.pop("test-upcoming")
        extensions._home_sections.pop("test-empty")
    assert response.content.decode().count("<section>Next:") == 1
    assert "Webinar for Amina" in response.content.decode()


def test_the_profile_form_suggests_the_country_prefix_and_asks_visibility(client, member):
    response = client.get(reverse("members:profile_edit"))
    text = response.content.decode()
    assert 'value="+254 "' in text
    assert '<option value="Africa/Nairobi" selected>' in text  # the country's zone, suggested
    # Hidden by default, but the question is asked with nothing pre-selected.
    assert 'name="directory_visibility"' in text
    assert 'value="members" checked' not in text and 'value="hidden" checked' not in text
    assert 'name="privacy_consent"' in text


def test_saving_the_profile_stores_phone_in_e164_and_records_choices(client, member):
    health = ExpertiseFieldFactory(name="Public health")
    swahili, _ = Language.objects.get_or_create(code="sw", defaults={"name": "Swahili"})
    response = client.post(
        reverse("members:profile_edit"),
        profile_data(expertise=[health.pk], languages=[swahili.pk]),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.phone.as_e164 == "+254712345678"
    assert member.city == "Nairobi"
    assert list(member.expertise.all()) == [health]
    assert list(member.languages.all()) == [swahili]
    assert member.directory_visibility == Participant.Visibility.MEMBERS
    assert member.visibility_chosen_at is not None
    assert member.privacy_consent_at is not None
    assert member.privacy_notice_version == settings.PRIVACY_NOTICE_VERSION
    assert "public health" in member.search_text and "kenya red cross" in member.search_text


def test_a_bad_phone_number_is_explained_and_nothing_is_lost(client, member):
    response = client.post(reverse("members:profile_edit"), profile_data(phone="07123"))
    assert response.status_code == 200
    text = response.content.decode()
    # Read as a Kenyan number (the member's country), and too short for one.
    assert "This number is too short for Kenya (+254): digits are missing." in text
    assert 'value="07123"' in text
    assert 'value="Nairobi"' in text  # what was typed is kept
    member.refresh_from_db()
    assert member.city == ""


@pytest.mark.parametrize(
    ("typed", "expected", "not_expected"),
    [
        # The country code was given: never ask for it again; say what is wrong instead.
        ("+254 7123", "too short for Kenya (+254): digits are missing", "with the country code"),
        ("+47 12", "too short for Norway (+47)", "with the country code"),
        ("+254 712 345 678 901", "too long for Kenya (+254)", "with the country code"),
        ("+254 912 345 678", "not a phone number in use in Kenya (+254)", "with the country code"),
        ("+999 123", "The digits after + are not a country code", "with the country code"),
        # Local digits read as the member's country: say so, and how to give another country.
        ("07123", "If it is a number in another country, start with +", "we can read"),
        # Not a number at all: only then the general message asks for the country code.
        ("call me", "not a phone number we can read. Write it with the country code", "short"),
    ],
)
def test_the_phone_error_says_what_is_wrong_with_the_number(
    client, member, typed, expected, not_expected
):
    """Issue 10, item 22: "+254 7123" was told to "write it with the country code"."""
    response = client.post(reverse("members:profile_edit"), profile_data(phone=typed))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["phone"])
    assert expected in errors
    assert not_expected not in errors


def test_the_country_prefix_alone_means_no_phone(client, member):
    response = client.post(reverse("members:profile_edit"), profile_data(phone="+254 "))
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.phone


def test_an_international_number_from_another_country_is_kept(client, member):
    client.post(reverse("members:profile_edit"), profile_data(phone="+47 406 12 345"))
    member.refresh_from_db()
    assert member.phone.as_e164 == "+4740612345"


def test_visibility_must_be_chosen_and_consent_given(client, member):
    response = client.post(
        reverse("members:profile_edit"),
        profile_data(directory_visibility=None, privacy_consent=None),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "directory_visibility" in form.errors
    assert "privacy_consent" in form.errors
    member.refresh_from_db()
    assert member.directory_visibility == Participant.Visibility.HIDDEN
    assert member.privacy_consent_at is None


def test_consent_is_not_asked_again_for_the_same_notice(client, member):
    client.post(reverse("members:profile_edit"), profile_data())
    response = client.get(reverse("members:profile_edit"))
    assert 'name="privacy_consent"' not in response.content.decode()
    response = client.post(reverse("members:profile_edit"), profile_data(privacy_consent=None))
    assert response.status_code == 302


def test_a_suggested_field_is_unapproved_until_staff_approve(client, member):
    client.post(reverse("members:profile_edit"), profile_data(suggested_expertise="  Beekeeping  "))
    field = ExpertiseField.objects.get(name="Beekeeping")
    assert field.is_approved is False
    member.refresh_from_db()
    assert field in member.expertise.all()
    assert "beekeeping" not in member.search_text
    # Others cannot pick it yet (approved fields are offered).
    approved = ExpertiseFieldFactory(name="Agronomy")
    response = client.get(reverse("members:profile_edit"))
    assert f'name="expertise" value="{approved.pk}"' in response.content.decode()
    assert f'name="expertise" value="{field.pk}"' not in response.content.decode()
    assert "Waiting for approval" in response.content.decode()
    # Saving again keeps the pending suggestion.
    client.post(reverse("members:profile_edit"), profile_data())
    assert field in member.expertise.all()


def test_a_linkedin_url_must_be_linkedin(client, member):
    response = client.post(
        reverse("members:profile_edit"), profile_data(linkedin_url="https://example.org/me")
    )
    assert "not a LinkedIn address" in response.content.decode()


def test_the_form_cannot_reach_roster_columns(client, member):
    client.post(
        reverse("members:profile_edit"),
        profile_data(participant_id="HACK", home_country="NO", declined_invitations="on"),
    )
    member.refresh_from_db()
    assert member.participant_id != "HACK"
    assert member.home_country == "KE"
    assert member.declined_invitations is False


def test_profile_edit_needs_csrf(member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    response = client.post(reverse("members:profile_edit"), profile_data())
    assert response.status_code == 403


def test_a_staff_account_without_roster_row_has_no_profile(client):
    from tests.members.factories import StaffUserFactory

    client.force_login(StaffUserFactory())
    assert client.get(reverse("members:profile_edit")).status_code == 404


def test_unregistered_participant_pages_do_not_exist(client):
    ParticipantFactory()
    assert client.get(reverse("members:directory")).status_code == 302


def test_profile_page_query_count_is_fixed(client, member, django_assert_max_num_queries):
    for n in range(12):
        member.expertise.add(ExpertiseFieldFactory(name=f"Field {n}"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("members:profile_edit"))
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["members:home", "members:profile_edit", "members:directory"])
def test_member_pages_transfer_under_60_kb_with_the_css(client, member, name):
    import gzip

    from django.contrib.staticfiles import finders

    response = client.get(reverse(name), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    with open(finders.find("css/site.css"), "rb") as css:
        css_size = len(gzip.compress(css.read()))
    assert len(response.content) + css_size < 60 * 1024


def test_home_page_query_count_is_fixed(client, member, django_assert_max_num_queries):
    for n in range(8):
        member.expertise.add(ExpertiseFieldFactory(name=f"Home field {n}"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("members:home"))
    assert response.status_code == 200


def test_no_member_page_edits_another_members_profile(client, member):
    other = MemberFactory(first_name="Other", city="Kampala")
    for params in ({"pk": other.pk}, {"id": other.pk}, {"participant": other.pk}):
        response = client.post(
            reverse("members:profile_edit") + f"?pk={other.pk}",
            profile_data(city="Changed", **{k: str(v) for k, v in params.items()}),
        )
        assert response.status_code == 302
    other.refresh_from_db()
    member.refresh_from_db()
    assert other.city == "Kampala"
    assert member.city == "Changed"


@pytest.mark.parametrize("zone", ["UTC", "Etc/GMT-3"])
def test_a_time_zone_set_elsewhere_does_not_block_saving(client, member, zone):
    Participant.objects.filter(pk=member.pk).update(time_zone=zone)
    response = client.post(reverse("members:profile_edit"), profile_data(time_zone=zone))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.time_zone == zone


def test_saving_the_form_as_shown_keeps_everything(client, member):
    """What the form shows, sent back untouched, saves and changes nothing (no data lost)."""
    health = ExpertiseFieldFactory(name="Health")
    client.post(
        reverse("members:profile_edit"),
        profile_data(expertise=[health.pk], phone="+254 712 345678"),
    )
    member.refresh_from_db()
    before = {field: getattr(member, field) for field in ["phone", "city", "bio", "time_zone"]}
    form = client.get(reverse("members:profile_edit")).context["form"]
    data = {}
    for bound in form:
        value = bound.value()
        if value in (None, False, ""):
            continue
        data[bound.html_name] = [str(v) for v in value] if isinstance(value, list) else value
    response = client.post(reverse("members:profile_edit"), data)
    assert response.status_code == 302, response.context["form"].errors
    member.refresh_from_db()
    assert {field: getattr(member, field) for field in before} == before
    assert list(member.expertise.all()) == [health]
