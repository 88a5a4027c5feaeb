"""Checks a live API response against the OpenAPI document: the route and method are documented,
the status is one the operation lists, and the body matches its schema — with every object closed
(no undocumented field), every date-time in UTC with a Z and every URL http(s)."""
from __future__ import annotations

import copy
import re
from datetime import datetime

from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.exceptions import HTTPException

from app.api.openapi import OPENAPI

PREFIX = "/api/v1"
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def openapi_path(rule: str) -> str:
    """`/api/v1/conversations/<int:conversation_id>` → `/conversations/{conversation_id}`."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule[len(PREFIX):])


def _closed(schema):
    """Every documented object with properties refuses anything undocumented."""
    if isinstance(schema, dict):
        schema = {k: _closed(v) for k, v in schema.items()}
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


CLOSED_COMPONENTS = _closed(copy.deepcopy(OPENAPI["components"]))


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = OPENAPI["components"][section][name]
    return node


FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _utc_time(value) -> bool:
    # Stricter than RFC 3339: the API promises UTC written with a Z.
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value)
    return bool(UTC_TIME.match(value))


@FORMATS.checks("uri")
def _http_url(value) -> bool:
    # Links the API hands out are only ever http(s) (text from Instagram is untrusted).
    return not isinstance(value, str) or value.startswith(("https://", "http://"))


def check_response(app, method: str, path: str, response) -> None:
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(path.split("?")[0], method=method, return_rule=True)
    except HTTPException:
        # No route (404) or no such method (405): answered app-wide, never an HTML page.
        assert response.is_json, response.get_data(as_text=True)[:200]
        assert set(response.get_json()["error"]) >= {"code", "message"}
        return
    if not rule.rule.startswith(PREFIX):
        return
    operation = OPENAPI["paths"][openapi_path(rule.rule)][method.lower()]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (
        f"{method} {rule.rule} answered {response.status_code}, which is not documented: "
        f"{response.get_data(as_text=True)[:300]}")
    spec = _resolve(documented[str(response.status_code)])
    if "content" not in spec:  # 204: nothing to check but that there is nothing
        assert response.status_code == 204 and not response.get_data()
        return
    schema = spec["content"]["application/json"]["schema"]
    assert response.mimetype == "application/json"
    body = response.get_json()
    validator = Draft202012Validator({**_closed(schema), "components": CLOSED_COMPONENTS}, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])
    if response.status_code == 429:
        assert int(response.headers["Retry-After"]) >= 1
