"""The token owner's notifications (docs/contract.md, "Notifications"): the list, newest first and
keyset-paged like the other lists, and marking them read. What a person sees and how rows are
marked read are app.notifications.feed's and app.notifications.reading's, as for the bell's page."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from sqlalchemy import func, select

from app.api import bp
from app.api.errors import ApiError
from app.api.params import cursor_param, invalid, json_body, page_limit, query_bool
from app.api.serializers import notification_json
from app.extensions import db
from app.models import Notification
from app.notifications import feed, reading
from app.pagination import BadCursor
from app.scoping import valid_json_id

MAX_READ_IDS = 500


@bp.get("/notifications")
def list_notifications():
    try:
        rows, next_cursor = feed.page(current_user.id, unread_only=query_bool("unread"),
                                      cursor=cursor_param("cursor"), limit=page_limit())
    except BadCursor:
        raise ApiError(400, "invalid_cursor", "cursor is not a cursor this API returned", field="cursor") from None
    return jsonify(data=[notification_json(n) for n in rows], next_cursor=next_cursor)


def _read_ids(body: dict) -> list[int]:
    ids = body["ids"]
    if not isinstance(ids, list) or not ids:
        raise invalid("ids", "ids must be a non-empty list of notification ids")
    if len(ids) > MAX_READ_IDS:
        raise invalid("ids", f"at most {MAX_READ_IDS} ids at a time")
    checked = [valid_json_id(i) for i in ids]
    if None in checked:
        raise invalid("ids", "ids must be notification ids (whole numbers from 1)")
    return sorted(set(checked))


@bp.post("/notifications/read")
def read_notifications():
    """`{"ids": [...]}` or `{"all": true}`. An id that is not one of the token owner's own
    notifications (another person's, another workspace's, none) is a 404 and nothing changes."""
    body = json_body(("ids", "all"))
    if ("ids" in body) == ("all" in body):
        raise invalid("ids", "send either ids or all")
    if "all" in body:
        if body["all"] is not True:
            raise invalid("all", "all must be true")
        marked = reading.mark_all_read(current_user.id)
    else:
        ids = _read_ids(body)
        own = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.id.in_(ids), Notification.user_id == current_user.id))
        if own != len(ids):
            raise ApiError(404, "not_found", "No such notification.", field="ids")
        marked = reading.mark_read(current_user.id, ids)
    db.session.commit()
    return jsonify(data={"marked_read": marked})
