"""Label pages: Settings → Labels (everyone sees them, admins change them) and the thread header's
add and remove. Thin: the rules are in app.labels.catalog and app.labels.tagging.

The header's actions answer htmx with the header's label chips, its "Label" menu (out of band:
the label just added leaves the menu) and the conversation's list row (out of band, as the inbox's
own actions do); without JavaScript they redirect back to the conversation."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.auth.roles import admin_required
from app.errors import ActionRefused
from app.extensions import db
from app.htmx_responses import is_fragment_request, render_fragment
from app.inbox.queries import conversation_or_404
from app.labels import bp
from app.labels.catalog import (
    create_label,
    delete_label,
    find_label,
    label_by_id,
    update_label,
    usage_counts,
    valid_colour,
    workspace_labels,
)
from app.labels.palette import PALETTE, colour_of
from app.labels.tagging import add_label, labels_for, remove_label
from app.models import Conversation, Label
from app.scoping import current_workspace_id


# -- Settings → Labels -----------------------------------------------------------------------------

def _settings_page(status: int = 200, *, error: ActionRefused | None = None, form: dict | None = None,
                   editing: int | None = None):
    workspace_id = current_workspace_id()
    return render_template("labels/settings.html", labels=workspace_labels(workspace_id),
                           counts=usage_counts(workspace_id), palette=PALETTE, colour_of=colour_of,
                           error=error, form=form or {}, editing=editing), status


def _label_or_404(label_id: int) -> Label:
    label = label_by_id(current_workspace_id(), label_id)
    if label is None:
        abort(404, description="This label does not exist (any more), or it belongs to another workspace.")
    return label


@bp.get("/settings/labels")
@login_required
def settings_page():
    return _settings_page()


@bp.post("/settings/labels")
@admin_required
def create():
    form = {"name": request.form.get("name", ""), "color": request.form.get("color", "")}
    try:
        label = create_label(current_workspace_id(), form["name"], by=current_user._get_current_object(),
                             colour=valid_colour(form["color"]))
    except ActionRefused as exc:
        db.session.rollback()
        return _settings_page(422, error=exc, form=form)
    flash(f"Label “{label.name}” created.", "info")
    return redirect(url_for("labels.settings_page"))


@bp.post("/settings/labels/<int:label_id>")
@admin_required
def change(label_id: int):
    label = _label_or_404(label_id)
    form = {"name": request.form.get("name", ""), "color": request.form.get("color", "")}
    try:
        changed = update_label(label, by=current_user._get_current_object(), name=form["name"],
                               colour=valid_colour(form["color"]))
    except ActionRefused as exc:
        db.session.rollback()
        return _settings_page(422, error=exc, form=form, editing=label_id)
    flash(f"Label “{label.name}” saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("labels.settings_page"))


@bp.post("/settings/labels/<int:label_id>/delete")
@admin_required
def delete(label_id: int):
    label = _label_or_404(label_id)
    name = label.name
    delete_label(label, by=current_user._get_current_object())
    flash(f"Label “{name}” deleted; no conversation has it any more.", "info")
    return redirect(url_for("labels.settings_page"))


# -- The thread header -----------------------------------------------------------------------------

def _listing():
    # Imported here: app.inbox.filters reads label names through app.labels.catalog, so importing
    # the inbox's list query at the top would make the two packages import each other.
    from app.inbox.filters import InboxListQuery

    return InboxListQuery.from_args(request.args)


def _after_change(conversation: Conversation, *, error: ActionRefused | None = None, done: str | None = None,
                  status: int = 200):
    listing = _listing()
    if is_fragment_request():
        return render_fragment("labels/_labels_changed.html", status, current=conversation, listing=listing,
                               open_id=conversation.id, label_error=error, label_done=done)
    if error is not None:
        flash(error.message, "error")
    elif done:
        flash(done, "info")
    return redirect(url_for("inbox.conversation", conversation_id=conversation.id, **listing.params()))


@bp.post("/conversations/<int:conversation_id>/labels")
@login_required
def add_to_conversation(conversation_id: int):
    """Put a label on the conversation: `label` names one of the workspace's; `new` is what was
    typed in the menu's box, which an admin's request creates when no label has that name."""
    conversation = conversation_or_404(conversation_id)
    by = current_user._get_current_object()
    chosen = (request.form.get("label") or "").strip()
    try:
        if chosen:
            label = find_label(conversation.workspace_id, chosen)
            if label is None:
                raise ActionRefused("label", f"There is no label “{chosen[:40]}” any more.")
        else:
            [label] = labels_for(conversation.workspace_id, [request.form.get("new") or ""], by=by, field="label")
        added = add_label(conversation, label, by=by)
    except ActionRefused as exc:
        db.session.rollback()
        return _after_change(conversation, error=exc, status=422)
    return _after_change(conversation, done=f"Label “{label.name}” added." if added else
                         f"The conversation already has the label “{label.name}”.")


@bp.post("/conversations/<int:conversation_id>/labels/<int:label_id>/remove")
@login_required
def remove_from_conversation(conversation_id: int, label_id: int):
    conversation = conversation_or_404(conversation_id)
    label = label_by_id(conversation.workspace_id, label_id)
    if label is None:
        abort(404)  # another workspace's label, as any id of theirs (or one deleted meanwhile)
    if remove_label(conversation, label.id):
        return _after_change(conversation, done=f"Label “{label.name}” removed.")
    return _after_change(conversation, done="The conversation did not have that label.")
