"""The activities back office: the activity list and form, per-activity registrations (waitlist,
attendance, CSV, message to all registered), cancelling with notice. (The monthly plan is the
back office's: backoffice/views.py.)"""

from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils import formats
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from activities import services
from activities.models import Activity
from activities.models import Material
from activities.models import Registration
from activities.models import validate_time_zone
from core.refusals import show_refusal
from members.csv_export import csv_download


class MonthFilter(admin.SimpleListFilter):
    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        first = timezone.localdate().replace(day=1)
        months = []
        for offset in range(-6, 13):
            year, month = divmod(first.month - 1 + offset, 12)
            day = datetime.date(first.year + year, month + 1, 1)
            months.append((f"{day:%Y-%m}", formats.date_format(day, "YEAR_MONTH_FORMAT")))
        return months

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            year, month = (int(part) for part in self.value().split("-"))
        except ValueError:
            return queryset
        return queryset.filter(starts_at__year=year, starts_at__month=month)


class OnlineFilter(admin.SimpleListFilter):
    title = _("online or in person")
    parameter_name = "mode"

    def lookups(self, request, model_admin):
        return [("online", _("online")), ("physical", _("in person"))]

    def queryset(self, request, queryset):
        if self.value() == "online":
            return queryset.filter(place="", city="")
        if self.value() == "physical":
            return queryset.exclude(place="", city="")
        return queryset


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["title", "url", "file", "order"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    # Status changes go through the publish and cancel services, never the form: the fieldsets
    # below leave status out.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_list_template = "admin/activities/activity/change_list.html"
    change_form_template = "admin/activities/activity/change_form.html"
    list_display = [
        "title",
        "kind",
        "starts_local",
        "where",
        "status",
        "seats",
        "waitlisted",
    ]
    list_filter = ["status", "kind", MonthFilter, OnlineFilter, "country"]
    search_fields = ["title", "city", "place", "organiser"]
    date_hierarchy = "starts_at"
    ordering = ["-starts_at"]
    inlines = [MaterialInline]
    actions = ["publish_selected", "duplicate_selected"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "description", "organiser"]}),
        (
            _("When"),
            {
                "fields": ["time_zone", "starts_at", "ends_at"],
                "description": _("Give start and end as the clock shows them in that time zone."),
            },
        ),
        (_("Where"), {"fields": ["place", "city", "country", "online_url"]}),
        (
            _("Registration"),
            {
                "fields": [
                    "capacity",
                    "registration_opens_at",
                    "registration_closes_at",
                    "is_public",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("description")
            .annotate(
                seats_taken=Count(
                    "registrations", filter=Q(registrations__status__in=Registration.SEAT_STATUSES)
                ),
                waiting=Count(
                    "registrations",
                    filter=Q(registrations__status=Registration.Status.WAITLISTED),
                ),
            )
        )

    @admin.display(description=_("starts (local time there)"), ordering="starts_at")
    def starts_local(self, obj):
        local = obj.starts_at.astimezone(obj.zone)
        return f"{local:%Y-%m-%d %H:%M} {obj.time_zone}"

    @admin.display(description=_("where"))
    def where(self, obj):
        return obj.city or obj.place or _("online")

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats(self, obj):
        if obj.capacity is None:
            return f"{obj.seats_taken}"
        return f"{obj.seats_taken} / {obj.capacity}"

    @admin.display(description=_("waitlist"), ordering="waiting")
    def waitlisted(self, obj):
        return obj.waiting

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Staff type times as they are where the activity happens ("09:00 in Nairobi"): the form
        # reads and shows them in the activity's time zone (the one posted, when it is valid).
        name = request.POST.get("time_zone") if request.method == "POST" else None
        if not name and object_id:
            name = Activity.objects.filter(pk=object_id).values_list("time_zone", flat=True).first()
        try:
            validate_time_zone(name or "")
            zone = zoneinfo.ZoneInfo(name)
        except ValidationError:
            zone = timezone.get_default_timezone()
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            # More seats: the waitlist moves up at once, in order, with an email to each.
            promoted = services.activity_fill_from_waitlist(activity=obj)
            if promoted:
                self.message_user(
                    request, _("%(n)d waitlisted members got a seat.") % {"n": len(promoted)}
                )

    # --- actions ---------------------------------------------------------------------------------

    @admin.action(description=_("Publish selected activities"), permissions=["change"])
    def publish_selected(self, request, queryset):
        for activity in queryset:
            try:
                services.activity_publish(activity=activity)
            except services.ActivityRefused as error:
                show_refusal(request, error, prefix=f"{activity.title}: ")
            else:
                self.message_user(request, _("Published: %(t)s") % {"t": activity.title})

    @admin.action(description=_("Duplicate one month later (as a draft)"), permissions=["add"])
    def duplicate_selected(self, request, queryset):
        copies = [services.activity_duplicate(activity=activity) for activity in queryset]
        for copy in copies:
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Draft copy made:"),
                    reverse("admin:activities_activity_change", args=[copy.pk]),
                    copy,
                ),
            )
        if len(copies) == 1:
            # One copy: open it for editing straight away.
            return HttpResponseRedirect(
                reverse("admin:activities_activity_change", args=[copies[0].pk])
            )
        return None

    # --- extra pages -----------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/registrations/",
                wrap(self.registrations_view),
                name="activities_activity_registrations",
            ),
            path(
                "<int:pk>/registrations.csv",
                wrap(self.export_view),
                name="activities_activity_export",
            ),
            path("<int:pk>/message/", wrap(self.message_view), name="activities_activity_message"),
            path("<int:pk>/publish/", wrap(self.publish_view), name="activities_activity_publish"),
            path("<int:pk>/cancel/", wrap(self.cancel_view), name="activities_activity_cancel"),
            path(
                "<int:pk>/duplicate/",
                wrap(self.duplicate_view),
                name="activities_activity_duplicate",
            ),
            *super().get_urls(),
        ]

    def _get(self, request, pk, *, change=True):
        activity = get_object_or_404(Activity, pk=pk)
        allowed = self.has_change_permission(request, activity) if change else True
        if not (allowed and self.has_view_permission(request, activity)):
            raise PermissionDenied
        return activity

    def _context(self, request, activity, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": activity,
            "activity": activity,
            "title": title,
        }

    def registrations_view(self, request, pk):
        activity = self._get(request, pk, change=request.method == "POST")
        registrations = list(
            activity.registrations.select_related("participant__user").order_by(
                "status", "waitlist_number", "created_at", "id"
            )
        )
        if request.method == "POST":
            attended = {int(value) for value in request.POST.getlist("attended") if value.isdigit()}
            changed = 0
            for registration in registrations:
                if not registration.holds_seat:
                    continue
                new = services.registration_set_attended(
                    registration=registration, attended=registration.pk in attended
                )
                changed += new.status != registration.status
            self.message_user(request, _("Attendance saved (%(n)d changed).") % {"n": changed})
            return HttpResponseRedirect(request.path)
        groups = {status: [] for status in Registration.Status.values}
        for registration in registrations:
            groups[registration.status].append(registration)
        context = self._context(request, activity, _("Registrations: %(t)s") % {"t": activity})
        context.update(
            {
                "seat_holders": [
                    row for status in Registration.SEAT_STATUSES for row in groups[status]
                ],
                "waitlist": sorted(groups["waitlisted"], key=lambda r: r.waitlist_number or 0),
                "cancelled": groups["cancelled"],
                "counts": {status: len(rows) for status, rows in groups.items()},
                "is_over": activity.ends_at <= timezone.now(),
            }
        )
        return TemplateResponse(request, "admin/activities/activity/registrations.html", context)

    def export_view(self, request, pk):
        activity = self._get(request, pk, change=False)
        registrations = activity.registrations.select_related("participant__user").order_by(
            "status", "waitlist_number", "id"
        )
        rows = (
            [
                registration.participant.first_name,
                registration.participant.last_name,
                registration.participant.address_of_record,
                registration.participant.home_country.code or "",
                registration.status,
                registration.waitlist_number or "",
                registration.created_at.isoformat(timespec="seconds"),
            ]
            for registration in registrations.iterator(chunk_size=2000)
        )
        return csv_download(
            actor=request.user,
            filename=f"activity-{activity.pk}-registrations.csv",
            header=[
                "first_name",
                "last_name",
                "email",
                "home_country",
                "status",
                "waitlist",
                "registered",
            ],
            rows=rows,
            summary=f"Registrations of {activity} exported as CSV",
            affected_count=registrations.count(),
            target_url=reverse("admin:activities_activity_change", args=[activity.pk]),
        )

    def message_view(self, request, pk):
        activity = self._get(request, pk)
        form = ActivityMessageForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            result = services.activity_message_registered(
                activity=activity,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                include_waitlist=form.cleaned_data["include_waitlist"],
                actor=request.user,
            )
            self.message_user(
                request,
                _("Message queued for %(sent)d members (%(skipped)d skipped: bad address).")
                % {"sent": result.sent, "skipped": result.skipped},
            )
            return HttpResponseRedirect(
                reverse("admin:activities_activity_registrations", args=[activity.pk])
            )
        context = self._context(request, activity, _("Message to everyone registered"))
        context["form"] = form
        context["recipients"] = activity.registrations.filter(
            status__in=Registration.SEAT_STATUSES
        ).count()
        return TemplateResponse(request, "admin/activities/activity/message.html", context)

    def publish_view(self, request, pk):
        activity = self._get(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:activities_activity_change", args=[pk]))
        try:
            services.activity_publish(activity=activity)
        except services.ActivityRefused as error:
            show_refusal(request, error)
        else:
            self.message_user(request, _("Published. Members can now register."))
        return HttpResponseRedirect(reverse("admin:activities_activity_change", args=[pk]))

    def cancel_view(self, request, pk):
        activity = self._get(request, pk)
        form = ActivityCancelForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            sent = services.activity_cancel(activity=activity, note=form.cleaned_data["note"])
            self.message_user(
                request, _("Cancelled; %(n)d registered members are notified.") % {"n": sent}
            )
            return HttpResponseRedirect(reverse("admin:activities_activity_change", args=[pk]))
        context = self._context(request, activity, _("Cancel this activity"))
        context["form"] = form
        context["recipients"] = activity.registrations.filter(
            status__in=Registration.ACTIVE_STATUSES
        ).count()
        return TemplateResponse(request, "admin/activities/activity/cancel.html", context)

    def duplicate_view(self, request, pk):
        activity = self._get(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:activities_activity_change", args=[pk]))
        months = 0 if request.POST.get("months") == "0" else 1
        copy = services.activity_duplicate(activity=activity, months=months)
        self.message_user(request, _("Draft copy made. Check the date and publish it."))
        return HttpResponseRedirect(reverse("admin:activities_activity_change", args=[copy.pk]))


class ActivityMessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}), max_length=5000
    )
    include_waitlist = forms.BooleanField(label=_("Also send to the waitlist"), required=False)


class ActivityCancelForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is cancelled (sent to everyone registered)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["participant", "activity", "status", "waitlist_number", "created_at"]
    list_filter = ["status", "activity__kind"]
    search_fields = [
        "participant__first_name",
        "participant__last_name",
        "participant__email",
        "activity__title",
    ]
    list_select_related = ["participant", "activity"]
    readonly_fields = [
        "activity",
        "participant",
        "status",
        "waitlist_number",
        "confirmed_at",
        "cancelled_at",
        "reminded_at",
    ]
    actions = ["mark_attended", "mark_not_attended"]

    def has_add_permission(self, request):
        # Seats are given by the registration service only (it holds the lock).
        return False

    @admin.action(description=_("Mark as attended"), permissions=["change"])
    def mark_attended(self, request, queryset):
        for registration in queryset:
            services.registration_set_attended(registration=registration, attended=True)
        self.message_user(request, _("Attendance saved."))

    @admin.action(description=_("Mark as not attended"), permissions=["change"])
    def mark_not_attended(self, request, queryset):
        for registration in queryset:
            services.registration_set_attended(registration=registration, attended=False)
        self.message_user(request, _("Attendance saved."))
