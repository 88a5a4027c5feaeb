"""Instagram Business Login for the Connect button: the `state` that binds the round trip to
the admin's session, the redirect URI, and turning the returned code into a long-lived token.

The state lives in the (signed) session cookie as a small dict: random value, expiry, the user
who started. It is popped on the first callback whatever happens, so it works once.
"""
from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app, session
from flask_login import current_user

from app.accounts.lifecycle import AccountConnectError, failure_reason
from app.instagram.client import graph_client
from app.instagram.errors import GraphError
from app.instagram.graph import DEFAULT_SCOPES, GraphClient, LongLivedToken
from app.urls import public_url_for

log = logging.getLogger(__name__)

STATE_SESSION_KEY = "accounts_oauth_state"
STATE_TTL_SECONDS = 600
MAX_DESCRIPTION_LENGTH = 200


def redirect_uri() -> str:
    # Must be byte-identical in the authorize URL and the code exchange.
    return public_url_for("accounts.instagram_callback")


def begin_authorization() -> str:
    """Store a fresh state in the session and return the authorize URL to send the browser to."""
    state = secrets.token_urlsafe(32)
    session[STATE_SESSION_KEY] = {
        "value": state,
        "expires_at": int(time.time()) + STATE_TTL_SECONDS,
        "user_id": current_user.id,
    }
    config = current_app.config
    return GraphClient.authorize_url(
        config["INSTAGRAM_AUTHORIZE_URL"], config["INSTAGRAM_APP_ID"], redirect_uri(), state, DEFAULT_SCOPES
    )


def consume_state(received: str | None) -> bool:
    """True when `received` is the state this session started, not expired, for this user.
    The stored state is removed in every case: a state is good for one callback."""
    stored = session.pop(STATE_SESSION_KEY, None)
    if not received or not isinstance(stored, dict):
        return False
    value, expires_at = stored.get("value"), stored.get("expires_at")
    if not isinstance(value, str) or not isinstance(expires_at, (int, float)):
        return False
    if time.time() > expires_at or stored.get("user_id") != current_user.id:
        return False
    return hmac.compare_digest(value.encode(), received.encode())


def denied_message(args: Mapping[str, str], trusted: bool) -> str:
    """A readable sentence for `?error=...`. Meta's description is shown only when the state
    proved the redirect came from our own request (otherwise anyone could craft the text)."""
    if args.get("error") == "access_denied":
        message = "Instagram connection cancelled: the account owner did not grant access."
    else:
        message = "Instagram did not complete the connection."
    description = (args.get("error_description") or "").strip()
    if trusted and description:
        message += f" Instagram said: “{description[:MAX_DESCRIPTION_LENGTH]}”"
    return message


@dataclass(frozen=True)
class Grant:
    """What Connect obtained: the 60-day token and the permissions the person granted (the code
    exchange lists them; the long-lived exchange does not)."""

    access_token: str
    expires_in: int | None
    permissions: tuple[str, ...]


def token_from_code(code: str) -> Grant:
    """Exchange the callback's code for a short-lived token, then that for a 60-day one."""
    code = code.strip().removesuffix("#_")
    if not code:
        raise AccountConnectError("Instagram did not send an authorization code. Please try connecting again.")
    config = current_app.config
    client = graph_client()
    try:
        short = client.exchange_code(config["INSTAGRAM_APP_ID"], config["INSTAGRAM_APP_SECRET"], redirect_uri(), code)
    except GraphError as exc:
        log.warning("connect: code exchange failed: %s", exc)
        raise AccountConnectError(
            f"The Instagram sign-in could not be completed. {failure_reason(exc)} Nothing was connected; "
            "please try again."
        ) from exc
    try:
        long_lived: LongLivedToken = client.exchange_long_lived(config["INSTAGRAM_APP_SECRET"], short.access_token)
        # A code exchange that names no permissions granted what was asked (Meta's older shape).
        return Grant(long_lived.access_token, long_lived.expires_in, short.permissions or tuple(DEFAULT_SCOPES))
    except GraphError as exc:
        log.warning("connect: long-lived token exchange failed: %s", exc)
        raise AccountConnectError(
            "Instagram signed the account in but did not issue a long-lived access token. "
            f"{failure_reason(exc)} Nothing was connected; please try again."
        ) from exc
