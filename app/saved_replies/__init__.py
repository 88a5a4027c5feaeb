"""Saved replies: canned answers with variables, for the whole workspace (admins manage them) or
one person's own, picked in the composer by typing "/" (static/js/saved_replies.js).

The rules (who sees and changes what, a valid reply, counting use) are in `library.py`, filling
in `{first_name}` and the other variables in `variables.py`; `routes.py` serves Settings → Saved
replies and the picker's endpoints. The JSON API lists them at GET /api/v1/saved-replies
(app/api/routes.py)."""
from flask import Blueprint

bp = Blueprint("saved_replies", __name__)

from app.saved_replies import routes  # noqa: E402,F401
