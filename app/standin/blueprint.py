"""Assembles the three parts of the stand-in into one blueprint the host app registers.

Each part (graph, api, authorize) is a child blueprint at its own URL prefix, mirroring
Meta's three hosts. Every request into any part is recorded, may be answered by an
injected fault, and gets its errors rendered in that part's own shape.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from functools import partial

from flask import Blueprint, Flask, Response, current_app, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from .code_exchange import create_api_blueprint
from .consent import create_authorize_blueprint
from .context import EXTENSION, control, presented_token, token_account
from .control import MAX_RECORDED_BODY, FaultRule, RecordedRequest, StandinControl
from .errors import StandinError, graph_error_response, oauth_api_error_response
from .graph import create_graph_blueprint

log = logging.getLogger(__name__)

NAME = "standin"
DEFAULT_PREFIXES = {"graph": "/_meta/graph", "api": "/_meta/api", "authorize": "/_meta/authorize"}
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
VERSION_RE = re.compile(r"^v\d+\.\d+$")


def create_blueprint(
    *,
    graph_prefix: str = DEFAULT_PREFIXES["graph"],
    api_prefix: str = DEFAULT_PREFIXES["api"],
    authorize_prefix: str = DEFAULT_PREFIXES["authorize"],
) -> Blueprint:
    """The whole stand-in as one blueprint named "standin".

    Registering it also puts a `StandinControl` in `app.extensions["standin"]` and exempts
    the stand-in from Flask-WTF's CSRF check (Meta's endpoints take no CSRF token).
    """
    parent = Blueprint(NAME, __name__)
    children = {
        "graph": create_graph_blueprint(),
        "api": create_api_blueprint(),
        "authorize": create_authorize_blueprint(),
    }
    prefixes = {"graph": graph_prefix, "api": api_prefix, "authorize": authorize_prefix}

    @parent.record_once
    def install(state) -> None:
        app: Flask = state.app
        app.extensions.setdefault(EXTENSION, StandinControl())
        exempt = partial(_exempt_from_csrf, app, list(children.values()))
        exempt()
        # CSRFProtect may be initialised after this blueprint is registered; an app-level
        # hook runs before CSRFProtect's for our requests and catches up then.
        app.before_request(lambda: exempt() if (request.blueprint or "").startswith(NAME + ".") else None)

    for part, child in children.items():
        child.record(partial(_remember_mount, part))
        child.before_request(partial(_intercept, part))
        child.register_error_handler(Exception, partial(_render_error, part))
        if part != "authorize":
            # Unknown paths and wrong methods answer in Meta's shape, not the host's 404 page.
            child.add_url_rule("/<path:unknown>", "unknown_path", _unknown_path, methods=ALL_METHODS)
        parent.register_blueprint(child, url_prefix=prefixes[part])
    return parent


def init_standin(app: Flask, **prefixes: str) -> StandinControl:
    """Register the stand-in on `app` (prefixes as for `create_blueprint`); return its control."""
    app.register_blueprint(create_blueprint(**prefixes))
    return app.extensions[EXTENSION]


def _exempt_from_csrf(app: Flask, children: list[Blueprint]) -> None:
    csrf = app.extensions.get("csrf")
    if csrf is not None and hasattr(csrf, "exempt"):
        for child in children:
            csrf.exempt(child)


def _remember_mount(part: str, state) -> None:
    state.app.extensions.setdefault(EXTENSION, StandinControl()).mounts[part] = state.url_prefix or ""


def _intercept(part: str) -> Response | None:
    """Record the request, apply any injected fault, then check the Graph version segment."""
    ctl = control()
    prefix = ctl.mounts.get(part, "")
    relative = request.path[len(prefix):] if prefix and request.path.startswith(prefix) else request.path
    headers = {key: value for key, value in request.headers.items()}
    if "Authorization" in headers:
        scheme = headers["Authorization"].partition(" ")[0]
        headers["Authorization"] = f"{scheme} [redacted]"
    size = request.content_length
    if size is None:  # chunked: the views read it all anyway
        size = len(request.get_data(cache=True))
    small = size <= MAX_RECORDED_BODY  # a huge body is kept by its size only (F-23)
    recorded = RecordedRequest(
        part=part,
        method=request.method,
        path=relative or "/",
        full_path=request.path,
        query=request.args.to_dict(),
        json=request.get_json(silent=True) if small else None,
        form=request.form.to_dict() if small else {},
        headers=headers,
        account=token_account(presented_token()),
        at=time.time(),
        body_size=size,
    )
    fault = ctl.take_faults(recorded)
    ctl.record(replace(recorded, fault="+".join(fault.labels) or None))
    if fault.delay:
        time.sleep(fault.delay)
    if fault.respond is not None:
        return _fault_response(part, fault.respond)

    version = (request.view_args or {}).get("ver")
    if part == "graph" and version is not None and not VERSION_RE.match(version):
        raise StandinError(2500, f"Unknown path components: {relative}")
    return None


def _fault_response(part: str, rule: FaultRule) -> Response:
    params = rule.params
    if rule.kind == "server_error":
        status = params["status"]
        body = params["body"]
        if body is None:
            body = f"<html><body><h1>{status} Server Error</h1></body></html>"
        return Response(body, status=status, mimetype="text/html")
    if rule.kind == "rate_limit":
        err = StandinError(params["code"], subcode=params["subcode"], status=429)
        response = _render_error(part, err)
        response.headers["Retry-After"] = str(params["retry_after"])
        return response
    err = StandinError(params["code"], params["message"], subcode=params["subcode"],
                     status=params["status"], error_type=params["error_type"])
    return _render_error(part, err)


def _unknown_path(unknown: str):
    raise StandinError(2500, f"Unknown path components: /{unknown}", status=400)


def _render_error(part: str, error: Exception) -> Response:
    if isinstance(error, StandinError):
        err = error
    elif isinstance(error, HTTPException):
        err = StandinError(100, f"(#100) {error.name}", status=error.code or 400)
    else:
        log.exception("stand-in %s crashed", part, exc_info=error)
        if current_app.debug or current_app.testing:
            raise error
        err = StandinError(1)

    if part == "graph":
        return graph_error_response(err)
    if part == "api":
        # api.instagram.com reports the HTTP status as its "code".
        return oauth_api_error_response(err.message, code=err.status, error_type=err.error_type, status=err.status)
    return Response(f"<!doctype html><title>Error</title><h1>Something went wrong</h1>"
                    f"<p>{escape(err.message)}</p>", status=err.status, mimetype="text/html")
