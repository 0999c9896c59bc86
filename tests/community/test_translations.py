"""The community reads in French, Spanish and Portuguese. Needs the catalogues with
/work/i18n/extra/community.json merged (the lead merges them): until then these fail."""

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
    client.force_login(amina.user)
    page = client.get(reverse("community:rooms"), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert f'lang="{language}"' in text
    assert followed in text and room in text
