from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from community import hooks

        hooks.register()
        # Moderation from the member pages and branch announcements (audit kinds, the stream).
        from community import announcements
        from community import moderation

        moderation.register_audit_kinds()
        announcements.register()
