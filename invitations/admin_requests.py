"""The adviser's triage of "I have not received an invitation / my address changed" requests.

Each request's page lists the roster participants it may be, best first, each with the evidence
(which fields match). Inviting one whose roster address is the request's is one click; replacing
an address goes through a confirmation page showing the participant, the old and the new address
(and the change can be undone from the staff log). The page also offers to add the person to the
roster and invite them, or to dismiss the request. Only network advisers (the invitations
permissions) see or act on requests.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_countries import countries

from core.refusals import show_refusal
from invitations import selectors
from invitations import triage
from invitations.models import InvitationRequest
from invitations.services import InvitationRefused
from members.models import Participant

# What an adviser needs to act on a request: handle requests, and create invitations.
TRIAGE_PERMISSIONS = ("invitations.change_invitationrequest", "invitations.add_invitation")


class RequestStatusFilter(admin.SimpleListFilter):
    """Open requests by default: the list is a work queue."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*InvitationRequest.Status.choices, (self.ALL, _("All"))]

    def choices(self, changelist):
        value = self.value() or InvitationRequest.Status.OPEN
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value() or InvitationRequest.Status.OPEN
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)


class RequestCountryFilter(admin.SimpleListFilter):
    """Only the countries requests came from (the full list has 250)."""

    title = _("home country")
    parameter_name = "home_country"

    def lookups(self, request, model_admin):
        codes = (
            InvitationRequest.objects.order_by().values_list("home_country", flat=True).distinct()
        )
        return sorted(
            ((code, countries.name(code) or code) for code in codes if code),
            key=lambda pair: pair[1],
        )

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset if value is None else queryset.filter(home_country=value.upper())


