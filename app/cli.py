"""Operator commands that belong to no single feature: `users` and `tokens`.

Feature packages attach their own groups to their blueprints (`flask accounts ...`,
`flask webhooks ...`, `flask demo`)."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import ROLES, User, Workspace

users_cli = AppGroup("users", help="Manage staff users.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")


def get_or_create_workspace(name: str) -> tuple[Workspace, bool]:
    workspace = db.session.scalar(select(Workspace).where(Workspace.name == name))
    if workspace is not None:
        return workspace, False
    workspace = Workspace(name=name)
    db.session.add(workspace)
    db.session.flush()
    return workspace, True


def create_user(email: str, password: str, workspace_name: str, role: str | None = None, name: str | None = None) -> User:
    """Create a user; the workspace is created if needed and its first user is an admin."""
    email = email.strip().lower()
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise click.ClickException(f"a user with email {email} already exists")
    if len(password) < 8:
        raise click.ClickException("the password must be at least 8 characters")
    workspace, _ = get_or_create_workspace(workspace_name)
    has_users = db.session.scalar(select(User.id).where(User.workspace_id == workspace.id).limit(1)) is not None
    user = User(email=email, name=name, workspace_id=workspace.id, role=role or ("agent" if has_users else "admin"))
    if not has_users:
        user.role = "admin"
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--workspace", "workspace_name", default="Default", show_default=True)
@click.option("--role", type=click.Choice(ROLES), default=None, help="default: admin for a workspace's first user, else agent")
@click.option("--name", default=None)
def users_create(email, password, workspace_name, role, name):
    """Create a user (and the workspace, if new)."""
    user = create_user(email, password, workspace_name, role, name)
    db.session.commit()
    click.echo(f"created {user.role} {user.email} in workspace {user.workspace.name!r}")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="CLI token", show_default=True)
def tokens_create(email, name):
    """Create an API token for a user and print it once."""
    from app.auth.api_tokens import create_token

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    _, plaintext = create_token(user, name)
    db.session.commit()
    click.echo(plaintext)


def register(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
