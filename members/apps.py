from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and roster")

    def ready(self):
        from core import outbound
        from members import services
        from members import signals  # noqa: F401 - connects the allauth hooks

        # What the ESPs report about an address (bounces, complaints, unsubscribes) is applied to
        # the participant by members' own services.
        outbound.register_recipient_hooks(
            outbound.RecipientHooks(
                address_reported=services.participant_apply_address_report,
                unsubscribed=services.participant_apply_esp_unsubscribe,
            )
        )
