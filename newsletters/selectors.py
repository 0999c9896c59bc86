"""Reads: who a newsletter goes to, who is left out and why, and what members may read."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from django.conf import settings
from django.db.models import Count
from django.db.models import F
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.outbound.pace import RECENT
from members.models import BAD_ADDRESS
from members.models import NOT_REGISTERED
from members.models import UNSUBSCRIBED
from members.models import Participant
from members.models import newsletter_exclusions
from members.models import newsletter_recipient_q
from newsletters.models import Newsletter
from newsletters.models import NewsletterVariant


def _in_scope(newsletter: Newsletter) -> QuerySet[Participant]:
    """Everyone the audience choice covers, eligible or not."""
    participants = Participant.objects.all()
    if newsletter.audience == Newsletter.Audience.COUNTRIES:
        codes = [country.code for country in newsletter.countries]
        participants = participants.filter(home_country__in=codes)
    return participants


def participant_is_unsubscribed(*, participant_pk: int) -> bool:
    """True when the member behind an unsubscribe link has already left the newsletter."""
    return Participant.objects.filter(pk=participant_pk, newsletter_subscribed=False).exists()


def newsletter_recipients(*, newsletter: Newsletter) -> QuerySet[Participant]:
    return _in_scope(newsletter).newsletter_recipients()


@dataclass(frozen=True)
class AudienceCounts:
    receive: int
    unsubscribed: int
    bad_address: int
    not_registered: int
    # Of those who receive it: how many per preferred language, every language of the portal
    # listed (English also counts anyone whose language the portal does not offer).
    by_language: dict[str, int] = field(default_factory=dict)

    @property
    def left_out(self) -> int:
        return self.unsubscribed + self.bad_address + self.not_registered


def newsletter_audience_counts(*, newsletter: Newsletter) -> AudienceCounts:
    """One query: who will receive it, and who is left out for which reason (each person counted
    once, under the first reason that applies), and the recipients per preferred language."""
    figures = {"receive": Count("pk", filter=newsletter_recipient_q())}
    earlier = Q(pk__in=[])
    for reason, condition in newsletter_exclusions():
        figures[reason] = Count("pk", filter=condition & ~earlier)
        earlier |= condition
    others = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    for code in others:
        figures[f"language_{code}"] = Count(
            "pk", filter=newsletter_recipient_q() & Q(preferred_language=code)
        )
    counts = _in_scope(newsletter).aggregate(**figures)
    by_language = {code: counts[f"language_{code}"] for code in others}
    by_language = {
        settings.LANGUAGE_CODE: counts["receive"] - sum(by_language.values()),
        **by_language,
    }
    return AudienceCounts(
        receive=counts["receive"],
        not_registered=counts[NOT_REGISTERED],
        unsubscribed=counts[UNSUBSCRIBED],
        bad_address=counts[BAD_ADDRESS],
        by_language=by_language,
    )


# --- languages ------------------------------------------------------------------------------------


def newsletter_languages(*, newsletter: Newsletter) -> list[str]:
    """The languages the issue exists in: English (the newsletter itself), then each variant's,
    in the order of settings.LANGUAGES."""
    have = {settings.LANGUAGE_CODE, *newsletter.variants.values_list("language", flat=True)}
    return [code for code, _name in settings.LANGUAGES if code in have]


def newsletter_edition_language(*, newsletter: Newsletter, language: str | None) -> str:
    """The language a reader of `language` gets the issue in: theirs if a variant exists, else
    English."""
    if language and newsletter.variants.filter(language=language).exists():
        return language
    return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class LanguageRow:
    code: str
    name: str
    recipients: int
    has_edition: bool

    @property
    def is_default(self) -> bool:
        return self.code == settings.LANGUAGE_CODE

    @property
    def falls_back(self) -> bool:
        """Recipients in this language get the English issue, for want of a variant."""
        return self.recipients > 0 and not self.has_edition


def newsletter_language_rows(*, counts: AudienceCounts, languages: list[str]) -> list[LanguageRow]:
    """One row per language of the portal for the send page: how many recipients read it and
    whether the issue exists in it (`languages`, from `newsletter_languages`)."""
    return [
        LanguageRow(
            code=code,
            name=str(name),
            recipients=counts.by_language.get(code, 0),
            has_edition=code in languages,
        )
        for code, name in settings.LANGUAGES
    ]


def reader_language(*, user) -> str | None:
    """The preferred language of the member behind a login (None for an account that is not on
    the roster, e.g. staff)."""
    return (
        Participant.objects.filter(user=user).values_list("preferred_language", flat=True).first()
    )


def newsletter_archive_list(*, language: str | None = None) -> QuerySet[Newsletter]:
    """What members may read: issues that went out (sent, or still sending: recipients follow the
    "read on the web" link at once); never drafts, scheduled, paused or cancelled ones.

    Each issue carries `shown_subject` and `shown_language`: its variant's in `language` where it
    has one, else the English issue's (no extra query: a subquery per row)."""
    issues = Newsletter.objects.filter(
        status__in=(Newsletter.Status.SENDING, Newsletter.Status.SENT)
    ).order_by("-month", "-started_at", "-id")
    variant = NewsletterVariant.objects.filter(newsletter=OuterRef("pk"), language=language or "")
    return issues.annotate(
        shown_subject=Coalesce(Subquery(variant.values("subject")[:1]), F("subject")),
        shown_language=Coalesce(
            Subquery(variant.values("language")[:1]), Value(settings.LANGUAGE_CODE)
        ),
    )


def newsletter_archive_get(*, pk: int) -> Newsletter:
    return newsletter_archive_list().get(pk=pk)


def newsletter_latest(*, language: str | None = None) -> Newsletter | None:
    return (
        newsletter_archive_list(language=language)
        .only("pk", "subject", "month", "started_at")
        .first()
    )


def newsletter_progress(*, newsletter: Newsletter, now: datetime | None = None) -> dict:
    """Deliveries per status in one query; they stay after sending, so the counts do too.
    `delivered` is a subset of `sent` (the ESP confirmed it), as bounces may come after `sent`.
    `recent` counts those sent in the last `pace.RECENT`, for the current rate (the same scan of
    the newsletter's rows: no query or index of its own)."""
    from django.utils.translation import gettext as _

    from newsletters.models import Delivery

    Status = Delivery.Status
    since = (now or timezone.now()) - RECENT
    counts = Delivery.objects.filter(newsletter=newsletter).aggregate(
        recent=Count("pk", filter=Q(sent_at__gt=since)),
        total=Count("pk"),
        queued=Count("pk", filter=Q(status__in=[Status.PENDING, Status.SENDING])),
        sent=Count("pk", filter=Q(status=Status.SENT)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        bounced=Count("pk", filter=Q(status=Status.BOUNCED)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        skipped=Count("pk", filter=Q(status=Status.SKIPPED)),
        cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
    )
    labels = {
        "queued": _("Queued"),
        "sent": _("Sent"),
        "delivered": _("Delivered (confirmed)"),
        "bounced": _("Bounced"),
        "complained": _("Complaints"),
        "failed": _("Failed"),
        "skipped": _("Skipped (unsubscribed or bad address since)"),
        "cancelled": _("Not sent (cancelled)"),
    }
    rows = [
        {"key": key, "label": label, "count": counts[key]}
        for key, label in labels.items()
        if counts[key] or key in ("queued", "sent", "delivered", "bounced", "failed")
    ]
    return {"total": counts["total"], "rows": rows, **counts}
