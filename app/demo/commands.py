"""`flask demo`: the demo workspace, logins, account and conversations (see app.demo.seed)."""
import click
from flask import current_app

from app.demo import bp
from app.demo.seed import DEMO_AGENT_EMAIL, DEMO_EMAIL, DEMO_PASSWORD, DemoSeedError, seed_demo
from app.urls import own_base_url


@bp.cli.command("demo")
def demo_command():
    """Create the demo workspace, logins, Instagram account and conversations (idempotent); print the login."""
    app = current_app._get_current_object()
    if app.config["APP_ENV"] == "production":
        raise click.ClickException("demo data is never created in production")
    try:
        result = seed_demo(app)
    except DemoSeedError as exc:
        raise click.ClickException(str(exc)) from None
    if result.account is None:
        click.echo("INSTAGRAM_APP_ID is set, so there is no simulated Instagram: created the logins only. "
                   "Unset INSTAGRAM_APP_ID for the demo account and conversations.")
    else:
        click.echo(f"Demo account @{result.account.username}: {result.delivered} webhook deliveries made, "
                   f"{result.skipped} already there.")
    for problem in result.failed:
        click.echo(f"  problem: {problem}", err=True)
    click.echo(f"Demo inbox ready. Sign in at {own_base_url(app)}/login")
    click.echo(f"  email:    {DEMO_EMAIL}   (admin)")
    click.echo(f"  password: {DEMO_PASSWORD}")
    click.echo(f"  an agent: {DEMO_AGENT_EMAIL}, same password")
    if result.failed:
        raise click.ClickException(f"{len(result.failed)} demo deliveries were not applied; see above")
