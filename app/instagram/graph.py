"""Client for the Instagram Graph API and Instagram Business Login (OAuth).

Pure HTTP: no Flask, no database. Every base URL and the API version are passed in,
so tests and demos can point it at a local stand-in of Meta's API.

Failures raise `app.instagram.errors.GraphError` subclasses; local validation raises
`ValueError` (`MessageTooLong` for over-long text). Tokens travel in the
`Authorization` header except where Meta requires them in the query string (the two
token endpoints); they never appear in exception text or in log lines.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode, urlsplit

import requests
import urllib3

from app.instagram.errors import GraphError, TransientError, error_from_response
from app.instagram.redaction import install_log_redaction

__all__ = [
    "ATTACHMENT_TYPES",
    "DEFAULT_SCOPES",
    "MAX_COMMENT_CHARS",
    "MAX_TEXT_BYTES",
    "SUBSCRIBED_FIELDS",
    "GraphClient",
    "LongLivedToken",
    "MessageTooLong",
    "OutgoingAttachment",
    "SendResult",
    "ShortLivedToken",
]

log = logging.getLogger(__name__)

# Webhook fields the inbox needs for an account.
SUBSCRIBED_FIELDS = (
    "messages",
    "message_reactions",
    "messaging_seen",
    "messaging_postbacks",
    "messaging_referral",
    "message_edit",
    "comments",
    "live_comments",
)
# Comments on the account's posts, reels, ads and Live broadcasts need their own permission.
COMMENTS_SCOPE = "instagram_business_manage_comments"
DEFAULT_SCOPES = ("instagram_business_basic", "instagram_business_manage_messages", COMMENTS_SCOPE)
PROFILE_FIELDS = (
    "name",
    "username",
    "profile_pic",
    "follower_count",
    "is_user_follow_business",
    "is_business_follow_user",
    "is_verified_user",
)
ME_FIELDS = ("user_id", "username", "name", "profile_picture_url")
# What the history import reads of each message (Conversations API).
HISTORY_MESSAGE_FIELDS = "id,created_time,from,to,message,attachments"
MEDIA_FIELDS = ("id", "caption", "media_type", "media_product_type", "media_url", "thumbnail_url", "permalink",
                "timestamp")
ATTACHMENT_TYPES = frozenset({"image", "video", "audio", "file"})
MAX_TEXT_BYTES = 1000
# Instagram's limit on a comment's length (a public reply is a comment).
MAX_COMMENT_CHARS = 2200


class MessageTooLong(ValueError):
    """The text exceeds Instagram's 1000-byte (UTF-8) limit; split or shorten it."""

    def __init__(self, size: int, limit: int = MAX_TEXT_BYTES) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"Message is {size} bytes; Instagram allows at most {limit} bytes (UTF-8).")

    def __reduce__(self):
        return type(self), (self.size, self.limit)


class OutgoingAttachment(NamedTuple):
    """Media we send, by URL. A plain `(type, url)` tuple works too. (A received attachment is
    app.instagram.events.Attachment.)"""

    type: str  # one of ATTACHMENT_TYPES
    url: str


@dataclass(frozen=True)
class SendResult:
    recipient_id: str
    message_id: str  # the `mid` that echoes, reactions and read receipts refer to


@dataclass(frozen=True)
class ShortLivedToken:
    """Result of the code exchange; the token lives one hour."""

    access_token: str = field(repr=False)
    user_id: str
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LongLivedToken:
    """A 60-day token from the exchange or a refresh; `expires_in` is in seconds."""

    access_token: str = field(repr=False)
    expires_in: int | None


