"""Whether an ESP batch call that raised can have reached the ESP: the batch sender's promise of
crash safety depends on telling "certainly not taken" from "maybe taken".

- **Certainly not taken**: the ESP answered and refused the call (an HTTP 4xx status: a bad
  token, a malformed or too large request, a rate limit; Postmark's 422 "received but invalid"),
  the connection was never made (refused, a name that does not resolve, a connect timeout), or
  the error came while the call was being built, before anything was posted. Such a group goes
  back to `pending` with its attempt counted, as before.
- **Maybe taken**: nothing was answered after the request went out (a read timeout, a connection
  reset or closed mid-answer, the task's soft time limit inside the call), the ESP answered with
  a 5xx, or it answered 2xx with a body anymail could not read. Such a group is left handed over,
  exactly as a killed worker leaves it: the sweep waits OUTBOUND_UNCERTAIN_SECONDS for the ESP's
  webhooks, which mark sent what it took, and only the rest is sent again.

A 5xx is maybe taken: Postmark and Mailgun document 500 as an error on their side to be retried,
but neither promises that a call failing with it had no effect (a batch of 500 may be partly
queued when the error comes), and a 502/504 from their load balancer says only that the answer
was lost on the way. Counting it as taken when it was not costs those recipients
OUTBOUND_UNCERTAIN_SECONDS of delay; counting it as not taken when it was costs up to a whole
group (500 people) a second copy.

Amazon SES (boto3): an error answer is botocore's ClientError with the HTTP status, read as
above; a connect timeout is botocore's own ConnectTimeoutError (not requests'), never taken. boto3
would send a call again after a read timeout or a 5xx by itself, which for a batch is a second
copy for up to 50 people: the settings switch its retries off (AMAZON_SES_CLIENT_PARAMS), so
such a call raises here once and is left for SES's events like any other. SES answers a bulk
call 200 with a status per entry even when every entry failed; `ses.SesBatchPayload` reads them
one by one rather than letting anymail raise (an answered, refused call is not "maybe taken").
"""

from __future__ import annotations

import requests
from anymail.exceptions import AnymailAPIError
from billiard.exceptions import SoftTimeLimitExceeded
from botocore.exceptions import ConnectTimeoutError
from botocore.exceptions import CredentialRetrievalError
from botocore.exceptions import EndpointConnectionError
from botocore.exceptions import NoCredentialsError
from botocore.exceptions import NoRegionError
from botocore.exceptions import ParamValidationError
from botocore.exceptions import PartialCredentialsError
from botocore.exceptions import TokenRetrievalError
from urllib3.exceptions import NewConnectionError


def answered_status(exc: BaseException) -> int | None:
    """The HTTP status the ESP answered the call with, or None when no answer came."""
    status = getattr(exc, "status_code", None)  # anymail's requests-based backends
    if status is not None:
        return int(status)
    # Amazon SES through boto3: anymail keeps botocore's ClientError as the cause, whose
    # `response` is the parsed answer (a dict, unlike requests' exceptions' Response).
    response = getattr(exc.__cause__, "response", None)
    if isinstance(response, dict):
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return int(status) if status is not None else None
    return None


# What boto3 raises before it sends anything: its parameters refused, no credentials, no region.
# (Not every BotoCoreError: a checksum error comes after SES answered.)
_BOTO_BEFORE_SENDING = (
    ParamValidationError,
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    NoRegionError,
    TokenRetrievalError,
)


def _never_connected(cause: BaseException | None) -> bool:
    """A connection that was never made: no byte of the request left this process."""
    if isinstance(cause, requests.ConnectTimeout | EndpointConnectionError | ConnectTimeoutError):
        return True
    if isinstance(cause, _BOTO_BEFORE_SENDING):
        return True
    if isinstance(cause, requests.ConnectionError) and cause.args:
        # requests wraps urllib3's MaxRetryError, whose `reason` says what failed.
        return isinstance(getattr(cause.args[0], "reason", None), NewConnectionError)
    return False


def certainly_not_taken(exc: BaseException) -> bool:
    """True when the ESP cannot have taken any message of the call that raised `exc`."""
    if isinstance(exc, SoftTimeLimitExceeded):
        return False  # the time limit may strike while the request is out
    if not isinstance(exc, AnymailAPIError):
        # Anymail raises its other errors (an unsupported feature, a value it cannot serialise,
        # an invalid address) while it builds the payload, before posting anything.
        return True
    status = answered_status(exc)
    if status is not None:
        return 400 <= status < 500
    return _never_connected(exc.__cause__)
