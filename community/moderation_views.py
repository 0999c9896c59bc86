"""Member pages of moderation, reports and branch announcements (community.moderation,
community.announcements). Every change is a POST with its CSRF token, except RFC 8058's one-click
unsubscribe (see there). A post or topic of a room the reader does not moderate answers 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_POST
from django.views.decorators.http import require_safe

from community import announcements
from community import moderation
from community import selectors
from community import services
from community.models import Branch
from community.models import Topic
from core.ratelimit import RateLimit
from core.ratelimit import client_ip
from members.models import Participant

QUEUE_PER_PAGE = 20
BAD_TOKENS_PER_CLIENT = RateLimit(
    scope="community:announcements-unsubscribe-failure", amount=20, period=600
)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is wrong with this post? (optional)"),
        max_length=moderation.REPORT_REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnnouncementForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=150)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("Sent as you write it, as plain text."),
    )


def _viewer(request) -> Participant | None:
    return Participant.objects.filter(user=request.user, deleted_at__isnull=True).first()


# --- the topic page's extras (called by community.views.topic_detail_view) ---------------------


def topic_for_reader(request, *, pk: int, viewer: Participant | None) -> Topic:
    """`selectors.topic_get`, and for a moderator of its room also a topic whose first post
    waits for approval (to approve it there). `topic.moderated_by_reader` says which."""
    topic = selectors.topics_visible_to(viewer).select_related("room", "tag").filter(pk=pk).first()
    if topic is None:
        topic = Topic.objects.select_related("room", "tag").filter(pk=pk, hidden=False).first()
        if topic is None or not moderation.may_moderate(user=request.user, room=topic.room):
            raise Http404
        topic.moderated_by_reader = True
    else:
        topic.moderated_by_reader = moderation.may_moderate(user=request.user, room=topic.room)
    return topic


def topic_posts(*, topic: Topic, viewer: Participant | None):
    """The topic's posts for the reader (`selectors.post_list`); a moderator of its room also
    sees the ones waiting for approval, to approve them."""
    if getattr(topic, "moderated_by_reader", False):
        posts = moderation.post_list_for_moderator(topic=topic)
    else:
        posts = selectors.post_list(topic=topic, viewer=viewer)
    return moderation.with_reader_flags(posts, viewer)


def topic_page_context(request, *, topic: Topic, page, viewer: Participant | None) -> dict:
    """What the moderation and report buttons need on a topic's page: whether the reader
    moderates its room (one query at most), and on each post whether its links are clickable,
    whether the reader may report it or already did (from `moderation.with_reader_flags`)."""
    for post in page.object_list:
        post.links_allowed = moderation.links_allowed(post)
        post.may_report = viewer is not None and post.author_id not in (None, viewer.pk)
        post.reported = bool(getattr(post, "reported_by_reader", False))
    return {"may_moderate": getattr(topic, "moderated_by_reader", False)}


# --- moderation ---------------------------------------------------------------------------------


@login_required
@require_safe
def moderation_queue_view(request):
    rooms = moderation.moderated_room_ids(request.user)
    if rooms == []:
        raise Http404
    show = request.GET.get("show")
    show = moderation.QUEUE_HIDDEN if show == moderation.QUEUE_HIDDEN else moderation.QUEUE_WAITING
    page = Paginator(
        moderation.moderation_queue(user=request.user, show=show), QUEUE_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "community/moderation_queue.html",
        {
            "page": page,
            "show": show,
            "query": f"show={show}" if show == moderation.QUEUE_HIDDEN else "",
            "branches": announcements.branches_announceable(request.user),
        },
    )


def _back(request, topic_pk: int):
    if request.POST.get("next") == "queue":
        url = reverse("community:moderation")
        return redirect(f"{url}?show=hidden" if request.POST.get("show") == "hidden" else url)
    return redirect("community:topic", pk=topic_pk)


@login_required
@require_POST
def topic_pin_view(request, pk: int):
    topic = Topic.objects.select_related("room").filter(pk=pk).first()
    if topic is None or not moderation.may_moderate(user=request.user, room=topic.room):
        raise Http404
    pinned = request.POST.get("pinned") == "1"
    if moderation.topic_set_pinned(topic=topic, pinned=pinned, user=request.user):
        text = _("The topic is pinned.") if pinned else _("The topic is unpinned.")
        messages.success(request, text)
    return redirect("community:topic", pk=topic.pk)


@login_required
@require_POST
def post_moderate_view(request, pk: int):
    post = moderation.post_for_moderation(pk=pk, user=request.user)
    if post is None:
        raise Http404
    action = request.POST.get("action")
    if action == "approve":
        done = moderation.moderate_approve(post=post, user=request.user)
        text = _("The post is approved: everyone sees it now.")
    elif action == "hide":
        done = moderation.moderate_hide(post=post, user=request.user)
        text = _("The post is hidden.")
    elif action == "restore":
        done = moderation.moderate_restore(post=post, user=request.user)
        text = _("The post is restored.")
    elif action == "dismiss":
        done = moderation.reports_dismiss(post=post, user=request.user)
        text = _("The reports are dismissed; the post stays.")
    else:
        raise Http404
    if done:
        messages.success(request, text)
    else:
        messages.info(request, _("Nothing changed: someone else has already done it."))
    if action == "hide" and post.is_opening and request.POST.get("next") != "queue":
        # The whole topic is hidden with its first post: back to its room.
        return redirect("community:room", slug=post.topic.room.slug)
    return _back(request, post.topic_id)


# --- reports ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_report_view(request, pk: int):
    participant = _viewer(request)
    if participant is None:
        raise Http404
    post = selectors.post_get(pk=pk, viewer=participant)
    if post.author_id == participant.pk:
        raise Http404
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report_create(
                post=post, participant=participant, reason=form.cleaned_data["reason"]
            )
        except services.CommunityRefused as error:
            form.add_error(None, error.message)
            status = 429 if error.code == services.RATE_LIMITED else 200
        else:
            messages.success(
                request, _("Thank you. The moderators of this room will look at the post.")
            )
            return redirect("community:topic", pk=post.topic_id)
    return render(
        request, "community/moderation_report.html", {"post": post, "form": form}, status=status
    )


# --- branch announcements -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def announcement_create_view(request, slug: str):
    """Write, preview (with the number of recipients), then confirm to send."""
    branch = get_object_or_404(Branch, slug=slug)
    if not announcements.may_announce(user=request.user, branch=branch):
        raise Http404
    form = AnnouncementForm(request.POST or None)
    step = request.POST.get("step") if request.method == "POST" else ""
    if request.method == "POST" and form.is_valid() and step in ("preview", "send"):
        if step == "send":
            announcement = announcements.announcement_send(
                branch=branch,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                user=request.user,
            )
            messages.success(
                request,
                _("Your announcement is on its way to %(count)s members of %(branch)s.")
                % {"count": announcement.recipient_count, "branch": branch.name},
            )
            return redirect("community:moderation")
        return render(
            request,
            "community/announcement_preview.html",
            {
                "branch": branch,
                "form": form,
                "recipient_count": announcements.branch_recipients(branch).count(),
                "sender": announcements.sender_address(branch),
                **form.cleaned_data,
            },
        )
    return render(request, "community/announcement_create.html", {"branch": branch, "form": form})


# CSRF exemption, on this view only, as for the newsletter's: RFC 8058's one-click unsubscribe is
# a POST the mail app sends from its own servers without cookies or a token. The capability is
# the HMAC token in the URL, and a POST can only take its owner off branch announcements.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def announcements_unsubscribe_view(request, token: str):
    participant_pk = announcements.participant_pk_from_token(token)
    if participant_pk is None:
        status = 429 if BAD_TOKENS_PER_CLIENT.hit(client_ip(request)) else 404
        return render(request, "community/announcement_unsubscribe.html", {}, status=status)
    done = announcements.is_unsubscribed(participant_pk=participant_pk)
    if request.method == "POST" and not done:
        done = announcements.announcements_unsubscribe(participant_pk=participant_pk)
        if not done:
            return render(request, "community/announcement_unsubscribe.html", {}, status=404)
    return render(
        request,
        "community/announcement_unsubscribe.html",
        {"token": token, "valid": True, "done": done},
    )
