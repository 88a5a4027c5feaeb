"""Demo mode: a ready-made workspace with simulated conversations (`flask demo`) and a webhook
simulator for admins, so the inbox can be tried without a Meta app."""
from flask import Blueprint

bp = Blueprint("demo", __name__, cli_group=None)

from app.demo import access, commands, routes  # noqa: E402,F401
