from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The staff back office: the dashboard, its charts, the monthly plan and who may enter.

    The top of the project: it may import every app, and no app imports it (norec_network's
    admin site and settings wire it in)."""

    name = "backoffice"
    verbose_name = _("Back office")
