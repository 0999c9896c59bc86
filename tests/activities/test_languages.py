"""The languages an activity is held in (issue 12, item 6): stored, filtered on the member's list
and in the admin, said on the page, in every activity mail and in the calendar file, in the
reader's language.

The tests at the end of this file (marked "needs the catalogues") read French, Spanish or
Portuguese text: they pass once the fr, es and pt catalogues hold this app's strings."""

import datetime
from pathlib import Path

import icalendar
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import connection
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from activities import services
from activities.languages import language_list
from activities.models import Activity
from activities.sending import mail_context
from core.mail import render_email
from tests.activities.factories import ActivityFactory
from tests.members.factories import MemberFactory
from tests.members.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

MAIL_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "emails" / "activities"


def stored(activity: Activity) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT languages FROM activities_activity WHERE id = %s", [activity.pk])
        return cursor.fetchone()[0]


# --- the field ------------------------------------------------------------------------------------


def test_an_activity_is_held_in_english_unless_staff_say_otherwise():
    activity = ActivityFactory()
    activity.refresh_from_db()
    assert activity.languages == ["en"]
    assert activity.get_languages_display() == "English"


def test_languages_are_stored_once_each_in_one_order():
    activity = ActivityFactory(languages=["es", "en", "es"])
    activity.refresh_from_db()
    assert activity.languages == ["en", "es"]
    assert stored(activity) == "en,es"


def test_an_activity_without_a_language_is_refused_by_the_database():
    activity = ActivityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(languages=[])


def test_an_unknown_code_fails_validation_with_a_clear_message():
    activity = ActivityFactory.build(languages=["fr", "klingon"])
    with pytest.raises(ValidationError) as error:
        activity.full_clean()
    assert error.value.message_dict["languages"] == [
        "“klingon” is not a language an activity can be held in. Choose from the list."
    ]
    activity.languages = []
    with pytest.raises(ValidationError) as error:
        activity.full_clean()
    assert error.value.message_dict["languages"] == ["Choose at least one language."]


def test_names_are_joined_with_english_after_the_others_and_another_language_last():
    assert language_list(["fr"]) == "French"
    assert language_list(["en", "es"]) == "Spanish and English"
    assert language_list(["other", "pt", "en", "fr"]) == (
        "French, Portuguese, English and another language"
    )
    assert language_list([]) == ""


def test_a_duplicate_keeps_the_languages():
    activity = ActivityFactory(languages=["fr", "en"])
    copy = services.activity_duplicate(activity=activity)
    copy.refresh_from_db()
    assert copy.languages == ["en", "fr"]


def test_the_demo_has_activities_in_several_languages():
    from activities.demo import seed_activities
    from activities.languages import held_in

    seed_activities()
    latin_america = Activity.objects.get(title="Digital meeting: alumni in Latin America")
    assert latin_america.languages == ["en", "es"]
    assert Activity.objects.filter(held_in("fr")).exists()
    assert Activity.objects.filter(held_in("pt")).exists()


# --- the member's list: "in French" ---------------------------------------------------------------


@pytest.fixture
def by_language():
    return {
        "english": ActivityFactory(title="English only webinar"),
        "french": ActivityFactory(title="Webinaire en français", languages=["fr"]),
        "both": ActivityFactory(title="Bilingual meeting", languages=["fr", "en"]),
        "spanish": ActivityFactory(title="Encuentro en español", languages=["es", "other"]),
        "portuguese": ActivityFactory(title="Encontro em português", languages=["pt"]),
    }


def titles_listed(client, **params) -> set[str]:
    response = client.get(reverse("activities:list"), params)
    assert response.status_code == 200
    return {row["activity"].title for row in response.context["rows"]}


def test_the_language_filter_returns_only_activities_held_in_that_language(client, by_language):
    assert titles_listed(client, language="fr") == {"Webinaire en français", "Bilingual meeting"}
    assert titles_listed(client, language="en") == {"English only webinar", "Bilingual meeting"}
    assert titles_listed(client, language="es") == {"Encuentro en español"}
    assert titles_listed(client, language="pt") == {"Encontro em português"}
    assert titles_listed(client, language="other") == {"Encuentro en español"}
    assert len(titles_listed(client)) == 5


def test_a_language_between_others_is_found_too(client):
    ActivityFactory(title="Three languages", languages=["pt", "es", "en"])
    ActivityFactory(title="Spanish only", languages=["es"])
    assert titles_listed(client, language="es") == {"Three languages", "Spanish only"}
    assert titles_listed(client, language="fr") == set()


