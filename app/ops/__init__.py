"""Operations: liveness and health endpoints, and the one-line-per-request log."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from app.ops import routes  # noqa: E402,F401
