import click
from flask import current_app
from sqlalchemy import select

from app.cli import create_user
from app.demo import bp
from app.extensions import db
from app.models import User

DEMO_WORKSPACE = "Demo Shop"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-inbox"


@bp.cli.command("demo")
def demo_command():
    """Create the demo workspace and login (idempotent) and print the login."""
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("demo data is never created in production")
    user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        user = create_user(DEMO_EMAIL, DEMO_PASSWORD, DEMO_WORKSPACE, role="admin", name="Demo Admin")
        db.session.commit()
    click.echo(f"Demo inbox ready. Sign in at http://127.0.0.1:{current_app.config['PORT']}/login")
    click.echo(f"  email:    {DEMO_EMAIL}")
    click.echo(f"  password: {DEMO_PASSWORD}")
