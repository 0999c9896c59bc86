from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from anymail.signals import tracking

        from core import mail  # noqa: F401 - registers the one-off mail's stream
        from core import outbound

        # Every ESP's tracking webhooks, normalised by anymail, go to the one receiver.
        tracking.connect(outbound.tracking_receiver, dispatch_uid="core.outbound.tracking_receiver")
