from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.api_tokens import create_token, revoke
from app.extensions import db
from app.models import ApiToken
from app.scoping import valid_id
from app.settings import bp


def _my_tokens():
    return db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()


@bp.get("/settings")
@login_required
def index():
    return render_template("settings/index.html", tokens=_my_tokens(), new_token=None)


@bp.post("/settings/tokens")
@login_required
def create_api_token():
    name = (request.form.get("name") or "").strip()[:120] or "API token"
    _, plaintext = create_token(current_user, name)
    db.session.commit()
    # Shown once, in this response only; it is never stored or shown again.
    return render_template("settings/index.html", tokens=_my_tokens(), new_token=plaintext)


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    token = None
    if valid_id(token_id) is not None:  # a larger number never reaches the query (F-11)
        token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id))
    if token is None:
        return render_template("errors/error.html", status=404, title="Not found", message="No such token."), 404
    revoke(token)
    db.session.commit()
    flash(f"Token “{token.name}” revoked.", "info")
    return redirect(url_for("settings.index"))
