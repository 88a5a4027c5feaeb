"""The follow-ups due list, `/leads/follow-ups`: overdue, today and upcoming, each linking to its
conversation. Mine by default (app.leads.follow_ups: the owner's, else the assignee's); `who=all`
shows the whole workspace's, for admins (an agent asking for it gets a 403, as admin pages do)."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required

from app.htmx_responses import render_page
from app.leads import bp
from app.leads.follow_ups import due_list
from app.leads.values import display_value
from app.models import utcnow

WHO = ("mine", "all")


@bp.get("/leads/follow-ups")
@login_required
def follow_ups():
    who = request.args.get("who") or "mine"
    if who not in WHO:
        who = "mine"
    if who == "all" and not current_user.is_admin:
        abort(403, "Only workspace admins can see everyone's follow-ups.")
    now = utcnow()
    return render_page("leads/follow_ups.html", who=who, due=due_list(current_user, everyone=who == "all", now=now),
                       now=now, display_value=display_value, is_admin=current_user.is_admin)
