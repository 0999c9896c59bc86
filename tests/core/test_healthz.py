"""/healthz: JSON about the database, the broker and the workers; 200 only when all three answer.

The 200 case needs a running worker process: see tests/integration/test_worker.py.
"""

import json

import pytest
from django.db import connection
from django.urls import reverse

from tests.support.smtp import free_port
from tests.support.worker import broker_in_this_process


def get_health(client):
    response = client.get(reverse("healthz"))
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_without_a_worker_it_is_unavailable_but_says_database_and_broker_are_fine(client):
    status, body = get_health(client)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": True}
    assert body["broker"] == {"ok": True}
    assert body["workers"]["ok"] is False
    assert body["workers"]["count"] == 0


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_makes_it_unavailable(client):
    # Nothing listens on a port we just found free: a broker that is down.
    with broker_in_this_process(f"redis://127.0.0.1:{free_port()}/0"):
        status, body = get_health(client)

    assert status == 503
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"]
    assert body["workers"]["ok"] is False
    assert body["database"] == {"ok": True}


@pytest.mark.django_db(transaction=True)
def test_a_database_that_does_not_answer_makes_it_unavailable_not_an_error_page(client):
    # Point Django's connection at a port where no PostgreSQL listens, then put it back.
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        status, body = get_health(client)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert status == 503
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["status"] == "unavailable"


@pytest.mark.django_db
def test_it_only_answers_get(client):
    assert client.post(reverse("healthz")).status_code == 405
