"""Account state transitions shared by every part of the app that talks to Meta.

    (none) --connect--> active --190 anywhere--> reauth_required --reconnect--> active
    active / reauth_required --disconnect, deauthorize--> disconnected --reconnect--> active

An error 190 anywhere (send, profile lookup, token refresh) means the token is dead: the account
becomes `reauth_required` and admins see a Reconnect banner, while inbound webhooks for it keep
being applied (they need no token). Every function here takes care never to put a token into a
log line, an exception or `last_error`: those end up in HTML, JSON and error trackers.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.instagram.client import AccountNotConnected, account_token, graph_client
from app.instagram.errors import GraphError, TokenInvalidError
from app.instagram.graph import COMMENTS_SCOPE
from app.models import InstagramAccount, Workspace, utcnow
from app.notifications.events import account_needs_attention
from app.token_crypto import TokenDecryptError, token_cipher

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500
SUBSCRIPTION_FAILED = (
    "The webhook subscription failed, so new messages will not arrive. {reason} "
    "Use “Retry subscription”."
)


class AccountConnectError(Exception):
    """Connecting an account was refused or failed; the text is a sentence for the admin (no token)."""


class AccountActionFailed(Exception):
    """An admin action on a connected account failed; the text is a sentence for the admin."""


@dataclass(frozen=True)
class ConnectResult:
    account: InstagramAccount
    created: bool  # False: an existing account of the workspace was reconnected in place
    subscription_error: str | None  # set when the token is stored but webhooks are not subscribed

    @property
    def subscribed(self) -> bool:
        return self.subscription_error is None


def comments_enabled(account: InstagramAccount) -> bool:
    """Whether the account was connected with the comments permission. Accounts connected before
    it was asked for (no scopes recorded) do not have it: they say so and offer Reconnect."""
    return COMMENTS_SCOPE in (account.granted_scopes or ())


def can_call_meta(account: InstagramAccount) -> bool:
    """Whether work done for staff or customers may call Meta with this account's token: replies,
    reactions, seen receipts, profile lookups. Only an `active` account with a stored
    token: after a 190 (`reauth_required`) every such call would fail the same way until an admin
    reconnects. (`app.instagram.client.account_token` is looser on purpose, see there.)"""
    return account.status == "active" and bool(account.token_encrypted)


def mark_reauth_required(account_id: int, reason: str) -> None:
    """Flip the account to reauth_required in its own statement, committed by the caller's
    transaction. `reason` is a readable sentence for admins and must never contain a token.

    Only the statement that moves it from `active` notifies the admins (in the same transaction):
    every later failing call finds it already flipped and just refreshes the reason, so one dead
    token is one notification however many sends hit it."""
    values = {"status": "reauth_required", "last_error": reason[:MAX_ERROR_LENGTH], "updated_at": utcnow()}
    flipped = db.session.execute(
        update(InstagramAccount)
        .where(InstagramAccount.id == account_id, InstagramAccount.status == "active")
        .values(**values)
        .returning(InstagramAccount.workspace_id, InstagramAccount.username)
    ).first()
    if flipped is None:
        db.session.execute(
            update(InstagramAccount)
            .where(InstagramAccount.id == account_id, InstagramAccount.status == "reauth_required")
            .values(**values)
        )
    else:
        account_needs_attention(flipped.workspace_id, account_id, flipped.username, "reauth_required")
    log.warning("account %s needs reauthorization", account_id)


def failure_reason(exc: GraphError) -> str:
    """Why a call failed, for an admin who is acting now. Not `user_message`: for transient
    errors that promises an automatic retry, which an admin's one-off action does not get."""
    if isinstance(exc, TokenInvalidError):
        return "Instagram says the access token is invalid or expired."
    if exc.retryable:
        return "Instagram could not be reached or is busy right now; please try again in a minute."
    return f"Instagram answered: {exc.message.rstrip('.')}."


def token_invalid_reason(context: str, exc: GraphError) -> str:
    """The admin-facing sentence for a dead token; Meta's message is already redacted."""
    return f"{context}: Instagram no longer accepts this account's access token ({exc.message}). Reconnect the account."


