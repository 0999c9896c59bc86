"""Sentences the portal writes into the database for staff to read later (issue 12, item 7): why a
wave or a newsletter paused itself, what a staff-log entry did. Stored so that each reader sees
them in their own language, not in the language of whoever caused them.

A `Sentence` is an English msgid, marked with `gettext_noop` where it is written (so makemessages
extracts it), and its parameters. It goes into the text column as JSON (`stored()`); `shown()`
reads a column back in the active language, numbers formatted for it. Anything else in a column
(a reason staff typed, a row written before sentences existed) is shown as it is.

    reason = Sentence(gettext_noop("Paused by %(who)s."), {"who": user.email}).stored()
    ...
    {% load stored_text %}{{ wave.paused_reason|shown_text }}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext

# A stored sentence starts with this, so that text a person typed is never mistaken for one.
MARK = '{"sentence": '
DEFAULT_MAX_LENGTH = 300  # the shortest column that holds sentences (a newsletter's pause reason)

Value = str | int | Decimal


@dataclass(frozen=True)
class Sentence:
    msgid: str
    params: dict[str, Value] = field(default_factory=dict)

    def english(self) -> str:
        return self.msgid % self.params

    def shown(self) -> str:
        """In the active language; numbers as that language writes them (4,5 in French)."""
        values = {
            name: value if isinstance(value, str) else formats.number_format(value)
            for name, value in self.params.items()
        }
        return gettext(self.msgid) % values

    def stored(self, max_length: int = DEFAULT_MAX_LENGTH) -> str:
        """The JSON for a text column of `max_length`; the longest text parameters are shortened
        (with "…") when the whole would not fit."""
        params = dict(self.params)
        while len(text := _dump(self.msgid, params)) > max_length:
            longest = max(
                (name for name, value in params.items() if isinstance(value, str)),
                key=lambda name: len(params[name]),
                default=None,
            )
            excess = len(text) - max_length
            if longest is None or len(params[longest]) <= excess + 1:
                raise ValueError(f"{self.msgid!r} does not fit in {max_length} characters")
            params[longest] = params[longest][: -(excess + 1)] + "…"
        return text

    @classmethod
    def load(cls, text: str) -> Sentence | None:
        if not text.startswith(MARK):
            return None
        try:
            data = json.loads(text)
            params = {
                name: Decimal(value["decimal"]) if isinstance(value, dict) else value
                for name, value in data.get("params", {}).items()
            }
            return cls(data["sentence"], params)
        except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
            return None


def _dump(msgid: str, params: dict[str, Value]) -> str:
    encoded = {
        name: {"decimal": str(value)} if isinstance(value, Decimal) else value
        for name, value in params.items()
    }
    return json.dumps({"sentence": msgid, "params": encoded}, ensure_ascii=False)


def shown(text: str) -> str:
    """A text column as the reader should see it: a stored sentence in the active language, any
    other text as it is (and a sentence whose translation fails, in English)."""
    sentence = Sentence.load(text or "")
    if sentence is None:
        return text
    try:
        return sentence.shown()
    except (KeyError, ValueError, TypeError):
        return sentence.english()
