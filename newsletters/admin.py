"""The newsletter back office: the list, the compose form with its language variants, and the
deliveries. The "Preview, test and send" pages are in admin_send.py."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.admin import SENDING_FIELDS
from core.forms import PaceField
from core.outbound_model import DEFAULT_RATE_PER_HOUR
from members.models import Participant
from newsletters import selectors
from newsletters.admin_send import NewsletterSendPages
from newsletters.models import Delivery
from newsletters.models import Newsletter
from newsletters.models import NewsletterVariant
from newsletters.models import variant_language_choices
from newsletters.pace import newsletter_estimate

Status = Newsletter.Status


class NewsletterForm(forms.ModelForm):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-12"}, format="%Y-%m"),
        help_text=_("The month this issue is for."),
    )
    rate_per_hour = PaceField(
        label=capfirst(Newsletter._meta.get_field("rate_per_hour").verbose_name),
        help_text=Newsletter._meta.get_field("rate_per_hour").help_text,
        default=DEFAULT_RATE_PER_HOUR,
        initial=DEFAULT_RATE_PER_HOUR,
    )

    class Meta:
        model = Newsletter
        fields = [
            "subject",
            "month",
            "body",
            "include_activities",
            "audience",
            "countries",
            "rate_per_hour",
        ]
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


class NewsletterVariantInline(admin.StackedInline):
    """The issue in French, Spanish or Portuguese, written under the English one. A variant is
    part of its newsletter: whoever may write the newsletter may write its variants (the staff
    groups need no permission of their own), and only while it is a draft, like the newsletter."""

    model = NewsletterVariant
    fields = ["language", "subject", "body"]
    extra = 0
    max_num = len(variant_language_choices())
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 20})}}

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("newsletters.view_newsletter") or self._may_write(request, obj)

    def _may_write(self, request, obj) -> bool:
        if obj is None:  # the add page
            return request.user.has_perm("newsletters.add_newsletter")
        return obj.is_editable and request.user.has_perm("newsletters.change_newsletter")

    def has_add_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request, obj)


@admin.register(Newsletter)
class NewsletterAdmin(NewsletterSendPages, admin.ModelAdmin):
    form = NewsletterForm
    inlines = [NewsletterVariantInline]
    list_display = [
        "subject",
        "month_display",
        "status",
        "languages_display",
        "audience",
        "scheduled_for",
        "recipient_count",
        "send_link",
    ]
    list_filter = ["status", "audience"]
    search_fields = ["subject"]
    date_hierarchy = "month"
    readonly_fields = ["send_page_link", "pace_estimate", "status", "scheduled_for", "created_by"]
    autocomplete_fields: list[str] = []
    fieldsets = [
        (None, {"fields": ["send_page_link", "subject", "month", "body", "include_activities"]}),
        (_("Audience"), {"fields": ["audience", "countries"]}),
        (
            _("Sending"),
            {"fields": ["rate_per_hour", "pace_estimate", "status", "scheduled_for", "created_by"]},
        ),
    ]

    def get_queryset(self, request):
        variants = Prefetch(
            "variants", queryset=NewsletterVariant.objects.only("newsletter_id", "language")
        )
        return (
            super()
            .get_queryset(request)
            .defer("body", "activities_snapshot")
            .prefetch_related(variants)
        )

    @admin.display(description=_("month"), ordering="month")
    def month_display(self, obj):
        return date_format(obj.month, "YEAR_MONTH_FORMAT")

    @admin.display(description=_("languages"))
    def languages_display(self, obj):
        """English (the issue itself) and the language of each variant."""
        names = dict(settings.LANGUAGES)
        codes = [settings.LANGUAGE_CODE, *(variant.language for variant in obj.variants.all())]
        return ", ".join(str(names[code]) for code, _name in settings.LANGUAGES if code in codes)

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

    @admin.display(description=_("how long it takes"))
    def pace_estimate(self, obj):
        """The saved audience at the saved pace (the send page shows the same, and the progress
        once it sends)."""
        if obj is None or obj.pk is None:
            return _("Save the draft first: the estimate for its audience appears here.")
        if obj.started_at is not None:
            return _("Sending has started: the progress page shows the current rate.")
        counts = selectors.newsletter_audience_counts(newsletter=obj)
        estimate = newsletter_estimate(newsletter=obj, audience=counts.receive, now=timezone.now())
        return render_to_string("admin/outbound/_pace_estimate.html", {"estimate": estimate})

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            # Once scheduled, what is sent is fixed (put it back to draft to change it).
            fields += [
                "subject",
                "month",
                "body",
                "include_activities",
                "audience",
                "countries",
                "rate_per_hour",
            ]
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        if "_save" in request.POST:
            return HttpResponseRedirect(reverse("admin:newsletters_newsletter_send", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only: deliveries are made by sending and changed by the sender and the ESP's events."""

    list_display = ["newsletter", "participant", "email", "status", "sent_at", "delivered_at"]
    list_filter = ["status", ("delivered_at", admin.EmptyFieldListFilter), "newsletter"]
    search_fields = ["email", "participant__first_name", "participant__last_name"]
    list_select_related = ["newsletter", "participant"]
    readonly_fields = ["newsletter", "participant", "email", *SENDING_FIELDS]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
