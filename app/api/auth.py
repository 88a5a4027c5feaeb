"""Every API request but the OpenAPI document: per-token throttle, bearer token → user, body limits."""
from __future__ import annotations

from flask import current_app, g, make_response, request

from app.api import bp
from app.api.errors import ApiError
from app.api.params import body_too_large
from app import throttle
from app.auth.api_tokens import bearer_token, user_for_token
from app.throttle import limiter

# Served without a token: integrators (and code generators) read it before they have one.
PUBLIC_ENDPOINTS = {"api.openapi_document"}


@bp.before_request
def authenticate():
    """Only `Authorization: Bearer <token>` is accepted; a session cookie is ignored, so a
    cross-site page cannot ride a signed-in browser into the API."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = bearer_token(request.headers.get("Authorization"))
    user = user_for_token(token) if token else None
    if user is None:
        raise ApiError(401, "unauthorized", "A valid API token is required (Authorization: Bearer <token>).",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
    # Flask-Login reads the current user from here; setting it does not touch the session.
    g._login_user = user
    _limit_body()


def _rate_limited(request_limit):
    wait = throttle.retry_after_seconds(request_limit)
    return make_response(ApiError(429, "rate_limited", f"Too many requests for this token; retry in {wait} s.",
                                  headers={"Retry-After": str(wait)}).response())


# API_RATE_LIMIT requests per API_RATE_WINDOW seconds per token (app.throttle), checked before the
# token is: a stranger's guesses are counted against the hash of what they sent, no one else's.
# One budget per token across every endpoint (a shared limit; a plain one would count per route).
limiter.shared_limit(throttle.api_limits, scope="api", key_func=throttle.api_token_key, on_breach=_rate_limited,
                     exempt_when=lambda: request.endpoint in PUBLIC_ENDPOINTS)(bp)


def _limit_body() -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return  # the API never reads the body of another method
    limit = current_app.config["API_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise body_too_large()
    # A body without a Content-Length (chunked) is read at most one byte past the limit, so that
    # the reader can tell "too large" from "exactly the limit" (Werkzeug stops quietly at it).
    request.max_content_length = limit + 1
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if has_body and not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json.")


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return exc.response()
