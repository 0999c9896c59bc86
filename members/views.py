"""Member pages: home, profile, directory, contact relay, download and delete. Thin: parse, check
ownership or visibility (through members.selectors), call members.services, answer."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.http import HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_POST
from django.views.decorators.http import require_safe

from members import selectors
from members import services
from members.extensions import home_sections
from members.forms import ContactForm
from members.forms import DeleteAccountForm
from members.forms import DirectorySearchForm
from members.forms import ProfileForm
from members.forms import ReplyForm
from members.models import Participant

DIRECTORY_PAGE_SIZE = 20


def _own_participant(request) -> Participant:
    """The logged-in member's own roster row; accounts without one (staff) have no member pages."""
    participant = (
        Participant.objects.filter(user=request.user, deleted_at__isnull=True)
        .prefetch_related("expertise", "languages")
        .first()
    )
    if participant is None:
        raise Http404(_("This account is not a member's account."))
    return participant


@login_required
@require_safe
def member_home_view(request):
    participant = getattr(request.user, "participant", None)
    sections = []
    completeness = None
    if participant is not None:
        completeness = selectors.profile_completeness(participant)
        for section in home_sections():
            context = section.context(request, participant)
            if context is None:
                continue
            sections.append(
                mark_safe(
                    render_to_string(
                        section.template_name,
                        {**context, "participant": participant},
                        request=request,
                    )
                )
            )
    return render(
        request,
        "members/member_home.html",
        {"participant": participant, "completeness": completeness, "sections": sections},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_edit_view(request):
    participant = _own_participant(request)
    form = ProfileForm(request.POST or None, instance=participant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.participant_update_profile(
            participant=participant,
            data={field: data[field] for field in services.PROFILE_FIELDS if field in data},
            expertise=list(data["expertise"]),
            languages=list(data["languages"]),
            suggested_expertise=data.get("suggested_expertise", ""),
            consent=bool(data.get("privacy_consent")),
        )
        # In the language just chosen: the next page is (members/language.py).
        with translation.override(participant.preferred_language):
            messages.success(request, _("Your profile is saved."))
            if data.get("suggested_expertise"):
                messages.info(
                    request,
                    _(
                        "Thank you for suggesting “%(name)s”. It shows once Norec's staff "
                        "approve it."
                    )
                    % {"name": data["suggested_expertise"]},
                )
        return redirect("members:home")
    if request.method == "POST":
        messages.error(request, _("Some answers need a correction. Look for the red messages."))
    pending = [field for field in participant.expertise.all() if not field.is_approved]
    return render(
        request,
        "members/profile_edit.html",
        {"form": form, "participant": participant, "pending_expertise": pending},
    )


@login_required
@require_safe
def directory_list_view(request):
    viewer = getattr(request.user, "participant", None)
    form = DirectorySearchForm(request.GET or None, programmes=selectors.directory_programmes())
    filters = {}
    if form.is_bound:
        # An invalid filter (a year like 19) is shown with its error and left out; the valid
        # ones still apply (cleaned_data keeps them).
        form.is_valid()
        filters = form.filters()
    paginator = Paginator(selectors.directory_list(**filters), DIRECTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "members/directory_list.html",
        {
            "form": form,
            "page": page,
            "viewer": viewer,
            "query": query.urlencode(),
            "searched": bool(query),
        },
    )


@login_required
@require_safe
def directory_profile_view(request, pk: int):
    viewer = getattr(request.user, "participant", None)
    member = selectors.directory_profile_get(viewer=viewer, pk=pk)
    return render(
        request,
        "members/directory_profile.html",
        {
            "member": member,
            "viewer": viewer,
            "form": ContactForm(recipient_name=member.first_name),
            "can_contact": viewer is not None and viewer.pk != member.pk,
        },
    )


@login_required
@require_POST
def directory_contact_view(request, pk: int):
    viewer = _own_participant(request)
    member = selectors.directory_profile_get(viewer=None, pk=pk)
    if member.pk == viewer.pk:
        raise Http404
    form = ContactForm(request.POST, recipient_name=member.first_name)
    status = 200
    if form.is_valid():
        try:
            services.contact_message_send(
                sender=viewer,
                recipient=member,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except services.ParticipantRefused as error:
            if error.code == services.CONTACT_RATE_LIMITED:
                status = 429
            # On the form, which keeps what was typed.
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Your message is on its way to %(name)s. Their answer comes to your email.")
                % {"name": member.first_name},
            )
            return redirect("members:directory_profile", pk=member.pk)
    return render(
        request,
        "members/directory_profile.html",
        {"member": member, "viewer": viewer, "form": form, "can_contact": True},
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def message_view(request, pk: int):
    participant = _own_participant(request)
    message = selectors.contact_message_get_for_recipient(recipient=participant, pk=pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and message.replied_at is None and form.is_valid():
        services.contact_message_reply(message=message, body=form.cleaned_data["body"])
        messages.success(
            request,
            _("Your reply is on its way to %(name)s.") % {"name": message.sender.first_name},
        )
        return redirect("members:message", pk=message.pk)
    return render(request, "members/message_detail.html", {"message": message, "form": form})


@never_cache
@login_required
@require_safe
def data_download_view(request):
    participant = _own_participant(request)
    data = services.participant_export_data(participant=participant)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="norec-network-my-data-{stamp}.json"'
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_delete_view(request):
    participant = _own_participant(request)
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.participant_delete_account(
            participant=participant, choices=form.deletion_choices()
        )
        logout(request)
        messages.success(
            request, _("Your account and your profile are deleted. Thank you for being with us.")
        )
        return redirect("home")
    return render(request, "members/account_delete.html", {"form": form})
