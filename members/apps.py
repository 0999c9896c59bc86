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

        from core.mail import MailBuilder
        from core.mail import register_mail_builder
        from members.adapters import build_account_mail

        # allauth's mails (ours override most of its templates) are one-off mails; their context
        # holds reset links and login codes, which are dropped once the mail is sent.
        for prefix in ("account/email/", "mfa/email/"):
            register_mail_builder(
                MailBuilder(prefix=prefix, build=build_account_mail, forget_context=True)
            )

        from members.audit import register_members_audit_kinds

        register_members_audit_kinds()
