from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewslettersConfig(AppConfig):
    name = "newsletters"
    verbose_name = _("Newsletters")

    def ready(self) -> None:
        from newsletters import hooks
        from newsletters import sending

        hooks.register()
        sending.register()

        from core.mail import MailBuilder
        from core.mail import register_mail_builder
        from newsletters.rendering import TEMPLATE_PREFIX
        from newsletters.services import build_test_mail

        # The test mail to staff is a one-off mail; the issue itself goes out on the bulk stream.
        register_mail_builder(MailBuilder(prefix=TEMPLATE_PREFIX, build=build_test_mail))
        from members.extensions import register_audit_kind
        from newsletters.services import AUDIT_NEWSLETTER_SEND

        register_audit_kind(AUDIT_NEWSLETTER_SEND, _("newsletter sent"))
