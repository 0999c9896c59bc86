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

        from invitations.admin import participant_invite_link
        from members.extensions import ParticipantAdminLink
        from members.extensions import register_participant_admin_link

        register_participant_admin_link(
            ParticipantAdminLink(name="invitations.invite", render=participant_invite_link)
        )
