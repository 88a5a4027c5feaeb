"""JSON API v1 for integrations: bearer tokens only, everything scoped to the token's workspace."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated calls carry no ambient credential, so CSRF does not apply; cookie
# sessions are refused outright (see auth.py), which closes the CSRF hole through the API.
csrf.exempt(bp)

from app.api import auth, notifications, openapi, routes  # noqa: E402,F401
from app.api import webhooks  # noqa: E402,F401  (outbound webhooks, app.integrations)
from app.api import reports  # noqa: E402,F401  (the manager's summary, app.reports)
from app.api import accounts  # noqa: E402,F401  (an account's auto-assignment, app.assignment)
from app.api import comments  # noqa: E402,F401  (actions on a comment, app.comments)
