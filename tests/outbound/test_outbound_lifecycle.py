"""app.outbound.lifecycle is the one writer of Message.status: its states are the schema's, and no
other module of the app changes a message's status by itself."""
from __future__ import annotations

import re
from pathlib import Path

from app.models import MESSAGE_STATUSES
from app.outbound import lifecycle

APP = Path(__file__).resolve().parents[2] / "app"
# Bulk benchmark rows are written in raw SQL on purpose (`flask seed`); the stand-in is a fake Meta;
# the demo's past month (app/demo/reports.py) writes history as it ended, no message going through states.
NOT_WRITERS = {"outbound/lifecycle.py", "ops/seed.py", "ops/bulk_data.py", "demo/reports.py"}


def test_the_lifecycle_names_every_state_of_the_schema():
    states = {lifecycle.RECEIVED, lifecycle.PENDING, lifecycle.SENT, lifecycle.DELIVERED, lifecycle.READ,
              lifecycle.FAILED}
    assert states == set(MESSAGE_STATUSES)


def test_only_the_lifecycle_writes_message_status():
    writes = re.compile(
        r"update\(Message\)[^;]{0,300}?\.values\([^)]*\bstatus="  # an UPDATE of messages setting status
        r"|\b(message|holder|reply)\.status\s*=[^=]"  # an assignment on a loaded message
        r"|Message\([^)]*\bstatus="  # a new row with a status of its own
    )
    offenders = []
    for path in APP.rglob("*.py"):
        name = path.relative_to(APP).as_posix()
        if name in NOT_WRITERS or name.startswith("standin/"):
            continue
        for match in writes.finditer(path.read_text()):
            offenders.append(f"{name}: {match.group(0)[:60]!r}")
    assert offenders == []
