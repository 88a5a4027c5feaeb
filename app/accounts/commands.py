"""`flask accounts ...`: connect an account with a pasted token, rotate the token encryption keys,
import an account's history."""
from __future__ import annotations

import click
from sqlalchemy import select

from app import audit
from app.accounts import bp
from app.accounts.history_import import DEFAULT_DAYS, MAX_DAYS, progress_of, start_import
from app.accounts.lifecycle import AccountConnectError, connect_account
from app.accounts.tokens import rotate_token_keys
from app.errors import ActionRefused
from app.extensions import db
from app.models import InstagramAccount, Workspace


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


@bp.cli.command("import")
@click.option("--workspace", "workspace_name", required=True, help="name of an existing workspace")
@click.option("--days", default=DEFAULT_DAYS, show_default=True, type=click.IntRange(1, MAX_DAYS),
              help="how many days of history to import")
@click.option("--account", "username", default=None, help="only this account (@username); default: every active one")
def import_command(workspace_name: str, days: int, username: str | None):
    """Import the last DAYS of DM conversations of the workspace's accounts (Conversations API).

    With a worker (REDIS_URL set) the import is queued and this returns at once; follow it on
    /accounts. Without one it runs here, paced under Meta's limit, and prints the outcome."""
    workspace = db.session.scalar(select(Workspace).where(Workspace.name == workspace_name))
    if workspace is None:
        raise click.ClickException(f"no workspace named {workspace_name!r}")
    query = select(InstagramAccount).where(InstagramAccount.workspace_id == workspace.id,
                                           InstagramAccount.status != "disconnected")
    if username:
        query = query.where(InstagramAccount.username == username.lstrip("@"))
    accounts = db.session.scalars(query.order_by(InstagramAccount.id)).all()
    if not accounts:
        raise click.ClickException(f"no connected account{' @' + username.lstrip('@') if username else ''} "
                                   f"in workspace {workspace_name!r}")
    refused = 0
    for account in accounts:
        name = f"@{account.username or account.ig_user_id}"
        try:
            audit.record("account.import", f"Started importing {days} days of history of {name}",
                         workspace_id=workspace.id, account_id=account.id, days=days)
            start_import(account, days)
        except ActionRefused as exc:
            db.session.rollback()  # the audit entry of a start that did not happen
            refused += 1
            click.echo(f"{name}: {exc.message}", err=True)
            continue
        progress = progress_of(account.id)
        if progress.status == "running":
            click.echo(f"{name}: importing the last {days} days in the background; follow it on /accounts")
        else:
            click.echo(f"{name}: import {progress.status}, {progress.done} of {progress.total} conversations"
                       + (f" ({progress.last_error})" if progress.last_error else ""))
            refused += progress.status == "failed"
    if refused:
        raise click.ClickException(f"{refused} of {len(accounts)} import(s) did not complete")
