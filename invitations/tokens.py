"""Invitation links: unguessable, never stored, revocable.

A token is `<invitation id in base 36>-<40 hex digits>`. The hex part is the first 160 bits of
HMAC-SHA256 keyed with SECRET_KEY over the invitation id and its random `token_nonce` (128 bits,
stored). As with Django's password-reset tokens, nothing in the database rebuilds a link:
a copy of the database without SECRET_KEY opens no invitation. Revoking an invitation rotates its
nonce (`invitations.services.invitation_revoke`), which kills every link ever sent for it.

Whether a link may still be used (single use, expiry, revocation) is the invitation's status, which
the caller checks: `invitation_for_token` answers only "which invitation is this link for?".
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare
from django.utils.crypto import salted_hmac
from django.utils.http import base36_to_int
from django.utils.http import int_to_base36

from invitations.models import Invitation

_KEY_SALT = "invitations.tokens.invitation_token"
_DIGEST_HEX_CHARS = 40  # 160 bits
# A base-36 id of 13 characters already exceeds a bigint; anything longer is junk.
_MAX_ID_CHARS = 13
_MAX_BIGINT = 2**63 - 1


def _digest(invitation_id: int, nonce: str) -> str:
    value = f"{invitation_id}:{nonce}"
    return salted_hmac(_KEY_SALT, value, algorithm="sha256").hexdigest()[:_DIGEST_HEX_CHARS]


def invitation_token(invitation: Invitation) -> str:
    """The secret part of the invitation's link (for `invitations:accept` and
    `invitations:decline`). The same invitation gives the same token until its nonce rotates."""
    if invitation.pk is None:
        raise ValueError("An invitation needs to be saved before it has a token.")
    return f"{int_to_base36(invitation.pk)}-{_digest(invitation.pk, invitation.token_nonce)}"


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a token was made for, whatever its status, or None when the token is
    malformed, unknown, or was made before the nonce rotated (revoked). The digest is compared in
    constant time. The participant comes along (select_related) since every page greets them."""
    if not isinstance(token, str) or token.count("-") != 1:
        return None
    id_part, digest = token.split("-")
    if not id_part or len(id_part) > _MAX_ID_CHARS or len(digest) != _DIGEST_HEX_CHARS:
        return None
    try:
        invitation_id = base36_to_int(id_part)
    except ValueError:
        return None
    if invitation_id > _MAX_BIGINT:
        return None
    invitation = (
        Invitation.objects.select_related("participant", "wave").filter(pk=invitation_id).first()
    )
    if invitation is None:
        return None
    if not constant_time_compare(digest, _digest(invitation.pk, invitation.token_nonce)):
        return None
    return invitation
