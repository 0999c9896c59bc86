"""The community's member pages. Only logged-in accounts read; only members (accounts with a
participant) follow rooms and post: a staff account without one reads, as members see it. Thin:
parse, check through community.selectors, call community.services, answer."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse
from django.http import Http404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_POST
from django.views.decorators.http import require_safe

from community import mentions
from community import moderation
from community import moderation_views
from community import selectors
from community import services
from community.forms import PostEditForm
from community.forms import PostForm
from community.forms import SearchForm
from community.forms import TopicForm
from members.models import Participant

TOPICS_PER_PAGE = 20
POSTS_PER_PAGE = 30
SEARCH_RESULTS_PER_PAGE = 20
# Ten pages: past them, a search asks for another word rather than counting every match.
SEARCH_RESULTS_COUNTED = 200


def _viewer(request) -> Participant | None:
    """The reader's own roster row, or None for an account without one (staff). The row is the
    one members.language's middleware read already (cached on the user): no query of its own."""
    participant = getattr(request.user, "participant", None)
    if participant is None or participant.deleted_at is not None:
        return None
    return participant


def _member(request) -> Participant:
    participant = _viewer(request)
    if participant is None:
        raise Http404(_("This account is not a member's account."))
    return participant


def _rate_status(error: services.CommunityRefused) -> int:
    return 429 if error.code == services.RATE_LIMITED else 200


@login_required
@require_safe
def room_list_view(request):
    viewer = _viewer(request)
    services.network_room()
    rooms = selectors.room_list(viewer=viewer)
    followed = [room for room in rooms if getattr(room, "followed", False)]
    others = [room for room in rooms if not getattr(room, "followed", False)]
    return render(
        request,
        "community/room_list.html",
        {"viewer": viewer, "followed": followed, "others": others, "search": SearchForm()},
    )


@login_required
@require_POST
def room_follow_view(request, slug: str):
    room = selectors.room_get(slug=slug)
    participant = _member(request)
    if services.room_follow(participant=participant, room=room):
        messages.success(
            request, _("You follow %(room)s: its topics show on your page.") % {"room": room}
        )
    return redirect(room_url(room) if request.POST.get("next") == "room" else "community:rooms")


@login_required
@require_POST
def room_leave_view(request, slug: str):
    room = selectors.room_get(slug=slug)
    participant = _member(request)
    if services.room_leave(participant=participant, room=room):
        messages.success(request, _("You no longer follow %(room)s.") % {"room": room})
    return redirect(room_url(room) if request.POST.get("next") == "room" else "community:rooms")


def room_url(room) -> str:
    return reverse("community:room", args=[room.slug])


@login_required
@require_safe
def room_detail_view(request, slug: str):
    viewer = _viewer(request)
    room = selectors.room_get(slug=slug)
    topics = selectors.topic_list(room=room, viewer=viewer)
    page = selectors.KeysFirstPaginator(topics, TOPICS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community/room_detail.html",
        {
            "room": room,
            "page": page,
            "viewer": viewer,
            "followed": selectors.room_is_followed(room=room, viewer=viewer),
            "may_moderate": moderation.may_moderate(user=request.user, room=room),
        },
    )


def _post_form_kwargs(participant: Participant | None) -> dict:
    needs = participant is not None and services.needs_conduct(participant=participant)
    return {"needs_conduct": needs}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def topic_create_view(request, slug: str):
    room = selectors.room_get(slug=slug)
    participant = _member(request)
    form = _post_form(request, TopicForm, participant, topic=None)
    status = 200
    if request.method == "POST" and form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            topic = services.topic_create(
                participant=participant,
                room=room,
                title=data["title"],
                text=data["text"],
                tag=data["tag"],
                image=data["image"] or None,
                accept_conduct=bool(data.get("accept_conduct")),
                mentions=data.get("mention") or (),
            )
        except services.CommunityRefused as error:
            form.add_error(None, error.message)
            status = _rate_status(error)
        else:
            if topic.held:
                messages.info(request, _held_message())
            return redirect("community:topic", pk=topic.pk)
    return render(
        request, "community/topic_create.html", {"room": room, "form": form}, status=status
    )


def _post_form(request, form_class, participant: Participant, *, topic):
    """The reply or new-topic form with its name picker. "Find" (the picker's search button)
    shows the same form again, unbound, with what was typed and ticked, and the names found."""
    kwargs = _post_form_kwargs(participant)
    if request.method == "POST" and mentions.FIND_BUTTON in request.POST:
        initial = {
            name: request.POST.get(name, "") for name in ("title", "text", "tag", "mention_search")
        }
        initial["mention"] = request.POST.getlist("mention")
        form = form_class(initial=initial, **kwargs)
    else:
        form = form_class(request.POST or None, request.FILES or None, **kwargs)
    mentions.add_mention_fields(form, topic=topic, viewer=participant)
    return form


