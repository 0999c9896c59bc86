"""The admin site: Django's admin, with the back office's dashboard on its first page, its own
pages and its way in (the `backoffice` app)."""

from django.contrib import admin
from django.urls import path
from django.utils import timezone

from backoffice.dashboard import dashboard_context
from backoffice.staff_access import admin_login_view
from backoffice.views import monthly_plan_view


class NorecAdminSite(admin.AdminSite):
    site_header = "Norec Network"
    site_title = "Norec Network admin"
    index_title = "Back office"
    index_template = "backoffice/dashboard.html"

    def get_urls(self):
        return [
            path("plan/", self.admin_view(monthly_plan_view), name="monthly_plan"),
            *super().get_urls(),
        ]

    def login(self, request, extra_context=None):
        # Staff log in through allauth (password, then their TOTP code): see staff_access.py.
        return admin_login_view(request, extra_context)

    def index(self, request, extra_context=None):
        context = dashboard_context(
            today=timezone.localdate(),
            user=request.user,
            # "Count again now": the figures are otherwise kept for a couple of minutes.
            recount=request.GET.get("recount") == "1",
        )
        return super().index(request, {**context, **(extra_context or {})})
