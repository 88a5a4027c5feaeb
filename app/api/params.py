"""Reading API input — query parameters and JSON bodies — into checked Python values.

Anything malformed becomes an `ApiError` (400, naming the field) here, before a rule or a query
sees it: the rules in app/inbox and app/leads then only decide what is allowed (422), and no
input can reach the database in a shape it would refuse with an error (a NUL byte, a lone
surrogate, an integer wider than the id columns)."""
from __future__ import annotations

import json
from datetime import datetime

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.errors import ApiError
from app.labels.catalog import NAME_RULE, label_name
from app.pagination import MAX_LIMIT, clamp_limit
from app.scoping import valid_id, valid_json_id

MAX_QUERY_TEXT = 200


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "validation_failed", message, field=field)


def _check_text(field: str, value: str) -> str:
    # PostgreSQL cannot store NUL in text, and a lone surrogate cannot be encoded to UTF-8.
    if "\x00" in value:
        raise invalid(field, f"{field} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(field, f"{field} is not valid Unicode text") from None
    return value


# Query parameters ---------------------------------------------------------------------------

def query_text(name: str, max_length: int = MAX_QUERY_TEXT) -> str | None:
    value = request.args.get(name)
    if value is None or value.strip() == "":
        return None
    if len(value) > max_length:
        raise invalid(name, f"{name} can be at most {max_length} characters")
    return _check_text(name, value)


def query_choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if value not in choices:
        raise invalid(name, f"{name} must be one of {', '.join(choices)}")
    return value


def query_bool(name: str) -> bool:
    value = (request.args.get(name) or "").lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise invalid(name, f"{name} must be true or false")


def query_id(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    return _id(name, value)


def _id(name: str, value: str) -> int:
    row_id = valid_id(value) if value.isdigit() else None  # digits only: no spaces around them here
    if row_id is None:
        raise invalid(name, f"{name} must be a positive integer id")
    return row_id


def _user_id(name: str, value: str) -> str:
    # Written as the document's pattern has it: no leading zeros.
    if value.startswith("0"):
        raise invalid(name, f"{name} must be a positive integer id")
    return str(_id(name, value))


def query_label() -> str | None:
    """A label's name (as the inbox normalises it: `Hot Lead` is `hot-lead`); one that cannot be a
    label's is a 400, one that is no label of the workspace simply matches nothing."""
    value = query_text("label", max_length=MAX_QUERY_TEXT)
    if value is None:
        return None
    name = label_name(value)
    if name is None:
        raise invalid("label", NAME_RULE)
    return name


def query_assignee() -> str | None:
    """`me`, `unassigned` or a user id (an extra filter of the list, as on the inbox page)."""
    value = request.args.get("assignee")
    if value is None or value == "":
        return None
    if value in ("me", "unassigned"):
        return value
    return _user_id("assignee", value)


def query_owner() -> str | None:
    """`me`, `none` or a user id (an extra filter of the leads list, as on the leads page)."""
    value = request.args.get("owner")
    if value is None or value == "":
        return None
    if value in ("me", "none"):
        return value
    return _user_id("owner", value)


LIMIT_MESSAGE = f"limit must be a whole number of at least 1 (larger values count as {MAX_LIMIT})"


def page_limit() -> int:
    """The page size: absent or empty is the default, any whole number above MAX_LIMIT (of any
    length) counts as MAX_LIMIT, anything else is a 400 -- as the OpenAPI document says."""
    raw = (request.args.get("limit") or "").strip()
    if not raw:
        return clamp_limit(None)
    if not (raw.isascii() and raw.isdigit()):
        raise invalid("limit", LIMIT_MESSAGE)
    digits = raw.lstrip("0")
    if not digits:
        raise invalid("limit", LIMIT_MESSAGE)
    if len(digits) > len(str(MAX_LIMIT)):  # never int() a huge digit string
        return MAX_LIMIT
    return clamp_limit(digits)


def cursor_param(name: str) -> str | None:
    value = request.args.get(name)
    return value or None


# JSON bodies --------------------------------------------------------------------------------

def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body(allowed: tuple[str, ...]) -> dict:
    """The request's JSON object, with only `allowed` keys. A typo in a field name is an error
    rather than a silently ignored change."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json.")
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise body_too_large() from None
    if len(raw) > current_app.config["API_MAX_BODY_BYTES"]:
        raise body_too_large()
    try:
        # NaN and Infinity are Python's extension, not JSON; deep nesting is refused, not a crash.
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    for key in body:
        if key not in allowed:
            raise invalid(_check_text("body", key)[:100], f"unknown field (allowed: {', '.join(allowed)})")
    return body


def body_too_large() -> ApiError:
    limit = current_app.config["API_MAX_BODY_BYTES"]
    return ApiError(413, "too_large", f"The body can be at most {limit // 1024} KB.")


def body_text(body: dict, name: str, nullable: bool = False) -> str | None:
    value = body[name]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(name, f"{name} must be a string" + (" or null" if nullable else ""))
    return _check_text(name, value)


def body_text_list(body: dict, name: str) -> list[str]:
    value = body[name]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(name, f"{name} must be a list of strings")
    return [_check_text(name, item) for item in value]


def body_id_list(body: dict, name: str) -> list[int]:
    """A list of ids (JSON numbers); whether they name anything is the rules' call (422)."""
    value = body[name]
    if not isinstance(value, list) or any(valid_json_id(item) is None for item in value):
        raise invalid(name, f"{name} must be a list of user ids (positive integers)")
    return value


def body_choice(body: dict, name: str, choices: tuple[str, ...]) -> str:
    value = body[name]
    if not isinstance(value, str) or value not in choices:
        raise invalid(name, f"{name} must be one of {', '.join(choices)}")
    return value


def body_id_or_null(body: dict, name: str) -> int | None:
    value = body[name]
    if value is None:
        return None
    if valid_json_id(value) is None:
        raise invalid(name, f"{name} must be a user id or null")
    return value


def body_time_or_null(body: dict, name: str) -> datetime | None:
    value = body_text(body, name, nullable=True)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise invalid(name, f"{name} must be an ISO-8601 date and time, e.g. 2030-01-31T09:00:00Z") from None
