"""Operator commands that belong to no single feature: `users` and `tokens`.

Feature packages attach their own groups to their blueprints (`flask accounts ...`,
`flask webhooks ...`, `flask demo`)."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import ROLES, User, Workspace
from app.team.passwords import WeakPassword, check_password

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
    try:
        check_password(password, user_inputs=(email.split("@")[0], name or ""))
    except WeakPassword as exc:
        raise click.ClickException(f"password refused: {exc}") from None
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


def _user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


def _team_change(change, user: User, *args, audit_as: tuple[str, str]) -> None:
    from app import audit
    from app.team.lifecycle import TeamRefused

    try:
        change(user, *args)
    except TeamRefused as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    audit.record(audit_as[0], audit_as[1], workspace_id=user.workspace_id, user_id=user.id)
    db.session.commit()


@users_cli.command("list")
@click.option("--workspace", "workspace_name", default=None, help="only this workspace")
def users_list(workspace_name):
    """Every user: email, role, active or not, workspace, last sign-in."""
    query = select(User).join(Workspace).order_by(Workspace.name, User.email)
    if workspace_name:
        query = query.where(Workspace.name == workspace_name)
    for user in db.session.scalars(query):
        seen = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{status}\t{user.workspace.name}\tlast sign-in {seen}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def users_set_role(email, role):
    """Make a user an admin or an agent (the last active admin stays one)."""
    from app.team.lifecycle import change_role

    user = _user_by_email(email)
    _team_change(change_role, user, role, audit_as=("team.role", f"Made {user.email} {role} (command line)"))
    click.echo(f"{user.email} is now {user.role}")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email):
    """Sign a user out everywhere and stop their API tokens; their conversations and leads stay."""
    from app.team.lifecycle import deactivate

    user = _user_by_email(email)
    _team_change(deactivate, user, audit_as=("team.deactivate", f"Deactivated {user.email} (command line)"))
    click.echo(f"{user.email} is deactivated")


@users_cli.command("reset-password")
@click.argument("email")
def users_reset_password(email):
    """Print a single-use link (valid 1 day) that sets the user's password."""
    from app.team.lifecycle import issue_reset
    from app.urls import own_base_url

    user = _user_by_email(email)
    if not user.active:
        raise click.ClickException(f"{user.email} is deactivated")
    _, plaintext = issue_reset(user, None)
    from app import audit

    audit.record("team.password_link", f"Issued a password link for {user.email} (command line)",
                 workspace_id=user.workspace_id, user_id=user.id)
    db.session.commit()
    click.echo(f"{own_base_url()}/reset/{plaintext}")


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
