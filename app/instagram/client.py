"""The configured Graph client and account tokens, for code running inside the app.

`GraphClient` itself is pure (every URL passed in); this module builds the one the app uses from
INSTAGRAM_GRAPH_URL / INSTAGRAM_API_URL / INSTAGRAM_GRAPH_VERSION and decrypts an account's token
only at the moment of a call.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.instagram.graph import GraphClient
from app.token_crypto import token_cipher


def graph_client() -> GraphClient:
    """One client (and HTTP connection pool) per app per process."""
    client = current_app.extensions.get("graph_client")
    if client is None:
        config = current_app.config
        client = GraphClient(config["INSTAGRAM_GRAPH_URL"], config["INSTAGRAM_API_URL"], config["INSTAGRAM_GRAPH_VERSION"])
        current_app.extensions["graph_client"] = client
    return client


@dataclass(frozen=True)
class AccountCredentials:
    """An account's columns a Graph call needs, for jobs that read them as plain columns (they run
    for every message, where loading ORM objects cost more than the statement): account_token,
    can_call_meta and AccountNotConnected read these as they read an InstagramAccount."""
    id: int
    username: str
    status: str
    token_encrypted: str | None
    ig_user_id: str


class AccountNotConnected(Exception):
    """The account has no usable token (disconnected, or never connected)."""

    def __init__(self, account) -> None:
        super().__init__(f"Instagram account @{account.username} is not connected")
        self.account_id = account.id


def account_token(account) -> str:
    # Looser than app.accounts.lifecycle.can_call_meta on purpose: a `reauth_required` account's
    # token is still handed out, because admins' actions on the Accounts page try it to learn
    # whether Meta takes it again ("Test connection" lifts a stale reauth_required) or to tidy up
    # (disconnect's unsubscribe). Work done for staff or customers checks can_call_meta first.
    if not account.token_encrypted or account.status == "disconnected":
        raise AccountNotConnected(account)
    return token_cipher().decrypt(account.token_encrypted)