def test_the_language_filter_keeps_the_other_filters(client, by_language):
    from tests.activities.factories import PhysicalActivityFactory

    PhysicalActivityFactory(title="Rencontre à Nairobi", languages=["fr"])
    assert titles_listed(client, language="fr", kind="physical") == {"Rencontre à Nairobi"}
    assert titles_listed(client, language="fr", mode="online") == {
        "Webinaire en français",
        "Bilingual meeting",
    }


def test_an_unknown_language_drops_only_that_filter_and_says_so(client, by_language):
    assert titles_listed(client, language="xx", kind="physical") == set()
    assert len(titles_listed(client, language="xx")) == 5
    body = client.get(reverse("activities:list"), {"language": "xx"}).content.decode()
    assert "Select a valid choice" in body


def test_the_filter_is_a_plain_form_whose_choice_survives_the_pages(client):
    # Without JavaScript: a select in the GET form; the pages' links keep the chosen language.
    for number in range(25):
        ActivityFactory(title=f"Webinaire {number}", languages=["fr"])
    ActivityFactory(title="English webinar")
    response = client.get(reverse("activities:list"), {"language": "fr"})
    body = response.content.decode()
    assert '<select name="language"' in body
    assert '<option value="fr" selected>French</option>' in body
    assert "language=fr&amp;page=2" in body
    second = client.get(reverse("activities:list"), {"language": "fr", "page": 2})
    assert len(second.context["rows"]) == 5
    assert all(row["activity"].languages == ["fr"] for row in second.context["rows"])


def test_the_filtered_list_uses_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    client.force_login(MemberFactory().user)
    ActivityFactory.create_batch(3, languages=["fr"])
    client.get(reverse("activities:list"))  # warm the session and the caches
    with django_assert_max_num_queries(8):
        client.get(reverse("activities:list"), {"language": "fr"})
    ActivityFactory.create_batch(10, languages=["fr", "en"])
    with django_assert_max_num_queries(8):
        client.get(reverse("activities:list"), {"language": "fr"})


# --- the page, the mails, the calendar file ----------------------------------------------------


def test_the_list_and_the_page_say_what_language_it_is_held_in(client):
    activity = ActivityFactory(title="Latin America", languages=["es", "en"])
    listing = client.get(reverse("activities:list")).content.decode()
    assert "Held in: Spanish and English" in listing
    page = client.get(activity.get_absolute_url()).content.decode()
    assert "<dt>Held in</dt>" in page
    assert '<dd class="activity-languages">Spanish and English</dd>' in page


def every_activity_mail() -> list[str]:
    names = sorted(
        path.name.removesuffix("_subject.txt") for path in MAIL_TEMPLATES.glob("*_subject.txt")
    )
    assert len(names) == 7  # a new mail is covered here too
    return names


@pytest.mark.parametrize("name", every_activity_mail())
def test_every_activity_mail_says_the_languages_in_text_and_html(name):
    member = MemberFactory(first_name="Amina")
    activity = ActivityFactory(languages=["fr", "en"])
    context = {
        **mail_context(member, activity),
        "position": 2,
        "note": "The venue flooded.",
        "subject": "A new room",
        "body": "Room 2 this time.",
    }
    message = render_email(
        f"emails/activities/{name}", context, to=["a@example.org"], language="en"
    )
    assert "Held in: French and English" in message.body
    (html, _mimetype), *_ = message.alternatives
    assert "Held in: French and English" in html


