"""A service's "no": one exception type per app, one way to show it.

When a rule forbids what someone asked for (not a bug: a full activity, a wave that is not a
draft, an address another participant has), the service raises its app's subclass of `Refused`:
`members.services.ParticipantRefused`, `invitations.services.InvitationRefused`,
`activities.services.ActivityRefused`, `newsletters.services.NewsletterRefused`. Its message is
for the person who asked, staff or member, in plain words; `code` names the case for the few
callers that react to one in particular (an expired invitation link has a page of its own).
Views and admin pages show it with `show_refusal`, so a refusal reads the same wherever it
happens; a page with a form adds it to the form instead, which keeps what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest


class Refused(Exception):
    def __init__(self, message="", *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        # The message may be a lazy translation: it is read in the language of the page.
        return str(self.message)


def show_refusal(
    request: HttpRequest, error: Refused, *, level: int = messages.ERROR, prefix: str = ""
) -> None:
    """Put the refusal on the next page, as the admin's `message_user` and the members' pages
    both show messages (`prefix` names the row of a bulk action, e.g. "Wave 3: ")."""
    messages.add_message(request, level, f"{prefix}{error}")
