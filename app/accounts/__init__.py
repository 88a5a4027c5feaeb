"""Connected Instagram accounts: connect (OAuth), status, reconnect, disconnect."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group="accounts")

from app.accounts import routes  # noqa: E402,F401
