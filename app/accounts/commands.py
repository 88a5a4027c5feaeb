"""`flask accounts ...`: connect an account with a pasted token, rotate the token encryption keys."""
from __future__ import annotations

import click
from sqlalchemy import select

from app.accounts import bp
from app.accounts.lifecycle import AccountConnectError, connect_account
from app.accounts.tokens import rotate_token_keys
from app.extensions import db
from app.models import Workspace


@bp.cli.command("connect-token")
@click.option("--workspace", "workspace_name", required=True, help="name of an existing workspace")
@click.option("--token", prompt="Long-lived access token", hide_input=True,
              help="a long-lived Instagram token (asked for when omitted, so it stays out of shell history)")
def connect_token_command(workspace_name: str, token: str):
    """Connect an Instagram account with a long-lived token made in Meta's dashboard."""
    workspace = db.session.scalar(select(Workspace).where(Workspace.name == workspace_name))
    if workspace is None:
        raise click.ClickException(
            f"no workspace named {workspace_name!r}; create it with "
            f"`flask users create EMAIL --workspace {workspace_name!r}`"
        )
    try:
        result = connect_account(workspace, token)
    except AccountConnectError as exc:
        raise click.ClickException(str(exc)) from None
    account = result.account
    verb = "connected" if result.created else "reconnected"
    click.echo(f"{verb} @{account.username} (Instagram user id {account.ig_user_id}) "
               f"to workspace {workspace.name!r} as account {account.id}")
    if result.subscription_error:
        # Stored, but without webhooks no message arrives: a script must notice.
        raise click.ClickException(f"{result.subscription_error} (or run this command again)")
    click.echo("webhooks subscribed")


@bp.cli.command("rotate-keys")
def rotate_keys_command():
    """Re-encrypt every stored token with the first TOKEN_ENCRYPTION_KEYS key."""
    rotated, undecryptable = rotate_token_keys()
    click.echo(f"re-encrypted {rotated} token(s) with the first key")
    if undecryptable:
        raise click.ClickException(
            "no configured key decrypts the token of account(s) "
            + ", ".join(str(i) for i in undecryptable)
            + "; keep the old key in TOKEN_ENCRYPTION_KEYS or reconnect those accounts"
        )
