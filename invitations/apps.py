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

        from invitations.admin_invitations import participant_invite_link
        from members.extensions import ParticipantAdminLink
        from members.extensions import register_participant_admin_link

        register_participant_admin_link(
            ParticipantAdminLink(name="invitations.invite", render=participant_invite_link)
        )

        from invitations.admin_invitations import invite_after_address_fix
        from members.extensions import InviteAfterFix
        from members.extensions import register_invite_after_fix

        register_invite_after_fix(
            InviteAfterFix(permission="invitations.add_invitation", invite=invite_after_address_fix)
        )

        from invitations.selectors import participant_ever_invited
        from members.extensions import register_ever_invited

        register_ever_invited(participant_ever_invited)

        from invitations import services
        from invitations.services import invitations_follow_address_change
        from members.extensions import AddressChangeReaction
        from members.extensions import register_address_change_reaction

        register_address_change_reaction(
            AddressChangeReaction(name="invitations", react=invitations_follow_address_change)
        )

        from members.extensions import register_audit_kind

        register_audit_kind(services.AUDIT_WAVE_LAUNCH, _("invitation wave launched"))
        register_audit_kind(services.AUDIT_INVITATIONS_RESENT, _("invitations re-sent"))

        from invitations import demo
        from invitations import requests
        from members.extensions import DemoSeeder
        from members.extensions import PersonalDataSource
        from members.extensions import register_demo_seeder
        from members.extensions import register_personal_data_source

        register_personal_data_source(
            PersonalDataSource(
                name="invitations",
                export=services.invitations_export,
                erase=services.invitations_erase,
            )
        )
        register_personal_data_source(
            PersonalDataSource(
                name="invitation_requests",
                export=requests.invitation_requests_export,
                erase=requests.invitation_requests_erase,
            )
        )
        register_demo_seeder(
            DemoSeeder(name="invitations", seed=demo.invitations_seed_demo, order=20)
        )
        register_demo_seeder(
            DemoSeeder(
                name="invitation_requests", seed=requests.invitation_requests_seed_demo, order=21
            )
        )
