"""The back office for the people data: the roster an adviser lives in, and its vocabularies."""

from functools import lru_cache
from functools import partial

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.db.models import IntegerField
from django.db.models import OuterRef
from django.db.models import Subquery
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.utils.translation import ngettext
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_countries import countries

from core.admin import OutgoingMailInline
from core.admin import ReadOnlyModelAdmin
from core.refusals import show_refusal
from core.stored_text import Sentence
from members import audit
from members import services
from members.admin_bad_addresses import bad_addresses_view
from members.admin_bad_addresses import fix_address_view
from members.admin_filters import AccountDeletedFilter
from members.admin_filters import AuditKindFilter
from members.admin_filters import EmailStatusFilter
from members.admin_filters import ExchangeYearFilter
from members.admin_filters import HomeCountryFilter
from members.admin_filters import HostCountryFilter
from members.admin_filters import InvitedFilter
from members.admin_filters import ProgrammeFilter
from members.admin_filters import RegisteredFilter
from members.admin_filters import ResidenceCountryFilter
from members.admin_list import PagePaginator
from members.admin_list import ParticipantChangeList
from members.admin_list import participant_search
from members.admin_reports import participant_counts_by_country
from members.admin_reports import participant_export_header
from members.admin_reports import participant_export_rows
from members.admin_reports import resource_person_export_header
from members.admin_reports import resource_person_export_rows
from members.csv_export import csv_download
from members.extensions import ever_invited_condition
from members.models import ContactMessage
from members.models import Exchange
from members.models import ExpertiseField
from members.models import Language
from members.models import Participant
from members.models import ResourcePerson
from members.models import StaffAction
from members.models import User


def _export_summary(request, filtered: str, selected: str) -> Sentence:
    """The staff log's line for a CSV export: the filters of the list, or the ticked rows."""
    filters = request.GET.urlencode()
    return Sentence(filtered, {"filters": filters}) if filters else Sentence(selected)


def _stamp() -> str:
    """When an export was made, for its file name."""
    return timezone.localtime().strftime("%Y-%m-%d-%H%M")


class CorrectEmailForm(forms.Form):
    email = forms.EmailField(label=_("New address"), max_length=254)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_staff", "is_active", "last_login", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Name"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class ExchangeInline(admin.TabularInline):
    model = Exchange
    extra = 0
    fields = ["year", "host_country", "programme", "partner_organisation"]


def _exchange_count_subquery():
    """Each participant's number of exchanges, as a correlated subquery.

    A subquery rather than Count() over a join: no GROUP BY over the whole roster, and the
    exchange filters (which use `pk__in`) cannot multiply it.
    """
    counts = (
        Exchange.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


@lru_cache(maxsize=4096)
def _country_name(code: str, language: str) -> str:
    """A country's name in `language` (the active one), looked up once per code and language:
    a CountryField's column would flatten its 250 choices for every row of the list."""
    return str(countries.name(code)) if code else ""


@lru_cache(maxsize=64)
def _email_status_label(status: str, language: str) -> str:
    """The status's label in `language`, once per status and language (a model's
    get_<field>_display rebuilds the choices, translating each label, for every row)."""
    try:
        return str(Participant.EmailStatus(status).label)
    except ValueError:
        return status


@lru_cache(maxsize=3)
def _boolean_icon(value: bool | None) -> str:
    """The admin's yes/no icon (the same HTML as a `boolean` column's), its static URL looked
    up once per process rather than twice per row."""
    name = {True: "yes", False: "no", None: "unknown"}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), value)


