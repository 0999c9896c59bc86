"""The community's mail tables: who a post mentions (notified when the post becomes visible) and
the digest's deliveries, rows of the bulk sender (`core.outbound`, stream "community_digest").
Imported at the end of `community.models`, so that they are community's models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.outbound_model import OutboundMessage
from core.outbound_model import OutboundStatus
from members.models import Participant


class Mention(models.Model):
    """A member named by a post's author with the name picker. Kept so that a held post
    notifies the members it names once a moderator approves it."""

    post = models.ForeignKey(
        "community.Post", verbose_name=_("post"), on_delete=models.CASCADE, related_name="mentions"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="community_mentions",
    )

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "participant"], name="community_mention_once_per_post"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} → {self.participant_id}"


class DigestDelivery(OutboundMessage):
    """One digest to one member, for the news of the rooms they follow in [since, until).
    Unique per member and `until` (the run), so that a run started twice sends nothing twice."""

    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OutboundStatus.choices,
        default=OutboundStatus.PENDING,
        db_index=True,
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="community_digests",
    )
    frequency = models.CharField(_("frequency"), max_length=8)
    since = models.DateTimeField(_("news since"))
    until = models.DateTimeField(_("news until"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "until"], name="community_digest_once_per_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.frequency} {self.until:%Y-%m-%d} → {self.email or self.participant_id}"
