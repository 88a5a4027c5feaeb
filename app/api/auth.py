from flask import g, request

from app.api import bp
from app.api.errors import ApiError
from app.auth.api_tokens import bearer_token, user_for_token


@bp.before_request
def authenticate():
    """Only `Authorization: Bearer <token>` is accepted; a session cookie is ignored, so a
    cross-site page cannot ride a signed-in browser into the API."""
    token = bearer_token(request.headers.get("Authorization"))
    user = user_for_token(token) if token else None
    if user is None:
        raise ApiError(401, "unauthorized", "A valid API token is required (Authorization: Bearer <token>).",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
    # Flask-Login reads the current user from here; setting it does not touch the session.
    g._login_user = user


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return exc.response()
