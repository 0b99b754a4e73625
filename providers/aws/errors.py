"""How AWS errors become gaps or one-line errors: the codes of access denied, disabled regions,
expired credentials and throttling, and the unreachable endpoint.

A per-scope failure becomes a ``Gap`` naming the account, region and service, with a short reason
(``access-denied``, ``api-disabled``, ``throttled``, ``unreachable``, ``error``) and the SDK's
message cut down to one line without HTML or full URLs; expired credentials end the run.
"""

from __future__ import annotations

from botocore.exceptions import (  # type: ignore[import-untyped]
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from providers.base import CredentialsError
from providers.live import short_message
from scanner.model import Gap

SOURCE = "aws-live"
#: Error codes that mean "this identity may not do this here".
ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "AuthorizationErrorException", "UnauthorizedException", "Forbidden", "403",
})
#: Error codes of a region that is not enabled for the account or a service it is not subscribed to
#: (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html, checked 2026-11-30).
API_DISABLED = frozenset({
    "OptInRequired", "SubscriptionRequiredException", "UnrecognizedClientException", "InvalidClientTokenId",
    "AuthFailure", "NotSubscribed",
})
#: Credentials that are no longer valid anywhere: the run stops with one line.
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
#: Network failures: the endpoint could not be reached or stopped answering.
UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


def _throttling_codes() -> frozenset[str]:
    """botocore's own list of throttling error codes (the ones its retry modes back off on)."""
    from botocore.retries.standard import ThrottledRetryableChecker  # type: ignore[import-untyped]

    codes = getattr(ThrottledRetryableChecker, "_THROTTLED_ERROR_CODES", ())
    return frozenset(codes) | {"Throttling", "ThrottlingException", "TooManyRequestsException", "SlowDown"}


THROTTLED = _throttling_codes()


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {})
               .get("HTTPStatusCode") or "unknown")


def gap_reason(exc: Exception) -> str:
    """The ``Gap.reason`` for an SDK error raised while reading one scope."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in ACCESS_DENIED or "AccessDenied" in code:
            return "access-denied"
        if code in API_DISABLED:
            return "api-disabled"
        if code in THROTTLED:
            return "throttled"
    if isinstance(exc, UNREACHABLE):
        return "unreachable"
    return "error"


def credentials_message(detail: str) -> str:
    return (f"AWS credentials are missing, expired or invalid ({short_message(detail, 160)}); sign in again "
            "(e.g. `aws sso login` or `aws configure`) or pick a profile with --profile")


_WHAT = {"access-denied": "access denied", "api-disabled": "region or service not enabled",
         "throttled": "throttled after all retries", "unreachable": "endpoint unreachable", "error": "request failed"}


def scope_gap(exc: Exception, account: str, region: str, service: str) -> Gap:
    """A ``Gap`` naming what could not be read, or a raise for errors that are not per-scope."""
    if isinstance(exc, ClientError) and error_code(exc) in EXPIRED:
        raise CredentialsError(credentials_message(error_code(exc))) from None
    reason = gap_reason(exc)
    if isinstance(exc, ClientError):
        detail = f"{error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}".rstrip(": ")
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return Gap(SOURCE, f"account {account}, region {region}, service {service}: {_WHAT[reason]} "
                       f"({short_message(detail)}); its resources are missing from the inventory", reason)


# --- sessions and clients -----------------------------------------------------------------------
