"""Hooks through which the other apps add to what members see, without `members` importing them.

Dependencies point one way (invitations, activities and newsletters import members, never the
reverse), yet a member's home page shows their upcoming activities and the latest newsletter, and
"Download my data" must hold their invitations, registrations and deliveries. Each of those apps
registers its part here from its `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from members.models import Participant


@dataclass(frozen=True)
class HomeSection:
    """A block on the member's home page: `template_name` rendered with what `context` returns
    (or skipped when it returns None, e.g. nothing upcoming). Lower `order` comes first."""

    name: str
    template_name: str
    context: Callable[[HttpRequest, Participant], dict | None]
    order: int = 100


@dataclass(frozen=True)
class DeletionChoice:
    """A question the account-deletion page asks on an app's behalf (community: keep my posts
    without my name, or delete them). `choices` are (value, label) pairs; `default` is what a
    deletion that did not ask (staff, a test, an old form) gets."""

    label: Any
    choices: tuple[tuple[str, Any], ...]
    default: str
    help_text: Any = ""

    def values(self) -> list[str]:
        return [value for value, _label in self.choices]


@dataclass(frozen=True)
class PersonalDataSource:
    """What an app holds about a participant: `export` returns JSON-serialisable data for
    "Download my data"; `erase` removes it when the member deletes their account. With a
    `deletion_choice`, the member's answer travels to it: `erase(participant, choice=value)`."""

    name: str
    export: Callable[[Participant], Any]
    erase: Callable[..., None]
    deletion_choice: DeletionChoice | None = None


_home_sections: dict[str, HomeSection] = {}
_personal_data_sources: dict[str, PersonalDataSource] = {}


def register_home_section(section: HomeSection) -> None:
    # Keyed by name so that a second `ready()` (tests, autoreload) replaces rather than repeats.
    _home_sections[section.name] = section


def register_personal_data_source(source: PersonalDataSource) -> None:
    _personal_data_sources[source.name] = source


def home_sections() -> list[HomeSection]:
    return sorted(_home_sections.values(), key=lambda section: (section.order, section.name))


def personal_data_sources() -> list[PersonalDataSource]:
    return sorted(_personal_data_sources.values(), key=lambda source: source.name)


@dataclass(frozen=True)
class DemoSeeder:
    """Adds an app's demo data after the demo roster and accounts exist (`manage.py seed_demo`).
    `seed()` must be safe to re-run (add only what is missing) and returns a one-line summary."""

    name: str
    seed: Callable[[], str]
    order: int = 100


_demo_seeders: dict[str, DemoSeeder] = {}


def register_demo_seeder(seeder: DemoSeeder) -> None:
    _demo_seeders[seeder.name] = seeder


def demo_seeders() -> list[DemoSeeder]:
    return sorted(_demo_seeders.values(), key=lambda seeder: (seeder.order, seeder.name))


@dataclass(frozen=True)
class ParticipantAdminLink:
    """A button on a participant's admin page, offered by another app (invitations: "Invite
    now"). `render(participant)` returns safe HTML (format_html) or None to show nothing."""

    name: str
    render: Callable[[Participant], str | None]
    order: int = 100


_participant_admin_links: dict[str, ParticipantAdminLink] = {}


def register_participant_admin_link(link: ParticipantAdminLink) -> None:
    _participant_admin_links[link.name] = link


def participant_admin_links() -> list[ParticipantAdminLink]:
    return sorted(_participant_admin_links.values(), key=lambda link: (link.order, link.name))


# --- "never invited" on the roster pages ---------------------------------------------------------

# Whether a participant was ever invited is the invitations app's knowledge. It registers a
# function returning a boolean expression over Participant rows (an `Exists` on its invitations);
# the roster's counts and its sidebar filter use it, and leave "never invited" out without it.
_ever_invited: Callable[[], Any] | None = None


def register_ever_invited(condition: Callable[[], Any]) -> None:
    global _ever_invited
    _ever_invited = condition


def ever_invited_condition():
    """The registered boolean expression (True for participants ever invited), or None."""
    return _ever_invited() if _ever_invited is not None else None


# --- reactions to an adviser's address correction ----------------------------------------------


