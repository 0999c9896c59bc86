"""Forms of the member pages. They parse and check; members.services saves."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from html import escape

import phonenumbers
from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber

from core.countries import all_countries_by_name
from core.zones import zone_for_country
from members.extensions import personal_data_sources
from members.language import languages_in_own_names
from members.models import ExpertiseField
from members.models import Language
from members.models import Participant
from members.vocabulary import ByShownNameChoiceField
from members.vocabulary import ByShownNameMultipleChoiceField

# The profile's newsletter checkbox; the unsubscribe pages name it with these same words.
NEWSLETTER_LABEL = _("Send me the monthly newsletter")


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        zone
        for zone in zoneinfo.available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return [
        ("", _("Choose your time zone")),
        *((zone, zone.replace("_", " ")) for zone in zones),
        ("UTC", "UTC"),
    ]


def suggested_time_zone(country_code: str) -> str:
    """The country's main zone ("" for none), as invitations time theirs."""
    return zone_for_country(country_code, default="")


def phone_prefix(country_code: str) -> str:
    """'+254' for Kenya: what a phone number from that country starts with."""
    code = phonenumbers.country_code_for_region(country_code or "")
    return f"+{code}" if code else ""


def _country_label(country_code: int) -> str:
    """'Kenya (+254)' for 254: the country a number was read as, in the member's words."""
    region = phonenumbers.region_code_for_country_code(country_code)
    name = countries.name(region) if region != phonenumbers.UNKNOWN_REGION else ""
    return f"{name} (+{country_code})" if name else f"+{country_code}"


def _example_for(country_code: int) -> str:
    region = phonenumbers.region_code_for_country_code(country_code)
    # A mobile number where the country has one: what members mostly type.
    example = phonenumbers.example_number_for_type(
        region, phonenumbers.PhoneNumberType.MOBILE
    ) or phonenumbers.example_number(region)
    if example is None:
        return ""
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class SuggestedPrefixPhoneField(PhoneNumberField):
    """The form pre-fills the country's code ("+254 "); left alone, that means no number.

    A number that is not valid gets a message that says what is wrong with it, from phonenumbers'
    own verdict: too short or too long for the country it was read as, or an unknown country code.
    Only a number that cannot be read at all is asked for again with its country code."""

    def to_python(self, value):
        raw = (value or "").strip()
        if raw.startswith("+") and raw[1:].strip().isdigit() and len(raw[1:].strip()) <= 3:
            return self.empty_value
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values or not isinstance(value, PhoneNumber):
            return
        if value.country_code and value.is_valid():
            return
        raise forms.ValidationError(self._problem(value), code="invalid")

    def _problem(self, number: PhoneNumber) -> str:
        raw = (number.raw_input or "").strip()
        typed_code = raw.startswith(("+", "00"))
        if not number.country_code:
            # phonenumbers could not parse it: its reason tells an unknown code from the rest.
            reason = None
            try:
                phonenumbers.parse(raw, self.region)
            except phonenumbers.NumberParseException as error:
                reason = error.error_type
            if reason == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE and typed_code:
                return self._unknown_code()
            if reason == phonenumbers.NumberParseException.TOO_LONG:
                return gettext("This is too long to be a phone number. Check for extra digits.")
            return self.error_messages["invalid"]
        verdict = phonenumbers.is_possible_number_with_reason(number)
        if verdict == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
            return self._unknown_code()
        where = {"where": _country_label(number.country_code)}
        if verdict == phonenumbers.ValidationResult.TOO_SHORT:
            text = gettext("This number is too short for %(where)s: digits are missing.") % where
        elif verdict == phonenumbers.ValidationResult.TOO_LONG:
            text = gettext("This number is too long for %(where)s: check for extra digits.") % where
        else:
            text = gettext("This is not a phone number in use in %(where)s.") % where
        example = _example_for(number.country_code)
        if example:
            text += " " + gettext("A full number looks like %(example)s.") % {"example": example}
        if not typed_code:
            # It was read as a local number of the member's country; it may be from elsewhere.
            text += " " + gettext(
                "If it is a number in another country, start with + and its code."
            )
        return text

    def _unknown_code(self) -> str:
        text = gettext("The digits after + are not a country code. Check them.")
        code = phonenumbers.country_code_for_region(self.region or "")
        if code:
            text += " " + gettext("For example, numbers in %(where)s start with +%(code)s.") % {
                "where": countries.name(self.region),
                "code": code,
            }
        return text


