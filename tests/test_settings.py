"""Configuration comes from the environment only: what production, ESPs and workers rely on.

Settings are read once per process, so each configuration runs `manage.py` in a subprocess with
exactly the environment under test (nothing inherited but PATH and HOME).
"""

import base64
import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from norec_network.celery import app as celery_app

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "network.example.org",
    "SITE_URL": "https://network.example.org",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "norec_network.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_the_deployment_checks_do_notice_an_insecure_setting():
    # The check above is only worth something if it can fail: a short key is reported.
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, "DJANGO_SECRET_KEY": "short"},
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION.items() if key != "DJANGO_SECRET_KEY"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


ESP_IN_PRODUCTION = {
    **PRODUCTION,
    "ANYMAIL_ESP": "postmark",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": "pm-token-123",
}


@pytest.mark.parametrize("secret", [None, "", "webhookuser", "webhookuser:", ":password"])
def test_production_with_an_esp_refuses_to_start_without_a_webhook_secret(secret):
    # Anyone could otherwise post complaints for sequential ids and mark the roster bad.
    env = dict(ESP_IN_PRODUCTION)
    if secret is not None:
        env["ANYMAIL_WEBHOOK_SECRET"] = secret

    result = manage("check", "--deploy", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ANYMAIL_WEBHOOK_SECRET" in result.stderr


def test_production_with_an_esp_and_its_webhook_secret_passes_the_deployment_checks():
    env = {**ESP_IN_PRODUCTION, "ANYMAIL_WEBHOOK_SECRET": "webhookuser:long-random-password"}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_with_an_esp_needs_no_webhook_secret():
    # A developer trying an ESP's sending from a laptop receives no webhooks.
    result = manage("check", env={"ANYMAIL_ESP": "postmark"})

    assert result.returncode == 0, result.stderr


def test_development_runs_without_any_configuration():
    result = manage("check", env={})

    assert result.returncode == 0, result.stderr


def cache_backend(env: dict) -> dict:
    script = (
        "import json; from django.conf import settings;"
        "print(json.dumps(settings.CACHES['default']))"
    )
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_shares_rate_limits_through_the_brokers_redis_by_default():
    # Rate limits in local memory would be per web process: a limit of 5 becomes 5 per worker.
    production = cache_backend({**PRODUCTION, "CELERY_BROKER_URL": "redis://redis:6379/0"})
    assert production["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert production["LOCATION"] == "redis://redis:6379/1"

    explicit = cache_backend(
        {**PRODUCTION, "CELERY_BROKER_URL": "redis://redis:6379/0", "CACHE_URL": "redis://c:6379/4"}
    )
    assert explicit["LOCATION"] == "redis://c:6379/4"
    without_db = cache_backend({**PRODUCTION, "CELERY_BROKER_URL": "rediss://:pw@r:6380?ssl=1"})
    assert without_db["LOCATION"] == "rediss://:pw@r:6380/1"  # options go to OPTIONS
    assert cache_backend({})["BACKEND"].endswith("LocMemCache")  # `make run` needs no Redis


def test_an_esp_is_chosen_by_configuration_alone():
    script = (
        "import json; from django.conf import settings;"
        "from django.core.mail import get_connection; backend = get_connection();"
        "print(json.dumps({'backend': settings.EMAIL_BACKEND,"
        " 'class': type(backend).__module__ + '.' + type(backend).__name__,"
        " 'token': backend.server_token,"
        " 'webhook_secret': settings.ANYMAIL.get('WEBHOOK_SECRET')}))"
    )

    result = manage(
        "shell",
        "-c",
        script,
        env={
            "ANYMAIL_ESP": "postmark",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "pm-token-123",
            "ANYMAIL_WEBHOOK_SECRET": "postmark:webhook-password-1963",
        },
    )

    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout.strip().splitlines()[-1])
    assert chosen == {
        "backend": "anymail.backends.postmark.EmailBackend",
        "class": "anymail.backends.postmark.EmailBackend",
        "token": "pm-token-123",
        "webhook_secret": "postmark:webhook-password-1963",
    }


def postmark_delivery_event() -> str:
    return json.dumps(
        {
            "RecordType": "Delivery",
            "ServerID": 23,
            "MessageStream": "outbound",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Recipient": "amina@example.org",
            "Tag": "",
            "DeliveredAt": "2026-11-23T08:00:00Z",
            "Details": "Test delivery webhook details",
            "Metadata": {},
        }
    )


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "postmark:webhook-password-1963"}
    return "postmark:webhook-password-1963"


