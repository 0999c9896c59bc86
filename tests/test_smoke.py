import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_tells_a_visitor_how_to_join(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "How to join" in response.content.decode()
