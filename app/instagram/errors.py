"""Typed errors for failed Instagram API calls, parsed from Meta's error bodies.

The class tells the caller what to do (retry, renew the connection, tell the agent
why a reply failed, tell the admins); `user_message` says it to staff in a sentence.
Mapping follows the error table in docs/meta-protocol.md#errors.

Every message is passed through `redact`, so `str()`, `repr()` and `args` of these
exceptions never carry an access token or the app secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.instagram.redaction import redact

__all__ = [
    "GraphError",
    "TransientError",
    "RateLimitedError",
    "TokenInvalidError",
    "OutsideWindowError",
    "RecipientUnavailableError",
    "BadRequestError",
    "MissingPermissionError",
    "error_class_for",
    "error_from_response",
]


class GraphError(Exception):
    """A call to Meta's API failed. Unknown codes land here and are not retried.

    Attributes:
        message: Meta's own message (redacted), for logs and admins.
        code, subcode: Meta's `code` / `error_subcode`, or None (transport errors).
        http_status: the HTTP status, or None when no response arrived.
        fbtrace_id: Meta's trace id, worth quoting to Meta support.
        error_type: Meta's `type` (e.g. "OAuthException"), or None.
        user_message: one readable sentence for staff.
        retryable: whether trying the same call again later can succeed.
        retry_after: seconds to wait before retrying (a hint), or None when not retryable.
        delivery_uncertain: the request may have reached Meta and been acted on even though no
            usable answer came back (a read timeout, a dropped connection, a send answered
            without a message id). Retrying such a send could deliver it twice.
    """

    retryable: bool = False
    default_user_message = "Instagram refused the request."
    default_retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        fbtrace_id: str | None = None,
        error_type: str | None = None,
        user_message: str | None = None,
        retry_after: float | None = None,
        delivery_uncertain: bool = False,
        secrets: Iterable[str | None] = (),
    ) -> None:
        secrets = tuple(secrets)
        self.delivery_uncertain = delivery_uncertain
        self.message = redact(str(message), secrets)
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        # Even these come from the response body, so they are redacted too.
        self.fbtrace_id = redact(fbtrace_id, secrets) if fbtrace_id else None
        self.error_type = redact(error_type, secrets) if error_type else None
        self.user_message = redact(user_message, secrets) if user_message else self.default_user_message
        if not self.retryable:
            self.retry_after = None
        elif retry_after is not None:
            self.retry_after = max(0.0, float(retry_after))
        else:
            self.retry_after = self.default_retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        details = [
            f"{label} {value}"
            for label, value in (
                ("code", self.code),
                ("subcode", self.subcode),
                ("HTTP", self.http_status),
                ("fbtrace_id", self.fbtrace_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, subcode={self.subcode!r}, "
            f"http_status={self.http_status!r}, fbtrace_id={self.fbtrace_id!r}, message={self.message!r})"
        )

    def __reduce__(self):
        # The keyword-only constructor defeats Exception's default pickling; RQ and
        # multiprocessing pickle exceptions, so rebuild from the (already redacted) state.
        return _restore, (type(self), self.args, dict(self.__dict__))


def _restore(cls: type[GraphError], args: tuple, state: dict) -> GraphError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class TransientError(GraphError):
    """Meta had a hiccup (codes 1, 2, HTTP 5xx) or the network failed: retry with backoff."""

    retryable = True
    default_user_message = "Instagram could not be reached just now; it will be tried again shortly."
    default_retry_after = 10.0


class RateLimitedError(GraphError):
    """Too many calls (codes 4, 17, 32, 613, subcode 2534040, HTTP 429): retry later, slower."""

    retryable = True
    default_user_message = (
        "Instagram is limiting how fast this account can act; it will be tried again in a few minutes."
    )
    default_retry_after = 60.0


class TokenInvalidError(GraphError):
    """The access token is expired, revoked or otherwise dead (code 190): reconnect the account."""

    default_user_message = "The Instagram connection needs to be renewed."


class OutsideWindowError(GraphError):
    """The reply window has closed (code 10 with subcode 2534022 or 2018278)."""

    default_user_message = (
        "Instagram only allows replies within 24 hours of the customer's last message "
        "(7 days for a reply sent by a human agent)."
    )


class RecipientUnavailableError(GraphError):
    """The person cannot receive messages (551; 200/1545041; 10/2018108): do not retry."""

    default_user_message = (
        "This person isn't available on Instagram right now; they may have blocked the account "
        "or stopped receiving messages."
    )


class BadRequestError(GraphError):
    """Meta rejected what we sent (code 100: bad recipient, bad data, unusable media)."""

    default_user_message = "Instagram rejected the request as invalid."


class MissingPermissionError(GraphError):
    """The app or token lacks a permission (code 10, 200-299): an admin has to act."""

    default_user_message = (
        "The Instagram connection is missing a permission this action needs; ask an admin to reconnect it."
    )


_TRANSIENT_CODES = frozenset({1, 2})
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
_RATE_LIMIT_SUBCODES = frozenset({2534040})
_OUTSIDE_WINDOW_SUBCODES = frozenset({2534022, 2018278})

# Sentences for staff where the subcode says more than the class does.
_SUBCODE_USER_MESSAGES: Mapping[tuple[int | None, int | None], str] = {
    (100, 2534014): "Instagram could not find this recipient.",
    (100, 2534015): "Instagram did not accept the message content.",
    (100, 2018008): "Instagram could not download the attachment from its link.",
    (100, 2018109): "The attachment is larger than Instagram allows (8 MB for images, 25 MB otherwise).",
}


def error_class_for(code: int | None, subcode: int | None, http_status: int | None) -> type[GraphError]:
    """Pick the error class for a Graph error `code`/`subcode` and HTTP status."""
    if code == 190:
        return TokenInvalidError
    if http_status == 429 or code in _RATE_LIMIT_CODES or subcode in _RATE_LIMIT_SUBCODES:
        return RateLimitedError
    if code in _TRANSIENT_CODES:
        return TransientError
    if code == 10 and subcode in _OUTSIDE_WINDOW_SUBCODES:
        return OutsideWindowError
    if code == 551 or (code == 200 and subcode == 1545041) or (code == 10 and subcode == 2018108):
        return RecipientUnavailableError
    if code == 100:
        return BadRequestError
    if code == 10 or (code is not None and 200 <= code <= 299):
        return MissingPermissionError
    if http_status is not None and http_status >= 500:
        return TransientError
    return GraphError


def _oauth_error_class(code: int | None, http_status: int | None) -> type[GraphError]:
    # The OAuth endpoint's flat shape carries an HTTP-like `code` (400), not a Graph code.
    if code == 190:
        return TokenInvalidError
    if 429 in (code, http_status):
        return RateLimitedError
    if any(status is not None and status >= 500 for status in (code, http_status)):
        return TransientError
    return BadRequestError


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def error_from_response(
    http_status: int,
    payload: Any,
    *,
    retry_after: float | None = None,
    secrets: Iterable[str | None] = (),
) -> GraphError:
    """Build the fitting `GraphError` subclass from a failed response.

    `payload` is the decoded JSON body, or None when the body was not JSON. Understood
    shapes: Graph `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`,
    the OAuth endpoint's flat `{"error_type", "code", "error_message"}` and the OAuth 2
    `{"error": "...", "error_description": "..."}`. `secrets` (the token, app secret,
    code used for the call) are masked wherever they appear.
    """
    secrets = tuple(secrets)
    body = payload if isinstance(payload, dict) else {}
    graph = body.get("error") if isinstance(body.get("error"), dict) else None

    if graph is not None:
        code = _as_int(graph.get("code"))
        subcode = _as_int(graph.get("error_subcode"))
        cls = error_class_for(code, subcode, http_status)
        if cls is GraphError and graph.get("is_transient") is True:
            cls = TransientError
        user_message = _SUBCODE_USER_MESSAGES.get((code, subcode))
        if user_message is None and cls in (GraphError, BadRequestError):
            # Meta's end-user wording beats our generic sentence when it bothers to give one.
            user_message = _as_text(graph.get("error_user_msg"))
        return cls(
            _as_text(graph.get("message")) or f"Instagram API error (HTTP {http_status})",
            code=code,
            subcode=subcode,
            http_status=http_status,
            fbtrace_id=_as_text(graph.get("fbtrace_id")),
            error_type=_as_text(graph.get("type")),
            user_message=user_message,
            retry_after=retry_after,
            secrets=secrets,
        )

    if "error_type" in body or isinstance(body.get("error"), str):
        code = _as_int(body.get("code"))
        cls = _oauth_error_class(code, http_status)
        message = (
            _as_text(body.get("error_message"))
            or _as_text(body.get("error_description"))
            or _as_text(body.get("error"))
            or f"Instagram OAuth error (HTTP {http_status})"
        )
        return cls(
            message,
            code=code,
            http_status=http_status,
            error_type=_as_text(body.get("error_type")) or _as_text(body.get("error")),
            user_message=(
                "Instagram did not accept the sign-in; please try connecting the account again."
                if cls is BadRequestError
                else None
            ),
            retry_after=retry_after,
            secrets=secrets,
        )

    # No recognisable error body (an HTML page from a proxy, an empty 502...).
    cls = error_class_for(None, None, http_status)
    return cls(
        f"Instagram API answered HTTP {http_status} without an error body",
        http_status=http_status,
        retry_after=retry_after,
        # A gateway timeout means the proxy gave up waiting: Meta may still have acted.
        delivery_uncertain=http_status == 504,
    )