@pytest.mark.django_db
def test_the_tracking_webhook_refuses_a_post_without_the_secret(client, webhook_secret):
    response = client.post(
        reverse("anymail:postmark_tracking_webhook"),
        data=postmark_delivery_event(),
        content_type="application/json",
    )

    assert response.status_code == 400


@pytest.mark.django_db
def test_the_tracking_webhook_refuses_a_wrong_secret(client, webhook_secret):
    wrong = base64.b64encode(b"postmark:guess").decode()
    response = client.post(
        reverse("anymail:postmark_tracking_webhook"),
        data=postmark_delivery_event(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {wrong}",
    )

    assert response.status_code == 400


@pytest.mark.django_db
def test_the_tracking_webhook_accepts_a_post_with_the_secret(client, webhook_secret):
    credentials = base64.b64encode(webhook_secret.encode()).decode()
    response = client.post(
        reverse("anymail:postmark_tracking_webhook"),
        data=postmark_delivery_event(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    assert response.status_code == 200


def test_the_webhook_url_is_where_the_readme_says():
    assert reverse("anymail:postmark_tracking_webhook") == "/anymail/postmark/tracking/"


def test_every_scheduled_or_routed_task_exists():
    # A beat entry or route naming a task no worker knows is silently discarded at run time.
    celery_app.loader.import_default_modules()
    named = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    named |= set(settings.CELERY_TASK_ROUTES)

    assert named <= set(celery_app.tasks), named - set(celery_app.tasks)


def trusted_proxy_count(env: dict) -> str:
    script = "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_trusted_proxy_count_comes_from_the_environment_and_trusts_none_by_default():
    assert trusted_proxy_count({}) == "0"
    assert trusted_proxy_count({"DJANGO_TRUSTED_PROXY_COUNT": "1"}) == "1"


def test_compose_trusts_the_one_proxy_in_front_and_lets_only_this_host_reach_gunicorn():
    compose = (settings.BASE_DIR / "docker-compose.yml").read_text()

    assert "DJANGO_TRUSTED_PROXY_COUNT: ${DJANGO_TRUSTED_PROXY_COUNT:-1}" in compose
    # Trusting X-Forwarded-For is only safe when clients cannot reach gunicorn directly.
    assert '- "127.0.0.1:8000:8000"' in compose
    assert '- "8000:8000"' not in compose


def ses_bounce_notification(invitation) -> tuple[dict, dict]:
    """An Amazon SNS notification carrying an SES permanent bounce (configuration-set event
    publishing, as AWS documents it), with the SNS headers SNS sends."""
    ses_event = {
        "eventType": "Bounce",
        "bounce": {
            "feedbackId": "0102017a1f3e5c5e-6a0b7f2c-1d9f-4d0c-9f3f-0c5d3b7a9e2f-000000",
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": invitation.email,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": "2026-11-23T10:16:54.907Z",
            "reportingMTA": "dsn; e226-55.smtp-out.eu-west-1.amazonses.com",
        },
        "mail": {
            "timestamp": "2026-11-23T10:16:53.000Z",
            "source": "network@norec.no",
            "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/norec.no",
            "sendingAccountId": "123456789012",
            "messageId": invitation.esp_message_id,
            "destination": [invitation.email],
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": "network@norec.no"},
                {"name": "To", "value": invitation.email},
                {
                    "name": "X-Metadata",
                    "value": json.dumps({"stream": "invitation", "id": str(invitation.pk)}),
                },
            ],
            "commonHeaders": {
                "from": ["network@norec.no"],
                "to": [invitation.email],
                "messageId": invitation.esp_message_id,
                "subject": "You are invited to the Norec Network",
            },
            "tags": {"ses:configuration-set": ["norec"]},
        },
    }
    message_id = "8b9e4a0c-6d3f-5b1e-9c2a-7f4e1d0b3a95"
    topic = "arn:aws:sns:eu-west-1:123456789012:norec-ses-events"
    notification = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-11-23T10:16:55.123Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQv",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message_id,
        "HTTP_X_AMZ_SNS_TOPIC_ARN": topic,
        "HTTP_USER_AGENT": "Amazon Simple Notification Service Agent",
    }
    return notification, headers


@pytest.mark.django_db
def test_an_amazon_ses_bounce_is_received_and_applied(client, settings):
    # Without boto3 (anymail's amazon-ses extra) every SES post answered 500 and SES retried
    # until it gave up: every bounce and complaint was lost.
    from invitations.models import Invitation
    from members.models import Participant
    from tests.invitations.sending_support import launch
    from tests.invitations.sending_support import make_participants
    from tests.invitations.sending_support import make_wave
    from tests.invitations.sending_support import send_all

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "ses:webhook-password-1963"}
    make_participants(1)
    wave = make_wave()
    launch(wave)
    send_all(campaign_id=wave.pk)
    invitation = Invitation.objects.get(wave=wave)
    notification, headers = ses_bounce_notification(invitation)
    credentials = base64.b64encode(b"ses:webhook-password-1963").decode()

    response = client.post(
        reverse("anymail:amazon_ses_tracking_webhook"),
        data=json.dumps(notification),
        content_type="text/plain; charset=UTF-8",  # what SNS sends
        HTTP_AUTHORIZATION=f"Basic {credentials}",
        **headers,
    )

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == "bounced" and invitation.bounced_at is not None
    assert invitation.participant.email_status == Participant.EmailStatus.BOUNCED


