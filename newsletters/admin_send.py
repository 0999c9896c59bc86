"""The newsletter's own pages in the back office, beside its change form: "Preview, test and
send" (audience and language counts, the preview of each edition, the test mail, scheduling and
the progress), the "Send now" confirmation, the preview's HTML, and the actions they post."""

from __future__ import annotations

from dataclasses import replace

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from core.csp import EMAIL_PREVIEW_POLICY
from core.outbound import paused_by
from core.refusals import show_refusal
from newsletters import selectors
from newsletters import services
from newsletters.models import Newsletter
from newsletters.pace import newsletter_estimate
from newsletters.pace import newsletter_pace
from newsletters.rendering import IssueRenderer
from newsletters.rendering import message_html

Status = Newsletter.Status


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at (Oslo time)"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class NewsletterSendPages:
    """Mixed into `NewsletterAdmin` (newsletters/admin.py): its custom URLs and views."""

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

    def _preview(self, request, newsletter: Newsletter) -> tuple[IssueRenderer, str, object]:
        """The renderer, the language previewed (`?lang=`: one of the issue's editions, else
        English) and the message as the staff member would get that edition."""
        renderer = IssueRenderer(newsletter)
        language = request.GET.get("lang", "")
        if language not in renderer.editions:
            language = settings.LANGUAGE_CODE
        recipient = replace(services.staff_recipient(request.user), language=language)
        return renderer, language, renderer.message(recipient)

    def send_view(self, request, pk: int, schedule_form: ScheduleForm | None = None):
        newsletter = self._get(request, pk, change=False)
        renderer, preview_language, message = self._preview(request, newsletter)
        now = timezone.now()
        progress = selectors.newsletter_progress(newsletter=newsletter, now=now)
        refresh = newsletter.status in (Status.PREPARING, Status.SENDING, Status.SCHEDULED)
        counts = (
            selectors.newsletter_audience_counts(newsletter=newsletter)
            if newsletter.status in (Status.DRAFT, Status.SCHEDULED)
            else None
        )
        names = dict(settings.LANGUAGES)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview, test and send: %(subject)s") % {"subject": newsletter.subject},
            "opts": self.model._meta,
            "newsletter": newsletter,
            "counts": counts,
            "language_rows": (
                selectors.newsletter_language_rows(counts=counts, languages=renderer.languages)
                if counts is not None
                else []
            ),
            "editions": [
                {"code": code, "name": names[code], "current": code == preview_language}
                for code in renderer.languages
            ],
            "preview_language": preview_language,
            "preview_language_name": names[preview_language],
            "progress": progress,
            # Before sending, how long the audience takes at its pace; then, the current rate.
            "estimate": (
                newsletter_estimate(newsletter=newsletter, audience=counts.receive, now=now)
                if counts is not None
                else None
            ),
            "pace": newsletter_pace(newsletter=newsletter, progress=progress, now=now),
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
                self.message_user(
                    request,
                    _("Sending has started: the deliveries are being prepared, then they go out."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(send_url)
        newsletter.refresh_from_db()
        counts = selectors.newsletter_audience_counts(newsletter=newsletter)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send “%(subject)s” now?") % {"subject": newsletter.subject},
            "opts": self.model._meta,
            "newsletter": newsletter,
            "counts": counts,
            "language_rows": selectors.newsletter_language_rows(
                counts=counts, languages=selectors.newsletter_languages(newsletter=newsletter)
            ),
            "can_send": newsletter.status == Status.DRAFT,
            "estimate": newsletter_estimate(
                newsletter=newsletter, audience=counts.receive, now=timezone.now()
            ),
            "send_url": send_url,
            "changelist_url": reverse("admin:newsletters_newsletter_changelist"),
        }
        return TemplateResponse(request, "admin/newsletters/newsletter/send_now.html", context)

    def preview_html_view(self, request, pk: int):
        newsletter = self._get(request, pk, change=False)
        _renderer, _language, message = self._preview(request, newsletter)
        response = HttpResponse(message_html(message))
        # The mail's own inline styles must apply here, as in a mail app; no script may run.
        response["Content-Security-Policy"] = EMAIL_PREVIEW_POLICY
        return response

    def action_view(self, request, pk: int, action: str):
        newsletter = self._get(request, pk, change=True)
        send_url = reverse("admin:newsletters_newsletter_send", args=[pk])
        try:
            if action == "test":
                names = dict(settings.LANGUAGES)
                language = request.POST.get("language", "")
                language = language if language in names else settings.LANGUAGE_CODE
                language = selectors.newsletter_edition_language(
                    newsletter=newsletter, language=language
                )
                address = services.newsletter_send_test(
                    newsletter=newsletter, user=request.user, language=language
                )
                self.message_user(
                    request,
                    _("A test was sent to %(address)s (%(language)s).")
                    % {"language": names[language], "address": address},
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
                        "when": date_format(
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
