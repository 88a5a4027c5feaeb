"""Rate limits, through Flask-Limiter (one maintained implementation instead of hand-written counters).

Storage is Redis when REDIS_URL is set, so every web process shares one count; without Redis the
counts live in each process, which the app says once at start-up (with gunicorn's 2 workers a
client then gets up to twice each limit). If Redis fails mid-request the limiter falls back to the
process's memory rather than refusing or failing every request.

Who is limited, and why so (SECURITY_REVIEW F-04 to F-06):
- sign-in failures per (account, client): stacked windows, so the wait grows with each burst of
  failures (a minute, then a quarter of an hour, then a day); a stranger elsewhere cannot lock a
  known user out, since the user's own device is another pair;
- sign-in failures per client: a generous ceiling against password spraying from one address,
  high enough that an office behind one address is not locked out by a few typos;
- API requests per token: API_RATE_LIMIT per API_RATE_WINDOW seconds.
Only failures count towards the sign-in limits (`deduct_when`), and the client address is the one
the deploy's proxy hops vouch for (TRUSTED_PROXY_HOPS, applied by ProxyFix in create_app).
"""
from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)


def client_address() -> str:
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address)


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    # A hung Redis must not hold every sign-in (two calls) for long: past this the limits fall
    # back to this process's memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
    app.config.setdefault("RATELIMIT_STRATEGY", "fixed-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "igdm:rl")
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)  # Retry-After is set where it is useful
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _answer_breach)
    if not redis_url and not app.testing:
        # Said by a process that serves requests, at its first one: said at start-up it was printed
        # by every command too, and `flask --app app push keys >> .env` wrote it into .env.
        said = []

        @app.before_request
        def _say_limits_are_per_process():
            if not said:
                said.append(True)
                log.warning("rate limits are kept per process (no REDIS_URL): each web process counts on its own, "
                            "so a client gets up to that many times each limit; set REDIS_URL to share them")


def _answer_breach(exc: RateLimitExceeded):
    """A limit with an on_breach answer (the sign-in form, the API's JSON error) answers with it;
    any other goes to the app's own 429 page."""
    if exc.response is not None:
        return exc.response
    return current_app.handle_http_exception(TooManyRequests())


def retry_after_seconds(request_limit: RequestLimit) -> int:
    # Storages round the window's end up to a whole second; never say more than the window.
    return min(max(1, math.ceil(request_limit.reset_at - time.time())), request_limit.limit.get_expiry())


def wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes" if minutes < 90 else f"{math.ceil(minutes / 60)} hours"


# -- sign-in --------------------------------------------------------------------------------------

def login_pair_limits() -> str:
    return current_app.config["LOGIN_PAIR_LIMITS"]


def login_client_limits() -> str:
    return current_app.config["LOGIN_CLIENT_LIMITS"]


def login_pair_key() -> str:
    """(account, client): the email is hashed so no address sits in Redis in the clear."""
    email = (request.form.get("email") or "").strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()[:24] + "|" + client_address()


def login_failed(response) -> bool:
    return response.status_code == 401


# -- API ------------------------------------------------------------------------------------------

def api_limits() -> str:
    return f"{current_app.config['API_RATE_LIMIT']} per {current_app.config['API_RATE_WINDOW']} seconds"


def api_token_key() -> str:
    """Per token, keyed by its hash: the plaintext never leaves the request."""
    header = request.headers.get("Authorization", "")
    return "api:" + hashlib.sha256(header.partition(" ")[2].strip().encode()).hexdigest()[:32]
