"""One log line per request: method, path (never the query string, which can carry codes and
tokens, and a capability URL only as its route), status, duration, user id. gunicorn writes no
access log of its own (Procfile): its request line would hold the query string (F-17). The path is percent-decoded, so its control characters are
escaped: one request is always one line, and none can forge another (F-16)."""
from __future__ import annotations

import logging
import re
import sys
import time

from flask import g, request
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect

from app.models import User

log = logging.getLogger("app.request")

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the backslash (so an
# escape in the log is never ambiguous with the same characters sent literally).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]")


def printable(text: str) -> str:
    """`text` with those characters written as Python escapes (`\\n`, `\\x00`, `\\u2028`)."""
    return _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


# Addresses whose path is itself the secret (capability URLs: an invite, a password reset, an
# unsubscribe link, a customer's attachment, a data-deletion status page) are logged as their
# route, so the log never holds a key that opens an account or a customer's file. Told by the
# name of the route's variable, so a new link of the kind is covered without a list to keep.
SECRET_ARGUMENTS = frozenset({"token", "key", "code"})


def _loggable_path() -> str:
    rule = request.url_rule
    if rule is not None and not SECRET_ARGUMENTS.isdisjoint(rule.arguments):
        return rule.rule
    return request.path


def configure_logging(app) -> None:
    # Heroku-style platforms collect stdout; one handler, one format, for every process.
    root = logging.getLogger()
    if not any(getattr(h, "_igdm", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler._igdm = True
        root.addHandler(handler)
    root.setLevel(logging.INFO if not app.testing else logging.WARNING)


def init_app(app) -> None:
    configure_logging(app)

    def log_exception(exc_info) -> None:
        # Flask's own line names request.path: a failing reset link would log its token.
        app.logger.error("Exception on %s [%s]", printable(_loggable_path()), printable(request.method),
                         exc_info=exc_info)

    app.log_exception = log_exception

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        log.info("%s %s %s %.1fms user=%s", printable(request.method), printable(_loggable_path()),
                 response.status_code, duration_ms, _user_id())
        return response


def _user_id() -> str:
    """The signed-in person's id as the session loaded it, read from the row's identity and not
    its attributes: after the view committed, `current_user.id` would load the row again (a query
    per request, for a log line), and a person deleted meanwhile made that load, and the request,
    fail with a 500 after its answer was ready."""
    user = current_user._get_current_object() if current_user else None
    if not isinstance(user, User):
        return "-"  # nobody signed in (AnonymousUserMixin), or outside a request
    identity = sa_inspect(user).identity
    return str(identity[0]) if identity else "-"