def _refresh_search_text_of(participants) -> None:
    """After a staff edit: the directory's search text of these participants (approved field
    names become searchable for the members who suggested them)."""
    for participant in participants.distinct():
        services.participant_refresh_search_text(participant=participant)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    change_list_template = "admin/members/participant/roster_change_list.html"
    list_display = [
        "full_name_column",
        "email_column",
        "email_status_column",
        "home_country_column",
        "preferred_language",
        "registered_column",
        "deleted_column",
        "exchange_count_column",
        "declined_column",
    ]
    list_display_links = ["full_name_column"]
    list_filter = [
        HomeCountryFilter,
        ProgrammeFilter,
        ExchangeYearFilter,
        HostCountryFilter,
        RegisteredFilter,
        EmailStatusFilter,
        InvitedFilter,
        "email_source",
        "preferred_language",
        "declined_invitations",
        "resource_person",
        "directory_visibility",
        AccountDeletedFilter,
    ]
    search_fields = ["participant_id", "first_name", "last_name", "email", "user__email"]
    list_select_related = ["user"]
    list_per_page = 100
    # In the roster's order, made total by the id, so that the order's index serves every page.
    ordering = ["last_name", "first_name", "id"]
    # One count per page, not a second one of the whole roster beside every search.
    show_full_result_count = False
    # Django 6 assumes https for scheme-less URLs; say so now (and silence 5.2's warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # The person's one-off mails (what, when, status), for staff allowed to see the mail log.
    inlines = [ExchangeInline, OutgoingMailInline]
    autocomplete_fields = ["user", "expertise", "languages"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "privacy_consent_at",
        "privacy_notice_version",
        "newsletter_unsubscribed_at",
        "newsletter_unsubscribe_source",
        "visibility_chosen_at",
        "deleted_at",
    ]
    # The address belongs to a service (`participant_correct_email`): a plain form field would
    # save it with the old source and status, and the next roster import would put it back.
    address_fields = ["email", "email_status", "email_source"]
    actions = ["export_csv_action", "decline_invitations_action"]
    fieldsets = (
        (
            _("Roster"),
            {
                "fields": (
                    "participant_id",
                    ("first_name", "last_name"),
                    ("email", "email_status", "email_source"),
                    "address_actions",
                    "phone",
                    ("home_country", "preferred_language"),
                    "user",
                    "declined_invitations",
                    "deleted_at",
                )
            },
        ),
        (
            _("Profile"),
            {
                "classes": ("collapse",),
                "fields": (
                    ("residence_country", "city"),
                    ("organisation", "position"),
                    "expertise",
                    "languages",
                    "bio",
                    "linkedin_url",
                    "time_zone",
                    "directory_visibility",
                    (
                        "newsletter_subscribed",
                        "newsletter_unsubscribed_at",
                        "newsletter_unsubscribe_source",
                    ),
                    "resource_person",
                ),
            },
        ),
        (
            _("Record"),
            {
                "classes": ("collapse",),
                "fields": (
                    "privacy_consent_at",
                    "privacy_notice_version",
                    "visibility_chosen_at",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "address_actions"]
        if obj is not None:
            fields += self.address_fields
        else:
            # A participant added by hand gets their first address here (see save_model).
            fields += ["email_status", "email_source"]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        # Nothing to correct yet on the add form, and nothing to offer to those who only view.
        (title, options), *rest = fieldsets
        roster_fields = [field for field in options["fields"] if field != "address_actions"]
        return [(title, {**options, "fields": roster_fields}), *rest]

    @admin.display(description=_("change the address"))
    def address_actions(self, participant: Participant) -> str:
        if participant.pk is None:
            return ""
        if participant.user_id is not None:
            return _(
                "Registered: the address is the one they log in with; they change it on their "
                "account page."
            )
        return format_html(
            '<a class="button" href="{}">{}</a> <a href="{}">{}</a>',
            reverse("admin:members_participant_correct_email", args=[participant.pk]),
            _("Correct the address"),
            reverse("admin:members_staffaction_changelist")
            + f"?participant__id__exact={participant.pk}",
            _("Earlier corrections"),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            # Typed by staff, not read from the roster: a roster import must not replace it.
            obj.email = obj.email.strip().lower()
            obj.email_source = Participant.EmailSource.ADVISER
            obj.email_status = Participant.EmailStatus.UNKNOWN
        # The subscription has its own service, which records how and when someone left; the
        # form's tick goes through it rather than being saved as a plain field.
        newsletter_changed = change and "newsletter_subscribed" in form.changed_data
        wanted = obj.newsletter_subscribed
        if newsletter_changed:
            obj.newsletter_subscribed = form.initial["newsletter_subscribed"]
        super().save_model(request, obj, form, change)
        if newsletter_changed:
            services.participant_set_newsletter_subscription(
                participant=obj, subscribed=wanted, source=services.NEWSLETTER_SOURCE_STAFF
            )
            obj.refresh_from_db()

    def get_changelist(self, request, **kwargs):
        return ParticipantChangeList

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(exchange_count=_exchange_count_subquery())
            .defer("bio")
        )

    def get_search_results(self, request, queryset, search_term):
        return participant_search(queryset, search_term), False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if queryset.model is not Participant:  # the history page's log entries
            return super().get_paginator(
                request, queryset, per_page, orphans, allow_empty_first_page
            )
        # The columns the list shows, as the changelist selects them, but none of its filters.
        rows = self.get_queryset(request).select_related(*self.list_select_related)
        counted_page = None
        if request.GET.get(SEARCH_VAR):
            try:  # as the changelist reads it
                counted_page = int(request.GET.get(PAGE_VAR, 1))
            except ValueError:
                counted_page = 1
        return PagePaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            rows=rows,
            counted_page=counted_page,
        )

    # --- columns

    def action_checkbox(self, obj):
        """Django's checkbox, written directly: Django renders a form widget's template for each
        of the page's 100 rows, about a fifth of the list's CPU time. The same HTML."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description=_("home country"), ordering="home_country")
    def home_country_column(self, participant: Participant) -> str:
        return _country_name(participant.home_country.code, get_language())

    @admin.display(description=_("name"), ordering="last_name")
    def full_name_column(self, participant: Participant) -> str:
        return participant.full_name or participant.participant_id

    @admin.display(description=_("email address"), ordering="email")
    def email_column(self, participant: Participant) -> str:
        return participant.address_of_record

    @admin.display(description=_("email status"), ordering="email_status")
    def email_status_column(self, participant: Participant) -> str:
        label = _email_status_label(participant.email_status, get_language())
        if participant.has_bad_address:
            return format_html(
                '<strong class="email-bad" style="color:#ba2121">&#9888; {}</strong>', label
            )
        return label

    # The yes/no columns draw their icons themselves (`_boolean_icon`), hence no `boolean=True`.
    @admin.display(description=_("registered"), ordering="user")
    def registered_column(self, participant: Participant) -> str:
        return _boolean_icon(participant.is_registered)

    @admin.display(description=_("declined invitations"), ordering="declined_invitations")
    def declined_column(self, participant: Participant) -> str:
        return _boolean_icon(participant.declined_invitations)

    @admin.display(description=_("account deleted"), ordering="deleted_at")
    def deleted_column(self, participant: Participant) -> str:
        return (
            timezone.localtime(participant.deleted_at).strftime("%Y-%m-%d")
            if participant.deleted_at
            else ""
        )

    @admin.display(description=_("exchanges"), ordering="exchange_count")
    def exchange_count_column(self, participant: Participant) -> int:
        return participant.exchange_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Names, organisation, bio or expertise edited by staff must reach the directory's search.
        services.participant_refresh_search_text(participant=form.instance)

    # --- actions

    @admin.action(description=_("Export selected participants as CSV"), permissions=["view"])
    def export_csv_action(self, request, queryset):
        return self._csv_response(request, queryset)

    @admin.action(description=_("Record that they declined invitations"), permissions=["change"])
    def decline_invitations_action(self, request, queryset):
        changed = 0
        for participant in queryset.filter(declined_invitations=False):
            services.participant_decline_invitations(participant=participant)
            changed += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d participant will no longer be invited.",
                "%(count)d participants will no longer be invited.",
                changed,
            )
            % {"count": changed},
            messages.SUCCESS if changed else messages.INFO,
        )

    # --- custom pages

    def changelist_view(self, request, extra_context=None):
        from members.admin_import import can_import_roster

        extra_context = {
            **(extra_context or {}),
            "can_import_roster": can_import_roster(request.user),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def get_urls(self):
        from members.admin_import import participant_import_view

        view = self.admin_site.admin_view
        custom = [
            path(
                "import/",
                view(lambda request: participant_import_view(self, request)),
                name="members_participant_import",
            ),
            path("export/", view(self.export_view), name="members_participant_export"),
            path(
                "counts-by-country/",
                view(self.counts_by_country_view),
                name="members_participant_counts_by_country",
            ),
            path(
                "<int:object_id>/address/",
                view(self.correct_email_view),
                name="members_participant_correct_email",
            ),
            path(
                "bad-addresses/",
                view(partial(bad_addresses_view, self)),
                name="members_participant_bad_addresses",
            ),
            path(
                "bad-addresses/<int:participant_id>/fix/",
                view(require_POST(partial(fix_address_view, self))),
                name="members_participant_fix_address",
            ),
        ]
        return custom + super().get_urls()

    def correct_email_view(self, request, object_id):
        """A small form to correct one participant's address, through the same service as the
        bounced-addresses page (so the new address gets source adviser and status unknown, is
        kept by roster imports, and the change can be undone from the staff log)."""
        participant = get_object_or_404(Participant.objects.select_related("user"), pk=object_id)
        if not self.has_change_permission(request, participant):
            raise PermissionDenied
        participant_url = reverse("admin:members_participant_change", args=[participant.pk])
        form = CorrectEmailForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                participant = services.participant_correct_email(
                    participant=participant, email=form.cleaned_data["email"], actor=request.user
                )
            except services.ParticipantRefused as error:
                form.add_error("email", str(error))
            else:
                self.message_user(
                    request,
                    _(
                        "The address of %(name)s is now %(email)s. The old one is kept in the "
                        "staff log, where the change can be undone."
                    )
                    % {"name": participant.full_name, "email": participant.email},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(participant_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Correct the address of %(name)s") % {"name": participant.full_name},
            "opts": self.model._meta,
            "participant": participant,
            "participant_url": participant_url,
            "form": form,
        }
        return TemplateResponse(request, "admin/members/participant/address_correct.html", context)

    def _csv_response(self, request, queryset) -> StreamingHttpResponse:
        return csv_download(
            actor=request.user,
            filename=f"participants-{_stamp()}.csv",
            header=participant_export_header(),
            rows=participant_export_rows(queryset),
            summary=_export_summary(
                request,
                gettext_noop("Participants CSV (%(filters)s)"),
                gettext_noop("Participants CSV (selected rows)"),
            ),
            affected_count=queryset.count(),
        )

    def export_view(self, request):
        """Everything the changelist's current filters and search select, on every page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv_response(request, changelist.get_queryset(request))

    def counts_by_country_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist_url = reverse("admin:members_participant_changelist")
        rows = participant_counts_by_country()
        for row in rows:
            country = row["code"] or "none"
            base = f"{changelist_url}?home_country={country}"
            row["participants_url"] = base
            row["registered_url"] = f"{base}&registered=yes"
            row["bad_address_url"] = f"{base}&email_status={EmailStatusFilter.BAD}"
            row["never_invited_url"] = f"{base}&invited={InvitedFilter.NEVER}"
        figures = ["participants", "registered", "bad_address"]
        show_never_invited = ever_invited_condition() is not None
        if show_never_invited:
            figures.append("never_invited")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Participants by home country"),
            "opts": self.model._meta,
            "rows": rows,
            "totals": {key: sum(row[key] for row in rows) for key in figures},
            "show_never_invited": show_never_invited,
            "changelist_url": changelist_url,
        }
        return TemplateResponse(
            request, "admin/members/participant/counts_by_country.html", context
        )


@admin.register(Exchange)
class ExchangeAdmin(admin.ModelAdmin):
    list_display = ["participant", "year", "host_country", "programme", "partner_organisation"]
    list_filter = ["programme", "year", "host_country"]
    search_fields = [
        "participant__participant_id",
        "participant__first_name",
        "participant__last_name",
        "partner_organisation",
        "programme",
    ]
    list_select_related = ["participant"]
    autocomplete_fields = ["participant"]


@admin.register(ExpertiseField)
class ExpertiseFieldAdmin(admin.ModelAdmin):
    list_display = ["name", "is_approved"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Approving (the tick in the list) or renaming changes what the directory finds.
        if change and {"is_approved", "name"} & set(form.changed_data):
            _refresh_search_text_of(obj.participants.all())

    list_filter = ["is_approved"]
    search_fields = ["name"]
    # Approving a member's suggestion is a tick in the list.
    list_editable = ["is_approved"]
    actions = ["approve_action"]

    @admin.action(description=_("Approve the selected fields of expertise"), permissions=["change"])
    def approve_action(self, request, queryset):
        changed = queryset.filter(is_approved=False).update(is_approved=True)
        _refresh_search_text_of(Participant.objects.filter(expertise__in=queryset))
        self.message_user(
            request,
            ngettext(
                "%(count)d field of expertise approved.",
                "%(count)d fields of expertise approved.",
                changed,
            )
            % {"count": changed},
            messages.SUCCESS,
        )


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyModelAdmin):
    """Read-only: an audit log that staff could edit would prove nothing. An address correction
    can be undone from here (which is itself recorded)."""

    list_display = [
        "created_at",
        "actor_email",
        "kind_column",
        "summary_column",
        "affected_count",
        "address_change_column",
        "link_column",
    ]
    list_filter = [AuditKindFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_email", "summary"]
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ["undo_address_change_action"]
    # The record's page: the summary as the reader's language says it, not its stored form.
    fields = [
        "actor",
        "actor_email",
        "kind_column",
        "summary_column",
        "affected_count",
        "target_url",
        "participant",
        "details",
    ]
    readonly_fields = ["kind_column", "summary_column"]

    @admin.display(description=_("action"), ordering="kind")
    def kind_column(self, action: StaffAction) -> str:
        return action.kind_label

    @admin.display(description=_("what"), ordering="summary")
    def summary_column(self, action: StaffAction) -> str:
        return action.summary_shown

    @admin.display(description=_("link"))
    def link_column(self, action: StaffAction) -> str:
        return (
            format_html('<a href="{}">{}</a>', action.target_url, pgettext("a link", "open"))
            if action.target_url
            else ""
        )

    @admin.display(description=_("address before → after"))
    def address_change_column(self, action: StaffAction) -> str:
        old, new = action.details.get("old"), action.details.get("new")
        if action.kind != audit.ADDRESS_CHANGE or not old or not new:
            return ""
        return format_html(
            "<del>{}</del> ({}) → <ins>{}</ins> ({})",
            old["email"] or "–",
            old["status"],
            new["email"] or "–",
            new["status"],
        )

    @admin.action(
        description=_("Undo the selected address corrections (put the old address back)"),
        permissions=["undo"],
    )
    def undo_address_change_action(self, request, queryset):
        undone = 0
        for action in queryset.filter(kind=audit.ADDRESS_CHANGE).order_by("-pk"):
            try:
                participant = services.participant_revert_email_change(
                    action=action, actor=request.user
                )
            except services.ParticipantRefused as error:
                show_refusal(request, error, level=messages.WARNING)
            else:
                undone += 1
                self.message_user(
                    request,
                    _("The address of %(name)s is %(email)s again.")
                    % {"name": participant.full_name, "email": participant.email or "–"},
                    messages.SUCCESS,
                )
        if not undone:
            self.message_user(request, _("No address was put back."), messages.INFO)

    def has_undo_permission(self, request) -> bool:
        return request.user.has_perm("members.change_participant")


@admin.register(ResourcePerson)
class ResourcePersonAdmin(ReadOnlyModelAdmin):
    """Members who opted in as resource persons, for staff looking for a lecturer, interpreter,
    mentor or facilitator. Read-only here: the member keeps their profile."""

    list_display = [
        "full_name_column",
        "email_column",
        "residence_country",
        "home_country",
        "organisation",
        "expertise_column",
        "languages_column",
    ]
    list_filter = [
        ("expertise", admin.RelatedOnlyFieldListFilter),
        ("languages", admin.RelatedOnlyFieldListFilter),
        ResidenceCountryFilter,
        HomeCountryFilter,
    ]
    search_fields = ["first_name", "last_name", "organisation", "position", "expertise__name"]
    list_select_related = ["user"]
    list_per_page = 100
    actions = ["export_csv_action"]
    fields = [
        ("first_name", "last_name"),
        "organisation",
        "position",
        ("residence_country", "city"),
        "home_country",
        "expertise",
        "languages",
        "bio",
        "linkedin_url",
        "time_zone",
    ]
    readonly_fields = [
        "first_name",
        "last_name",
        "organisation",
        "position",
        "residence_country",
        "city",
        "home_country",
        "expertise",
        "languages",
        "bio",
        "linkedin_url",
        "time_zone",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(resource_person=True, user__isnull=False, deleted_at__isnull=True)
            .prefetch_related("expertise", "languages")
            .defer("bio", "search_text")
        )

    @admin.display(description=_("name"), ordering="last_name")
    def full_name_column(self, person: Participant) -> str:
        return person.full_name

    @admin.display(description=_("email address"))
    def email_column(self, person: Participant) -> str:
        return person.address_of_record

    @admin.display(description=_("fields of expertise"))
    def expertise_column(self, person: Participant) -> str:
        return ", ".join(field.name for field in person.expertise.all())

    @admin.display(description=_("languages"))
    def languages_column(self, person: Participant) -> str:
        return ", ".join(language.name for language in person.languages.all())

    @admin.action(description=_("Export selected resource persons as CSV"), permissions=["view"])
    def export_csv_action(self, request, queryset):
        return self._csv_response(request, queryset)

    def get_urls(self):
        custom = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="members_resourceperson_export",
            )
        ]
        return custom + super().get_urls()

    def export_view(self, request):
        """Everything the current filters and search select, on every page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv_response(request, changelist.get_queryset(request))

    def _csv_response(self, request, queryset) -> StreamingHttpResponse:
        return csv_download(
            actor=request.user,
            filename=f"resource-persons-{_stamp()}.csv",
            header=resource_person_export_header(),
            rows=resource_person_export_rows(queryset),
            summary=_export_summary(
                request,
                gettext_noop("Resource persons CSV (%(filters)s)"),
                gettext_noop("Resource persons CSV (selected rows)"),
            ),
            affected_count=queryset.count(),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_url": reverse("admin:members_resourceperson_export")
            + (f"?{request.GET.urlencode()}" if request.GET else ""),
        }
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    """The contact log: who wrote to whom through the directory and whether they got an answer.
    The text stays between the two members."""

    list_display = ["created_at", "sender", "recipient", "replied_at"]
    list_filter = [
        ("created_at", admin.DateFieldListFilter),
        ("replied_at", admin.EmptyFieldListFilter),
    ]
    search_fields = [
        "sender__last_name",
        "sender__first_name",
        "recipient__last_name",
        "recipient__first_name",
    ]
    list_select_related = ["sender", "recipient"]
    fields = ["sender", "recipient", "created_at", "replied_at"]
    readonly_fields = fields
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body", "reply_body")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
