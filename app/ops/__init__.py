"""Operations: liveness and health endpoints, and the one-line-per-request log."""
from flask import Blueprint

bp = Blueprint("ops", __name__, cli_group=None)  # `flask seed` at the top level

from app.ops import commands, routes  # noqa: E402,F401
