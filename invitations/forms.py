"""The participant's forms: accepting an invitation and asking for one."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.countries import all_countries_by_name

FIRST_EXCHANGE_YEAR = 1963


def _consent_label():
    return format_html(
        '{} <a href="{}">{}</a>',
        _("I have read and accept the"),
        reverse("privacy"),
        _("privacy notice"),
    )


class InvitationAcceptForm(forms.Form):
    """What signing up asks: a password (twice) and consent to the privacy notice. The address is
    the invited one, proven by the link, so it is not asked for."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters. A few words you remember make a good password."),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Please accept the privacy notice to join the network.")},
    )

    def __init__(self, *args, email: str, first_name: str = "", last_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = _consent_label()
        # Django's password validators compare the password with these (a password equal to
        # one's own name or address is refused).
        self._user = get_user_model()(email=email, first_name=first_name, last_name=last_name)

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        try:
            get_adapter().clean_password(password, user=self._user)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return password

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same. Type them again."))
        return cleaned


def _country_choices():
    return [("", _("Choose your home country")), *all_countries_by_name()]


class InvitationRequestForm(forms.Form):
    """The public "I have not received an invitation / my address changed" form."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,  # the column's size; Django's own limit (320) would end in a 500
        help_text=_("We send the invitation to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    home_country = forms.ChoiceField(label=_("Home country"), choices=_country_choices)
    exchange_year = forms.IntegerField(
        label=_("Year of your exchange"),
        required=False,
        help_text=_("If you took part more than once, give one of the years."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    partner_organisation = forms.CharField(
        label=_("Organisation you worked with during the exchange"),
        max_length=255,
        required=False,
    )
    message = forms.CharField(
        label=_("Message (optional)"),
        required=False,
        max_length=2000,
        help_text=_("For example the address we may have used before."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # A honeypot: hidden from people (CSS and aria-hidden), filled in by many spam robots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_exchange_year(self) -> int | None:
        year = self.cleaned_data.get("exchange_year")
        this_year = timezone.now().year
        if year is not None and not FIRST_EXCHANGE_YEAR <= year <= this_year:
            raise ValidationError(
                _("Give a year between %(first)s and %(last)s."),
                params={"first": FIRST_EXCHANGE_YEAR, "last": this_year},
            )
        return year

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
