"""Demo waves for a living local portal (`manage.py seed_demo`): one that has been sent, with
invitations in every state for the progress page, and a draft to preview and launch. No mail is
sent by seeding. Safe to re-run: waves are found by name."""

from __future__ import annotations

from datetime import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.zones import zone_for_country
from invitations import selectors
from invitations.models import Invitation
from invitations.models import Wave
from members.models import Participant
from members.models import User

SENT_WAVE = "Demo: Kenya, first wave"
DRAFT_WAVE = "Demo: Uganda and Tanzania"


@transaction.atomic
def invitations_seed_demo() -> str:
    # The demo adviser launched the waves; their permissions come from the Network advisers
    # group (members.demo).
    adviser = User.objects.filter(email="adviser@norec.test").first()
    if Wave.objects.filter(name__in=[SENT_WAVE, DRAFT_WAVE]).exists():
        return "invitation waves: already there"
    now = timezone.now()
    weekdays = {"window_start": time(9, 0), "window_end": time(17, 0)}
    sent = Wave.objects.create(
        name=SENT_WAVE,
        home_countries=["KE"],
        starts_at=now - timedelta(days=12),
        status=Wave.Status.COMPLETED,
        launched_at=now - timedelta(days=12),
        completed_at=now - timedelta(days=11),
        created_by=adviser,
        **weekdays,
    )
    people = list(
        selectors.wave_candidates(wave=sent)
        .filter(exclusion=selectors.ELIGIBLE, participant_id__startswith="DEMO-")
        .order_by("participant_id")[:40]
    )
    # A spread of outcomes, as a real wave looks after a few days.
    outcomes = ["sent"] * 4 + ["delivered"] * 3 + ["bounced", "expired"]
    rows = []
    for index, person in enumerate(people):
        outcome = outcomes[index % len(outcomes)]
        sent_at = now - timedelta(days=12, minutes=-index)
        rows.append(
            Invitation(
                wave=sent,
                participant=person,
                email=person.email,
                time_zone=zone_for_country(str(person.home_country)),
                status="sent" if outcome == "delivered" else outcome,
                sent_at=sent_at,
                delivered_at=sent_at + timedelta(minutes=1) if outcome == "delivered" else None,
                bounced_at=sent_at + timedelta(minutes=2) if outcome == "bounced" else None,
                esp_message_id=f"<demo.invitation.{index}@norec.test>",
                attempts=1,
                valid_days=sent.expiry_days,
                reminder_days=sent.reminder_days,
                expires_at=sent_at + timedelta(days=1 if outcome == "expired" else 30),
                created_by=adviser,
            )
        )
    Invitation.objects.bulk_create(rows)
    bounced = [row.participant_id for row in rows if row.status == "bounced"]
    Participant.objects.filter(pk__in=bounced).update(email_status=Participant.EmailStatus.BOUNCED)
    Wave.objects.create(
        name=DRAFT_WAVE,
        home_countries=["UG", "TZ"],
        starts_at=now + timedelta(days=1),
        created_by=adviser,
        **weekdays,
    )
    return f"invitation waves: 2 (one sent with {len(rows)} invitations, one draft)"
