"""Who may open what: the one home of "admins only"."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def admin_required(view):
    """Signed in (else the login page), and an admin of the workspace (else 403)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, "Only workspace admins can do this.")
        return view(*args, **kwargs)

    return wrapped