def connect_account(workspace: Workspace, token: str, expires_in: int | None = None,
                    granted_scopes: Sequence[str] | None = None) -> ConnectResult:
    """Connect (or reconnect in place) the Instagram account a long-lived `token` belongs to.

    The one path for the OAuth callback, the admin form and `flask accounts connect-token`:
    ask Meta who the token belongs to (`/me`), refuse an account another workspace holds,
    subscribe its webhooks, then store it with the token encrypted. `expires_in` (seconds) is
    known after an OAuth exchange; for a pasted token it is not, and the first refresh learns it.
    `granted_scopes` too come with an OAuth exchange only; a pasted token keeps what was known.

    A failed subscription does not throw the token away: the token is valid and getting a new
    one needs the account owner again, while the subscription can be retried at any time. The
    account is stored with `webhook_subscribed=False` and a visible `last_error`; the caller
    shows `ConnectResult.subscription_error`. Only a dead token (190) refuses the connection.
    """
    token = (token or "").strip()
    if not token:
        raise AccountConnectError("Enter the access token of the Instagram account.")
    if any(ch.isspace() for ch in token) or len(token) > 4096:
        raise AccountConnectError("That does not look like an Instagram access token.")
    client = graph_client()
    try:
        me = client.get_me(token)
    except TokenInvalidError as exc:
        log.warning("connect: /me refused the token: %s", exc)
        raise AccountConnectError("Instagram says this access token is invalid or expired.") from exc
    except GraphError as exc:
        log.warning("connect: /me failed: %s", exc)
        raise AccountConnectError(f"Could not read the Instagram account. {failure_reason(exc)}") from exc

    ig_user_id = str(me.get("user_id") or "").strip()
    if not ig_user_id:
        raise AccountConnectError("Instagram did not say which account this access token belongs to.")
    username = str(me.get("username") or "").strip() or None
    _refuse_other_workspace(ig_user_id, username, workspace.id)

    subscription_error = None
    try:
        client.subscribe_webhooks(token, ig_user_id)
    except TokenInvalidError as exc:
        log.warning("connect: subscribing %s refused the token: %s", ig_user_id, exc)
        raise AccountConnectError("Instagram says this access token is invalid or expired.") from exc
    except GraphError as exc:
        log.warning("connect: subscribing %s to webhooks failed: %s", ig_user_id, exc)
        subscription_error = SUBSCRIPTION_FAILED.format(reason=failure_reason(exc))

    fields = {
        "username": username,
        "name": str(me.get("name") or "").strip() or None,
        "profile_picture_url": str(me.get("profile_picture_url") or "").strip() or None,
    }
    if granted_scopes is not None:
        fields["granted_scopes"] = sorted(set(granted_scopes))
    try:
        account, created = _store(workspace.id, ig_user_id, fields, token, expires_in, subscription_error)
    except IntegrityError:
        # Another request stored the same account between our lookup and our insert: ours
        # becomes an update of that row (or a refusal, if it went to another workspace).
        db.session.rollback()
        account, created = _store(workspace.id, ig_user_id, fields, token, expires_in, subscription_error)
    log.info("account %s (@%s) %s in workspace %s; webhooks %s", account.id, username,
             "connected" if created else "reconnected", workspace.id,
             "subscribed" if subscription_error is None else "NOT subscribed")
    return ConnectResult(account=account, created=created, subscription_error=subscription_error)


def _find_by_ig_user_id(ig_user_id: str) -> InstagramAccount | None:
    # Deliberately unscoped: an Instagram account exists once in the whole inbox.
    return db.session.scalar(select(InstagramAccount).where(InstagramAccount.ig_user_id == ig_user_id))


def _refuse_other_workspace(ig_user_id: str, username: str | None, workspace_id: int) -> InstagramAccount | None:
    existing = _find_by_ig_user_id(ig_user_id)
    if existing is not None and existing.workspace_id != workspace_id:
        # Its conversations belong to that workspace; moving it would hand them over.
        raise AccountConnectError(
            f"@{username or ig_user_id} is already connected to another workspace of this inbox. "
            "An Instagram account can belong to only one workspace; ask that workspace's admins to "
            "disconnect it, or contact support to move it."
        )
    return existing


def _store(workspace_id: int, ig_user_id: str, fields: dict, token: str, expires_in: int | None,
           subscription_error: str | None) -> tuple[InstagramAccount, bool]:
    account = _refuse_other_workspace(ig_user_id, fields["username"], workspace_id)
    created = account is None
    if created:
        account = InstagramAccount(workspace_id=workspace_id, ig_user_id=ig_user_id)
        db.session.add(account)
    now = utcnow()
    for key, value in fields.items():
        setattr(account, key, value)
    account.token_encrypted = token_cipher().encrypt(token)
    account.token_expires_at = now + timedelta(seconds=expires_in) if expires_in else None
    account.token_refreshed_at = now
    was_subscribed = created or (account.status == "active" and account.webhook_subscribed)
    account.status = "active"
    account.webhook_subscribed = subscription_error is None
    account.last_error = subscription_error
    if was_subscribed and not account.webhook_subscribed:
        # Admins other than the one connecting learn it too; a retry that fails again tells nobody.
        db.session.flush()
        account_needs_attention(workspace_id, account.id, account.username, "not_subscribed")
    db.session.commit()
    return account, created