class GraphClient:
    """Talks to `graph_url` (versioned Graph calls, token endpoints) and `api_url` (code exchange).

    `timeout` is requests' (connect, read) pair. Pass `session` to share a connection
    pool or to mount adapters; otherwise the client makes its own.
    """

    def __init__(
        self,
        graph_url: str,
        api_url: str,
        version: str,
        timeout: float | tuple[float, float] = (3.05, 10),
        session: requests.Session | None = None,
    ) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.version = version.strip("/") if version.startswith("v") else f"v{version.strip('/')}"
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        install_log_redaction()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- Sending ----------------------------------------------------------------------

    def send_message(
        self,
        token: str,
        ig_user_id: str,
        recipient_igsid: str,
        *,
        text: str | None = None,
        attachment: OutgoingAttachment | tuple[str, str] | None = None,
        human_agent: bool = False,
    ) -> SendResult:
        """Send one text or one media attachment (exactly one of them).

        `human_agent=True` tags the message HUMAN_AGENT, allowed for a human's reply up to
        7 days after the customer's last message; never use it for automated replies.

        A `TransientError` from a read timeout is ambiguous: Meta may have delivered the
        message, so a retry can send it twice. Such errors carry `delivery_uncertain=True`;
        a failure to connect (nothing was sent) does not, and is safe to retry.
        """
        body: dict[str, Any] = {"recipient": {"id": recipient_igsid}}
        if human_agent:
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = "HUMAN_AGENT"
        body["message"] = _message_content(text, attachment)
        payload = self._request("POST", self._graph_path(ig_user_id, "messages"), token=token, json=body)
        message_id = payload.get("message_id")
        if not message_id:
            # Not retryable: the message may well have gone out.
            raise GraphError("Instagram accepted the message but returned no message id", delivery_uncertain=True)
        recipient_id = str(payload.get("recipient_id") or recipient_igsid)
        return SendResult(recipient_id=recipient_id, message_id=message_id)

    def send_private_reply(self, token: str, ig_user_id: str, comment_id: str, text: str) -> SendResult:
        """A private reply to comment `comment_id`: a DM to its author, who need not have written
        to the account. Meta allows one per comment, within 7 days of it (a Live comment: only
        while the broadcast runs); a second one, or a later one, is refused. Ambiguity as in
        `send_message` (a read timeout: `delivery_uncertain`)."""
        body: dict[str, Any] = {"recipient": {"comment_id": comment_id}, "message": _message_content(text, None)}
        payload = self._request("POST", self._graph_path(ig_user_id, "messages"), token=token, json=body)
        message_id = payload.get("message_id")
        if not message_id:
            raise GraphError("Instagram accepted the private reply but returned no message id", delivery_uncertain=True)
        return SendResult(recipient_id=str(payload.get("recipient_id") or ""), message_id=message_id)

    # -- Comments ---------------------------------------------------------------------

    def reply_to_comment(self, token: str, comment_id: str, text: str) -> str:
        """A public reply under comment `comment_id`; the new comment's id."""
        if not text or not text.strip():
            raise ValueError("Comment text is empty")
        if len(text) > MAX_COMMENT_CHARS:
            raise ValueError(f"A comment can be at most {MAX_COMMENT_CHARS} characters")
        payload = self._request("POST", self._graph_path(comment_id, "replies"), token=token,
                                data={"message": text})
        new_id = payload.get("id")
        if not new_id:
            raise GraphError("Instagram accepted the reply but returned no comment id", delivery_uncertain=True)
        return str(new_id)

    def set_comment_hidden(self, token: str, comment_id: str, hidden: bool) -> None:
        """Hide a comment on one of the account's posts from everyone but its author (or show it again)."""
        payload = self._request("POST", self._graph_path(comment_id), token=token,
                                params={"hide": "true" if hidden else "false"})
        _require_success(payload, "hide the comment" if hidden else "unhide the comment")

    def delete_comment(self, token: str, comment_id: str) -> None:
        """Delete a comment: the account's own, or one on its own media."""
        payload = self._request("DELETE", self._graph_path(comment_id), token=token)
        _require_success(payload, "delete the comment")

    def send_reaction(
        self, token: str, ig_user_id: str, recipient: str, mid: str, reaction: str = "love"
    ) -> None:
        """React to message `mid`; a new reaction replaces the previous one."""
        self._sender_action(token, ig_user_id, recipient, "react", {"message_id": mid, "reaction": reaction})

    def remove_reaction(self, token: str, ig_user_id: str, recipient: str, mid: str) -> None:
        self._sender_action(token, ig_user_id, recipient, "unreact", {"message_id": mid})

    def mark_seen(self, token: str, ig_user_id: str, recipient: str) -> None:
        self._sender_action(token, ig_user_id, recipient, "mark_seen")

    def typing(self, token: str, ig_user_id: str, recipient: str, on: bool) -> None:
        self._sender_action(token, ig_user_id, recipient, "typing_on" if on else "typing_off")

    def _sender_action(
        self, token: str, ig_user_id: str, recipient: str, action: str, payload: dict[str, str] | None = None
    ) -> None:
        body: dict[str, Any] = {"recipient": {"id": recipient}, "sender_action": action}
        if payload is not None:
            body["payload"] = payload
        self._request("POST", self._graph_path(ig_user_id, "messages"), token=token, json=body)

    # -- Reading ----------------------------------------------------------------------

    def get_profile(self, token: str, igsid: str) -> dict[str, Any]:
        """A customer's profile as Meta returns it; `name` and `profile_pic` may be missing or null."""
        fields = ",".join(PROFILE_FIELDS)
        return self._request("GET", self._graph_path(igsid), token=token, params={"fields": fields})

    def get_media(self, token: str, media_id: str) -> dict[str, Any]:
        """A post, reel, story or ad of the account: caption, type, permalink and CDN urls (which expire)."""
        fields = ",".join(MEDIA_FIELDS)
        return self._request("GET", self._graph_path(media_id), token=token, params={"fields": fields})

    def get_me(self, token: str) -> dict[str, Any]:
        """The connected account: `user_id` (the webhook `entry.id`), `username`, `name`,
        `profile_picture_url`."""
        fields = ",".join(ME_FIELDS)
        return self._request("GET", self._graph_path("me"), token=token, params={"fields": fields})

    # -- Webhook subscriptions --------------------------------------------------------

    def subscribe_webhooks(
        self, token: str, ig_user_id: str, fields: Iterable[str] = SUBSCRIBED_FIELDS
    ) -> None:
        """Subscribe the app to the account's webhook `fields`; raises unless Meta confirms."""
        fields = tuple(fields)
        if not fields or not all(isinstance(f, str) and f.replace("_", "").isalpha() for f in fields):
            raise ValueError(f"Webhook fields must be non-empty names, got {fields!r}")
        payload = self._request(
            "POST",
            self._graph_path(ig_user_id, "subscribed_apps"),
            token=token,
            params={"subscribed_fields": ",".join(fields)},
        )
        _require_success(payload, "subscribe to webhooks")

    def list_subscriptions(self, token: str, ig_user_id: str) -> list[dict[str, Any]]:
        """Apps subscribed to this account: `[{"id", "name", "subscribed_fields": [...]}, ...]`."""
        payload = self._request("GET", self._graph_path(ig_user_id, "subscribed_apps"), token=token)
        data = payload.get("data")
        return data if isinstance(data, list) else []

    def unsubscribe_webhooks(self, token: str, ig_user_id: str) -> None:
        payload = self._request("DELETE", self._graph_path(ig_user_id, "subscribed_apps"), token=token)
        _require_success(payload, "unsubscribe from webhooks")

    # -- Conversations API (history) --------------------------------------------------

    def list_conversations(self, token: str, ig_user_id: str, after: str | None = None,
                           limit: int = 25) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the account's DM conversations, newest first: `([{"id", "updated_time"}, ...],
        the cursor of the next page or None)`. The next page is asked for with Meta's `after`
        cursor, never by following `paging.next` (a URL from the response, which could name
        another host: the token must only go to ours)."""
        params = {"platform": "instagram", "fields": "id,updated_time", "limit": str(limit)}
        if after:
            params["after"] = after
        payload = self._request("GET", self._graph_path(ig_user_id, "conversations"), token=token, params=params)
        return _page(payload)

    def conversation_messages(self, token: str, conversation_id: str,
                              after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a conversation's messages, newest first, with the fields the import reads:
        `([{"id", "created_time", "from", "to", "message", "attachments"}, ...], next cursor or None)`.
        The first page is the conversation's `messages` field; later ones its `messages` edge."""
        if after is None:
            payload = self._request("GET", self._graph_path(conversation_id), token=token,
                                    params={"fields": f"messages{{{HISTORY_MESSAGE_FIELDS}}}"})
            messages = payload.get("messages")
            return _page(messages if isinstance(messages, dict) else {})
        payload = self._request("GET", self._graph_path(conversation_id, "messages"), token=token,
                                params={"fields": HISTORY_MESSAGE_FIELDS, "after": after})
        return _page(payload)

    # -- Instagram Business Login -----------------------------------------------------

    @staticmethod
    def authorize_url(
        authorize_base: str,
        client_id: str,
        redirect_uri: str,
        state: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        force_authentication: bool = False,
    ) -> str:
        """Where the Connect button sends the browser."""
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(scopes),
            "state": state,
        }
        if force_authentication:
            params["force_authentication"] = "1"
        separator = "&" if "?" in authorize_base else "?"
        return f"{authorize_base}{separator}{urlencode(params, safe=',', quote_via=quote)}"

    def exchange_code(
        self, client_id: str, client_secret: str, redirect_uri: str, code: str
    ) -> ShortLivedToken:
        """Trade the OAuth `code` (a trailing `#_` is stripped) for a short-lived token."""
        code = code.removesuffix("#_")
        payload = self._request(
            "POST",
            f"{self.api_url}/oauth/access_token",
            data={
                "client_id": client_id,
                "client_secret": client_secret,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code": code,
            },
            secrets=(client_secret, code),
        )
        # Meta documents {"data": [{...}]} but also answers with the bare object.
        data = payload.get("data")
        record = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else payload
        access_token, user_id = record.get("access_token"), record.get("user_id")
        if not access_token or user_id in (None, ""):
            raise GraphError("The code exchange answered without an access token or user id")
        return ShortLivedToken(
            access_token=access_token,
            user_id=str(user_id),
            permissions=_permissions(record.get("permissions")),
        )

    def exchange_long_lived(self, client_secret: str, short_token: str) -> LongLivedToken:
        """Trade a short-lived token for a 60-day one (unversioned endpoint)."""
        payload = self._request(
            "GET",
            f"{self.graph_url}/access_token",
            params={
                "grant_type": "ig_exchange_token",
                "client_secret": client_secret,
                "access_token": short_token,
            },
            secrets=(client_secret, short_token),
        )
        return _long_lived(payload)

    def refresh_token(self, token: str) -> LongLivedToken:
        """Extend a long-lived token (at least 24 h old, not expired) by another 60 days."""
        payload = self._request(
            "GET",
            f"{self.graph_url}/refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": token},
            secrets=(token,),
        )
        return _long_lived(payload)

    # -- Transport --------------------------------------------------------------------

    def _graph_path(self, *segments: str) -> str:
        # Ids come from webhooks and forms: quote them so none can change the path.
        return "/".join([self.graph_url, self.version, *(quote(str(s), safe="") for s in segments)])

    def _request(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        params: dict[str, str] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        secrets: Iterable[str | None] = (),
    ) -> dict[str, Any]:
        """Perform one call and return the decoded JSON object, or raise a `GraphError`."""
        secrets = (token, *secrets)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if params:
            # Literal commas keep field lists readable, as Meta documents them.
            url = f"{url}?{urlencode(params, safe=',', quote_via=quote)}"
        # Only the path is ever written down: the query may hold a token.
        where = f"{method} {urlsplit(url).path}"

        started = time.monotonic()
        response = self._send(method, url, headers, json, data, where)
        if isinstance(response, GraphError):
            # Raised here, outside `_send`'s `except`, so the requests exception (its text
            # holds the full URL) is not chained into tracebacks as __context__.
            raise response
        elapsed_ms = (time.monotonic() - started) * 1000
        log.debug("Instagram API %s -> HTTP %s in %.0f ms", where, response.status_code, elapsed_ms)

        payload = _decode_json(response)
        is_error_body = isinstance(payload, dict) and ("error" in payload or "error_type" in payload)
        if response.status_code >= 400 or is_error_body:
            raise error_from_response(
                response.status_code,
                payload,
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
                secrets=secrets,
            )
        if not isinstance(payload, dict):
            # Not retried: for a send, Meta may have acted on it.
            raise GraphError(
                f"Instagram API answered {where} with an unexpected body",
                http_status=response.status_code,
                delivery_uncertain=True,
            )
        return payload

    def _send(
        self, method: str, url: str, headers: dict[str, str], json: Any, data: Any, where: str
    ) -> requests.Response | GraphError:
        try:
            # No redirects: Meta answers these calls directly, and following a redirect
            # could carry the token (header or query) somewhere else.
            response = self.session.request(
                method,
                url,
                headers=headers,
                json=json,
                data=data,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.ConnectTimeout:
            # Checked before Timeout (it is both): no connection, so nothing was sent.
            return TransientError(f"Timed out connecting to the Instagram API ({where})")
        except requests.Timeout:
            # The request went out and no answer came: Meta may have acted on it.
            return TransientError(f"Timed out calling the Instagram API ({where})", delivery_uncertain=True)
        except requests.ConnectionError as exc:
            return TransientError(
                f"Could not reach the Instagram API ({where}): {type(exc).__name__}",
                delivery_uncertain=not _never_connected(exc),
            )
        except requests.exceptions.ChunkedEncodingError as exc:
            return TransientError(
                f"The Instagram API answer broke off ({where}): {type(exc).__name__}", delivery_uncertain=True
            )
        except requests.RequestException as exc:
            # A malformed URL or similar: a configuration problem, retrying will not help.
            return GraphError(f"Could not call the Instagram API ({where}): {type(exc).__name__}")
        return response


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the connection itself failed (DNS, refused, connect timeout), so the request
    was provably never sent; a connection dropped after sending ("Connection aborted") is not."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the real cause
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


def _message_content(text: str | None, attachment: OutgoingAttachment | tuple[str, str] | None) -> dict[str, Any]:
    if (text is None) == (attachment is None):
        raise ValueError("Send exactly one of text or attachment per message")
    if text is not None:
        if not text:
            raise ValueError("Message text is empty")
        size = len(text.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise MessageTooLong(size)
        return {"text": text}
    kind, url = attachment
    if kind not in ATTACHMENT_TYPES:
        raise ValueError(f"Attachment type must be one of {sorted(ATTACHMENT_TYPES)}, got {kind!r}")
    if not url:
        raise ValueError("Attachment URL is empty")
    return {"attachment": {"type": kind, "payload": {"url": url}}}


def _decode_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _page(payload: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """A Graph list's items (dicts only) and the `after` cursor of its next page, when there is
    one: Meta may send cursors on the last page too, so only a `paging.next` means more."""
    data = payload.get("data")
    items = [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
    paging = payload.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return items, None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return items, after if isinstance(after, str) and after else None


def _require_success(payload: dict[str, Any], action: str) -> None:
    if payload.get("success") is not True:
        raise GraphError(f"Instagram did not confirm the request to {action}")


def _permissions(value: Any) -> tuple[str, ...]:
    # A comma-separated string in the documented shape, a list in the flat one.
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    if isinstance(value, list):
        return tuple(str(p) for p in value)
    return ()


def _long_lived(payload: dict[str, Any]) -> LongLivedToken:
    access_token = payload.get("access_token")
    if not access_token:
        raise GraphError("The token endpoint answered without an access token")
    expires_in = payload.get("expires_in")
    return LongLivedToken(
        access_token=access_token,
        expires_in=int(expires_in) if expires_in is not None else None,
    )
