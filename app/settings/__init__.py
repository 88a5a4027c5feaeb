"""A user's settings: API tokens (create, see once, revoke); for admins the workspace's settings
and its audit log."""
from flask import Blueprint

bp = Blueprint("settings", __name__)

from app.settings import audit_log, routes  # noqa: E402,F401
