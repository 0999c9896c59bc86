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

        from members.extensions import register_audit_kind
        from newsletters.services import AUDIT_NEWSLETTER_SEND

        register_audit_kind(AUDIT_NEWSLETTER_SEND, _("newsletter sent"))
