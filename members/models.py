"""The people: logins (User), the roster (Participant) and each person's exchanges."""

from __future__ import annotations

import functools
import operator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import BaseUserManager
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models import TextField
from django.db.models import Value
from django.db.models.functions import Concat
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

from core.models import TimestampedModel
from core.stored_text import shown
from members.extensions import AUDIT_KIND_MAX_LENGTH
from members.extensions import audit_kind_label
from members.extensions import validate_audit_kind


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A login. Email is the login name; a member's names live on their Participant."""

    username = None
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_case_insensitive"),
        ]
        indexes = [
            # The directory leaves out the few deactivated logins without joining every user.
            models.Index(fields=["id"], condition=Q(is_active=False), name="user_inactive_idx"),
        ]

    def __str__(self) -> str:
        return self.email


class ExpertiseField(models.Model):
    """A field of expertise in the staff-curated vocabulary (health, education, ...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_approved = models.BooleanField(
        _("approved"), default=True, help_text=_("Suggestions from members start unapproved.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("field of expertise")
        verbose_name_plural = _("fields of expertise")

    def __str__(self) -> str:
        # The seeded names are in the catalogues (members/vocabulary.py); others show as typed.
        return gettext(self.name) if self.name else ""


class Language(models.Model):
    """A language a member speaks (ISO 639-1 code)."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        # In the reader's language: "Anglais" on a French page (members/vocabulary.py).
        return gettext(self.name) if self.name else ""


# --- the roster's rules, each written once -------------------------------------------------
#
# Who has a bad address, who may be invited and who gets the newsletter are asked in many places:
# wave previews and re-sends, reminders, the sender's last look before each message, the
# dashboard, the roster's filters and counts, the newsletter's audience. Each rule is written here
# once, as the reasons that leave a person out, in the order they are told. The queryset methods
# (`Participant.objects.invitable()`), the conditions for lookups through a relation (`prefix`,
# e.g. "participant__") and the counts per reason all derive from these lists; the properties on
# a loaded row (`Participant.invitation_obstacle`) say the same in Python, for the sender, which
# checks the row it already holds (tests/members/test_rules.py keeps the two in step).

# Why someone is left out (the codes pages and counts use).
REGISTERED = "registered"
DECLINED = "declined"
NO_ADDRESS = "no_address"
BAD_ADDRESS = "bad_address"
NOT_REGISTERED = "not_registered"
UNSUBSCRIBED = "unsubscribed"


def _prefixed(prefix: str, **lookups) -> Q:
    return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})


def _any(conditions: list[tuple[str, Q]]) -> Q:
    return functools.reduce(operator.or_, (condition for _reason, condition in conditions))


def bad_address_q(prefix: str = "") -> Q:
    """The address bounced or was complained about: nothing goes to it until it is corrected."""
    return _prefixed(prefix, email_status__in=Participant.BAD_EMAIL_STATUSES)


def invitation_exclusions(prefix: str = "") -> list[tuple[str, Q]]:
    """Why a person may not be invited, in the order it is told: [(reason, condition)]. (An
    open invitation is the invitations app's own reason, on top of these.)"""
    return [
        (REGISTERED, _prefixed(prefix, user__isnull=False)),
        (DECLINED, _prefixed(prefix, declined_invitations=True)),
        (NO_ADDRESS, _prefixed(prefix, email="")),
        (BAD_ADDRESS, bad_address_q(prefix)),
    ]


def invitable_q(prefix: str = "") -> Q:
    return ~_any(invitation_exclusions(prefix))


def newsletter_exclusions(prefix: str = "") -> list[tuple[str, Q]]:
    """Why a person does not get the newsletter, in the order it is told: a registered member
    with an active login, who has not unsubscribed and whose address works."""
    return [
        (
            NOT_REGISTERED,
            _prefixed(prefix, user__isnull=True) | _prefixed(prefix, user__is_active=False),
        ),
        (UNSUBSCRIBED, _prefixed(prefix, newsletter_subscribed=False)),
        (BAD_ADDRESS, bad_address_q(prefix) | _prefixed(prefix, user__email="")),
    ]


def newsletter_recipient_q(prefix: str = "") -> Q:
    return ~_any(newsletter_exclusions(prefix))


class ParticipantQuerySet(models.QuerySet):
    def with_bad_address(self) -> ParticipantQuerySet:
        return self.filter(bad_address_q())

    def invitable(self) -> ParticipantQuerySet:
        """Who may be invited now, whether or not they hold an open invitation."""
        return self.filter(invitable_q())

    def newsletter_recipients(self) -> ParticipantQuerySet:
        return self.filter(newsletter_recipient_q())


# What the participant list's search reads of the row itself (the roster id, the names, the roster's
# address), in one expression with a trigram index: a search is one index scan, not a LIKE over
# four columns of every row (the index: migration 0013). `ParticipantAdmin.get_search_results`
# uses it; the index's SQL is this expression as Django writes it for PostgreSQL.
ADMIN_SEARCH_TEXT = Concat(
    "participant_id",
    Value(" "),
    "first_name",
    Value(" "),
    "last_name",
    Value(" "),
    "email",
    output_field=TextField(),
)


