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
"""

from __future__ import annotations

import requests
from anymail.exceptions import AnymailAPIError
from billiard.exceptions import SoftTimeLimitExceeded
from botocore.exceptions import EndpointConnectionError
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


def _never_connected(cause: BaseException | None) -> bool:
    """A connection that was never made: no byte of the request left this process."""
    if isinstance(cause, requests.ConnectTimeout | EndpointConnectionError):
        return True  # (botocore's ConnectTimeoutError is an EndpointConnectionError)
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