@admin.register(InvitationRequest)
class InvitationRequestAdmin(admin.ModelAdmin):
    list_display = [
        "full_name_column",
        "email",
        "home_country",
        "exchange_year",
        "partner_organisation",
        "status",
        "created_at",
    ]
    list_display_links = ["full_name_column", "email"]
    list_filter = [
        RequestStatusFilter,
        RequestCountryFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["first_name", "last_name", "email", "partner_organisation"]
    date_hierarchy = "created_at"
    list_per_page = 50
    ordering = ["created_at", "id"]  # oldest first: a queue
    actions = ["dismiss_action"]
    fields = [
        "first_name",
        "last_name",
        "email",
        "home_country",
        "exchange_year",
        "partner_organisation",
        "message",
        "status",
        "matched_participant",
        "handled_by",
        "handled_at",
        "created_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/invitations/invitationrequest/change_form.html"

    def get_queryset(self, request):
        # The message can be long; the list does not show it.
        return super().get_queryset(request).defer("message")

    @admin.display(description=_("name"), ordering="last_name")
    def full_name_column(self, request_row: InvitationRequest) -> str:
        return f"{request_row.first_name} {request_row.last_name}"

    # --- permissions

    def has_add_permission(self, request) -> bool:
        # Requests come from the public form only.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Handled requests are the record of what was done; dismiss instead.
        return False

    def can_triage(self, request) -> bool:
        return request.user.has_perms(TRIAGE_PERMISSIONS)

    # --- the request's page

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<int:object_id>/invite/<int:participant_id>/",
                wrap(self.invite_participant_view),
                name=f"{prefix}_invite",
            ),
            path(
                "<int:object_id>/invite/<int:participant_id>/confirm/",
                self.admin_site.admin_view(self.confirm_invite_view),
                name=f"{prefix}_confirm_invite",
            ),
            path(
                "<int:object_id>/create-participant/",
                wrap(self.create_participant_view),
                name=f"{prefix}_create_participant",
            ),
            path("<int:object_id>/dismiss/", wrap(self.dismiss_view), name=f"{prefix}_dismiss"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        request_row = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if request_row is not None and self.has_view_permission(request, request_row):
            matches = list(selectors.invitation_request_matches(invitation_request=request_row))
            for participant in matches:
                participant.evidence = selectors.match_evidence(participant, request_row)
            extra.update(
                request_row=request_row,
                can_triage=self.can_triage(request)
                and request_row.status == InvitationRequest.Status.OPEN,
                matches=matches,
                create_url=reverse(
                    "admin:invitations_invitationrequest_create_participant", args=[object_id]
                ),
                dismiss_url=reverse(
                    "admin:invitations_invitationrequest_dismiss", args=[object_id]
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _request_for_action(self, request, object_id) -> InvitationRequest:
        if not self.can_triage(request):
            raise PermissionDenied
        return get_object_or_404(InvitationRequest, pk=object_id)

    def _back(self, object_id):
        return HttpResponseRedirect(
            reverse("admin:invitations_invitationrequest_change", args=[object_id])
        )

    def _participant_link(self, participant: Participant) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:members_participant_change", args=[participant.pk]),
            participant.full_name,
        )

    def confirm_invite_view(self, request, object_id, participant_id):
        """Before a participant's address is replaced by the request's: who they are, what in the
        request matches them, the old and the new address, and what will happen. Shows; changes
        nothing (the button posts to `invite_participant_view`)."""
        request_row = self._request_for_action(request, object_id)
        participant = selectors.invitation_request_match_get(
            invitation_request=request_row, participant_id=participant_id
        )
        if participant is None:
            raise Http404("No such participant")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Replace the address of %(name)s?") % {"name": participant.full_name},
            "opts": self.opts,
            "request_row": request_row,
            "participant": participant,
            "evidence": selectors.match_evidence(participant, request_row),
            "is_open": request_row.status == InvitationRequest.Status.OPEN,
            "request_url": reverse(
                "admin:invitations_invitationrequest_change", args=[request_row.pk]
            ),
            "invite_url": reverse(
                "admin:invitations_invitationrequest_invite",
                args=[request_row.pk, participant.pk],
            ),
        }
        return TemplateResponse(
            request, "admin/invitations/invitationrequest/confirm_invite.html", context
        )

    def invite_participant_view(self, request, object_id, participant_id):
        request_row = self._request_for_action(request, object_id)
        participant = get_object_or_404(Participant, pk=participant_id)
        try:
            invitation = triage.invitation_request_invite_participant(
                invitation_request=request_row,
                participant=participant,
                actor=request.user,
                # Sent only by the confirmation page: the address the adviser saw replaced.
                replaces_email=request.POST.get("replaces"),
            )
        except InvitationRefused as error:
            if error.code != triage.NEEDS_CONFIRMATION:
                show_refusal(request, error)
                return self._back(object_id)
            if str(error):
                show_refusal(request, error, level=messages.WARNING)
            return HttpResponseRedirect(
                reverse(
                    "admin:invitations_invitationrequest_confirm_invite",
                    args=[object_id, participant.pk],
                )
            )
        self.message_user(
            request,
            format_html(
                gettext("{name}'s address is now {email}, and an invitation is on its way."),
                name=self._participant_link(participant),
                email=invitation.email,
            ),
            messages.SUCCESS,
        )
        return self._back(object_id)

    def create_participant_view(self, request, object_id):
        request_row = self._request_for_action(request, object_id)
        try:
            invitation = triage.invitation_request_create_participant(
                invitation_request=request_row, actor=request.user
            )
        except InvitationRefused as error:
            show_refusal(request, error)
            return self._back(object_id)
        self.message_user(
            request,
            format_html(
                gettext("{name} is now on the roster, and an invitation to {email} is on its way."),
                name=self._participant_link(invitation.participant),
                email=invitation.email,
            ),
            messages.SUCCESS,
        )
        return self._back(object_id)

    def dismiss_view(self, request, object_id):
        request_row = self._request_for_action(request, object_id)
        try:
            triage.invitation_request_dismiss(invitation_request=request_row, actor=request.user)
        except InvitationRefused as error:
            show_refusal(request, error)
            return self._back(object_id)
        self.message_user(request, gettext("The request was dismissed."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:invitations_invitationrequest_changelist"))

    # --- list action

    @admin.action(description=_("Dismiss the selected requests"), permissions=["triage"])
    def dismiss_action(self, request, queryset):
        dismissed = 0
        for request_row in queryset:
            try:
                triage.invitation_request_dismiss(
                    invitation_request=request_row, actor=request.user
                )
            except InvitationRefused as error:
                show_refusal(request, error, level=messages.WARNING, prefix=f"{request_row}: ")
            else:
                dismissed += 1
        self.message_user(
            request,
            ngettext("%(count)d request dismissed.", "%(count)d requests dismissed.", dismissed)
            % {"count": dismissed},
            messages.SUCCESS,
        )

    def has_triage_permission(self, request) -> bool:
        return self.can_triage(request)
