"""Error bodies in the exact shapes Meta uses, so the inbox's error handling meets real ones.

Two shapes exist: the Graph API's `{"error": {...}}` (graph.instagram.com) and the older
flat `{"error_type", "code", "error_message"}` of the code exchange (api.instagram.com).
"""

from __future__ import annotations

import secrets
import string

from flask import Response, jsonify

# Messages Meta uses for the codes the inbox distinguishes (see docs/meta-protocol.md#errors).
DEFAULT_MESSAGES = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    104: "An access token is required to request this resource.",
    190: "Invalid OAuth access token - Cannot parse access token",
    200: "(#200) Permissions error",
    551: "(#551) This person isn't available right now.",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    2500: "Unknown path components",
}

_TRACE_ALPHABET = string.ascii_letters + string.digits + "_-"


def fbtrace_id() -> str:
    return "A" + "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(22))


def default_status(code: int) -> int:
    # Meta answers 500 for its own transient failures and 400 for nearly everything else,
    # including expired tokens and rate limits.
    return 500 if code in (1, 2) else 400


class StandinError(Exception):
    """Raised inside the stand-in's views; rendered in the shape of the part that was called.
    (What the inbox raises when Meta answers an error is app.instagram.errors.GraphError.)"""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        subcode: int | None = None,
        status: int | None = None,
        error_type: str = "OAuthException",
    ):
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, f"(#{code}) Error")
        self.subcode = subcode
        self.status = status or default_status(code)
        self.error_type = error_type
        super().__init__(f"{self.code}/{self.subcode}: {self.message}")


def graph_error_body(err: StandinError, trace_id: str) -> dict:
    body = {"message": err.message, "type": err.error_type, "code": err.code}
    # Meta leaves error_subcode out entirely when there is none.
    if err.subcode is not None:
        body["error_subcode"] = err.subcode
    body["fbtrace_id"] = trace_id
    return {"error": body}


def graph_error_response(err: StandinError) -> Response:
    trace_id = fbtrace_id()
    response = jsonify(graph_error_body(err, trace_id))
    response.status_code = err.status
    response.headers["X-FB-Trace-ID"] = trace_id
    if err.code in (104, 190):
        response.headers["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_token"'
    return response


def oauth_api_error_response(message: str, *, code: int = 400, error_type: str = "OAuthException",
                             status: int = 400) -> Response:
    response = jsonify({"error_type": error_type, "code": code, "error_message": message})
    response.status_code = status
    return response
