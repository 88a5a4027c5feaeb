"""Settings → Saved replies (list, create, edit, delete), and what the composer's "/" picker
(static/js/saved_replies.js) asks for: the replies filled in for the open conversation, a reply's
attachment, and "it was used". Thin: the rules are in app.saved_replies.library."""
from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from app import audit
from app.extensions import db
from app.htmx_responses import empty_fragment, render_fragment
from app.models import Conversation, SavedReply
from app.outbound.attachments import ALLOWED_DESCRIPTION
from app.saved_replies import bp, library
from app.saved_replies.library import ReplyForm, ReplyFormRefused
from app.saved_replies.variables import VARIABLES, render, values_for
from app.scoping import get_or_404

ACCEPT = "image/png,image/jpeg,video/*,audio/*,application/pdf"  # as the composer's file input


def _page(form: ReplyForm | None = None, errors: dict | None = None, status: int = 200):
    workspace_replies, own_replies = library.listing(current_user)
    mine = {r.shortcut for r in own_replies}
    return render_template(
        "saved_replies/index.html", workspace_replies=workspace_replies, own_replies=own_replies,
        shadowed={r.shortcut for r in workspace_replies if r.shortcut in mine},
        # An admin's new reply is the team's unless they say otherwise: a shop owner who missed the
        # radio made a reply nobody else ever saw. An agent's are their own (they cannot choose).
        form=form or ReplyForm(scope="workspace" if current_user.is_admin else "personal"), errors=errors or {},
        **_form_context(),
    ), status


def _form_context() -> dict:
    return dict(variables=VARIABLES, accept=ACCEPT, allowed=ALLOWED_DESCRIPTION, max_title=library.TITLE_MAX,
                max_shortcut=library.SHORTCUT_MAX)


@bp.get("/settings/saved-replies")
@login_required
def index():
    return _page()


@bp.post("/settings/saved-replies")
@login_required
def create():
    form = ReplyForm.from_form(request.form)
    library.require_scope_allowed(form.scope)
    try:
        attachment = library.check(form, current_user, upload=request.files.get("attachment"))
        reply = library.save(form, current_user, attachment=attachment)
    except ReplyFormRefused as refused:
        return _page(form, refused.errors, 422)
    if reply.scope == "workspace":
        audit.record("saved_reply.created", f"Added the workspace saved reply “{reply.title}” (/{reply.shortcut})",
                     saved_reply_id=reply.id)
    db.session.commit()
    return _saved(form, f"Saved “{reply.title}”. Type /{reply.shortcut} in the reply box to use it.")


@bp.get("/settings/saved-replies/<int:reply_id>/edit")
@login_required
def edit(reply_id: int):
    reply = library.editable_or_404(reply_id)
    return _edit_page(reply, ReplyForm.of(reply))


def _edit_page(reply: SavedReply, form: ReplyForm, errors: dict | None = None, status: int = 200):
    return render_template("saved_replies/edit.html", reply=reply, form=form, errors=errors or {},
                           **_form_context()), status


@bp.post("/settings/saved-replies/<int:reply_id>")
@login_required
def update(reply_id: int):
    reply = library.editable_or_404(reply_id)
    was = reply.scope
    form = ReplyForm.from_form(request.form, default_scope=was)
    if form.scope != was:
        library.require_scope_allowed("workspace")  # moving into or out of the workspace's
    try:
        attachment = library.check(form, current_user, reply=reply, upload=request.files.get("attachment"))
        library.save(form, current_user, reply=reply, attachment=attachment)
    except ReplyFormRefused as refused:
        reply = library.editable_or_404(reply_id)  # as stored (a failed write rolled back)
        return _edit_page(reply, form, refused.errors, 422)
    if "workspace" in (was, reply.scope):
        audit.record("saved_reply.changed", f"Changed the saved reply “{reply.title}” (/{reply.shortcut})"
                     + ("" if was == reply.scope else f", now {reply.scope}"), saved_reply_id=reply.id)
    db.session.commit()
    return _saved(form, f"Saved “{reply.title}”.")


def _saved(form: ReplyForm, message: str):
    flash(message, "info")
    for warning in library.warnings(form):
        flash(warning, "warning")
    return redirect(url_for("saved_replies.index"))


@bp.post("/settings/saved-replies/<int:reply_id>/delete")
@login_required
def delete(reply_id: int):
    reply = library.editable_or_404(reply_id)
    if reply.scope == "workspace":
        audit.record("saved_reply.deleted", f"Deleted the workspace saved reply “{reply.title}” (/{reply.shortcut})",
                     saved_reply_id=reply.id)
    library.delete(reply)
    db.session.commit()
    flash(f"Deleted “{reply.title}”.", "info")
    return redirect(url_for("saved_replies.index"))


# -- For the composer's picker ----------------------------------------------------------------

@bp.get("/conversations/<int:conversation_id>/saved-replies")
@login_required
def picker(conversation_id: int):
    """The picker's options, with the variables filled in for this conversation."""
    conversation = get_or_404(Conversation, conversation_id)
    values = values_for(conversation, current_user)
    replies = library.for_picker(current_user, (request.args.get("q") or "")[:100])
    options = [(reply, render(reply.text, values)) for reply in replies]
    return render_fragment("saved_replies/_options.html", options=options)


@bp.get("/saved-replies/<int:reply_id>/attachment")
@login_required
def attachment(reply_id: int):
    """The file the picker puts in the composer's file input (and the settings page links)."""
    reply = library.visible_or_404(reply_id)
    if not reply.attachment_name:
        return render_template("errors/error.html", status=404, title="Not found",
                               message="This saved reply has no attachment."), 404
    response = send_file(io.BytesIO(reply.attachment_data), mimetype=reply.attachment_type,
                         download_name=reply.attachment_name, as_attachment=True,
                         last_modified=reply.updated_at, etag=f"{reply.id}-{reply.updated_at.timestamp()}")
    # Private to the signed-in person, and never rendered as a page of this origin.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/saved-replies/<int:reply_id>/used")
@login_required
def used(reply_id: int):
    """Counted when the picker inserts the reply (CSRF header, as every htmx request sends)."""
    library.record_use(library.visible_or_404(reply_id))
    db.session.commit()
    return empty_fragment(204)
