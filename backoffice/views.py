"""Pages of the back office beyond the dashboard (the admin site serves them: see
norec_network/admin_site.py)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.dashboard import may_see_plan
from core.monthly_plan import plan_for_year
from core.monthly_plan import plan_sources


def monthly_plan_view(request):
    """A year of the monthly plan: what each app registered for each month, and the months that
    still lack something."""
    if not may_see_plan(request.user):
        raise PermissionDenied
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2000), 2100)
    context = {
        **admin.site.each_context(request),
        "title": _("Monthly plan %(year)s") % {"year": year},
        "year": year,
        "months": plan_for_year(year),
        "sources": plan_sources(),
        "previous_year": year - 1,
        "next_year": year + 1,
    }
    return TemplateResponse(request, "backoffice/monthly_plan.html", context)
