from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and roster")

    def ready(self):
        from members import signals  # noqa: F401 - connects the allauth hooks
        from members.audit import register_members_audit_kinds

        register_members_audit_kinds()