def outbound_settings(env: dict) -> dict:
    script = (
        "import json; from django.conf import settings;"
        "print(json.dumps({name: getattr(settings, name) for name in dir(settings)"
        " if name.startswith('OUTBOUND_')}))"
    )
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_dead_workers_last_message_waits_for_a_webhook_only_where_an_esp_sends_them():
    assert outbound_settings({})["OUTBOUND_AWAIT_WEBHOOKS"] is False  # files, or plain SMTP
    smtp = {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}
    assert outbound_settings(smtp)["OUTBOUND_AWAIT_WEBHOOKS"] is False
    assert outbound_settings({"ANYMAIL_ESP": "test"})["OUTBOUND_AWAIT_WEBHOOKS"] is False
    postmark = {"ANYMAIL_ESP": "postmark", "ANYMAIL_POSTMARK_SERVER_TOKEN": "pm-token"}
    assert outbound_settings(postmark)["OUTBOUND_AWAIT_WEBHOOKS"] is True
    # An ESP's SMTP relay with its webhooks pointed here says so itself.
    relay = {**smtp, "OUTBOUND_AWAIT_WEBHOOKS": "true"}
    assert outbound_settings(relay)["OUTBOUND_AWAIT_WEBHOOKS"] is True


def test_a_stale_time_a_live_batch_could_reach_is_refused_at_start():
    result = manage("check", env={"OUTBOUND_BATCH_SECONDS": "60", "OUTBOUND_STALE_SECONDS": "60"})
    assert result.returncode != 0
    assert "OUTBOUND_STALE_SECONDS (60) must be more than" in result.stderr
    result = manage("check", env={"OUTBOUND_BATCH_SECONDS": "5", "OUTBOUND_STALE_SECONDS": "20"})
    assert result.returncode == 0, result.stderr


def test_a_dead_workers_mail_is_back_in_the_queue_within_five_minutes_at_the_defaults():
    # The sweep runs every OUTBOUND_SWEEP_SECONDS. A dead worker is known at the first sweep that
    # asks (under a minute); even when no worker can be asked, its rows are stale after
    # OUTBOUND_STALE_SECONDS, and with an ESP the last one waits until OUTBOUND_UNCERTAIN_SECONDS
    # after its claim for a webhook.
    defaults = outbound_settings({"ANYMAIL_ESP": "postmark"})
    sweep = defaults["OUTBOUND_SWEEP_SECONDS"]

    assert sweep < 60
    assert defaults["OUTBOUND_STALE_SECONDS"] + sweep <= 300
    assert defaults["OUTBOUND_UNCERTAIN_SECONDS"] + sweep <= 300
    # Beat runs the sweep at that period.
    schedule = settings.CELERY_BEAT_SCHEDULE["outbound-sweep"]["schedule"]
    assert schedule == settings.OUTBOUND_SWEEP_SECONDS


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("EMAIL_PORT", "twenty-five", "EMAIL_PORT cannot be read as int"),
        (
            "ANYMAIL_REQUESTS_TIMEOUT",
            "thirty",
            "ANYMAIL_REQUESTS_TIMEOUT cannot be read as float",
        ),
        (
            "ANYMAIL_AMAZON_SES_CLIENT_PARAMS",
            '{"aws_secret_access_key": "wJalrXUtnFEMI/SECRET",}',
            "cannot be read as JSON (Expecting property name",
        ),
        ("ANYMAIL_AMAZON_SES_CLIENT_PARAMS", '["eu-west-1"]', "must be a JSON object"),
    ],
)
def test_a_value_that_cannot_be_read_stops_start_up_naming_the_variable(name, value, said):
    result = manage("check", env={**PRODUCTION, name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and said in result.stderr
    assert value not in result.stderr and "wJalrXUtnFEMI" not in result.stderr  # never the value
