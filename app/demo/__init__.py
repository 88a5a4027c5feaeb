"""Demo mode: a ready-made workspace so the inbox can be tried without a Meta app."""
from flask import Blueprint

bp = Blueprint("demo", __name__, cli_group=None)

from app.demo import commands  # noqa: E402,F401
