from django.contrib.admin.apps import AdminConfig


class NorecAdminConfig(AdminConfig):
    """Django's admin, on our own site class (allauth login, the dashboard on the first page)."""

    default_site = "norec_network.admin_site.NorecAdminSite"
