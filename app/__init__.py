"""The Instagram DM inbox for sales teams: the application factory."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, abort, g, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError

from app.config import ConfigError, load_config
from app.extensions import csrf, db, htmx, login_manager, migrate
from app.json_errors import json_error

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

# One blueprint package per feature; each exposes `bp` (and may attach CLI groups to it).
BLUEPRINTS = (
    "app.auth",
    "app.ops",
    "app.inbox",
    "app.leads",
    "app.accounts",
    "app.webhooks",
    "app.api",
    "app.settings",
    "app.demo",
    "app.outbound",
    "app.automation",
    "app.team",
    "app.labels",
    "app.assignment",  # availability and auto-assignment (the toggle, the Accounts page's setting)
    "app.saved_replies",
    "app.integrations",  # outbound webhooks for the team's CRM (Settings → Integrations)
    "app.reports",  # the manager's reports (/reports; the API's summary is app.api.reports)
    "app.pwa",  # the installable app (manifest, service worker, offline page) and Web Push devices
    "app.notifications",
    "app.comments",  # Instagram comments: a thread's post fetched again when shown stale
    "app.notifications.unsubscribe_routes",  # alert mails' unsubscribe links: no sign-in, see there
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    if os.environ.get("APP_ENV", "development") != "test":
        from dotenv import load_dotenv

        load_dotenv(ROOT / ".env")
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)

    _init_extensions(app)
    _register_blueprints(app)
    _mount_standin(app)
    _register_error_handlers(app)
    app.before_request(_refuse_nul_characters)
    _register_cli(app)
    _register_template_helpers(app)
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind the platform's router: trust exactly the hops the deploy has for the client
        # address and the https scheme; a client's own X-Forwarded-For entries stay to the left.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config["JOBS_INLINE"] and not app.testing:
        from app.jobs.schedule import start_inline_clock

        app.before_request(lambda: start_inline_clock(app))
    return app


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every model registered before migrations look)
    from app import body_limits, jobs, throttle
    from app.auth import activity
    from app.ops import request_log
    from app import security_headers

    request_log.configure_logging(app)  # before anything logs at start-up (throttle warns)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    body_limits.init_app(app)  # first: it must decide before CSRF protection reads a form
    throttle.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    jobs.init_app(app)
    activity.init_app(app)  # after CSRF and the rate limits: a refused request is no activity
    request_log.init_app(app)
    security_headers.init_app(app)


@login_manager.user_loader
def _load_user(user_id: str):
    from app.auth.sessions import load_user

    return load_user(user_id)


@login_manager.unauthorized_handler
def _unauthorized():
    from app.htmx_responses import hx_redirect

    if request.path.startswith("/api/"):
        return json_error(401, "unauthorized", "A valid API token is required.")
    # Back to the page asked for after signing in (not for the inbox itself, where signing in goes
    # anyway; and without werkzeug's full_path's "?" when there is no query: /login?next=/?).
    target = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    login_url = url_for("auth.login", next=target if request.method == "GET" and target != "/" else None)
    if htmx:
        # A login form swapped into a fragment would be nonsense: send the whole page there.
        return hx_redirect(make_response("", 401), url_for("auth.login"))
    return redirect(login_url)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # SQLite only: enforce foreign keys and let readers proceed while a writer commits.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    import importlib

    for name in BLUEPRINTS:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)


def _mount_standin(app: Flask) -> None:
    """Demo mode: serve the stand-in of Meta at /_meta/... so OAuth, sends and profile lookups work
    without a Meta app. Its routes carry no login requirement and are exempt from CSRF, as Meta's are."""
    if not app.config.get("DEMO_MODE"):
        return
    # load_config already refuses production without a Meta app; a config passed to create_app
    # could still claim both, and a fake Meta must never answer in production.
    if app.config["APP_ENV"] == "production":
        raise ConfigError("Refusing to start with APP_ENV=production: demo mode (simulated Instagram) "
                          "is never enabled in production; set INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET")
    from app.standin import init_standin

    app.config.setdefault("STANDIN_APP_NAME", "Instagram Inbox (demo)")
    init_standin(app)


