from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        # Replies by e-mail: anymail's inbound signal and the refusal mail's builder.
        from community import inbound

        inbound.register()
        from community import hooks
        from community import notifications
        from community import sending

        hooks.register()
        # Notifications are checked again when the worker sends them.
        notifications.register()
        # Moderation from the member pages and branch announcements (audit kinds, the stream).
        from community import announcements
        from community import moderation

        moderation.register_audit_kinds()
        announcements.register()
        # The digest's bulk stream (its bounces and complaints reach the one tracking receiver).
        sending.register()