def forget_token(account: InstagramAccount) -> None:
    """Erase the token and what only made sense with it; the account row and its history stay."""
    account.token_encrypted = None
    account.token_expires_at = None
    account.token_refreshed_at = None
    account.webhook_subscribed = False


def disconnect_account(account: InstagramAccount) -> str | None:
    """Admin disconnect: stop the webhooks (best effort), erase the token, status `disconnected`.

    Conversations stay readable. Returns a warning for the admin when Meta could not be told to
    stop sending webhooks; the account is disconnected either way (webhooks that still arrive are
    stored, and the account can be reconnected later).
    """
    if account.status == "disconnected":
        return None
    warning = None
    if account.token_encrypted:
        try:
            graph_client().unsubscribe_webhooks(account_token(account), account.ig_user_id)
        except (GraphError, TokenDecryptError, AccountNotConnected) as exc:
            log.warning("disconnect: unsubscribing account %s failed: %s", account.id, exc)
            warning = ("Instagram could not be told to stop sending this account's webhooks; "
                       "any that still arrive are kept but nothing is sent.")
    forget_token(account)
    account.status = "disconnected"
    account.last_error = None
    db.session.commit()
    log.info("account %s disconnected", account.id)
    return warning


def deauthorize_ig_user(ig_user_id: str) -> InstagramAccount | None:
    """Meta's deauthorize callback: the owner removed the app in Instagram. The token is dead, so
    no call to Meta; erase it and mark the account disconnected with the reason."""
    account = _find_by_ig_user_id(ig_user_id)
    if account is None:
        return None
    forget_token(account)
    account.status = "disconnected"
    account.last_error = (f"The account owner removed this app's access in Instagram on "
                          f"{utcnow():%-d %b %Y}. Reconnect to resume.")
    db.session.commit()
    log.info("account %s deauthorized by its owner", account.id)
    return account


def _usable_token(account: InstagramAccount) -> str:
    try:
        return account_token(account)
    except AccountNotConnected:
        raise AccountActionFailed(f"@{account.username} is not connected; connect it again first.") from None
    except TokenDecryptError:
        reason = ("The stored access token cannot be decrypted with TOKEN_ENCRYPTION_KEYS; "
                  "restore the old key or reconnect the account.")
        mark_reauth_required(account.id, reason)
        db.session.commit()
        raise AccountActionFailed(reason) from None


def _fail(account: InstagramAccount, context: str, exc: GraphError) -> AccountActionFailed:
    """Record a failed call on the account and return the error to raise for the admin."""
    if isinstance(exc, TokenInvalidError):
        mark_reauth_required(account.id, token_invalid_reason(context, exc))
        message = f"{context}: Instagram no longer accepts the access token of @{account.username}; reconnect it."
    else:
        account.last_error = f"{context} failed. {failure_reason(exc)}"[:MAX_ERROR_LENGTH]
        message = account.last_error
    db.session.commit()
    log.warning("account %s: %s failed: %s", account.id, context, exc)
    return AccountActionFailed(message)


def check_connection(account: InstagramAccount) -> str:
    """Call `/me` with the stored token; on success refresh the profile fields and return a
    sentence for the admin. A working token also lifts a stale `reauth_required`."""
    token = _usable_token(account)
    try:
        me = graph_client().get_me(token)
    except GraphError as exc:
        raise _fail(account, "Test connection", exc) from exc
    if str(me.get("user_id") or "") != account.ig_user_id:
        account.last_error = "Test connection: the stored token belongs to a different Instagram account. Reconnect it."
        db.session.commit()
        raise AccountActionFailed(account.last_error)
    account.username = str(me.get("username") or "").strip() or account.username
    account.name = str(me.get("name") or "").strip() or account.name
    account.profile_picture_url = str(me.get("profile_picture_url") or "").strip() or account.profile_picture_url
    account.status = "active"
    account.last_error = None
    db.session.commit()
    return f"The connection works: Instagram answered as @{account.username}."



def retry_webhook_subscription(account: InstagramAccount) -> None:
    """Subscribe the account's webhooks again (after a failed connect, or Meta dropping them)."""
    token = _usable_token(account)
    try:
        graph_client().subscribe_webhooks(token, account.ig_user_id)
    except GraphError as exc:
        account.webhook_subscribed = False
        raise _fail(account, "Webhook subscription", exc) from exc
    account.webhook_subscribed = True
    account.last_error = None
    db.session.commit()
    log.info("account %s subscribed to webhooks", account.id)
