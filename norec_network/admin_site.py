"""The back office: Django's admin with the network at a glance on its first page."""

from django.contrib import admin
from django.utils import timezone

from norec_network.staff_access import admin_login_view


class NorecAdminSite(admin.AdminSite):
    site_header = "Norec Network"
    site_title = "Norec Network admin"
    index_title = "Back office"
    index_template = "admin/dashboard.html"

    def login(self, request, extra_context=None):
        # Staff log in through allauth (password, then their TOTP code): see staff_access.py.
        return admin_login_view(request, extra_context)

    def index(self, request, extra_context=None):
        from norec_network.dashboard import dashboard_context

        context = dashboard_context(today=timezone.localdate(), user=request.user)
        return super().index(request, {**context, **(extra_context or {})})