def _wants_json() -> bool:
    # Meta's endpoint answers JSON; the admin's webhook log under /webhooks/log is a page.
    return request.path.startswith(("/api/", "/webhooks/instagram"))


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        message = "This form has expired or was not sent from the inbox. Reload the page and try again."
        if _wants_json():
            return json_error(400, "csrf_failed", message)
        return render_template("errors/error.html", status=400, title="Form expired", message=message), 400

    @app.errorhandler(OperationalError)
    @app.errorhandler(SAInterfaceError)
    def _database_unavailable(exc):
        db.session.rollback()
        log.error("database unavailable: %s", type(exc).__name__)
        message = "The database is not reachable right now. Please try again in a moment."
        if _wants_json():
            return json_error(503, "database_unavailable", message)
        # The page's navigation reads the signed-in user, which needs the database that just
        # failed: render it as signed out rather than fail again into a bare 500.
        g._login_user = login_manager.anonymous_user()
        return render_template("errors/error.html", status=503, title="Temporarily unavailable", message=message), 503

    for status, title, message in (
        (400, "Bad request", "The request could not be understood."),
        (403, "Not allowed", "Your role does not allow this action."),
        (404, "Not found", "There is nothing here, or it belongs to another workspace."),
        (405, "Method not allowed", "This address does not accept that method."),
        (413, "Too large", "What you sent is larger than allowed."),
        (429, "Slow down", "Too many requests. Please wait a moment."),
        (500, "Something went wrong", "The error has been logged. Please try again."),
    ):
        app.register_error_handler(status, _make_error_handler(status, title, message))


def _make_error_handler(status: int, title: str, message: str):
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "too_large", 429: "rate_limited", 500: "internal_error"}

    def handler(exc):
        description = getattr(exc, "description", None)
        # Werkzeug's stock descriptions ("The requested URL was not found...") are replaced by ours;
        # a description a view passed to abort() on purpose is shown as it is.
        stock = getattr(type(exc), "description", None)
        text = description if isinstance(description, str) and status != 500 and description != stock else message
        # A 405 must say which methods the address does accept (RFC 9110), whatever the body.
        valid = getattr(exc, "valid_methods", None)
        headers = {"Allow": ", ".join(valid)} if status == 405 and valid else {}
        if status == 500:
            # The failure may have left the session's transaction unusable (a DataError on
            # PostgreSQL aborts it, a failed flush needs a rollback), and the page's navigation
            # queries the database (the unread badge): roll back first, or the handler fails too
            # and Werkzeug's bare 500 is served (F-15).
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001 - the page below must still be answered
                log.warning("rollback before the error page failed", exc_info=True)
        if _wants_json():
            return json_error(status, codes[status], text, headers=headers)
        try:
            return render_template("errors/error.html", status=status, title=title, message=text), status, headers
        except Exception:  # noqa: BLE001 - an error page that fails must not become Werkzeug's
            log.exception("the %s error page could not be rendered", status)
            # Without the layout, which needs the database and the signed-in user.
            from markupsafe import escape

            bare = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
                    f"<h1>{escape(title)}</h1><p>{escape(text)}</p><p><a href=\"/\">Back to the inbox</a></p>")
            return bare, status, {**headers, "Content-Type": "text/html; charset=utf-8"}

    return handler


FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_nul_characters():
    """A NUL character in a query string or form field is never meaningful, and PostgreSQL text
    cannot hold one: refuse it at the door (400, nothing applied) rather than fail in a query
    halfway through a view. Not for the JSON API, which names the offending field in its own
    error shape, nor for webhook bodies, which are not forms (ingestion cleans its own text)."""
    if "\x00" in request.path:
        # Also in a path segment (`/accounts/instagram/data-deletion/%00`), which reaches a query
        # as a view argument (F-14); checked before the API exemption, no API path holds one.
        abort(400, description="The address contains a NUL character. Nothing was changed.")
    if request.path.startswith("/api/"):
        return
    fields = [request.args]
    if request.method != "GET" and request.mimetype in FORM_MIMETYPES and request.endpoint != "webhooks.receive":
        fields.append(request.form)
    for multidict in fields:
        for key, values in multidict.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                abort(400, description="The request contains a NUL character, which no field accepts. "
                                       "Nothing was changed.")


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)


def _register_template_helpers(app: Flask) -> None:
    from app.templating import register

    register(app)


__all__ = ["create_app", "ConfigError"]
