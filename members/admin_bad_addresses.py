"""The adviser's "Addresses that bounced" page: bad addresses counted by home country, one
country's people listed with a form each to correct the address (which makes them invitable
again), and "and invite now" when an app registered it (`members.extensions.invite_after_fix`).

Views of `ParticipantAdmin`, which routes them (`get_urls`); they take the model admin as their
first argument, as the roster upload page does.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django_countries import countries

from core.refusals import show_refusal
from members import selectors
from members import services
from members.extensions import invite_after_fix
from members.models import Participant

PEOPLE_PER_PAGE = 50


def can_fix_addresses(user) -> bool:
    return user.has_perm("members.change_participant")


def bad_addresses_view(model_admin, request):
    """Addresses that bounced or complained, counted by country; with `?country=`, that
    country's people ("-" for none)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    rows = selectors.bad_addresses_by_country()
    names = dict(countries)
    base = reverse("admin:members_participant_bad_addresses")
    for row in rows:
        code = row["home_country"] or ""
        row["name"] = names.get(code, gettext("No country"))
        row["url"] = f"{base}?country={code or '-'}"
    country = request.GET.get("country")
    page = None
    if country:
        people = (
            Participant.objects.with_bad_address()
            .filter(home_country="" if country == "-" else country)
            .order_by("last_name", "first_name", "pk")
            .only(
                "pk",
                "first_name",
                "last_name",
                "email",
                "email_status",
                "home_country",
                "participant_id",
            )
        )
        page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Addresses that bounced or complained"),
        "opts": model_admin.model._meta,
        "rows": rows,
        "total": sum(row["total"] for row in rows),
        "country": country,
        "country_name": names.get(country, gettext("No country")) if country else "",
        "page": page,
        "can_fix": can_fix_addresses(request.user),
        "invite_offered": invite_after_fix() is not None,
    }
    return TemplateResponse(request, "admin/members/participant/bad_addresses.html", context)


def fix_address_view(model_admin, request, participant_id):
    """Correct one bad address (POST), through the service that owns it; then, if asked and
    allowed, invite the person through the registered hook."""
    if not can_fix_addresses(request.user):
        raise PermissionDenied
    participant = get_object_or_404(Participant, pk=participant_id)
    back = (
        reverse("admin:members_participant_bad_addresses")
        + "?country="
        + (str(participant.home_country) or "-")
    )
    email = (request.POST.get("email") or "").strip()
    try:
        # Empty is refused here: this page corrects an address, it does not remove one.
        forms.EmailField(max_length=254).clean(email)
        participant = services.participant_correct_email(
            participant=participant, email=email, actor=request.user
        )
    except ValidationError:
        model_admin.message_user(
            request,
            gettext("“%(email)s” is not a valid email address for %(name)s; nothing changed.")
            % {"email": email, "name": participant.full_name},
            messages.ERROR,
        )
        return HttpResponseRedirect(back)
    except services.ParticipantRefused as error:
        show_refusal(request, error)
        return HttpResponseRedirect(back)
    message = gettext("The address of %(name)s is now %(email)s.") % {
        "name": participant.full_name,
        "email": participant.email,
    }
    hook = invite_after_fix()
    if request.POST.get("invite") and hook and request.user.has_perm(hook.permission):
        message += " " + hook.invite(participant=participant, actor=request.user)
    model_admin.message_user(request, message, messages.SUCCESS)
    return HttpResponseRedirect(back)
