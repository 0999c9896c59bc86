"""Every change to the people data goes through a function here (other apps call these too).

Arranged by what it changes: `addresses` (the address of record and what the ESP says of it),
`accounts` (a roster person, their login, whether they may be invited), `profile` (what the
member says about themselves, the newsletter subscription), `language` (the member's language),
`contact` (the relay between members), `privacy` (consent, download, deletion), `search` (the
directory's search text), and `refusals` (the one exception these raise). Callers import from
`members.services`; this module names the public functions of all of them.
"""

from members.services.accounts import login_exists
from members.services.accounts import participant_allow_invitations
from members.services.accounts import participant_create
from members.services.accounts import participant_create_account
from members.services.accounts import participant_decline_invitations
from members.services.accounts import participant_link_user
from members.services.accounts import participants_guess_language
from members.services.addresses import participant_apply_address_report
from members.services.addresses import participant_apply_verified_email
from members.services.addresses import participant_correct_email
from members.services.addresses import participant_mark_email_status
from members.services.addresses import participant_revert_email_change
from members.services.addresses import participant_set_email
from members.services.contact import CONTACT_LIMITS
from members.services.contact import contact_message_reply
from members.services.contact import contact_message_send
from members.services.language import participant_set_language
from members.services.privacy import participant_delete_account
from members.services.privacy import participant_export_data
from members.services.privacy import participant_record_consent
from members.services.profile import NEWSLETTER_SOURCE_LINK
from members.services.profile import NEWSLETTER_SOURCE_PROFILE
from members.services.profile import NEWSLETTER_SOURCE_STAFF
from members.services.profile import PROFILE_FIELDS
from members.services.profile import expertise_suggest
from members.services.profile import participant_apply_esp_unsubscribe
from members.services.profile import participant_set_newsletter_subscription
from members.services.profile import participant_update_profile
from members.services.refusals import ADDRESS_TAKEN
from members.services.refusals import CONTACT_RATE_LIMITED
from members.services.refusals import CONTACT_UNDELIVERABLE
from members.services.refusals import ParticipantRefused
from members.services.search import fold_for_search
from members.services.search import participant_refresh_search_text

__all__ = [
    "ADDRESS_TAKEN",
    "CONTACT_LIMITS",
    "CONTACT_RATE_LIMITED",
    "CONTACT_UNDELIVERABLE",
    "NEWSLETTER_SOURCE_LINK",
    "NEWSLETTER_SOURCE_PROFILE",
    "NEWSLETTER_SOURCE_STAFF",
    "PROFILE_FIELDS",
    "ParticipantRefused",
    "contact_message_reply",
    "contact_message_send",
    "expertise_suggest",
    "fold_for_search",
    "login_exists",
    "participant_allow_invitations",
    "participant_apply_address_report",
    "participant_apply_esp_unsubscribe",
    "participant_apply_verified_email",
    "participant_correct_email",
    "participant_create",
    "participant_create_account",
    "participant_decline_invitations",
    "participant_delete_account",
    "participant_export_data",
    "participant_link_user",
    "participant_mark_email_status",
    "participant_record_consent",
    "participant_refresh_search_text",
    "participant_revert_email_change",
    "participant_set_email",
    "participant_set_language",
    "participant_set_newsletter_subscription",
    "participant_update_profile",
    "participants_guess_language",
]
