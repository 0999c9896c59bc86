"""Asking for an invitation: the public form's request, and what the portal keeps of it (the
person's own data, and demo requests). The adviser answers requests in `invitations/triage.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.mail import send_later
from invitations.models import InvitationRequest
from members.models import Participant


@transaction.atomic
def invitation_request_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    home_country: str,
    exchange_year: int | None,
    partner_organisation: str,
    message: str,
    language: str | None = None,
) -> InvitationRequest:
    """Record a request and confirm it by mail.

    Deliberately does not look at the roster: the answer (page and mail) is the same whoever
    asks, and takes the same time, so it never tells whether someone is on the roster.
    """
    request_row = InvitationRequest.objects.create(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        home_country=home_country,
        exchange_year=exchange_year,
        partner_organisation=partner_organisation.strip(),
        message=message.strip(),
    )
    # No participant: the request is not matched against the roster, so nothing here depends on it.
    send_later(
        template="emails/invitations/request_received",
        context={"request": request_row, "site_url": settings.SITE_URL},
        to=request_row.email,
        language=language,
        reply_to=[settings.NETWORK_ADVISER_EMAIL],
    )
    return request_row


# --- personal data and demo data (registered from the app config) -------------------------------


def _requests_of(participant: Participant):
    addresses = {
        address for address in (participant.email, participant.address_of_record) if address
    }
    return InvitationRequest.objects.filter(
        Q(matched_participant=participant) | Q(email__in=[a.lower() for a in addresses])
    ).order_by("created_at", "pk")


def invitation_requests_export(participant: Participant) -> list[dict]:
    """For "Download my data": the invitation requests this person sent."""
    return [
        {
            "received": row.created_at.isoformat(),
            "first_name": row.first_name,
            "last_name": row.last_name,
            "email": row.email,
            "home_country": str(row.home_country),
            "exchange_year": row.exchange_year,
            "partner_organisation": row.partner_organisation,
            "message": row.message,
            "status": row.status,
        }
        for row in _requests_of(participant)
    ]


def invitation_requests_erase(participant: Participant) -> None:
    """When the member deletes their account, their requests go too."""
    _requests_of(participant).delete()


DEMO_REQUEST_EMAILS = ("demo.request.moved@example.net", "demo.request.stranger@example.net")


@transaction.atomic
def invitation_requests_seed_demo() -> str:
    """Two open requests for the adviser to triage: a roster participant whose address changed,
    and someone the roster does not know. Safe to re-run."""
    if InvitationRequest.objects.filter(email__in=DEMO_REQUEST_EMAILS).exists():
        return "invitation requests: already there"
    moved = (
        Participant.objects.filter(user__isnull=True, participant_id__startswith="DEMO-")
        .exclude(home_country="")
        .order_by("participant_id")
        .first()
    )
    rows = []
    if moved is not None:
        exchange = moved.exchanges.order_by("year").first()
        rows.append(
            InvitationRequest(
                first_name=moved.first_name,
                last_name=moved.last_name,
                email=DEMO_REQUEST_EMAILS[0],
                home_country=moved.home_country,
                exchange_year=exchange.year if exchange else None,
                partner_organisation=exchange.partner_organisation if exchange else "",
                message="I have a new email address. The old one at work is closed.",
            )
        )
    rows.append(
        InvitationRequest(
            first_name="Grace",
            last_name="Nanyonjo",
            email=DEMO_REQUEST_EMAILS[1],
            home_country="UG",
            exchange_year=2016,
            partner_organisation="Mengo Hospital",
            message="I was on an exchange in Norway but never received an invitation.",
        )
    )
    InvitationRequest.objects.bulk_create(rows)
    return f"invitation requests: {len(rows)} open"
