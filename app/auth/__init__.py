"""Sign-in for staff (sessions) and integrations (API bearer tokens)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401  (registers the routes on bp)