def _held_message() -> str:
    return _(
        "Thank you! A member's first posts wait for a moderator's approval: until then only "
        "you see it."
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def topic_detail_view(request, pk: int):
    viewer = _viewer(request)
    topic = moderation_views.topic_for_reader(request, pk=pk, viewer=viewer)
    form = None
    status = 200
    if viewer is not None:
        form = _post_form(request, PostForm, viewer, topic=topic)
    elif request.method == "POST":
        raise Http404(_("This account is not a member's account."))
    if request.method == "POST" and form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_reply(
                participant=viewer,
                topic=topic,
                text=data["text"],
                image=data["image"] or None,
                accept_conduct=bool(data.get("accept_conduct")),
                mentions=data.get("mention") or (),
            )
        except services.CommunityRefused as error:
            form.add_error(None, error.message)
            status = _rate_status(error)
        else:
            if post.status == post.Status.HELD:
                messages.info(request, _held_message())
            return redirect(_post_url(post, viewer))
    posts = moderation_views.topic_posts(topic=topic, viewer=viewer)
    page = selectors.KeysFirstPaginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    for post in page.object_list:
        post.author_linked = selectors.author_linked(post, viewer)
        post.may_edit = services.may_edit(post=post, participant=viewer)
    extras = moderation_views.topic_page_context(request, topic=topic, page=page, viewer=viewer)
    return render(
        request,
        "community/topic_detail.html",
        {"topic": topic, "room": topic.room, "page": page, "form": form, "viewer": viewer} | extras,
        status=status,
    )


def _post_url(post, viewer) -> str:
    """The page of its topic where a post is, with the post in view."""
    before = (
        selectors.post_list(topic=post.topic, viewer=viewer)
        .filter(Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, pk__lt=post.pk))
        .count()
    )
    page = math.floor(before / POSTS_PER_PAGE) + 1
    url = reverse("community:topic", args=[post.topic_id])
    return f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}"


def _own_post(request, pk: int):
    participant = _member(request)
    post = selectors.post_get(pk=pk, viewer=participant)
    if post.author_id != participant.pk:
        raise Http404
    return participant, post


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_edit_view(request, pk: int):
    participant, post = _own_post(request, pk)
    initial = {"text": post.text, "title": post.topic.title}
    form = PostEditForm(request.POST or None, initial=initial, with_title=post.is_opening)
    may_edit = services.may_edit(post=post, participant=participant)
    if request.method == "POST" and may_edit and form.is_valid():
        try:
            services.post_edit(
                participant=participant,
                post=post,
                text=form.cleaned_data["text"],
                title=form.cleaned_data.get("title", ""),
            )
        except services.CommunityRefused as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your post is changed."))
            return redirect(_post_url(post, participant))
    return render(
        request,
        "community/post_edit.html",
        {
            "post": post,
            "form": form,
            "may_edit": may_edit,
            "minutes": services.EDIT_MINUTES,
        },
        status=200 if may_edit or request.method != "POST" else 403,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_delete_view(request, pk: int):
    participant, post = _own_post(request, pk)
    if request.method == "POST":
        topic = services.post_delete(participant=participant, post=post)
        if post.is_opening:
            messages.success(request, _("Your topic is deleted."))
            return redirect("community:room", slug=topic.room.slug)
        messages.success(request, _("Your post is deleted."))
        return redirect("community:topic", pk=topic.pk)
    return render(request, "community/post_delete.html", {"post": post})


@login_required
@require_safe
def post_image_view(request, pk: int):
    """A post's image, for whoever may read the post (never a plain media file): the stored
    file is a JPEG the portal wrote itself (`community.images`)."""
    post = selectors.post_get(pk=pk, viewer=_viewer(request))
    if not post.image:
        raise Http404
    try:
        handle = post.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_safe
def search_view(request):
    viewer = _viewer(request)
    form = SearchForm(request.GET or None)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    page = None
    if text.strip():
        page = selectors.KeysFirstPaginator(
            selectors.post_search(text=text, viewer=viewer),
            SEARCH_RESULTS_PER_PAGE,
            count_cap=SEARCH_RESULTS_COUNTED,
        ).get_page(request.GET.get("page"))
        for post in page.object_list:
            post.author_linked = selectors.author_linked(post, viewer)
    return render(
        request,
        "community/search.html",
        {"form": form, "page": page, "query": urlencode({"q": text}), "viewer": viewer},
    )