class Participant(TimestampedModel):
    """One former exchange participant, registered or not: one row per person on the roster."""

    class EmailStatus(models.TextChoices):
        UNKNOWN = "unknown", _("unknown")
        OK = "ok", _("ok")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complained")

    # The statuses that make an address bad (`bad_address_q`).
    BAD_EMAIL_STATUSES = (EmailStatus.BOUNCED, EmailStatus.COMPLAINED)

    class EmailSource(models.TextChoices):
        ROSTER = "roster", _("roster import")
        ADVISER = "adviser", _("set by the adviser")
        MEMBER = "member", _("set by the member")

    class Visibility(models.TextChoices):
        HIDDEN = "hidden", _("Hidden from other members")
        MEMBERS = "members", _("Visible to registered members")

    # --- from the roster
    participant_id = models.CharField(
        _("roster id"),
        max_length=64,
        unique=True,
        help_text=_("The roster's own id; the key for re-imports."),
    )
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email = models.EmailField(_("email address"), blank=True, db_index=True)
    email_status = models.CharField(
        _("email status"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.UNKNOWN
    )
    email_source = models.CharField(
        _("email set by"), max_length=16, choices=EmailSource.choices, default=EmailSource.ROSTER
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    home_country = CountryField(_("home country"), blank=True, db_index=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participant",
    )
    declined_invitations = models.BooleanField(
        _("declined invitations"), default=False, help_text=_("Asked not to be invited again.")
    )

    # --- the member's own profile, once registered
    residence_country = CountryField(_("country of residence"), blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    expertise = models.ManyToManyField(
        ExpertiseField,
        verbose_name=_("fields of expertise"),
        blank=True,
        related_name="participants",
    )
    languages = models.ManyToManyField(
        Language, verbose_name=_("languages spoken"), blank=True, related_name="participants"
    )
    bio = models.TextField(_("short bio"), max_length=2000, blank=True)
    linkedin_url = models.URLField(_("LinkedIn profile"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    directory_visibility = models.CharField(
        _("directory visibility"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.HIDDEN,
    )
    newsletter_subscribed = models.BooleanField(_("receives the newsletter"), default=True)
    # How and when the member left the newsletter, kept until they subscribe again: staff can
    # answer "why do I no longer get it?". Written only by `participant_set_newsletter_subscription`
    # and the profile service, hence not editable in forms.
    newsletter_unsubscribed_at = models.DateTimeField(
        _("unsubscribed from the newsletter at"), null=True, blank=True, editable=False
    )
    newsletter_unsubscribe_source = models.CharField(
        _("unsubscribed through"),
        max_length=40,
        blank=True,
        editable=False,
        help_text=_(
            "The newsletter's unsubscribe link, the member's profile, or their mail provider "
            "through the email service (esp:<name>)."
        ),
    )
    resource_person = models.BooleanField(
        _("resource person"),
        default=False,
        help_text=_("Norec may approach them as a lecturer, interpreter, mentor or facilitator."),
    )
    privacy_consent_at = models.DateTimeField(
        _("privacy notice accepted at"), null=True, blank=True
    )
    privacy_notice_version = models.CharField(
        _("privacy notice version"), max_length=20, blank=True
    )
    visibility_chosen_at = models.DateTimeField(
        _("directory visibility chosen at"),
        null=True,
        blank=True,
        help_text=_("Empty until the member answers the question in the profile completion step."),
    )
    # What the directory's free-text search reads: names, organisation, position, approved fields
    # of expertise and bio, lower-cased in one column with a trigram index, so that one indexed
    # LIKE answers a search instead of an OR over four columns and a join. Kept up to date by
    # `members.services.participant_refresh_search_text` (called by every profile change).
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    deleted_at = models.DateTimeField(
        _("account deleted at"),
        null=True,
        blank=True,
        help_text=_(
            "The member deleted their account: login and profile were erased; the roster row "
            "remains so that they are not invited again."
        ),
    )

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [
            models.Index(fields=["home_country", "email_status"]),
            # The roster's order, whole (with the id), so that a page deep in the list is read
            # from the index alone.
            models.Index(
                fields=["last_name", "first_name", "id"], name="participant_name_order_idx"
            ),
            # The directory lists only visible members, in name order: a small partial index. It
            # carries user_id too, so that counting the directory (which leaves out deactivated
            # logins by user_id) reads the index alone.
            models.Index(
                fields=["last_name", "first_name", "id"],
                include=["user"],
                condition=Q(directory_visibility="members", user__isnull=False, deleted_at=None),
                name="participant_directory_idx",
            ),
            GinIndex(
                fields=["search_text"],
                opclasses=["gin_trgm_ops"],
                condition=Q(directory_visibility="members", user__isnull=False, deleted_at=None),
                name="participant_search_trgm_idx",
            ),
            # And `participant_admin_search_idx`, the trigram index of UPPER(ADMIN_SEARCH_TEXT):
            # created by migration 0013 in SQL (Django 5.2 writes an OpClass around a function
            # inside one parenthesis too many for PostgreSQL).
        ]

    def __str__(self) -> str:
        return self.full_name or self.participant_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_registered(self) -> bool:
        return self.user_id is not None

    @property
    def address_of_record(self) -> str:
        """Where mail goes: the member's own login address once registered, else the roster's."""
        if self.user_id is not None and self.user.email:
            return self.user.email
        return self.email

    @property
    def has_bad_address(self) -> bool:
        return self.email_status in self.BAD_EMAIL_STATUSES

    @property
    def invitation_obstacle(self) -> str | None:
        """`invitation_exclusions` on this row: the first reason it may not be invited, or None."""
        if self.user_id is not None:
            return REGISTERED
        if self.declined_invitations:
            return DECLINED
        if not self.email:
            return NO_ADDRESS
        if self.has_bad_address:
            return BAD_ADDRESS
        return None

    @property
    def newsletter_obstacle(self) -> str | None:
        """`newsletter_exclusions` on this row: the first reason it gets no newsletter, or None."""
        user = self.user if self.user_id is not None else None
        if user is None or not user.is_active:
            return NOT_REGISTERED
        if not self.newsletter_subscribed:
            return UNSUBSCRIBED
        if self.has_bad_address or not user.email:
            return BAD_ADDRESS
        return None

    @property
    def mailable_address(self) -> str:
        """The address of record, or "" when there is none or it bounced or was complained
        about: every one-off mail (activities, the contact relay) asks this before sending."""
        return "" if self.has_bad_address else self.address_of_record

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Exchange(models.Model):
    """One exchange a participant took part in (a person may have several)."""

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="exchanges",
        verbose_name=_("participant"),
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, db_index=True)
    host_country = CountryField(_("host country"), blank=True, db_index=True)
    partner_organisation = models.CharField(_("partner organisation"), max_length=255, blank=True)
    programme = models.CharField(_("programme"), max_length=120, blank=True, db_index=True)

    class Meta:
        ordering = ["year", "id"]
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "year", "host_country", "partner_organisation", "programme"],
                name="exchange_unique_per_participant",
            ),
        ]

    def __str__(self) -> str:
        parts = [
            str(self.year or "?"),
            self.host_country.name if self.host_country else "",
            self.programme,
        ]
        return " · ".join(part for part in parts if part)


class StaffAction(models.Model):
    """An audit record of a staff action that changes or reveals many people at once: an import,
    launching a wave, sending a newsletter, a CSV export of personal data. Who, when and what;
    never the personal data itself, with one exception: an adviser's correction of one person's
    address keeps the old and the new address (with their status and source) in `details`, so
    that a wrong correction can be put back. Written by `members.audit.record_staff_action`."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so the record still says who it was after that account is deleted.
    actor_email = models.CharField(_("staff email"), max_length=254, blank=True)
    # One of the kinds the apps register (`members.extensions.register_audit_kind`).
    kind = models.CharField(
        _("action"),
        max_length=AUDIT_KIND_MAX_LENGTH,
        db_index=True,
        validators=[validate_audit_kind],
    )
    summary = models.CharField(_("what"), max_length=500)
    affected_count = models.PositiveIntegerField(_("people affected"), default=0)
    target_url = models.CharField(_("link"), max_length=500, blank=True)
    # Only for an action on one person (an address correction).
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    details = models.JSONField(
        _("details"),
        default=dict,
        blank=True,
        help_text=_("For an address correction: the old and the new address, status and source."),
    )

    class Meta:
        verbose_name = _("staff action")
        verbose_name_plural = _("staff actions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return _("%(kind)s by %(who)s: %(summary)s") % {
            "kind": self.kind_label,
            "who": self.actor_email or _("command line"),
            "summary": self.summary_shown,
        }

    @property
    def summary_shown(self) -> str:
        """The summary in the reader's language (it is stored as a sentence: core.stored_text)."""
        return shown(self.summary)

    @property
    def kind_label(self) -> str:
        return audit_kind_label(self.kind)


class ResourcePerson(Participant):
    """Members who said Norec may approach them as a lecturer, interpreter, mentor or facilitator:
    the same rows as Participant, with their own admin list for staff who look for one."""

    class Meta:
        proxy = True
        verbose_name = _("resource person")
        verbose_name_plural = _("resource persons")


class ContactMessage(models.Model):
    """A message one member sent another through the directory's contact form.

    The portal relays it: the recipient gets the text by mail from the portal's own address with a
    link to a reply page, and neither address is shown. Only when the recipient replies does the
    original sender learn the recipient's address (the reply carries it as Reply-To), and the
    recipient sees the sender's address on the reply page: answering is choosing to be in touch.
    The row is the staff's contact log (who wrote to whom, when, replied or not) and is erased with
    either member's account.
    """

    sender = models.ForeignKey(
        Participant,
        verbose_name=_("from"),
        on_delete=models.CASCADE,
        related_name="contact_messages_sent",
    )
    recipient = models.ForeignKey(
        Participant,
        verbose_name=_("to"),
        on_delete=models.CASCADE,
        related_name="contact_messages_received",
    )
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("message"), max_length=3000)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    reply_body = models.TextField(_("reply"), max_length=3000, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}: {self.subject}"
