"""What community registers with the lower packages (members.extensions) from its ready()."""

from __future__ import annotations

from django.urls import reverse

from community import selectors
from community import services
from community.demo import seed_community
from members.extensions import ActivityDiscussion
from members.extensions import DemoSeeder
from members.extensions import HomeSection
from members.extensions import MemberJoinedReaction
from members.extensions import PersonalDataSource
from members.extensions import register_activity_discussion
from members.extensions import register_demo_seeder
from members.extensions import register_home_section
from members.extensions import register_member_joined_reaction
from members.extensions import register_personal_data_source


def home_section_context(request, participant):
    """The latest topics of the rooms the member follows (always shown: it links to the rooms)."""
    return {"community_topics": selectors.latest_topics_followed(participant=participant)}


def member_joined(*, participant) -> None:
    services.follows_ensure_defaults(participant=participant)


def activity_discussion_open(*, activity_id: int, title: str, country: str = "") -> None:
    services.activity_topic_open(activity_id=activity_id, title=title, country=country)


def activity_discussion_url(activity_id: int) -> str | None:
    topic_id = selectors.activity_topic_id(activity_id=activity_id)
    return reverse("community:topic", args=[topic_id]) if topic_id else None


def register() -> None:
    register_home_section(
        HomeSection(
            name="community",
            template_name="community/_home_section.html",
            context=home_section_context,
            order=15,
        )
    )
    register_member_joined_reaction(MemberJoinedReaction(name="community", react=member_joined))
    register_activity_discussion(
        ActivityDiscussion(open=activity_discussion_open, url=activity_discussion_url)
    )
    register_personal_data_source(
        PersonalDataSource(
            name="community",
            export=services.member_data_export,
            erase=services.member_data_erase,
            deletion_choice=services.POSTS_DELETION_CHOICE,
        )
    )
    # After the activities' demo (order 10), whose published activities get their topics.
    register_demo_seeder(DemoSeeder(name="community", seed=seed_community, order=20))
