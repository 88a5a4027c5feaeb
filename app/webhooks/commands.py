"""`flask webhooks replay [--failed] [--id N]`: re-apply stored raw deliveries (docs/contract.md#commands)."""
from __future__ import annotations

import click

from app.webhooks import bp
from app.webhooks.ingest import replay, replayable_ids


@bp.cli.command("replay")
@click.option("--failed", is_flag=True, help="every delivery whose status is failed")
@click.option("--id", "event_ids", type=int, multiple=True, metavar="N", help="this delivery (repeatable), whatever its status")
def replay_command(failed: bool, event_ids: tuple[int, ...]) -> None:
    """Re-apply stored webhook deliveries. Idempotent: what was applied before stays as it is.

    `failed` means "could not be applied" (deliveries applied with warnings are `applied`), so
    --failed replays only real failures. Exits 1 while any delivery is still failed afterwards
    (or one given with --id was not applied), 0 otherwise."""
    if not failed and not event_ids:
        raise click.UsageError("say which deliveries to replay: --failed, or --id N")
    ids = list(dict.fromkeys([*event_ids, *(replayable_ids(("failed",)) if failed else [])]))
    unhappy = 0
    for event_id in ids:
        outcome = replay(event_id)
        if outcome is None:
            click.echo(f"#{event_id}: no such delivery", err=True)
            unhappy += 1
            continue
        line = f"#{event_id}: {outcome.status}"
        if outcome.error:
            line += f" - {outcome.error}"
        if outcome.warnings:
            line += f" (warnings: {outcome.warnings})"
        click.echo(line)
        unhappy += outcome.status in ("failed", "rejected")
    summary = f"{len(ids)} replayed, {unhappy} not applied"
    still_failed = len(replayable_ids(("failed",))) if failed else 0
    if still_failed:
        summary += f"; {still_failed} delivery(ies) still failed"
    click.echo(summary)
    if unhappy or still_failed:
        raise SystemExit(1)
