from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.models import OutgoingMail

# What staff see of a bulk row's way out, in the order it happens (`OutboundMessage`'s fields):
# the read-only lists of a newsletter's deliveries and of the digests.
SENDING_FIELDS = [
    "status",
    "claimed_at",
    "sent_at",
    "esp_message_id",
    "attempts",
    "last_error",
    "delivered_at",
    "bounced_at",
    "complained_at",
    "created_at",
]


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A record staff read but never add, change or delete in the admin: a log kept by the
    services (the mail log, the staff log, the contact log) or a report."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.display(description=_("mail"), ordering="template")
def what_column(mail: OutgoingMail) -> str:
    return mail.what


# What staff see of a one-off mail: what, to whom, when, and what became of it. Never its context,
# which may refer to a contact message or hold a reset link until the mail is sent.
SHOWN_FIELDS = [
    what_column,
    "email",
    "participant",
    "language",
    "status",
    "attempts",
    "created_at",
    "sent_at",
    "delivered_at",
    "bounced_at",
    "complained_at",
    "esp_message_id",
    "last_error",
]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyModelAdmin):
    """The log of one-off mails (account mails, confirmations, reminders, the contact relay,
    receipts), read-only: the worker and the ESP's tracking write it."""

    list_display = [
        "created_at",
        what_column,
        "email",
        "participant",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "template", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["email"]
    list_select_related = ["participant"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    fields = SHOWN_FIELDS
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("context", "reply_to")


class OutgoingMailInline(admin.TabularInline):
    """A person's one-off mails on their page (members' participant admin), newest first."""

    model = OutgoingMail
    fk_name = "participant"
    fields = [what_column, "email", "status", "created_at", "sent_at"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("mail sent to this person")
    verbose_name_plural = _("mails sent to this person (one by one; not waves or newsletters)")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("context", "reply_to")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
