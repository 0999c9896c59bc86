"""Form fields more than one app's back office uses."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.outbound.pace import MAX_RATE_PER_HOUR


class PaceField(forms.IntegerField):
    """A campaign's pace in messages per hour: 0 (no throttle) up to MAX_RATE_PER_HOUR, each
    refusal saying what to type (Django's own "greater than or equal to 0" does not). Left empty,
    it is the `default` pace (0 must be typed: "no limit" is never an accident)."""

    def __init__(self, *, default: int | None = None, **kwargs):
        self.default = default
        if default is not None:
            kwargs["required"] = False
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_RATE_PER_HOUR)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": 100, "inputmode": "numeric"}))
        messages = {
            "min_value": _(
                "The pace cannot be negative: give messages per hour, or 0 for as fast as the "
                "sender goes."
            ),
            "max_value": _(
                "%(limit_value)s messages an hour is the most the portal accepts; no mail "
                "service account takes more. Give a smaller pace, or 0 for no limit."
            ),
            "invalid": _("Give the pace as a whole number of messages per hour, e.g. 20000."),
            **kwargs.pop("error_messages", {}),
        }
        super().__init__(error_messages=messages, **kwargs)

    def clean(self, value):
        cleaned = super().clean(value)
        return self.default if cleaned is None and self.default is not None else cleaned