class LanguageSelect(forms.Select):
    """Languages listed each in its own name ("Français"), each option marked with its language so
    that a screen reader pronounces it right and a French page is not taken to show English."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["lang"] = str(value)
        return option


class ProfileForm(forms.ModelForm):
    """Everything a member keeps on their profile. The phone number is read in the member's
    country (a local number gets that country's code) and stored in international (E.164) form."""

    phone = SuggestedPrefixPhoneField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=time_zone_choices)
    expertise = ByShownNameMultipleChoiceField(
        label=_("Fields of expertise"),
        queryset=ExpertiseField.objects.filter(is_approved=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    suggested_expertise = forms.CharField(
        label=_("Suggest another field of expertise"),
        required=False,
        max_length=100,
        help_text=_("Norec's staff look at suggestions and add them to the list."),
    )
    languages = ByShownNameMultipleChoiceField(
        label=_("Languages you speak"),
        queryset=Language.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    directory_visibility = forms.ChoiceField(
        label=_("Can other members find you in the directory?"),
        choices=Participant.Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Hidden: nobody but Norec's staff sees your profile. Visible: registered members see "
            "your name, organisation, position, country, city, fields of expertise, languages, "
            "bio and LinkedIn page (never your email address or phone number)."
        ),
    )
    linkedin_url = forms.URLField(
        label=_("LinkedIn profile"),
        required=False,
        assume_scheme="https",
        help_text=_("For example https://www.linkedin.com/in/your-name"),
    )
    privacy_consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that Norec keeps my profile."),
        required=True,
    )

    class Meta:
        model = Participant
        fields = [
            "first_name",
            "last_name",
            "phone",
            "residence_country",
            "city",
            "organisation",
            "position",
            "expertise",
            "languages",
            "bio",
            "linkedin_url",
            "time_zone",
            "preferred_language",
            "newsletter_subscribed",
            "directory_visibility",
            "resource_person",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4}), "preferred_language": LanguageSelect}
        labels = {
            "newsletter_subscribed": NEWSLETTER_LABEL,
            "resource_person": _(
                "Norec may ask me to help as a lecturer, interpreter, mentor or facilitator"
            ),
            "preferred_language": _("Language of the portal and of Norec's emails to you"),
        }
        help_texts = {
            "bio": _("A few sentences about your work (2,000 characters at most)."),
            "resource_person": "",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        participant: Participant = self.instance
        region = str(participant.residence_country or participant.home_country or "") or None
        # A local number ("0712 345 678") is read as a number of the member's own country.
        if region and region in phonenumbers.SUPPORTED_REGIONS:
            self.fields["phone"].region = region
        prefix = phone_prefix(region or "")
        example = (
            PhoneNumber.from_string(
                phonenumbers.format_number(
                    phonenumbers.example_number(region), phonenumbers.PhoneNumberFormat.E164
                )
            ).as_international
            if region and phonenumbers.example_number(region)
            else "+47 406 12 345"
        )
        self.fields["phone"].help_text = _("With your country code, for example %(example)s.") % {
            "example": example
        }
        self.fields["phone"].error_messages["invalid"] = _(
            "This is not a phone number we can read. Write it with the country code, for "
            "example %(example)s."
        ) % {"example": example}
        if participant.phone:
            self.initial["phone"] = participant.phone.as_international
        elif prefix and not self.is_bound:
            # The country's code, suggested: the member types the rest.
            self.initial["phone"] = f"{prefix} "
        self.fields["phone"].widget.attrs["placeholder"] = example
        if participant.time_zone and participant.time_zone not in dict(time_zone_choices()):
            # A zone set elsewhere (an import, the admin) stays valid on the member's form.
            self.fields["time_zone"].choices = [
                *time_zone_choices(),
                (participant.time_zone, participant.time_zone),
            ]
        if not participant.time_zone and not self.is_bound:
            # The country's main time zone, suggested; the member can choose another.
            self.initial["time_zone"] = suggested_time_zone(region or "")
        self.fields["residence_country"].choices = [
            ("", _("Choose a country")),
            *all_countries_by_name(),
        ]
        # Each language named in itself, as in the footer's switcher: "Français" whatever the page
        # is shown in. The pages and every mail follow the choice (members/language.py).
        self.fields["preferred_language"].choices = languages_in_own_names()
        self.fields["directory_visibility"].required = True
        if participant.visibility_chosen_at is None and not self.is_bound:
            # Privacy by default: nothing is pre-selected until the member chooses.
            self.initial["directory_visibility"] = None
        if (
            participant.privacy_consent_at
            and participant.privacy_notice_version == settings.PRIVACY_NOTICE_VERSION
        ):
            del self.fields["privacy_consent"]

    # The long checkbox lists (~35 languages, ~20 fields) fold into a <details> on the page.
    FOLDED_CHOICES = ("expertise", "languages")

    def chosen_labels(self) -> dict[str, list[str]]:
        """What is ticked in each folded list, for its summary line (as typed on a failed post)."""
        return {
            name: [choice.choice_label for choice in self[name] if choice.data["selected"]]
            for name in self.FOLDED_CHOICES
        }

    def clean_phone(self):
        return self.cleaned_data.get("phone") or ""

    def clean_suggested_expertise(self):
        return " ".join(self.cleaned_data.get("suggested_expertise", "").split())

    def clean_linkedin_url(self):
        url = self.cleaned_data.get("linkedin_url", "")
        if url and "linkedin.com/" not in url.lower():
            raise forms.ValidationError(
                _("This is not a LinkedIn address. It starts with https://www.linkedin.com/")
            )
        return url


class QuickSelect(forms.Select):
    """A <select> rendered in one pass in Python. Django renders each <option> through a template,
    which costs ~10 ms for a list of 250 countries; the directory shows three such lists on
    every request, so it renders them here (same HTML, escaped the same way)."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(str(key))}"'
            f"{' selected' if str(key) == selected else ''}>{escape(str(label))}</option>"
            for key, label in self.choices
        )
        # Keys and labels are escaped above.
        return mark_safe(f"<select{flatatt(final_attrs)}>{options}</select>")


class DirectorySearchForm(forms.Form):
    """The directory's search and filters. Every field is optional and travels in the URL (GET),
    so a search can be bookmarked and shared."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, organisation, …")}),
    )
    expertise = ByShownNameChoiceField(
        label=_("Field of expertise"),
        queryset=ExpertiseField.objects.filter(is_approved=True),
        required=False,
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    language = ByShownNameChoiceField(
        label=_("Language"),
        queryset=Language.objects.all(),
        required=False,
        empty_label=_("Any"),
        to_field_name="code",
        widget=QuickSelect,
    )
    home_country = forms.ChoiceField(label=_("Home country"), required=False, widget=QuickSelect)
    residence_country = forms.ChoiceField(label=_("Lives in"), required=False, widget=QuickSelect)
    host_country = forms.ChoiceField(
        label=_("Exchange host country"), required=False, widget=QuickSelect
    )
    programme = forms.ChoiceField(label=_("Programme"), required=False, widget=QuickSelect)
    year = forms.IntegerField(
        label=_("Exchange year"), required=False, min_value=1963, max_value=2100
    )

    def __init__(self, *args, programmes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        country_choices = [("", _("Any")), *all_countries_by_name()]
        for name in ("home_country", "residence_country", "host_country"):
            self.fields[name].choices = country_choices
        self.fields["programme"].choices = [("", _("Any")), *((p, p) for p in programmes)]

    def filters(self) -> dict:
        """The selector's keyword arguments (call after is_valid; invalid fields are dropped)."""
        data = getattr(self, "cleaned_data", {})
        return {
            "text": data.get("q") or "",
            "expertise": data.get("expertise"),
            "language": data.get("language"),
            "home_country": data.get("home_country") or "",
            "residence_country": data.get("residence_country") or "",
            "host_country": data.get("host_country") or "",
            "programme": data.get("programme") or "",
            "year": data.get("year"),
        }


class ContactForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(
        label=_("Message"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, recipient_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        # The promise must say what members.services.contact_message_reply does: the message is
        # relayed without the sender's address, but a reply puts both members in touch.
        self.fields["body"].help_text = _(
            "Your email address is not shown on the site or in the message. If %(name)s "
            "replies, they see your address and you see theirs, so that you can write to each "
            "other directly."
        ) % {"name": recipient_name}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("When you reply, they receive your email address so that you can talk."),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    # The questions other apps ask at deletion (`members.extensions.DeletionChoice`), one field
    # each, named after the app's data source.
    CHOICE_PREFIX = "choice_"

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for source in personal_data_sources():
            question = source.deletion_choice
            if question is None:
                continue
            self.fields[self.CHOICE_PREFIX + source.name] = forms.ChoiceField(
                label=question.label,
                help_text=question.help_text,
                choices=question.choices,
                initial=question.default,
                # Unanswered (a page from before the question), the default applies.
                required=False,
                widget=forms.RadioSelect,
            )
        # The password last, right above the button.
        self.order_fields([name for name in self.fields if name != "password"] + ["password"])

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password. Nothing was deleted."))
        return password

    def deletion_choices(self) -> dict[str, str]:
        """The answers, by data source name, for `participant_delete_account(choices=...)`."""
        return {
            name.removeprefix(self.CHOICE_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(self.CHOICE_PREFIX) and value
        }
