"""allauth hooks: each calls one members service (no logic here)."""

from allauth.account.signals import email_changed
from django.dispatch import receiver

from members import services


@receiver(email_changed, dispatch_uid="members.email_changed")
def on_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    # allauth sends this once the new address is verified (ACCOUNT_CHANGE_EMAIL) or made primary.
    if to_email_address is not None and to_email_address.verified:
        services.participant_apply_verified_email(user=user, email=to_email_address.email)
