"""A wave's figures are counted once (`invitation_progress_conditions`): the wave page, the wave
list and the dashboard agree, also on what "bounced" means."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.dashboard import invitations_panel
from core import outbound
from invitations import selectors
from invitations import services
from invitations.models import Invitation
from invitations.models import Wave
from tests.invitations.sending_support import launch
from tests.invitations.sending_support import make_participants
from tests.invitations.sending_support import make_wave
from tests.invitations.sending_support import send_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


def bounced_event(invitation):
    class Event:
        event_type = "bounced"
        message_id = invitation.esp_message_id
        recipient = invitation.email
        metadata = {"stream": "invitation", "id": invitation.pk}
        timestamp = timezone.now()
        esp_event = {}
        description = ""
        mta_response = ""

    return Event()


def test_a_bounce_that_comes_after_the_expiry_counts_as_bounced_on_every_page(admin_client):
    make_participants(3, with_exchange=False)
    wave = make_wave(name="Kenya 2026")
    launch(wave)
    send_all(campaign_id=wave.pk)
    late = Invitation.objects.filter(wave=wave).order_by("pk").first()
    services.invitation_expire_due(now=timezone.now() + timedelta(days=31))
    outbound.apply_event(bounced_event(late))
    late.refresh_from_db()
    assert late.status == Invitation.Status.EXPIRED
    assert late.bounced_at is not None

    page = selectors.wave_progress(wave=wave)
    (listed,) = selectors.waves_with_progress(Wave.objects.filter(pk=wave.pk))
    (funnel,) = invitations_panel().waves
    (country,) = [row for row in invitations_panel().countries if row.code == "KE"]

    assert page["bounced"] == listed.progress_bounced == funnel.bounced == country.bounced == 1
    assert page["expired"] == 3
    assert page["total"] == listed.progress_total == funnel.invitations == 3
    changelist = admin_client.get("/admin/invitations/wave/")
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_list[0].progress_bounced == 1
