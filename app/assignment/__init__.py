"""Who works on what: each person's availability (`availability`), an account's auto-assignment
settings (`settings`), the rule that picks an assignee for new and reopened conversations during
ingestion (`auto`), and their pages' routes and template globals (`routes`).
docs/architecture.md#assignment."""
from flask import Blueprint

bp = Blueprint("assignment", __name__)

from app.assignment import routes  # noqa: E402,F401
