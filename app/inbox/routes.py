"""Inbox pages: the conversation list, a thread, the live poll, and what staff do to a conversation.

Every GET here renders a full page for a normal or history-restore request and the matching
block of the same template for an htmx request (render_page), so any URL the browser shows can
be reloaded or shared. Rules live in app.inbox.actions / queries; routes only translate."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app.errors import ActionRefused
from app.extensions import htmx
from app.htmx_responses import empty_fragment, hx_push_url, is_fragment_request, render_fragment, render_page
from app.inbox import actions, bp, bulk, live, localtime, search, unread
from app.inbox.filters import KINDS, SORT_LABELS, VIEWS, InboxListQuery
from app.inbox.queries import (
    conversation_or_404,
    conversation_page,
    find_conversation,
    matching_conversations,
    thread_around,
    thread_newer_page,
    thread_page,
    unread_total,
    workspace_accounts,
    workspace_users,
)
from app.comments.media import needs_fetch
from app.models import Conversation, utcnow
from app.outbound.replies import queue_mark_seen
from app.outbound.windows import reply_window
from app.pagination import BadCursor
from app.scoping import current_workspace_id, valid_id

LIST_PAGE = 30
THREAD_PAGE = 50


def _badge() -> int:
    return unread_total(current_user)


def _list_context(listing: InboxListQuery, cursor: str | None = None, open_id: int | None = None) -> dict:
    try:
        rows, next_cursor = conversation_page(listing.conversation_filters(), current_user, cursor, LIST_PAGE)
    except BadCursor:
        abort(400, description="This list link is out of date. Reload the inbox.")
    return dict(listing=listing, conversations=rows, next_cursor=next_cursor, open_id=open_id,
                accounts=workspace_accounts(), views=VIEWS, kinds=KINDS, sorts=SORT_LABELS)


def _header_choices() -> dict:
    """What the thread header's menus offer (assignees, snooze times), wherever it is rendered:
    the thread, an action's answer, the live poll's header."""
    return dict(users=workspace_users(), snooze_presets=localtime.SNOOZE_PRESETS)


def _header_context(conversation: Conversation, listing: InboxListQuery) -> dict:
    # The open conversation's row comes along (oob_row): in a search it keeps its marked match.
    search.prime([conversation], search.search_term(listing.q))
    return dict(current=conversation, listing=listing, **_header_choices())


def _thread_context(conversation: Conversation, listing: InboxListQuery) -> dict:
    # `at`: opened from a search result, the thread loads around that message instead of at the
    # newest (an id that is not this conversation's opens it as usual).
    at = valid_id(request.args.get("at"))
    thread = (thread_around(conversation, at, THREAD_PAGE) if at else None) or thread_page(conversation, limit=THREAD_PAGE)
    return dict(
        _header_context(conversation, listing),
        thread=thread, window=reply_window(conversation, human=True),
        post_due=conversation.media is not None and needs_fetch(conversation.media, utcnow()),
        thread_token=live.current_thread_state(current_workspace_id(), conversation).token(),
    )


def _page_context(listing: InboxListQuery, conversation: Conversation | None = None) -> dict:
    # The live token before the rows: a conversation changing in between is then sent again by
    # the first poll (static/js/app.js replaces a row it has), never missed.
    list_token = live.current_list_state(current_workspace_id()).token()
    context = _list_context(listing, open_id=conversation.id if conversation else None)
    context["list_token"] = list_token
    if conversation is not None:
        context.update(_thread_context(conversation, listing))
    else:
        context["current"] = None
    if "users" not in context:
        context["users"] = workspace_users()  # the bulk bar's "assign to" (the header's too)
    return context


def _list_url(listing: InboxListQuery, open_id: int | None = None) -> str:
    if open_id:
        return url_for("inbox.conversation", conversation_id=open_id, **listing.params())
    return url_for("inbox.index", **listing.params())


def _open_param() -> int | None:
    return valid_id(request.values.get("open"))


@bp.get("/")
@login_required
def index():
    listing = InboxListQuery.from_args(request.args)
    cursor = request.args.get("cursor") or None
    if is_fragment_request():
        if htmx.target == "thread":
            # The phone's back control: the thread area goes back to its empty state.
            response = render_page("inbox/index.html", block="thread", current=None, listing=listing)
            return hx_push_url(response, _list_url(listing))
        if cursor:
            return render_page("inbox/index.html", block="conversation_rows", **_list_context(listing, cursor, _open_param()))
        open_id = _open_param()
        response = render_page("inbox/index.html", block="conversation_list", **_list_context(listing, open_id=open_id))
        # The filters change, the open conversation stays: the address says both.
        return hx_push_url(response, _list_url(listing, open_id))
    if _open_param():
        # The filter form submitted without JavaScript carries the open conversation along.
        return redirect(_list_url(listing, _open_param()))
    if cursor:
        return redirect(_list_url(listing))
    return render_page("inbox/index.html", **_page_context(listing))


@bp.get("/conversations/<int:conversation_id>")
@login_required
def conversation(conversation_id: int):
    listing = InboxListQuery.from_args(request.args)
    current = conversation_or_404(conversation_id)
    # No side effects on a GET, which a cross-site link can make (F-20): the page marks the
    # conversation read (and Instagram's "seen" receipt goes) through POST .../read once shown.
    if is_fragment_request():
        response = render_page("inbox/index.html", block="thread", oob_row=True, open_id=current.id,
                               unread=_badge(), **_thread_context(current, listing))
        return response
    return render_page("inbox/index.html", **_page_context(listing, current))


def _read(conversations: list[Conversation]) -> None:
    """The staff member has seen these conversations: their own unread goes and, where nobody on
    the team had read the customer's newest messages yet, Instagram is told they were seen (one
    receipt, not one per visit nor per teammate)."""
    team_unread = actions.read_all(conversations, current_user)
    for conversation in conversations:
        if conversation.id in team_unread:
            queue_mark_seen(conversation)


@bp.get("/conversations/<int:conversation_id>/older")
@login_required
def older_messages(conversation_id: int):
    current = conversation_or_404(conversation_id)
    if not is_fragment_request():
        return redirect(url_for("inbox.conversation", conversation_id=current.id))
    try:
        page = thread_page(current, before=request.args.get("before") or None, limit=THREAD_PAGE)
    except BadCursor:
        abort(400, description="This link to older messages is out of date. Reload the conversation.")
    return render_fragment("inbox/_older.html", current=current, thread=page)


@bp.get("/conversations/<int:conversation_id>/newer")
@login_required
def newer_messages(conversation_id: int):
    """The next messages of a thread opened at a search result, below what is loaded."""
    current = conversation_or_404(conversation_id)
    if not is_fragment_request():
        return redirect(url_for("inbox.conversation", conversation_id=current.id))
    try:
        page = thread_newer_page(current, request.args.get("after") or "", limit=THREAD_PAGE)
    except BadCursor:
        abort(400, description="This link to newer messages is out of date. Reload the conversation.")
    return render_fragment("inbox/_newer.html", current=current, thread=page)


@bp.get("/inbox/changes")
@login_required
def changes():
    """The live poll (see app/inbox/live.py for why polling). Nothing changed: 204, no body,
    no template. Something changed: out-of-band fragments for the changed list rows, the open
    thread's new or changed messages, the unread badge and the poll's own new token."""
    workspace_id = current_workspace_id()
    try:
        since = live.ListState.from_token(request.args.get("since") or "")
    except live.BadToken:
        since = None  # a token from an older page or version: start over from now
    thread_since = None
    if request.args.get("thread"):
        try:
            thread_since = live.ThreadState.from_token(request.args["thread"])
        except live.BadToken:
            thread_since = None

    list_changes, thread_last = live.poll(workspace_id, since, thread_since)
    if since is not None and list_changes is None and thread_last is None:
        return empty_fragment(204)

    listing = InboxListQuery.from_args(request.args)
    state = list_changes.state if list_changes else (since or live.current_list_state(workspace_id))
    rows, removed = [], []
    if list_changes:
        rows = matching_conversations(listing.conversation_filters(), current_user, list_changes.changed_ids)
        matched = {c.id for c in rows}
        removed = [i for i in list_changes.changed_ids if i not in matched and i != _open_param()]
    thread_update, thread_unread, thread_gone, current, header = None, False, None, None, {}
    if thread_last is not None:
        current = find_conversation(thread_since.conversation_id)
        if current is None:
            thread_gone = thread_since.conversation_id  # deleted meanwhile (e.g. a data deletion request)
        else:
            thread_update = live.thread_update(current, thread_since, thread_last)
            thread_unread = unread.count_for(current_user.id, current.id) > 0
            # The conversation's row changed (not only a message's ticks): the header and the reply
            # window come along, since a teammate resolved or reassigned it, or the customer wrote
            # again and reopened Instagram's window (static/js/app.js places them).
            if list_changes and list_changes.bumped_since(current.id, thread_since.mark):
                header = dict(thread_header=True, window=reply_window(current, human=True), **_header_choices())
    return render_fragment(
        "inbox/_changes.html", list_token=state.token(), rows=rows, removed=removed, listing=listing,
        open_id=_open_param(), unread=_badge(), thread_update=thread_update,
        thread_unread=thread_unread, thread_gone=thread_gone, thread_current=current, **header,
    )


# -- Conversation actions (POST; htmx gets the refreshed header, plain forms a redirect) --------

def _after_action(conversation: Conversation, listing: InboxListQuery, error: ActionRefused | None = None,
                  done: str | None = None, status: int = 200):
    if is_fragment_request():
        return render_page("inbox/index.html", block="thread_header", status=status, oob_row=True,
                           open_id=conversation.id, unread=_badge(), action_error=error, action_done=done,
                           **_header_context(conversation, listing))
    if error is not None:
        flash(error.message, "error")
    elif done:
        flash(done, "info")
    return redirect(url_for("inbox.conversation", conversation_id=conversation.id, **listing.params()))


def _action_listing() -> InboxListQuery:
    return InboxListQuery.from_args(request.args)


def _assignee_choice(raw: str | None) -> int | None:
    """The assignee a form chose: "me", "none" (or nothing: unassign) or a user id."""
    raw = (raw or "").strip()
    if raw == "me":
        return current_user.id
    if raw in ("", "none"):
        return None
    if valid_id(raw) is None:
        raise ActionRefused("assignee", "Choose someone from the list.")
    return valid_id(raw)


@bp.post("/conversations/<int:conversation_id>/assign")
@login_required
def assign(conversation_id: int):
    current = conversation_or_404(conversation_id)
    listing = _action_listing()
    try:
        actions.assign(current, _assignee_choice(request.form.get("assignee")), current_user)
    except ActionRefused as exc:
        return _after_action(current, listing, exc, status=422)
    current = conversation_or_404(conversation_id)
    who = current.assignee.display_name if current.assignee else "nobody"
    return _after_action(current, listing, done=f"Assigned to {who}.")


@bp.post("/conversations/<int:conversation_id>/status")
@login_required
def set_status(conversation_id: int):
    current = conversation_or_404(conversation_id)
    listing = _action_listing()
    status = (request.form.get("status") or "").strip()
    if status == "snoozed":
        # Snoozing needs a time; it has its own form.
        return _after_action(current, listing, ActionRefused("status", "Choose until when to snooze."), status=422)
    try:
        actions.set_status(current, status)
    except ActionRefused as exc:
        return _after_action(current, listing, exc, status=422)
    labels = {"open": "Conversation reopened.", "resolved": "Conversation resolved.", "pending": "Marked as pending."}
    return _after_action(current, listing, done=labels.get(status))


@bp.post("/conversations/<int:conversation_id>/snooze")
@login_required
def snooze(conversation_id: int):
    current = conversation_or_404(conversation_id)
    listing = _action_listing()
    try:
        until = localtime.snooze_until(request.form.get("preset") or None, request.form.get("until") or None)
    except ValueError as exc:
        return _after_action(current, listing, ActionRefused("snoozed_until", f"{str(exc).capitalize()}."), status=422)
    try:
        actions.set_status(current, "snoozed", until)
    except ActionRefused as exc:
        return _after_action(current, listing, exc, status=422)
    return _after_action(current, listing, done=f"Snoozed until {localtime.full_datetime(until)}.")


@bp.post("/conversations/<int:conversation_id>/unread")
@login_required
def mark_unread(conversation_id: int):
    """Mark unread (for me only) and leave the conversation, as a mail client does: the list shows it bold."""
    current = conversation_or_404(conversation_id)
    listing = _action_listing()
    actions.mark_unread(current, current_user)
    if is_fragment_request():
        response = render_page("inbox/index.html", block="thread", current=None, listing=listing,
                               oob_conversation=current, unread=_badge(), oob_row=True)
        return hx_push_url(response, _list_url(listing))
    flash("Marked as unread.", "info")
    return redirect(_list_url(listing))


@bp.post("/conversations/<int:conversation_id>/read")
@login_required
def mark_read(conversation_id: int):
    """Sent by the open thread once it is on screen with something unread for me, and again when
    new messages arrive while I am looking. Marks it read for me only."""
    current = conversation_or_404(conversation_id)
    _read([current])
    if not is_fragment_request():
        return redirect(url_for("inbox.conversation", conversation_id=current.id))
    return render_fragment("inbox/_row_update.html", rows=[current], open_id=current.id,
                           listing=_action_listing(), unread=_badge())


@bp.post("/conversations/<int:conversation_id>/notes")
@login_required
def add_note(conversation_id: int):
    current = conversation_or_404(conversation_id)
    text = request.form.get("text") or ""
    try:
        # The picker's ids, kept while their `@Name` is still in the text (app.inbox.mentions).
        note = actions.add_note(current, current_user, text, request.form.getlist("mentions"), only_named=True)
    except ActionRefused as exc:
        if is_fragment_request():
            return render_fragment("inbox/_reply_error.html", 422, message=exc.message)
        flash(exc.message, "error")
        return redirect(url_for("inbox.conversation", conversation_id=current.id))
    if is_fragment_request():
        return render_fragment("inbox/_thread_items.html", items=[note], replied={}, current=current)
    return redirect(url_for("inbox.conversation", conversation_id=current.id))


@bp.post("/conversations/bulk")
@login_required
def bulk_action():
    """The list's bulk actions (fields `ids`, `action`, and `assignee` or `label_name`), applied by the
    same rules as the single ones. Every id must be a conversation of my workspace, or the whole
    request is a 404 and nothing changes. htmx gets the changed rows (out of band, re-checked
    against the list's filters, which the bar sends along) and a status line; a plain form a redirect."""
    listing = InboxListQuery.from_args(request.form)
    action = (request.form.get("action") or "").strip()
    try:
        conversations = bulk.selected(request.form.getlist("ids"))  # 404 unless every one is mine
        assignee_id = _assignee_choice(request.form.get("assignee")) if action == "assign" else bulk.UNSET
        outcome = bulk.apply(conversations, action, current_user._get_current_object(), assignee_id=assignee_id,
                             label=request.form.get("label_name"))
    except ActionRefused as exc:
        if is_fragment_request():
            return render_fragment("inbox/_bulk_result.html", 422, error=exc.message)
        flash(exc.message, "error")
        return redirect(_list_url(listing))
    for conversation in outcome.seen:
        queue_mark_seen(conversation)
    if not is_fragment_request():
        flash(outcome.done, "info")
        return redirect(_list_url(listing))
    ids = [c.id for c in conversations]
    rows = matching_conversations(listing.conversation_filters(), current_user, ids)
    matched = {c.id for c in rows}
    return render_fragment("inbox/_bulk_result.html", done=outcome.done, rows=rows, listing=listing,
                           removed=[i for i in ids if i not in matched and i != _open_param()],
                           open_id=_open_param(), unread=_badge())
