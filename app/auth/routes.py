"""Staff sign-in: GET/POST /login and POST /logout (never logout by GET)."""
from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app import throttle
from app.auth import bp
from app.auth.forms import LoginForm
from app.auth.sessions import end_this_session, sign_in
from app.extensions import db
from app.models import User
from app.models.workspaces import password_hash_method
from app.pwa import devices
from app.throttle import limiter


@cache
def _dummy_hash(method: str) -> str:
    """Checked when the email matches no active user, so that a wrong email costs the same scrypt
    work as a wrong password: timing must not tell which addresses have accounts (F-04). Made when
    the app starts (app.auth), so not even a process's first sign-in costs more."""
    return generate_password_hash("no user has this password", method=method)


@bp.record
def _make_dummy_hash(state) -> None:
    _dummy_hash(state.app.config["PASSWORD_HASH_METHOD"])


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login would make phishing easy."""
    if not target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("inbox.index")
    return target


def _throttled(request_limit, what: str):
    """Too many failures from this client (for this account, or at all): the form again, saying
    how long to wait and for what; a correct password from the same place waits too."""
    form = LoginForm()
    wait = throttle.retry_after_seconds(request_limit)
    form.form_errors.append(f"Too many failed sign-ins {what}. Try again in {throttle.wait_in_words(wait)}.")
    return make_response(render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)})


def _throttled_client(request_limit):
    return _throttled(request_limit, "from this device")


def _throttled_pair(request_limit):
    # Said as it is: another account signs in from here at once ("from this device" misled).
    return _throttled(request_limit, "to this account from this device")


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        check_password_hash(_dummy_hash(password_hash_method()), password)
        return None
    return user if user.check_password(password) else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.login_client_limits, key_func=throttle.client_address, methods=["POST"],
               deduct_when=throttle.login_failed, scope="login-client", on_breach=_throttled_client)
@limiter.limit(throttle.login_pair_limits, key_func=throttle.login_pair_key, methods=["POST"],
               deduct_when=throttle.login_failed, scope="login-pair", on_breach=_throttled_pair)
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.email.data.strip().lower(), form.password.data)
        if user is not None:
            sign_in(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append("That email and password do not match an account.")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Server-side: the session and remember cookies just cleared from this browser stop working
    # wherever else they were copied (F-02). The person's other devices stay signed in; Settings →
    # Profile has "Sign out everywhere".
    user = current_user._get_current_object()
    endpoint = request.form.get("push_endpoint")
    if endpoint:
        # This browser's push subscription (static/js/push.js): a shared tablet stops getting the
        # person's alerts. Someone else's endpoint, or a malformed one, changes nothing.
        try:
            devices.unsubscribe(user, endpoint)
        except devices.SubscriptionRefused:
            pass
    end_this_session(user)
    db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
