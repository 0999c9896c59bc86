"""What newsletters add to the shared registries: the monthly plan, the member's home page,
"Download my data" and account deletion, and the demo data. Registered from `ready()`."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.monthly_plan import PlanItem
from core.monthly_plan import PlanSource
from core.monthly_plan import register_plan_source
from members.extensions import DemoSeeder
from members.extensions import HomeSection
from members.extensions import PersonalDataSource
from members.extensions import register_demo_seeder
from members.extensions import register_home_section
from members.extensions import register_personal_data_source


def plan_items_for_year(year: int) -> dict[int, list[PlanItem]]:
    from newsletters.models import Newsletter

    newsletters = (
        Newsletter.objects.filter(month__year=year)
        .exclude(status=Newsletter.Status.CANCELLED)
        .only("pk", "subject", "month", "status", "scheduled_for", "started_at")
    )
    months: dict[int, list[PlanItem]] = {}
    for newsletter in newsletters:
        when = newsletter.started_at or newsletter.scheduled_for
        months.setdefault(newsletter.month.month, []).append(
            PlanItem(
                title=newsletter.subject,
                date=timezone.localdate(when) if when else newsletter.month,
                url=reverse("admin:newsletters_newsletter_change", args=[newsletter.pk]),
                note=newsletter.get_status_display(),
                public_url=(
                    reverse("newsletters:detail", args=[newsletter.pk])
                    if newsletter.status in (Newsletter.Status.SENDING, Newsletter.Status.SENT)
                    else ""
                ),
            )
        )
    return months


def home_latest_context(request, participant) -> dict | None:
    from newsletters.selectors import newsletter_latest

    newsletter = newsletter_latest(language=participant.preferred_language if participant else None)
    if newsletter is None:
        return None
    return {"latest_newsletter": newsletter}


def export_deliveries(participant) -> list[dict]:
    from newsletters.models import Delivery

    deliveries = Delivery.objects.filter(participant=participant).select_related("newsletter")
    return [
        {
            "newsletter": delivery.newsletter.subject,
            "month": delivery.newsletter.month.strftime("%Y-%m"),
            "address": delivery.email,
            "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            "status": delivery.status,
            "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
        }
        for delivery in deliveries
    ]


def erase_deliveries(participant) -> None:
    """Forget who received what, keep the anonymous rows so that each issue's counts stay right."""
    from newsletters.models import Delivery

    Delivery.objects.filter(participant=participant).update(participant=None, email="")


DEMO_SENT_SUBJECT = "News from the network: meet the class of 2025"
DEMO_DRAFT_SUBJECT = "Next month in Norec Network"


def _seed_demo_deliveries(newsletter, sent_at) -> None:
    """The demo issue "went" to the demo members (no mail is sent): the progress page has counts."""
    from newsletters.models import Delivery
    from newsletters.selectors import newsletter_recipients

    recipients = newsletter_recipients(newsletter=newsletter).values_list("pk", "user__email")
    Delivery.objects.bulk_create(
        [
            Delivery(
                newsletter=newsletter,
                participant_id=pk,
                email=email,
                status=Delivery.Status.SENT,
                sent_at=sent_at,
                delivered_at=sent_at,
            )
            for pk, email in recipients
        ],
        ignore_conflicts=True,
    )
    newsletter.recipient_count = newsletter.deliveries.count()
    newsletter.save(update_fields=["recipient_count"])


# The demo issue in French and Portuguese (content, as staff would write it); no Spanish variant,
# so that the send page shows a language whose readers get the English issue.
DEMO_VARIANTS = {
    "fr": (
        "Des nouvelles du réseau : faites connaissance avec la promotion 2025",
        "Bienvenue dans la lettre d'information de ce mois !\n\n"
        "## Nouveaux membres\n\n"
        "Quarante anciens participants du **Kenya, du Népal et du Mozambique** se sont inscrits "
        "ce mois-ci. Dites-leur bonjour dans l'[annuaire des membres](/me/).\n\n"
        "## Nouvelles du terrain\n\n"
        "Grace, infirmière partie en échange au Malawi en 2019, forme aujourd'hui des "
        "sages-femmes dans trois districts. *« L'échange m'a appris à écouter d'abord. »*\n",
    ),
    "pt": (
        "Notícias da rede: conheça a turma de 2025",
        "Bem-vindos à newsletter deste mês!\n\n"
        "## Novos membros\n\n"
        "Quarenta antigos participantes do **Quénia, do Nepal e de Moçambique** registaram-se "
        "este mês. Diga olá no [diretório de membros](/me/).\n\n"
        "## Notícias do terreno\n\n"
        "A Grace, enfermeira que fez um intercâmbio no Malawi em 2019, forma hoje parteiras em "
        "três distritos. *«O intercâmbio ensinou-me a ouvir primeiro.»*\n",
    ),
}


def _seed_demo_variants(newsletter) -> None:
    from newsletters.models import NewsletterVariant

    NewsletterVariant.objects.bulk_create(
        [
            NewsletterVariant(newsletter=newsletter, language=language, subject=subject, body=body)
            for language, (subject, body) in DEMO_VARIANTS.items()
        ],
        ignore_conflicts=True,
    )


def seed_demo_newsletters() -> str:
    from newsletters.models import Newsletter

    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    created = []
    if not Newsletter.objects.filter(Q(subject=DEMO_SENT_SUBJECT)).exists():
        sent_at = timezone.now() - datetime.timedelta(days=20)
        sent = Newsletter.objects.create(
            subject=DEMO_SENT_SUBJECT,
            month=last_month,
            body=(
                "Welcome to this month's newsletter!\n\n"
                "## New members\n\n"
                "Forty former participants from **Kenya, Nepal and Mozambique** registered this "
                "month. Say hello in the [member directory](/me/).\n\n"
                "## From the field\n\n"
                "Grace, a nurse who went on a health exchange to Malawi in 2019, now trains "
                "midwives in three districts. *“The exchange taught me to listen first.”*\n\n"
                "- Share your story: reply to this mail\n"
                "- Keep your contact details up to date in your profile\n"
            ),
            include_activities=False,
            status=Newsletter.Status.SENT,
            scheduled_for=sent_at,
            started_at=sent_at,
            sent_at=sent_at,
        )
        _seed_demo_variants(sent)
        _seed_demo_deliveries(sent, sent_at)
        created.append("1 sent")
    if not Newsletter.objects.filter(subject=DEMO_DRAFT_SUBJECT).exists():
        Newsletter.objects.create(
            subject=DEMO_DRAFT_SUBJECT,
            month=this_month,
            body="Dear members,\n\nHere is what happens in the network next month.\n",
            include_activities=True,
        )
        created.append("1 draft")
    return f"newsletters: {', '.join(created) or 'nothing new'}"


def register() -> None:
    register_plan_source(
        PlanSource(
            name="newsletters",
            label=_("Newsletters"),
            items_for_year=plan_items_for_year,
            order=20,
        )
    )
    register_home_section(
        HomeSection(
            name="newsletters",
            template_name="newsletters/_home_latest.html",
            context=home_latest_context,
            order=30,
        )
    )
    register_personal_data_source(
        PersonalDataSource(name="newsletters", export=export_deliveries, erase=erase_deliveries)
    )
    register_demo_seeder(DemoSeeder(name="newsletters", seed=seed_demo_newsletters, order=40))
