"""The API's endpoints (docs/contract.md#json-api). Each reads its input through
app.api.params, calls the same queries and actions the pages use, and answers a serializer's shape."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.api import bp
from app.api.errors import ApiError
from app.api.params import (
    body_choice,
    body_id_list,
    body_id_or_null,
    body_text,
    body_text_list,
    body_time_or_null,
    cursor_param,
    invalid,
    json_body,
    page_limit,
    query_assignee,
    query_bool,
    query_choice,
    query_id,
    query_label,
    query_owner,
    query_text,
)
from app.api.serializers import (
    account_json,
    conversation_json,
    label_json,
    lead_json,
    message_json,
    note_json,
    saved_reply_json,
    stage_change_json,
)
from app.accounts.history_import import progress_for
from app.errors import ActionRefused
from app.extensions import db
from app.inbox.actions import add_note, assign, check_assignee, check_status, mark_read, set_status
from app.inbox.queries import SORTS, ConversationFilters, CursorSortMismatch, conversation_page, message_page
from app.labels.catalog import workspace_labels
from app.labels.tagging import set_labels
from app.leads import stages
from app.leads.actions import UNSET, update_lead
from app.leads.queries import LeadFilters, lead_page
from app.models import CONVERSATION_KINDS, CONVERSATION_STATUSES, LEAD_STATUSES, Conversation, InstagramAccount, Lead
from app.outbound.replies import ReplyRefused, queue_reply
from app.pagination import BadCursor
from app.saved_replies import library as saved_replies
from app.scoping import get_or_404, scoped


@bp.errorhandler(ActionRefused)
def _refused(exc: ActionRefused):
    # Well-formed input the rules do not allow; nothing of the request is kept.
    db.session.rollback()
    return ApiError(422, "unprocessable", exc.message, field=exc.field).response()


MENTIONS_VALUES = ("me",)  # `mentions=me`: conversations where a note mentions the token's owner


def _bad_cursor(field: str) -> ApiError:
    return ApiError(400, "invalid_cursor", f"{field} is not a cursor this API returned", field=field)


@bp.get("/conversations")
def list_conversations():
    filters = ConversationFilters(
        status=query_choice("status", CONVERSATION_STATUSES),
        kind=query_choice("kind", CONVERSATION_KINDS),
        unread=query_bool("unread"),
        assignee=query_assignee(),
        account_id=query_id("account_id"),
        q=query_text("q"),
        label=query_label(),
        needs_reply=query_bool("needs_reply"),
        mentioned=query_choice("mentions", MENTIONS_VALUES) == "me",
        sort=query_choice("sort", SORTS) or "recent",
    )
    limit = page_limit()
    try:
        rows, next_cursor = conversation_page(filters, current_user, cursor=cursor_param("cursor"), limit=limit)
    except CursorSortMismatch as mismatch:
        raise ApiError(400, "invalid_cursor", str(mismatch), field="cursor") from None
    except BadCursor:
        raise _bad_cursor("cursor") from None
    return jsonify(data=[conversation_json(c) for c in rows], next_cursor=next_cursor)


@bp.get("/conversations/<int:conversation_id>")
def get_conversation(conversation_id: int):
    return jsonify(data=conversation_json(get_or_404(Conversation, conversation_id)))


@bp.patch("/conversations/<int:conversation_id>")
def update_conversation(conversation_id: int):
    conversation = get_or_404(Conversation, conversation_id)
    body = json_body(("status", "assignee_id", "snoozed_until"))
    status = body_choice(body, "status", CONVERSATION_STATUSES) if "status" in body else None
    snoozed_until = body_time_or_null(body, "snoozed_until") if "snoozed_until" in body else None
    assignee_id = body_id_or_null(body, "assignee_id") if "assignee_id" in body else UNSET
    if snoozed_until is not None:
        # Giving a snooze time snoozes; it means nothing with another status.
        status = status or "snoozed"
        if status != "snoozed":
            raise ActionRefused("snoozed_until", "snoozed_until goes only with status snoozed")
    elif "snoozed_until" in body and status is None and conversation.status == "snoozed":
        raise ActionRefused("snoozed_until", "to end a snooze, set a status (e.g. open)")
    # Every change is checked before the first is committed, so a refused field changes nothing.
    if status is not None:
        check_status(status, snoozed_until)
    if assignee_id is not UNSET:
        check_assignee(conversation, assignee_id)
        assign(conversation, assignee_id, current_user._get_current_object())
    if status is not None:
        set_status(conversation, status, snoozed_until)
    return jsonify(data=conversation_json(conversation))


@bp.post("/conversations/<int:conversation_id>/read")
def read_conversation(conversation_id: int):
    conversation = get_or_404(Conversation, conversation_id)
    mark_read(conversation, current_user._get_current_object())  # the token owner's unread only
    return jsonify(data=conversation_json(conversation))


@bp.put("/conversations/<int:conversation_id>/labels")
def put_conversation_labels(conversation_id: int):
    """Exactly these labels on the conversation; names no label has yet are created (admins' tokens)."""
    conversation = get_or_404(Conversation, conversation_id)
    body = json_body(("labels",))
    if "labels" not in body:
        raise invalid("labels", "labels is required (a list of names; [] removes them all)")
    set_labels(conversation, body_text_list(body, "labels"), by=current_user._get_current_object())
    return jsonify(data=conversation_json(conversation))


@bp.get("/labels")
def list_labels():
    return jsonify(data=[label_json(label) for label in workspace_labels(current_user.workspace_id)])


@bp.get("/conversations/<int:conversation_id>/messages")
def list_messages(conversation_id: int):
    conversation = get_or_404(Conversation, conversation_id)
    limit = page_limit()
    try:
        rows, older = message_page(conversation, before=cursor_param("before"), limit=limit)
    except BadCursor:
        raise _bad_cursor("before") from None
    return jsonify(data=[message_json(m) for m in rows], next_cursor=older)


# Why a reply was refused → status. The conversation's state forbids it now: 409 (retrying the
# same request later may work, or not until the customer writes). The text itself is at fault: 422.
REFUSAL_STATUS = {"window_closed": 409, "human_agent_required": 409, "account_unavailable": 409, "not_a_dm": 409,
                  "too_long": 422, "empty": 422}
TEXT_REFUSALS = ("too_long", "empty")


@bp.post("/conversations/<int:conversation_id>/messages")
def send_message(conversation_id: int):
    conversation = get_or_404(Conversation, conversation_id)
    body = json_body(("text",))
    if "text" not in body:
        raise invalid("text", "text is required")
    text = body_text(body, "text")
    try:
        [message] = queue_reply(conversation, text=text, upload=None, user=current_user, source="api")
    except ReplyRefused as refused:
        db.session.rollback()
        field = "text" if refused.code in TEXT_REFUSALS else None
        raise ApiError(REFUSAL_STATUS.get(refused.code, 422), refused.code, refused.message, field=field) from None
    # Accepted, not yet sent: the send job reports back on the message (poll the thread for its status).
    return jsonify(data=message_json(message)), 202


@bp.post("/conversations/<int:conversation_id>/notes")
def add_conversation_note(conversation_id: int):
    """A private note for the team; every id in `mentions` (active members of the workspace) is
    told by a `mention` notification, written with the note (app.inbox.mentions)."""
    conversation = get_or_404(Conversation, conversation_id)
    body = json_body(("text", "mentions"))
    if "text" not in body:
        raise invalid("text", "text is required")
    text = body_text(body, "text")
    mentions = body_id_list(body, "mentions") if "mentions" in body else []
    try:
        note = add_note(conversation, current_user._get_current_object(), text, mentions)
    except ActionRefused as refused:
        if refused.field != "body":
            raise
        raise ActionRefused("text", refused.message) from None  # the page's field is the API's `text`
    return jsonify(data=note_json(note)), 201


@bp.get("/leads")
def list_leads():
    filters = LeadFilters(
        status=query_choice("status", LEAD_STATUSES),
        owner=query_owner(),
        source=query_text("source", max_length=20),
    )
    limit = page_limit()
    try:
        rows, next_cursor = lead_page(filters, current_user, cursor=cursor_param("cursor"), limit=limit)
    except BadCursor:
        raise _bad_cursor("cursor") from None
    return jsonify(data=[lead_json(lead) for lead in rows], next_cursor=next_cursor)


LEAD_TEXT_FIELDS = ("notes", "lost_reason", "currency", "email", "phone", "follow_up_note")


@bp.patch("/leads/<int:lead_id>")
def patch_lead(lead_id: int):
    """Any of the lead's fields; every rule (app.leads.actions, app.leads.stages) is checked before
    anything changes. `value` is a decimal string ("1250.50") or null; a number is refused, so no
    amount goes through a binary float."""
    lead = get_or_404(Lead, lead_id)
    body = json_body(("status", "owner_id", "value", "next_follow_up_at") + LEAD_TEXT_FIELDS)
    changes = {}
    if "status" in body:
        changes["status"] = body_choice(body, "status", LEAD_STATUSES)
    if "owner_id" in body:
        changes["owner_id"] = body_id_or_null(body, "owner_id")
    for name in LEAD_TEXT_FIELDS:
        if name in body:
            changes[name] = body_text(body, name, nullable=True)
    if "value" in body:
        if body["value"] is not None and not isinstance(body["value"], str):
            raise invalid("value", 'value must be a decimal string like "1250.50", or null')
        changes["value"] = body_text(body, "value", nullable=True)
    if "next_follow_up_at" in body:
        changes["next_follow_up_at"] = body_time_or_null(body, "next_follow_up_at")
    update_lead(lead, by=current_user._get_current_object(), **changes)
    return jsonify(data=lead_json(lead))


@bp.get("/leads/<int:lead_id>/history")
def lead_history(lead_id: int):
    """Every stage change of the lead, oldest first (app.leads.stages)."""
    lead = get_or_404(Lead, lead_id)
    return jsonify(data=[stage_change_json(change) for change in stages.history(lead)])


@bp.get("/accounts")
def list_accounts():
    accounts = db.session.scalars(scoped(InstagramAccount).order_by(InstagramAccount.id)).all()
    imports = progress_for([a.id for a in accounts])  # one query for the page, not one per account
    return jsonify(data=[account_json(a, imports[a.id]) for a in accounts])


@bp.get("/saved-replies")
def list_saved_replies():
    """The token owner's own saved replies and the workspace's (both, even where a personal
    shortcut shadows a workspace one in the inbox's picker), personal first, each by shortcut."""
    workspace, personal = saved_replies.listing(current_user)
    return jsonify(data=[saved_reply_json(r) for r in personal + workspace])
