"""The team: invites, roles, deactivation, password resets and changes (Settings → Team).

Rules live in `lifecycle.py` (the last active admin, one user one workspace, single-use links),
the password policy in `passwords.py`; routes only translate (`routes.py`), and the CLI's
`users` commands call the same functions (`app/cli.py`)."""
from flask import Blueprint

bp = Blueprint("team", __name__)

from app.team import routes  # noqa: E402,F401
