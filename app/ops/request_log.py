"""One log line per request: method, path (never the query string, which can carry codes and
tokens), status, duration, user id."""
from __future__ import annotations

import logging
import sys
import time

from flask import g, request
from flask_login import current_user

log = logging.getLogger("app.request")


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

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        user_id = current_user.get_id() if current_user and current_user.is_authenticated else "-"
        log.info("%s %s %s %.1fms user=%s", request.method, request.path, response.status_code, duration_ms, user_id)
        return response