def test_the_confirmation_mail_and_its_calendar_file_say_the_languages(mails):
    activity = ActivityFactory(languages=["pt", "en"])
    with mails() as outbox:
        services.activity_register(activity=activity, participant=MemberFactory())
    (message,) = outbox
    assert "Held in: Portuguese and English" in message.body
    (_name, content, _type), *_ = message.attachments
    (event,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert str(event["description"]).startswith("Held in: Portuguese and English\n\n")


def test_the_ics_and_the_feed_say_the_languages(client):
    activity = ActivityFactory(languages=["es", "en"])
    content = client.get(reverse("activities:ics", args=[activity.pk])).content
    (event,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert "Held in: Spanish and English" in str(event["description"])


def test_the_include_for_other_apps_names_codes_and_says_nothing_without_them():
    # The newsletter's activities section holds codes, not activities.
    from django.template.loader import render_to_string

    template = "activities/_held_in.html"
    assert render_to_string(template, {"languages": ["en", "fr"]}) == "Held in: French and English"
    assert render_to_string(template, {"languages": []}) == ""
    assert render_to_string(template, {}) == ""


# --- the admin ------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def add_form(**fields) -> dict:
    day = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    return {
        "kind": "webinar",
        "title": "Webinar in several languages",
        "starts_at_0": day,
        "starts_at_1": "13:00:00",
        "ends_at_0": day,
        "ends_at_1": "14:00:00",
        "time_zone": "Europe/Oslo",
        "online_url": "https://meet.example.org/new",
        "materials-TOTAL_FORMS": "0",
        "materials-INITIAL_FORMS": "0",
        **fields,
    }


def test_the_admin_form_offers_each_language_as_a_checkbox_english_ticked(staff_client):
    body = staff_client.get(reverse("admin:activities_activity_add")).content.decode()
    for code in ("en", "fr", "es", "pt", "other"):
        assert f'type="checkbox" name="languages" value="{code}"' in body
    assert 'value="en" id="id_languages_0" checked' in body
    assert 'value="fr" id="id_languages_1" checked' not in body


def test_the_admin_form_saves_the_languages_ticked(staff_client):
    response = staff_client.post(
        reverse("admin:activities_activity_add"), add_form(languages=["es", "en"])
    )
    assert response.status_code == 302
    assert Activity.objects.get().languages == ["en", "es"]


def test_the_admin_form_rejects_an_unknown_code_with_a_clear_error(staff_client):
    response = staff_client.post(
        reverse("admin:activities_activity_add"), add_form(languages=["fr", "xx"])
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["languages"]
    assert errors == ["“xx” is not a language an activity can be held in. Choose from the list."]
    assert not Activity.objects.exists()


def test_the_admin_form_needs_at_least_one_language(staff_client):
    response = staff_client.post(reverse("admin:activities_activity_add"), add_form())
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["languages"] == [
        "Choose at least one language."
    ]
    assert not Activity.objects.exists()


def test_the_admin_list_shows_the_languages_and_filters_by_them(staff_client, by_language):
    url = reverse("admin:activities_activity_changelist")

    def listed(**params):
        response = staff_client.get(url, params)
        assert response.status_code == 200
        return {activity.title for activity in response.context["cl"].result_list}

    assert listed(language="fr") == {"Webinaire en français", "Bilingual meeting"}
    assert listed(language="es") == {"Encuentro en español"}
    assert listed(language="other") == {"Encuentro en español"}
    assert len(listed()) == 5
    body = staff_client.get(url).content.decode()
    assert '<td class="field-held_in">French and English</td>' in body
    assert "?language=pt" in body  # the filter's choices


# --- in the reader's language (needs the catalogues) -------------------------------------------


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_language_names_follow_the_readers_language():  # needs the catalogues
    codes = ["es", "en"]
    with translation.override("fr"):
        assert language_list(codes) == "espagnol et anglais"
    with translation.override("es"):
        # Spanish says "e", not "y", before the i of "inglés".
        assert language_list(codes) == "español e inglés"
        assert language_list(["fr", "pt"]) == "francés y portugués"
    with translation.override("pt"):
        assert language_list(codes) == "espanhol e inglês"


def test_a_french_members_mail_and_calendar_say_the_languages_in_french(mails):  # catalogues
    activity = ActivityFactory(languages=["es", "en"])
    member = MemberFactory(preferred_language="fr")
    with mails() as outbox:
        services.activity_register(activity=activity, participant=member)
    (message,) = outbox
    # French puts a (non-breaking) space before the colon.
    assert "Se déroule en : espagnol et anglais" in spaced(message.body)
    (_name, content, _type), *_ = message.attachments
    (event,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert spaced(str(event["description"])).startswith("Se déroule en : espagnol et anglais")


def test_the_feed_speaks_its_owners_language(client):  # needs the catalogues
    from activities.calendar import feed_token

    member = MemberFactory(preferred_language="pt")
    activity = ActivityFactory(languages=["pt", "en"])
    services.activity_register(activity=activity, participant=member)
    feed = services.calendar_feed_get_or_create(participant=member)
    content = client.get(reverse("activities:feed", args=[feed.key, feed_token(feed)])).content
    (event,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert str(event["description"]).startswith("Decorre em: português e inglês")


def test_a_spanish_speaker_finds_the_filter_and_the_line_in_spanish(client):  # catalogues
    ActivityFactory(title="Encuentro", languages=["es", "en"])
    body = client.get(
        reverse("activities:list"), {"language": "es"}, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Cualquier idioma" in body
    assert '<option value="es" selected>Español</option>' in body
    assert "Se realiza en: español e inglés" in body
