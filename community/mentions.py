"""The name picker on the reply and new-topic forms, without JavaScript: tick people who took
part in the topic, or type a name and press "Find" (the page comes back with the matching
members listed to tick). Only members the directory shows are found by name; people who took
part are listed because their names are on the topic's page already."""

from __future__ import annotations

from django import forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from community.models import Mention
from community.models import Post
from community.models import Topic
from members.models import Participant
from members.selectors import directory_visible
from members.services import fold_for_search

MAX_MENTIONS = 10
MAX_FOUND = 20
MAX_OFFERED = 20
RECENT_POSTS = 200
# The submit button that asks for the names matching `mention_search` instead of posting.
FIND_BUTTON = "find_mentions"


def _topic_people(topic: Topic):
    """Posts of `topic` everyone sees, by members who still have an account."""
    return Post.objects.filter(
        topic=topic,
        status=Post.Status.VISIBLE,
        author__isnull=False,
        author__deleted_at__isnull=True,
        author__user__isnull=False,
    )


def participants_of(topic: Topic | None) -> list[Participant]:
    """Who took part in a topic with posts everyone sees, by name: those among its last
    RECENT_POSTS posts, the MAX_OFFERED who posted last (a topic of 2,000 replies has a thousand
    people: the page would list them all; "Find" reaches the others)."""
    if topic is None:
        return []
    latest = _topic_people(topic).order_by("-created_at", "-id").values("pk")[:RECENT_POSTS]
    recent = (
        Post.objects.filter(pk__in=latest)
        .values("author_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")
        .values("author_id")[:MAX_OFFERED]
    )
    return list(
        Participant.objects.filter(pk__in=recent)
        .order_by("first_name", "last_name", "pk")
        .only("pk", "first_name", "last_name")
    )


def find_members(text: str) -> list[Participant]:
    """Members the directory shows whose name (or profile) matches every typed word."""
    words = fold_for_search(text or "").split()[:5]
    if not words:
        return []
    found = directory_visible()
    for word in words:
        found = found.filter(search_text__contains=word)
    return list(
        found.order_by("first_name", "last_name", "pk").only("pk", "first_name", "last_name")[
            :MAX_FOUND
        ]
    )


def _label(person: Participant) -> str:
    return person.full_name


def add_mention_fields(form: forms.Form, *, topic: Topic | None, viewer: Participant) -> None:
    """Add `mention` (ticks) and `mention_search` to a post form. The ticks offered: the topic's
    people, the members found by the search typed, and whoever was ticked before."""
    data = form.data if form.is_bound else form.initial
    search = (data.get("mention_search") or "").strip()[:100]
    ticked = data.getlist("mention") if hasattr(data, "getlist") else data.get("mention") or []
    ticked_ids = [int(pk) for pk in ticked if str(pk).isdigit()][:MAX_MENTIONS]
    offered = {person.pk: person for person in participants_of(topic)}
    for person in find_members(search):
        offered.setdefault(person.pk, person)
    allowed = allowed_ids(topic=topic, ids=ticked_ids)
    for person in Participant.objects.filter(pk__in=allowed).only("pk", "first_name", "last_name"):
        offered.setdefault(person.pk, person)
    offered.pop(viewer.pk, None)
    form.fields["mention"] = forms.TypedMultipleChoiceField(
        label=_("Let someone know (they get an email)"),
        choices=[(pk, _label(person)) for pk, person in offered.items()],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    form.fields["mention_search"] = forms.CharField(
        label=_("Find a member by name"), max_length=100, required=False
    )
    form.mention_found_none = bool(search) and not find_members(search)


def allowed_ids(*, topic: Topic | None, ids: list[int]) -> set[int]:
    """The ids among `ids` a post may mention: people of the topic and members the directory
    shows."""
    if not ids:
        return set()
    of_topic = set()
    if topic is not None:
        of_topic = set(
            _topic_people(topic).filter(author_id__in=ids).values_list("author_id", flat=True)
        )
    shown = set(directory_visible().filter(pk__in=ids).values_list("pk", flat=True))
    return {pk for pk in ids if pk in of_topic or pk in shown}


def mentions_save(*, post: Post, participant_ids) -> None:
    ids = allowed_ids(topic=post.topic, ids=[int(pk) for pk in participant_ids][:MAX_MENTIONS])
    ids.discard(post.author_id)
    Mention.objects.bulk_create(
        [Mention(post=post, participant_id=pk) for pk in ids], ignore_conflicts=True
    )
