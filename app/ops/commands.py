import click

from app.ops import bp


@bp.cli.command("seed")
@click.option("--conversations", type=click.IntRange(1, 10_000_000), required=True)
@click.option("--messages", type=click.IntRange(0, 100_000_000), default=0, show_default=True,
              help="spread evenly over the conversations")
@click.option("--accounts", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--workspace", "workspace_name", default="Seed Workspace", show_default=True)
def seed_command(conversations, messages, accounts, workspace_name):
    """Bulk-create realistic conversations, messages and leads (set-based, for benchmarks)."""
    from app.ops.bulk_data import create_bulk_data

    result = create_bulk_data(conversations, messages, accounts, workspace_name)
    click.echo(f"seeded run {result.run} in workspace {workspace_name!r} (id {result.workspace_id}): "
               f"{result.accounts} accounts, {result.conversations} conversations and leads, "
               f"{result.messages} messages in {result.seconds:.1f}s")