@dataclass(frozen=True)
class AddressChangeReaction:
    """What another app does when an adviser changes a participant's address (or puts the old
    one back): `react(participant=..., old_email=...)`, inside the same transaction. Invitations:
    links mailed to an address that is no longer the person's stop working."""

    name: str
    react: Callable[..., None]


_address_change_reactions: dict[str, AddressChangeReaction] = {}


def register_address_change_reaction(reaction: AddressChangeReaction) -> None:
    _address_change_reactions[reaction.name] = reaction


def address_change_reactions() -> list[AddressChangeReaction]:
    return sorted(_address_change_reactions.values(), key=lambda reaction: reaction.name)


# --- "and invite now" where an adviser fixes a bad address --------------------------------------


@dataclass(frozen=True)
class InviteAfterFix:
    """How another app invites a participant whose bad address an adviser has just corrected
    (invitations: a direct invitation), offered on the bad-address page. The adviser needs
    `permission` for it to act; `invite(participant=..., actor=...)` returns the sentence to add
    to the confirmation (invited, or why not)."""

    permission: str
    invite: Callable[..., str]


_invite_after_fix: InviteAfterFix | None = None


def register_invite_after_fix(hook: InviteAfterFix) -> None:
    global _invite_after_fix
    _invite_after_fix = hook


def invite_after_fix() -> InviteAfterFix | None:
    """The registered hook, or None (then the page offers no invitation)."""
    return _invite_after_fix


# --- kinds of staff action in the audit log -----------------------------------------------------

# Each app names the actions it records (`members.audit.record_staff_action(kind=...)`) here from
# its `AppConfig.ready()`, so that a new app's actions need no change (and no migration) in
# members. The code is what the database keeps; the label is what the audit log shows.
AUDIT_KIND_MAX_LENGTH = 32
_audit_kinds: dict[str, Any] = {}


def register_audit_kind(code: str, label: Any) -> None:
    if len(code) > AUDIT_KIND_MAX_LENGTH:
        raise ValueError(f"audit kind {code!r} is longer than {AUDIT_KIND_MAX_LENGTH} characters")
    _audit_kinds[code] = label


def audit_kinds() -> list[tuple[str, Any]]:
    """(code, label) of every registered kind, by label."""
    return sorted(_audit_kinds.items(), key=lambda item: str(item[1]))


def audit_kind_label(code: str) -> str:
    """The kind's label; an unregistered one (an app removed since) shows its code."""
    return str(_audit_kinds.get(code, code))


def validate_audit_kind(code: str) -> None:
    from django.core.exceptions import ValidationError

    if code not in _audit_kinds:
        raise ValidationError(
            _("%(code)s is not a registered kind of staff action."), params={"code": code}
        )


# --- a new member's account ---------------------------------------------------------------------


@dataclass(frozen=True)
class MemberJoinedReaction:
    """What another app does when a participant's account is created and linked (an accepted
    invitation): `react(participant=...)`, inside the same transaction. Community: the new member
    follows the network room and their home country's branch room."""

    name: str
    react: Callable[..., None]


_member_joined_reactions: dict[str, MemberJoinedReaction] = {}


def register_member_joined_reaction(reaction: MemberJoinedReaction) -> None:
    _member_joined_reactions[reaction.name] = reaction


def member_joined_reactions() -> list[MemberJoinedReaction]:
    return sorted(_member_joined_reactions.values(), key=lambda reaction: reaction.name)


# --- an activity's discussion -------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityDiscussion:
    """Where members talk about an activity (community: a topic per published activity), without
    activities and community importing each other. `open(activity_id=..., title=...,
    country=...)` is called by activities when an activity is published, in its transaction, and
    must be safe to call again; `url(activity_id)` returns the discussion's address for a member,
    or None when there is none (yet)."""

    open: Callable[..., None]
    url: Callable[[int], str | None]


_activity_discussion: ActivityDiscussion | None = None


def register_activity_discussion(hook: ActivityDiscussion) -> None:
    global _activity_discussion
    _activity_discussion = hook


def activity_discussion() -> ActivityDiscussion | None:
    """The registered hook, or None (then activities have no discussion)."""
    return _activity_discussion
