"""Community test data, built through community's services as members and staff build it."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from community import services
from community.models import Branch
from community.models import CommunityMember
from tests.members.factories import MemberFactory


def regular_member(**kwargs):
    """A member past the new-member hold, who accepted the code of conduct."""
    member = MemberFactory(**kwargs)
    CommunityMember.objects.update_or_create(
        participant=member,
        defaults={
            "posts_approved": services.NEW_MEMBER_HELD_POSTS,
            "accepted_conduct_at": "2026-01-01T00:00:00Z",
        },
    )
    return member


def branch(name: str = "Uganda", countries=("UG",), slug: str = "") -> Branch:
    """A branch as the admin makes one: saved, then its room ensured."""
    created = Branch.objects.create(name=name, slug=slug or name.lower(), countries=list(countries))
    services.branch_room_ensure(branch=created)
    return created


def topic(author, room=None, title="A question", text="What do you think?", **kwargs):
    return services.topic_create(
        participant=author,
        room=room or services.network_room(),
        title=title,
        text=text,
        accept_conduct=True,
        **kwargs,
    )


def reply(author, topic, text="An answer.", **kwargs):
    return services.post_reply(
        participant=author, topic=topic, text=text, accept_conduct=True, **kwargs
    )


def image_upload(size=(3000, 2000), mode="RGB", fmt="PNG", name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, "orange").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")
