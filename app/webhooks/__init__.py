"""Meta's webhooks: verification, signed deliveries, the raw log (with its admin page) and replay."""
from flask import Blueprint

bp = Blueprint("webhooks", __name__, cli_group="webhooks")

from app.webhooks import commands, routes  # noqa: E402,F401
