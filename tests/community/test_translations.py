"""The community reads in French, Spanish and Portuguese: a member's pages follow their profile."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "followed", "room"),
    [
        ("fr", "Salons que vous suivez", "Questions et partages"),
        ("es", "Salas que sigue", "Preguntar y compartir"),
        ("pt", "Salas que segue", "Perguntar e partilhar"),
    ],
)
def test_the_room_list_in_each_language(client, amina, language, followed, room):
    amina.preferred_language = language
    amina.save(update_fields=["preferred_language"])
    client.force_login(amina.user)
    # The browser asks for English: a member's pages follow the profile, not the browser.
    page = client.get(reverse("community:rooms"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert f'lang="{language}"' in text
    assert followed in text and room in text
