"""The invitations themselves in the admin (read-only, revoke), and inviting one participant
directly: from their admin page ("Invite now") or where an adviser fixes a bad address (members'
page `members.admin_bad_addresses`); both are hooks registered in `InvitationsConfig.ready()`.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.refusals import show_refusal
from invitations import selectors
from invitations import services
from invitations.models import Invitation
from members.models import Participant


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "participant",
        "email",
        "wave",
        "status",
        "sent_at",
        "delivered_column",
        "expires_at",
        "accepted_at",
    ]
    list_filter = ["status", ("wave", admin.RelatedOnlyFieldListFilter), "reminded_at"]
    search_fields = [
        "email",
        "participant__first_name",
        "participant__last_name",
        "participant__participant_id",
        "esp_message_id",
    ]
    list_select_related = ["participant", "wave"]
    autocomplete_fields = ["participant", "wave"]
    date_hierarchy = "created_at"
    actions = ["revoke_action"]
    fields = [
        "participant",
        "wave",
        "email",
        "status",
        "time_zone",
        "sent_at",
        "delivered_at",
        "bounced_at",
        "complained_at",
        "expires_at",
        "reminded_at",
        "accepted_at",
        "declined_at",
        "revoked_at",
        "esp_message_id",
        "attempts",
        "last_error",
        "created_by",
        "created_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        # Invitations change only through their services (launch, send, accept, revoke).
        return self.fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("delivered"), boolean=True, ordering="delivered_at")
    def delivered_column(self, invitation: Invitation) -> bool:
        return invitation.delivered_at is not None

    @admin.action(description=_("Revoke the selected invitations (their links stop working)"))
    def revoke_action(self, request, queryset):
        done = 0
        for invitation in queryset.filter(status__in=Invitation.OPEN_STATUSES):
            try:
                services.invitation_revoke(invitation=invitation)
            except services.InvitationRefused as error:
                show_refusal(request, error, level=messages.WARNING, prefix=f"{invitation}: ")
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d invitation revoked.", "%(count)d invitations revoked.", done)
            % {"count": done},
            messages.SUCCESS if done else messages.INFO,
        )

    def has_revoke_permission(self, request):
        return self.has_change_permission(request)

    revoke_action.allowed_permissions = ("revoke",)

    def get_urls(self):
        return [
            path(
                "invite/<int:participant_id>/",
                self.admin_site.admin_view(self.invite_view),
                name="invitations_invite_participant",
            ),
            *super().get_urls(),
        ]

    def invite_view(self, request, participant_id):
        """Invite one participant now, outside any wave: a confirmation page (GET) and the
        invitation (POST)."""
        if not request.user.has_perm("invitations.add_invitation"):
            raise PermissionDenied
        participant = get_object_or_404(
            Participant.objects.select_related("user"), pk=participant_id
        )
        reason = selectors.participant_exclusion(participant=participant)
        participant_url = reverse("admin:members_participant_change", args=[participant.pk])
        if request.method == "POST":
            try:
                invitation = services.invitation_send_direct(
                    participant=participant, actor=request.user
                )
            except services.InvitationRefused as error:
                show_refusal(request, error)
            else:
                self.message_user(
                    request,
                    gettext("An invitation to %(email)s is on its way.")
                    % {"email": invitation.email},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(participant_url)
        open_invitation = (
            participant.invitations.filter(status__in=Invitation.OPEN_STATUSES)
            .select_related("wave")
            .first()
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Invite %(name)s") % {"name": participant.full_name},
            "opts": self.model._meta,
            "participant": participant,
            "reason": selectors.EXCLUSION_MESSAGES.get(reason) if reason else None,
            "open_invitation": open_invitation,
            "participant_url": participant_url,
        }
        return TemplateResponse(request, "admin/invitations/invitation/invite.html", context)


def participant_invite_link(participant: Participant) -> str | None:
    """For the participant's admin page (members' hook): a link to invite them directly."""
    if participant.pk is None or participant.user_id is not None:
        return None
    url = reverse("admin:invitations_invite_participant", args=[participant.pk])
    return format_html('<a class="button" href="{}">{}</a>', url, gettext("Invite now"))


def invite_after_address_fix(*, participant: Participant, actor) -> str:
    """For members' bad-address page (its `invite_after_fix` hook): invite the person at the
    address just corrected, and say how that went."""
    try:
        services.invitation_send_direct(participant=participant, actor=actor)
    except services.InvitationRefused as error:
        return gettext("Not invited: %(reason)s") % {"reason": error}
    return gettext("An invitation is on its way.")
