from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and roster")

    def ready(self):
        from members import signals  # noqa: F401 - connects the allauth hooks
        from members.adapters import build_account_mail
        from norec_network.mail import MailBuilder
        from norec_network.mail import register_mail_builder

        # allauth's mails (ours override most of its templates) are one-off mails; their context
        # holds reset links and login codes, which are dropped once the mail is sent.
        for prefix in ("account/email/", "mfa/email/"):
            register_mail_builder(
                MailBuilder(prefix=prefix, build=build_account_mail, forget_context=True)
            )
