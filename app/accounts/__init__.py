"""Connected Instagram accounts: connect (OAuth or a pasted token), status, test, reconnect,
disconnect, token refresh and key rotation, and Meta's deauthorize / data-deletion callbacks."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group="accounts")

from app.accounts import commands, routes  # noqa: E402,F401
