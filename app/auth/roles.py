"""Who may open what: the one home of "admins only"."""
from __future__ import annotations

from functools import partial, wraps

from flask import abort
from flask_login import current_user, login_required

NOT_ADMIN = "Only workspace admins can do this."


def admin_required(view=None, *, why: str = NOT_ADMIN):
    """Signed in (else the login page), and an admin of the workspace (else 403, saying `why`).
    `@admin_required` as it is, or `admin_required(why="...")` for a page's own sentence."""
    if view is None:
        return partial(admin_required, why=why)

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, why)
        return view(*args, **kwargs)

    return wrapped
