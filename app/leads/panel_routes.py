"""The lead panel beside a thread: read it, and save one field at a time.

`GET /conversations/<id>/lead` answers the panel (htmx: the fragment the thread loads into its
side column or phone drawer; otherwise a page of its own, for a browser without JavaScript).
Each `POST /conversations/<id>/lead/<section>` saves one field through
app.leads.actions.update_lead (the rules shared with the leads page, the board and the API) and
answers that section re-rendered, with the refusal's sentence next to the field (422) when it
was refused. The conversation id goes through app.inbox.queries.conversation_or_404 (workspace
isolation: another workspace's is a 404). Who may change a lead is what the leads page allows:
every member of the workspace."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from app.errors import ActionRefused
from app.extensions import db
from app.htmx_responses import is_fragment_request, render_fragment, render_page
from app.inbox.queries import conversation_or_404
from app.leads import bp, stages
from app.leads.actions import update_lead
from app.leads.follow_ups import QUICK_PICKS, follow_up_time, reminds_someone
from app.leads.panel import load_panel
from app.scoping import valid_id

# What each saved section brings along out of band: a won lead's confirmed value shows in the value
# section, a value saved while won in the stage's timeline.
ALSO = {"stage": ("value",), "value": ("stage",)}


@bp.get("/conversations/<int:conversation_id>/lead")
@login_required
def panel(conversation_id: int):
    conversation = conversation_or_404(conversation_id)
    context = load_panel(conversation).context()
    if is_fragment_request():
        return render_fragment("leads/_panel.html", quick_picks=QUICK_PICKS, **context)
    return render_page("leads/panel_page.html", quick_picks=QUICK_PICKS, **context)


def _answer(conversation_id: int, section: str, error: ActionRefused | None = None, done: str | None = None,
            also: tuple[str, ...] = ()):
    if error is not None:
        db.session.rollback()  # nothing of a refused save stays in the session
    conversation = conversation_or_404(conversation_id)
    if not is_fragment_request():
        flash(error.message if error else (done or "Lead saved."), "error" if error else "info")
        return redirect(url_for("inbox.conversation", conversation_id=conversation.id))
    context = load_panel(conversation).context()
    context.update(section=section, error=error, done=done, form=request.form if error else {})
    return render_fragment("leads/panel/_saved.html", 422 if error else 200,
                           also=() if error else ALSO.get(section, ()) + also,
                           quick_picks=QUICK_PICKS, **context)


def _lead_or_refusal(conversation_id: int):
    conversation = conversation_or_404(conversation_id)
    panel = load_panel(conversation)
    if panel.lead is None:
        raise ActionRefused("lead", "This conversation has no lead.")
    return panel.lead


def _save(conversation_id: int, section: str, done: str, also: tuple[str, ...] = (), lead=None, **changes):
    """`lead`: the conversation's lead when the caller has loaded it already."""
    try:
        lead = lead or _lead_or_refusal(conversation_id)
        update_lead(lead, by=current_user._get_current_object(), **changes)
    except ActionRefused as exc:
        return _answer(conversation_id, section, exc)
    return _answer(conversation_id, section, done=done, also=also)


@bp.post("/conversations/<int:conversation_id>/lead/stage")
@login_required
def save_stage(conversation_id: int):
    """`status`; for lost also `lost_reason` (the pick) and `lost_detail` (free text); for won the
    confirmed `value` and `currency`, saved with the move."""
    return _save(conversation_id, "stage", "Stage saved.", **stages.move_from_form(request.form))


@bp.post("/conversations/<int:conversation_id>/lead/owner")
@login_required
def save_owner(conversation_id: int):
    raw = (request.form.get("owner_id") or "").strip()
    owner_id = valid_id(raw)
    if raw and owner_id is None:
        return _answer(conversation_id, "owner", ActionRefused("owner_id", "Choose someone from the list."))
    return _save(conversation_id, "owner", "Owner saved.", owner_id=owner_id)


@bp.post("/conversations/<int:conversation_id>/lead/value")
@login_required
def save_value(conversation_id: int):
    return _save(conversation_id, "value", "Value saved.", value=request.form.get("value") or None,
                 currency=request.form.get("currency") or None)


@bp.post("/conversations/<int:conversation_id>/lead/follow-up")
@login_required
def save_follow_up(conversation_id: int):
    """A quick pick (`preset`), a `datetime-local` `at` in the viewer's zone, or `clear`; and the `note`."""
    note = request.form.get("note")
    if request.form.get("clear"):
        return _save(conversation_id, "follow_up", "Follow-up cleared.", next_follow_up_at=None, follow_up_note=None)
    try:
        when = follow_up_time(request.form.get("preset") or None, request.form.get("at") or None)
    except ValueError as exc:
        return _answer(conversation_id, "follow_up", ActionRefused("next_follow_up_at", str(exc)))
    if when is None:
        return _answer(conversation_id, "follow_up",
                       ActionRefused("next_follow_up_at", "Choose a date and time, or one of the quick picks."))
    changes = {"next_follow_up_at": when}
    if note is not None:
        changes["follow_up_note"] = note
    try:
        lead = _lead_or_refusal(conversation_id)
    except ActionRefused as exc:
        return _answer(conversation_id, "follow_up", exc)
    if not reminds_someone(lead):
        # Nobody (active) owns the lead or has its conversation: the follow-up would be on no one's
        # list and remind no one (app.leads.follow_ups). Whoever sets it takes the lead.
        changes["owner_id"] = current_user.id
        return _save(conversation_id, "follow_up", "Follow-up saved. Nobody owned this lead, so it is yours now: "
                     "the follow-up is on your list.", also=("owner",), lead=lead, **changes)
    return _save(conversation_id, "follow_up", "Follow-up saved.", lead=lead, **changes)


@bp.post("/conversations/<int:conversation_id>/lead/email")
@login_required
def save_email(conversation_id: int):
    return _save(conversation_id, "contact", "Email saved.", email=request.form.get("email") or None)


@bp.post("/conversations/<int:conversation_id>/lead/phone")
@login_required
def save_phone(conversation_id: int):
    return _save(conversation_id, "contact", "Phone saved.", phone=request.form.get("phone") or None)


@bp.post("/conversations/<int:conversation_id>/lead/offer")
@login_required
def save_offer(conversation_id: int):
    """One click on "Save … as email/phone?": the value the customer typed, checked by the same
    rules as typing it in (clean_email / clean_phone)."""
    kind = request.form.get("kind")
    if kind not in ("email", "phone"):
        return _answer(conversation_id, "contact", ActionRefused("kind", "Save it as an email or a phone number."))
    return _save(conversation_id, "contact", f"{'Email' if kind == 'email' else 'Phone'} saved.",
                 **{kind: request.form.get("value") or None})


@bp.post("/conversations/<int:conversation_id>/lead/notes")
@login_required
def save_notes(conversation_id: int):
    return _save(conversation_id, "notes", "Notes saved.", notes=(request.form.get("notes") or "").strip() or None)
