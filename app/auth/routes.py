"""Staff sign-in: GET/POST /login and POST /logout (never logout by GET)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app.auth import bp, rate_limit
from app.auth.forms import LoginForm
from app.extensions import db
from app.models import User, utcnow


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login would make phishing easy."""
    if not target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("inbox.index")
    return target


def _limit_keys(email: str) -> list[str]:
    return [f"login:ip:{request.remote_addr}", f"login:email:{email}"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        limit = current_app.config["LOGIN_RATE_LIMIT"]
        window = current_app.config["LOGIN_RATE_WINDOW"]
        blocked = [k for k in _limit_keys(email) if rate_limit.count(k) >= limit]
        if blocked:
            wait_minutes = max(1, rate_limit.retry_after(blocked[0]) // 60)
            form.form_errors.append(f"Too many failed sign-ins. Try again in about {wait_minutes} minutes.")
            status = 429
        else:
            user = db.session.scalar(select(User).where(User.email == email))
            if user is not None and user.is_active and user.check_password(form.password.data):
                rate_limit.clear(f"login:email:{email}")
                user.last_login_at = utcnow()
                db.session.commit()
                login_user(user, remember=True)
                return redirect(_safe_next(request.args.get("next")))
            for key in _limit_keys(email):
                rate_limit.hit(key, window)
            form.form_errors.append("That email and password do not match an account.")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
