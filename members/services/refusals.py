"""What members' services refuse, and the codes a caller may treat apart."""

from core.refusals import Refused


class ParticipantRefused(Refused):
    """members' "no": an address correction, a contact message, an account or a roster file
    that cannot be made (see `core.refusals`)."""


# `ParticipantRefused.code` of the refusals a caller may treat apart.
ADDRESS_TAKEN = "address_taken"
CONTACT_RATE_LIMITED = "contact_rate_limited"
CONTACT_UNDELIVERABLE = "contact_undeliverable"
