from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "invitations"
    verbose_name = _("Invitations")

    def ready(self) -> None:
        # Plugs the invitation and reminder streams into the shared sender, whose tasks and
        # tracking receiver are registered when it is imported.
        from invitations import sending

        sending.register()
