from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from community import hooks
        from community import sending

        hooks.register()
        # The digest's bulk stream (its bounces and complaints reach the one tracking receiver).
        sending.register()
