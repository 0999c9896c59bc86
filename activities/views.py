"""Member-facing activity pages. Views parse, check ownership and call a service or selector."""

from __future__ import annotations

import datetime
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.http import Http404
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_POST
from django.views.decorators.http import require_safe
from django_countries import countries

from activities import selectors
from activities import services
from activities.calendar import activity_ics
from activities.calendar import calendar_bytes
from activities.calendar import feed_token
from activities.calendar import feed_token_matches
from activities.languages import language_choices
from activities.models import Activity
from activities.models import CalendarFeed
from activities.models import Registration
from activities.timefmt import when
from activities.timefmt import zone_for
from core.countries import name_sort_key
from core.refusals import show_refusal
from members.extensions import activity_discussion

PAGE_SIZE = 20


def _participant(request):
    if not request.user.is_authenticated:
        return None
    return getattr(request.user, "participant", None)


class ActivityFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All kinds")), *Activity.Kind.choices],
    )
    month = forms.ChoiceField(label=gettext_lazy("Month"), required=False)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    mode = forms.ChoiceField(
        label=gettext_lazy("Online or in person"),
        required=False,
        choices=[
            ("", gettext_lazy("Both")),
            ("online", gettext_lazy("Online")),
            ("physical", gettext_lazy("In person")),
        ],
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)

    def __init__(self, *args, country_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        first = timezone.localdate().replace(day=1)
        months = [first + relativedelta(months=n) for n in range(12)]
        self.fields["month"].choices = [("", _("Any month"))] + [
            (f"{m:%Y-%m}", formats.date_format(m, "YEAR_MONTH_FORMAT")) for m in months
        ]
        self.fields["country"].choices = [("", _("All countries"))] + sorted(
            ((code, countries.name(code)) for code in country_codes if code),
            key=lambda pair: name_sort_key(pair[1]),  # "Égypte" among the E's
        )
        self.fields["language"].choices = [("", _("Any language")), *language_choices()]

    def filters(self) -> selectors.ActivityFilters:
        # A bad value (an old bookmarked month, a country with nothing upcoming) drops only that
        # filter, which the form marks; the member's other choices still apply.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})  # an unbound form (no filters) has none
        month = None
        if data.get("month"):
            year, number = data["month"].split("-")
            month = datetime.date(int(year), int(number), 1)
        return selectors.ActivityFilters(
            kind=data.get("kind") or "",
            month=month,
            country=data.get("country") or "",
            mode=data.get("mode") or "",
            language=data.get("language") or "",
        )


def _day_and_time(moment: datetime.datetime) -> str:
    """ "Mon 2 Mar 2026, 14:00" in the active language's own formats (core/formats/)."""
    return f"{formats.date_format(moment, 'WEEKDAY_DATE_FORMAT')}, {formats.time_format(moment)}"


def _seats_left(activity: Activity) -> int | None:
    if activity.capacity is None:
        return None
    return max(activity.capacity - getattr(activity, "seats_taken", 0), 0)


@require_safe
def activity_list_view(request):
    participant = _participant(request)
    country_codes = selectors.activity_countries_upcoming(participant=participant)
    form = ActivityFilterForm(request.GET or None, country_codes=country_codes)
    qs = selectors.activity_list_upcoming(participant=participant, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    registrations = selectors.registrations_by_activity(
        participant=participant, activity_ids=[a.pk for a in page.object_list]
    )
    rows = [
        {
            "activity": activity,
            "when": when(activity, zone_for(participant, activity)),
            "seats_left": _seats_left(activity),
            "registration": registrations.get(activity.pk),
            "closed_because": services.registration_window_problem(activity),
        }
        for activity in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "activities/activity_list.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "participant": participant,
        },
    )


@require_safe
def activity_past_view(request):
    participant = _participant(request)
    page = Paginator(selectors.activity_list_past(participant=participant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {"activity": activity, "when": when(activity, zone_for(participant, activity))}
        for activity in page.object_list
    ]
    return render(request, "activities/activity_past.html", {"rows": rows, "page": page})


@require_safe
def activity_detail_view(request, pk: int):
    participant = _participant(request)
    activity = selectors.activity_get_visible(pk=pk, participant=participant)
    if activity is None:
        raise Http404(_("No such activity."))
    registration = selectors.registration_for(activity=activity, participant=participant)
    active = registration is not None and registration.status != Registration.Status.CANCELLED
    context = {
        "activity": activity,
        "when": when(activity, zone_for(participant, activity)),
        "seats_left": _seats_left(activity),
        "registration": registration if active else None,
        "position": services.waitlist_position(registration=registration) if active else None,
        "closed_because": services.registration_window_problem(activity),
        "participant": participant,
        # The online link is for members with a seat only (not the waitlist, not visitors).
        "show_online_link": active and registration.holds_seat and bool(activity.online_url),
        "is_past": activity.ends_at <= timezone.now(),
        "discussion_url": _discussion_url(request, activity),
        "registration_closes": (
            _day_and_time(
                activity.registration_closes_at.astimezone(zone_for(participant, activity))
            )
            if activity.registration_closes_at
            else ""
        ),
    }
    return render(request, "activities/activity_detail.html", context)


def _discussion_url(request, activity: Activity) -> str | None:
    """The activity's discussion among members (community's topic, through the hook), for
    logged-in readers only: nothing of the community is public."""
    hook = activity_discussion()
    if hook is None or not request.user.is_authenticated:
        return None
    return hook.url(activity.pk)


@login_required
@require_POST
def activity_register_view(request, pk: int):
    participant = _participant(request)
    activity = selectors.activity_get_visible(pk=pk, participant=participant)
    if activity is None:
        raise Http404(_("No such activity."))
    if participant is None:
        messages.error(request, _("Only members can register. Staff accounts cannot."))
        return redirect(activity)
    try:
        registration = services.activity_register(activity=activity, participant=participant)
    except services.ActivityRefused as error:
        show_refusal(request, error)
        return redirect(activity)
    if registration.status == Registration.Status.WAITLISTED:
        messages.warning(
            request,
            _(
                "The activity is full. You are number %(n)s on the waitlist; "
                "we email you if a seat opens."
            )
            % {"n": services.waitlist_position(registration=registration)},
        )
    else:
        messages.success(
            request, _("You are registered. We sent you a confirmation with a calendar file.")
        )
    return redirect(activity)


@login_required
@require_http_methods(["GET", "POST"])
def registration_cancel_view(request, pk: int):
    """GET asks "are you sure?" (a seat given up may go to the waitlist at once, so one stray tap
    on a phone must not do it); the POST from that page cancels."""
    participant = _participant(request)
    # Ownership: only the member's own registration; anyone else's is "not found".
    registration = get_object_or_404(
        Registration.objects.select_related("activity"), pk=pk, participant=participant
    )
    # Where the member came from: their activities, or the activity's page (never a free URL).
    from_mine = (request.POST.get("next") or request.GET.get("next")) == "mine"
    back_url = reverse("activities:mine") if from_mine else registration.activity.get_absolute_url()
    if request.method == "GET":
        if registration.status == Registration.Status.CANCELLED:
            messages.info(request, _("This registration is already cancelled."))
            return redirect(back_url)
        return render(
            request,
            "activities/registration_cancel.html",
            {
                "registration": registration,
                "activity": registration.activity,
                "when": when(registration.activity, zone_for(participant, registration.activity)),
                "from_mine": from_mine,
                "back_url": back_url,
            },
        )
    try:
        services.registration_cancel(registration=registration)
    except services.ActivityRefused as error:
        show_refusal(request, error)
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect(back_url)


@require_safe
def activity_ics_view(request, pk: int):
    participant = _participant(request)
    activity = selectors.activity_get_visible(pk=pk, participant=participant)
    if activity is None:
        raise Http404(_("No such activity."))
    registration = selectors.registration_for(activity=activity, participant=participant)
    registered = registration is not None and registration.holds_seat
    response = HttpResponse(
        activity_ics(activity, with_online_link=registered), content_type="text/calendar"
    )
    response["Content-Disposition"] = f'attachment; filename="norec-activity-{activity.pk}.ics"'
    return response


@login_required
@require_safe
def my_activities_view(request):
    participant = _participant(request)
    if participant is None:
        messages.info(request, _("Your account is not a member account."))
        return redirect("activities:list")
    feed = CalendarFeed.objects.filter(participant=participant).first()
    feed_url = ""
    if feed:
        feed_url = request.build_absolute_uri(
            reverse("activities:feed", args=[feed.key, feed_token(feed)])
        )

    def rows(upcoming):
        return [
            (
                registration,
                when(registration.activity, zone_for(participant, registration.activity)),
            )
            for registration in selectors.registration_list_for_member(
                participant=participant, upcoming=upcoming
            )[:50]
        ]

    return render(
        request,
        "activities/activity_mine.html",
        {"upcoming": rows(True), "past": rows(False), "feed_url": feed_url},
    )


@login_required
@require_POST
def calendar_feed_create_view(request):
    participant = _participant(request)
    if participant is None:
        raise Http404
    services.calendar_feed_get_or_create(participant=participant)
    messages.success(request, _("Your private calendar address is ready. Keep it to yourself."))
    return redirect("activities:mine")


@login_required
@require_POST
def calendar_feed_revoke_view(request):
    participant = _participant(request)
    if participant is None:
        raise Http404
    services.calendar_feed_revoke(participant=participant)
    messages.success(
        request, _("The old calendar address no longer works. You can make a new one.")
    )
    return redirect("activities:mine")


@require_safe
def calendar_feed_view(request, key: str, token: str):
    feed = CalendarFeed.objects.select_related("participant").filter(key=key).first()
    if feed is None or not feed_token_matches(feed, token):
        raise Http404
    # A calendar app asks without the member's session: the feed speaks the member's language.
    with translation.override(feed.participant.preferred_language):
        body = calendar_bytes(
            selectors.feed_activities(participant=feed.participant),
            with_online_link=True,
            name="Norec Network",
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


@cache_control(private=True)
@require_safe
def material_file_view(request, name: str):
    """An uploaded material (slides, a recording), served by Django in production too: the files
    are for members registered for the activity, so no web server may hand them out unchecked.
    The URL is the file's own media URL, so the admin's "Currently:" link works as well."""
    material, allowed = selectors.material_file_for(name=name, user=request.user)
    if material is None:
        raise Http404(_("No such file."))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not allowed:
        raise PermissionDenied(_("These materials are for members registered for the activity."))
    try:
        handle = material.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("No such file.")) from None
    # Always a download: an uploaded HTML or SVG file must never run as a page of the site.
    return FileResponse(handle, as_attachment=True, filename=Path(material.file.name).name)
