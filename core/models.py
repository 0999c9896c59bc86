"""Base models every app may build on. Abstract: they add no table and no migration of their own
(the bulk sender's row, `OutboundMessage`, is in core/outbound_model.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
