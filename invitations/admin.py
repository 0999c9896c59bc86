"""The adviser's back office for invitation waves: preview, launch, pause, resume, cancel,
re-send, progress.

The invitations themselves and inviting one participant directly are in
`invitations.admin_invitations`, the invitation requests' admin (triage) in
`invitations.admin_requests`; both are imported at the end.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.forms import PaceField
from core.outbound import paused_by
from core.refusals import show_refusal
from invitations import pace
from invitations import selectors
from invitations import services
from invitations.models import Wave
from invitations.models import default_weekdays
from members.models import Exchange

# --- waves ------------------------------------------------------------------------------------


class WaveForm(forms.ModelForm):
    programmes = forms.MultipleChoiceField(
        label=_("programmes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only participants of these programmes. None ticked: all programmes."),
    )
    window_weekdays = forms.TypedMultipleChoiceField(
        label=_("send on these days (recipient's local time)"),
        choices=Wave.Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        # A declared form field does not inherit the model field's default: without this the
        # add form comes up with no day ticked and saving it as it stands fails.
        initial=default_weekdays,
    )

    class Meta:
        model = Wave
        fields = [
            "name",
            "home_countries",
            "programmes",
            "exchange_year_from",
            "exchange_year_to",
            "starts_at",
            "rate_per_hour",
            "batch_size",
            "window_start",
            "window_end",
            "window_weekdays",
            "expiry_days",
            "reminder_days",
            "reply_to",
        ]
        field_classes = {"rate_per_hour": PaceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "programmes" not in self.fields:  # a launched wave's form is read-only
            return
        programmes = (
            Exchange.objects.exclude(programme="")
            .order_by("programme")
            .values_list("programme", flat=True)
            .distinct()
        )
        self.fields["programmes"].choices = [(name, name) for name in programmes]

    def clean(self):
        cleaned = super().clean()
        year_from, year_to = cleaned.get("exchange_year_from"), cleaned.get("exchange_year_to")
        if year_from and year_to and year_from > year_to:
            self.add_error(
                "exchange_year_to", _("The last year must not be before the first year.")
            )
        if cleaned.get("batch_size") == 0:
            self.add_error("batch_size", _("A batch needs at least one message."))
        days = cleaned.get("reminder_days")
        expiry = cleaned.get("expiry_days")
        if days and expiry is not None and days >= expiry:
            self.add_error(
                "reminder_days",
                _("The reminder must come before the invitation expires (%(days)s days).")
                % {"days": expiry},
            )
        if expiry == 0:
            self.add_error("expiry_days", _("An invitation must be valid for at least one day."))
        return cleaned


# A wave's page reloads itself while its counts move (no JavaScript needed).
MOVING = (Wave.Status.PREPARING, Wave.Status.SENDING, Wave.Status.SCHEDULED)


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    form = WaveForm
    change_form_template = "admin/invitations/wave/change_form.html"
    change_list_template = "admin/invitations/wave/change_list.html"
    list_display = [
        "name",
        "countries_column",
        "status",
        "starts_at",
        "invitation_count",
        "sent_count",
        "accepted_count",
        "bounced_count",
    ]
    list_filter = ["status"]
    search_fields = ["name"]
    date_hierarchy = "starts_at"
    fieldsets = (
        (
            _("Who is invited"),
            {
                "fields": (
                    "name",
                    "home_countries",
                    "programmes",
                    ("exchange_year_from", "exchange_year_to"),
                )
            },
        ),
        (
            _("Pace and timing"),
            {
                "fields": (
                    "starts_at",
                    ("rate_per_hour", "batch_size"),
                    ("window_start", "window_end"),
                    "window_weekdays",
                    ("expiry_days", "reminder_days"),
                    "reply_to",
                ),
                "description": _(
                    "Messages go out only inside the window, in each recipient's own time zone "
                    "(their profile's, else their home country's)."
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return selectors.waves_with_progress(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.is_editable:
            return self.fieldsets
        # Read-only, the weekdays read as names rather than the stored numbers.
        return [
            (
                title,
                {
                    **options,
                    "fields": [
                        _replace(item, "window_weekdays", "weekdays_column")
                        for item in options["fields"]
                    ],
                },
            )
            for title, options in self.fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        # Once launched, the selection and pace are history: what was sent was sent with them.
        if obj is not None and not obj.is_editable:
            fieldsets = self.get_fieldsets(request, obj)
            return [field for fieldset in fieldsets for field in _flat(fieldset[1]["fields"])]
        return []

    @admin.display(description=_("send on these days (recipient's local time)"))
    def weekdays_column(self, wave: Wave) -> str:
        return ", ".join(str(Wave.Weekday(day).label) for day in sorted(wave.window_weekdays))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A launched wave keeps its invitations (and their links); only drafts can go.
        if obj is not None and not obj.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("home countries"))
    def countries_column(self, wave: Wave) -> str:
        return ", ".join(country.code for country in wave.home_countries)

    @admin.display(description=_("invitations"), ordering="progress_total")
    def invitation_count(self, wave: Wave) -> int:
        return wave.progress_total

    @admin.display(description=_("sent"), ordering="progress_sent")
    def sent_count(self, wave: Wave) -> int:
        return wave.progress_sent

    @admin.display(description=_("accepted"), ordering="progress_accepted")
    def accepted_count(self, wave: Wave) -> int:
        return wave.progress_accepted

    @admin.display(description=_("bounced"), ordering="progress_bounced")
    def bounced_count(self, wave: Wave) -> int:
        return wave.progress_bounced

    # --- the wave page: preview before launch, progress after

    def change_view(self, request, object_id, form_url="", extra_context=None):
        wave = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if wave is not None:
            extra.update(self._wave_context(request, wave))
            if not wave.is_editable:
                # Nothing on a launched wave can be saved: its actions are the buttons above.
                extra.update(
                    show_save=False, show_save_and_continue=False, show_save_and_add_another=False
                )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _wave_context(self, request, wave: Wave) -> dict:
        context = {
            "wave": wave,
            "can_act": self.has_change_permission(request, wave),
            "action_urls": {
                name: reverse(f"admin:invitations_wave_{name}", args=[wave.pk])
                for name in ("launch", "pause", "resume", "cancel", "resend")
            },
        }
        if wave.is_editable:
            preview = selectors.wave_preview(wave=wave)
            for row in preview:
                row["url"] = reverse(
                    "admin:invitations_wave_participants", args=[wave.pk, row["reason"]]
                )
            context["preview"] = preview
            context["preview_languages"] = selectors.wave_preview_languages(wave=wave)
            context["estimate"] = pace.wave_estimate(wave=wave)
        else:
            context["progress"] = selectors.wave_progress(wave=wave)
            context["pace"] = pace.wave_page_pace(wave=wave, progress=context["progress"])
            context["resend"] = selectors.wave_resend_counts(wave=wave)
            context["invitations_url"] = (
                reverse("admin:invitations_invitation_changelist") + f"?wave__id__exact={wave.pk}"
            )
            context["refresh_seconds"] = 10 if wave.status in MOVING else None
        return context

    def get_urls(self):
        def wrap(view, post_only=True):
            view = require_POST(view) if post_only else view
            return self.admin_site.admin_view(view)

        return [
            path("<int:object_id>/launch/", wrap(self.launch_view), name="invitations_wave_launch"),
            path("<int:object_id>/pause/", wrap(self.pause_view), name="invitations_wave_pause"),
            path("<int:object_id>/resume/", wrap(self.resume_view), name="invitations_wave_resume"),
            path("<int:object_id>/cancel/", wrap(self.cancel_view), name="invitations_wave_cancel"),
            path(
                "<int:object_id>/resend/",
                wrap(self.resend_view, post_only=False),
                name="invitations_wave_resend",
            ),
            path(
                "<int:object_id>/participants/<slug:reason>/",
                wrap(self.participants_view, post_only=False),
                name="invitations_wave_participants",
            ),
            *super().get_urls(),
        ]

    def _wave_for_action(self, request, object_id) -> Wave:
        wave = get_object_or_404(Wave, pk=object_id)
        if not self.has_change_permission(request, wave):
            raise PermissionDenied
        return wave

    def _back(self, wave: Wave):
        return HttpResponseRedirect(reverse("admin:invitations_wave_change", args=[wave.pk]))

    def _run(self, request, wave: Wave, action, success: str):
        try:
            result = action()
        except services.InvitationRefused as error:
            show_refusal(request, error)
        else:
            self.message_user(request, success % {"count": result}, messages.SUCCESS)
        return self._back(wave)

    def launch_view(self, request, object_id):
        wave = self._wave_for_action(request, object_id)
        url = reverse("admin:invitations_wave_change", args=[wave.pk])
        return self._run(
            request,
            wave,
            lambda: services.wave_launch(wave=wave, actor=request.user, target_url=url),
            gettext("The wave is launched: %(count)s invitations are being prepared, then sent."),
        )

    def pause_view(self, request, object_id):
        wave = self._wave_for_action(request, object_id)
        return self._run(
            request,
            wave,
            lambda: services.wave_pause(wave=wave, reason=paused_by(request.user.email)) and 0,
            gettext("The wave is paused. Nothing more is sent until you resume it."),
        )

    def resume_view(self, request, object_id):
        wave = self._wave_for_action(request, object_id)
        return self._run(
            request,
            wave,
            lambda: services.wave_resume(wave=wave) and 0,
            gettext("The wave is sending again."),
        )

    def cancel_view(self, request, object_id):
        wave = self._wave_for_action(request, object_id)
        return self._run(
            request,
            wave,
            lambda: services.wave_cancel(wave=wave),
            gettext(
                "The wave is cancelled: %(count)s invitations not yet sent will not be sent. "
                "Links already sent keep working until they expire."
            ),
        )

    def resend_view(self, request, object_id):
        """Send a wave's invitation again to those who have not accepted: a confirmation page
        with the count (GET), then the re-send (POST of that page, carrying the count seen)."""
        wave = self._wave_for_action(request, object_id)
        counts = selectors.wave_resend_counts(wave=wave)
        confirmed = request.POST.get("count", "") if request.method == "POST" else ""
        if confirmed.isdigit():
            url = reverse("admin:invitations_wave_change", args=[wave.pk])
            try:
                count = services.wave_resend(
                    wave=wave, actor=request.user, target_url=url, confirmed_count=int(confirmed)
                )
            except services.InvitationRefused as error:
                if error.code != services.RESEND_COUNT_CHANGED:
                    show_refusal(request, error)
                    return self._back(wave)
                # The confirmation again, with the count as it is now.
                show_refusal(request, error, level=messages.WARNING)
                counts = selectors.wave_resend_counts(wave=wave)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)s invitation will be sent again to someone who has not accepted.",
                        "%(count)s invitations will be sent again to people who have not accepted.",
                        count,
                    )
                    % {"count": count},
                    messages.SUCCESS,
                )
                return self._back(wave)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Send “%(wave)s” again?") % {"wave": wave.name},
            "opts": self.model._meta,
            "wave": wave,
            "counts": counts,
            "wave_url": reverse("admin:invitations_wave_change", args=[wave.pk]),
            "can_resend": wave.status not in (Wave.Status.DRAFT, Wave.Status.CANCELLED),
        }
        return TemplateResponse(request, "admin/invitations/wave/resend_confirm.html", context)

    def participants_view(self, request, object_id, reason):
        """The people behind one line of the preview (eligible, or left out for a reason)."""
        wave = get_object_or_404(Wave, pk=object_id)
        if not self.has_view_permission(request, wave):
            raise PermissionDenied
        if reason not in selectors.EXCLUSION_LABELS:
            raise Http404("No such reason")
        people = selectors.wave_participants_for_reason(wave=wave, reason=reason).select_related(
            "user"
        )
        page = Paginator(
            people.only(
                "pk",
                "first_name",
                "last_name",
                "email",
                "email_status",
                "home_country",
                "user__id",
                "participant_id",
            ),
            100,
        ).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("%(wave)s: %(reason)s")
            % {
                "wave": wave.name,
                "reason": selectors.EXCLUSION_LABELS[reason],
            },
            "opts": self.model._meta,
            "wave": wave,
            "reason_label": selectors.EXCLUSION_LABELS[reason],
            "page": page,
            "wave_url": reverse("admin:invitations_wave_change", args=[wave.pk]),
        }
        return TemplateResponse(request, "admin/invitations/wave/participants.html", context)


def _replace(item, old: str, new: str):
    """A fieldset entry (a name or a tuple of names) with `old` renamed to `new`."""
    if isinstance(item, tuple | list):
        return type(item)(new if name == old else name for name in item)
    return new if item == old else item


def _flat(fields) -> list[str]:
    flat: list[str] = []
    for item in fields:
        flat.extend(item if isinstance(item, tuple | list) else [item])
    return flat


# --- invitations: registered in invitations/admin_invitations.py, and the requests' admin
# (triage) in invitations/admin_requests.py, imported here so that the admin autodiscovery
# finds them.
from invitations import admin_invitations  # noqa: E402, F401
from invitations import admin_requests  # noqa: E402, F401
