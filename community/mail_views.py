"""The member's community mail settings, and the digest's one-click unsubscribe."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from community import services
from community.models import CommunityMember
from community.sending import participant_pk_from_token
from core.ratelimit import RateLimit
from core.ratelimit import client_ip
from members.models import Participant

# Wrong unsubscribe tokens from one client: past this many, answer 429 (guessing).
BAD_TOKENS_PER_CLIENT = RateLimit(scope="community:digest-unsubscribe", amount=20, period=600)


class MailSettingsForm(forms.ModelForm):
    class Meta:
        model = CommunityMember
        fields = ["digest", "notify_replies"]
        labels = {
            "digest": gettext_lazy("News of the rooms you follow, by email"),
            "notify_replies": gettext_lazy(
                "Email me at once when someone replies in a topic I started or replied in, "
                "or mentions me"
            ),
        }
        widgets = {"digest": forms.RadioSelect}


@transaction.atomic
def mail_settings_save(*, member: CommunityMember, digest: str, notify_replies: bool) -> None:
    member = CommunityMember.objects.select_for_update().get(pk=member.pk)
    if digest != member.digest:
        member.digest_unsubscribed_at = (
            timezone.now() if digest == CommunityMember.Digest.NEVER else None
        )
    member.digest = digest
    member.notify_replies = notify_replies
    member.save(update_fields=["digest", "notify_replies", "digest_unsubscribed_at", "updated_at"])


def digest_unsubscribe(*, participant_pk: int) -> bool:
    """The digest's one-click unsubscribe: digest never (the newsletter is not touched).
    False when there is no such member."""
    participant = Participant.objects.filter(pk=participant_pk).first()
    if participant is None:
        return False
    member = services.community_member_get(participant=participant)
    if member.digest != CommunityMember.Digest.NEVER:
        mail_settings_save(
            member=member, digest=CommunityMember.Digest.NEVER, notify_replies=member.notify_replies
        )
    return True


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mail_settings_view(request):
    participant = Participant.objects.filter(user=request.user, deleted_at__isnull=True).first()
    if participant is None:
        raise Http404(_("This account is not a member's account."))
    member = services.community_member_get(participant=participant)
    form = MailSettingsForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        mail_settings_save(
            member=member,
            digest=form.cleaned_data["digest"],
            notify_replies=form.cleaned_data["notify_replies"],
        )
        messages.success(request, _("Your community email settings are saved."))
        return redirect("community:settings")
    return render(request, "community/settings.html", {"form": form})


# CSRF exemption, on this view only, as for the newsletter's: RFC 8058's one-click POST comes from
# the mail app's servers without cookies or a token. The unguessable HMAC token in the URL is the
# capability, and a POST can only take its owner off the digest.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def digest_unsubscribe_view(request, token: str):
    participant_pk = participant_pk_from_token(token)
    if participant_pk is None:
        status = 429 if BAD_TOKENS_PER_CLIENT.hit(client_ip(request)) else 404
        return render(request, "community/settings_digest_invalid.html", status=status)
    member = CommunityMember.objects.filter(participant_id=participant_pk).first()
    already = member is not None and member.digest == CommunityMember.Digest.NEVER
    context = {"token": token, "already": already}
    if request.method != "POST":
        # Mail scanners open every link (GET or HEAD): only a POST unsubscribes.
        template = "settings_digest_done.html" if already else "settings_digest_confirm.html"
        return render(request, f"community/{template}", context)
    if not digest_unsubscribe(participant_pk=participant_pk):
        return render(request, "community/settings_digest_invalid.html", status=404)
    return render(request, "community/settings_digest_done.html", context)
