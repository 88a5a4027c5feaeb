"""Meta's webhooks: verification, signed deliveries, the raw log and replay."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("webhooks", __name__, cli_group="webhooks")
csrf.exempt(bp)  # Meta signs its requests; there is no session to forge

from app.webhooks import routes  # noqa: E402,F401
