"""The newsletter back office: compose, preview, test, schedule, follow the sending."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils import formats
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from core.csp import EMAIL_PREVIEW_POLICY
from core.outbound import paused_by
from core.refusals import show_refusal
from members.models import Participant
from newsletters import selectors
from newsletters import services
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.rendering import IssueRenderer
from newsletters.rendering import message_html

Status = Newsletter.Status


class NewsletterForm(forms.ModelForm):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-12"}, format="%Y-%m"),
        help_text=_("The month this issue is for."),
    )

    class Meta:
        model = Newsletter
        fields = ["subject", "month", "body", "include_activities", "audience", "countries"]
        widgets = {"body": forms.Textarea(attrs={"rows": 20, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = self.fields.get("countries")
        if countries is not None:
            # Only the home countries on the roster (some 25), not all 250 of the world; a country
            # already chosen stays listed.
            codes = set(
                Participant.objects.exclude(home_country="")
                .order_by()
                .values_list("home_country", flat=True)
                .distinct()
            )
            codes |= {country.code for country in (self.instance.countries or [])}
            countries.choices = [(code, name) for code, name in countries.choices if code in codes]
            countries.widget.attrs["size"] = min(max(len(codes), 4), 12)

    def clean_month(self):
        # An issue is for a month: keep the first day, whatever day was picked.
        return self.cleaned_data["month"].replace(day=1)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("audience") == Newsletter.Audience.COUNTRIES and not cleaned.get(
            "countries"
        ):
            self.add_error("countries", _("Choose at least one country, or send to everybody."))
        return cleaned


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at (Oslo time)"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    form = NewsletterForm
    list_display = [
        "subject",
        "month_display",
        "status",
        "audience",
        "scheduled_for",
        "recipient_count",
        "send_link",
    ]
    list_filter = ["status", "audience"]
    search_fields = ["subject"]
    date_hierarchy = "month"
    readonly_fields = ["send_page_link", "status", "scheduled_for", "created_by"]
    autocomplete_fields: list[str] = []
    fieldsets = [
        (None, {"fields": ["send_page_link", "subject", "month", "body", "include_activities"]}),
        (_("Audience"), {"fields": ["audience", "countries"]}),
        (_("Sending"), {"fields": ["status", "scheduled_for", "created_by"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body", "activities_snapshot")

    @admin.display(description=_("month"), ordering="month")
    def month_display(self, obj):
        return formats.date_format(obj.month, "YEAR_MONTH_FORMAT")

    @admin.display(description=_("preview and send"))
    def send_link(self, obj):
        label = _("Preview and send") if obj.status == Status.DRAFT else _("Progress")
        url = reverse("admin:newsletters_newsletter_send", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("preview and send"))
    def send_page_link(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the draft first; then preview, test and schedule it here.")
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:newsletters_newsletter_send", args=[obj.pk]),
            _("Preview, test and send"),
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            # Once scheduled, what is sent is fixed (put it back to draft to change it).
            fields += ["subject", "month", "body", "include_activities", "audience", "countries"]
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        if "_save" in request.POST:
            return HttpResponseRedirect(reverse("admin:newsletters_newsletter_send", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    # --- custom pages ----------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path("<int:pk>/send/", view(self.send_view), name="newsletters_newsletter_send"),
            path(
                "<int:pk>/preview.html",
                view(xframe_options_sameorigin(self.preview_html_view)),
                name="newsletters_newsletter_preview_html",
            ),
            path(
                "<int:pk>/send-now/",
                view(self.send_now_view),
                name="newsletters_newsletter_send_now",
            ),
            path(
                "<int:pk>/action/<str:action>/",
                view(require_POST(self.action_view)),
                name="newsletters_newsletter_action",
            ),
        ]
        return custom + super().get_urls()

    def _get(self, request, pk: int, *, change: bool) -> Newsletter:
        allowed = (
            self.has_change_permission(request) if change else self.has_view_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        return get_object_or_404(Newsletter, pk=pk)

    def send_view(self, request, pk: int, schedule_form: ScheduleForm | None = None):
        newsletter = self._get(request, pk, change=False)
        message = IssueRenderer(newsletter).message(services.staff_recipient(request.user))
        progress = selectors.newsletter_progress(newsletter=newsletter)
        refresh = newsletter.status in (Status.SENDING, Status.SCHEDULED)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview, test and send: %(subject)s") % {"subject": newsletter.subject},
            "opts": self.model._meta,
            "newsletter": newsletter,
            "counts": (
                selectors.newsletter_audience_counts(newsletter=newsletter)
                if newsletter.status in (Status.DRAFT, Status.SCHEDULED)
                else None
            ),
            "progress": progress,
            "message": message,
            # A refused time comes back with its error and what staff typed.
            "schedule_form": schedule_form
            or ScheduleForm(
                initial={"send_at": timezone.localtime().replace(second=0, microsecond=0)}
            ),
            "can_change": self.has_change_permission(request, newsletter),
            "refresh_seconds": 5 if refresh else None,
            "changelist_url": reverse("admin:newsletters_newsletter_changelist"),
        }
        return TemplateResponse(request, "admin/newsletters/newsletter/send.html", context)

    def send_now_view(self, request, pk: int):
        """ "Send now": a confirmation page with the audience counts (GET), then the send (POST
        of that page, carrying the number of recipients it showed)."""
        newsletter = self._get(request, pk, change=True)
        send_url = reverse("admin:newsletters_newsletter_send", args=[pk])
        confirmed = request.POST.get("count", "") if request.method == "POST" else ""
        if confirmed.isdigit():
            try:
                services.newsletter_schedule(
                    newsletter=newsletter, actor=request.user, confirmed_count=int(confirmed)
                )
            except services.NewsletterRefused as error:
                if error.code != services.AUDIENCE_CHANGED:
                    show_refusal(request, error)
                    return HttpResponseRedirect(send_url)
                # The confirmation again, with the audience as it is now.
                show_refusal(request, error, level=messages.WARNING)
            else:
                self.message_user(request, _("Sending has started."), messages.SUCCESS)
                return HttpResponseRedirect(send_url)
        newsletter.refresh_from_db()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send “%(subject)s” now?") % {"subject": newsletter.subject},
            "opts": self.model._meta,
            "newsletter": newsletter,
            "counts": selectors.newsletter_audience_counts(newsletter=newsletter),
            "can_send": newsletter.status == Status.DRAFT,
            "send_url": send_url,
            "changelist_url": reverse("admin:newsletters_newsletter_changelist"),
        }
        return TemplateResponse(request, "admin/newsletters/newsletter/send_now.html", context)

    def preview_html_view(self, request, pk: int):
        newsletter = self._get(request, pk, change=False)
        message = IssueRenderer(newsletter).message(services.staff_recipient(request.user))
        response = HttpResponse(message_html(message))
        # The mail's own inline styles must apply here, as in a mail app; no script may run.
        response["Content-Security-Policy"] = EMAIL_PREVIEW_POLICY
        return response

    def action_view(self, request, pk: int, action: str):
        newsletter = self._get(request, pk, change=True)
        send_url = reverse("admin:newsletters_newsletter_send", args=[pk])
        try:
            if action == "test":
                address = services.newsletter_send_test(newsletter=newsletter, user=request.user)
                self.message_user(
                    request,
                    _("A test was sent to %(address)s.") % {"address": address},
                    messages.SUCCESS,
                )
            elif action == "schedule":
                form = ScheduleForm(request.POST)
                if form.is_valid():
                    try:
                        newsletter = services.newsletter_schedule(
                            newsletter=newsletter,
                            actor=request.user,
                            send_at=form.cleaned_data["send_at"],
                        )
                    except services.NewsletterRefused as error:
                        form.add_error("send_at", error.message)
                if form.errors:
                    return self.send_view(request, pk, schedule_form=form)
                self.message_user(
                    request,
                    _("Scheduled for %(when)s.")
                    % {
                        "when": formats.date_format(
                            timezone.localtime(newsletter.scheduled_for), "DATETIME_FORMAT"
                        )
                    },
                    messages.SUCCESS,
                )
            elif action == "send-now":
                # Sending to everyone is never one click: a form from an older page lands on
                # the confirmation, which shows the audience first.
                return HttpResponseRedirect(
                    reverse("admin:newsletters_newsletter_send_now", args=[pk])
                )
            elif action == "unschedule":
                services.newsletter_unschedule(newsletter=newsletter)
                self.message_user(
                    request, _("Back to draft: it will not be sent."), messages.SUCCESS
                )
            elif action == "pause":
                services.newsletter_pause(
                    newsletter=newsletter,
                    reason=paused_by(request.user.email),
                )
                self.message_user(
                    request, _("Paused. Nothing more goes out until you resume."), messages.SUCCESS
                )
            elif action == "resume":
                services.newsletter_resume(newsletter=newsletter)
                self.message_user(request, _("Resumed."), messages.SUCCESS)
            elif action == "cancel":
                services.newsletter_cancel(newsletter=newsletter)
                self.message_user(request, _("Cancelled. Nothing more goes out."), messages.SUCCESS)
            else:
                raise PermissionDenied
        except services.NewsletterRefused as error:
            show_refusal(request, error)
        return HttpResponseRedirect(send_url)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only: deliveries are made by sending and changed by the sender and the ESP's events."""

    list_display = ["newsletter", "participant", "email", "status", "sent_at", "delivered_at"]
    list_filter = ["status", ("delivered_at", admin.EmptyFieldListFilter), "newsletter"]
    search_fields = ["email", "participant__first_name", "participant__last_name"]
    list_select_related = ["newsletter", "participant"]
    readonly_fields = [
        "newsletter",
        "participant",
        "email",
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
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
