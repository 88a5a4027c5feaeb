"""`flask --app app push keys`: a new VAPID key pair to put in the environment."""
from __future__ import annotations

import click

from app.pwa import bp, vapid


@bp.cli.command("keys")
def keys():
    """Print a new VAPID key pair (set both, and VAPID_SUBJECT, to turn Web Push on)."""
    pair = vapid.generate()
    click.echo(f"VAPID_PUBLIC_KEY={pair.public_key}")
    click.echo(f"VAPID_PRIVATE_KEY={pair.private_key}")
    click.echo("# and VAPID_SUBJECT=mailto:you@example.com (or an https: address). Keep the private key secret;")
    click.echo("# changing the pair later makes every device subscribe again.")
