"""The one JSON error body: `{"error": {"code": ..., "message": ...}}`, with `"field"` when one
input is to blame. The JSON API (app.api.errors), the webhook endpoint and the app's error
handlers (for clients that want JSON) all answer in it, so a client parses every error alike."""
from __future__ import annotations

from flask import Response, jsonify


def json_error(status: int, code: str, message: str, field: str | None = None,
               headers: dict | None = None) -> Response:
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    response = jsonify(error=body)
    response.status_code = status
    response.headers.update(headers or {})
    return response
