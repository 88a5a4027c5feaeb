"""The list parameters behave as the OpenAPI document says (API review R1, R2): `limit` above the
maximum is capped whatever its length; `cursor`, `before`, `assignee` and `owner` have a
documented maxLength (and pattern) that every valid value fits."""
from __future__ import annotations

import re
from urllib.parse import quote
from datetime import datetime, timezone

import pytest

from app.api.openapi import OPENAPI
from app.models import MAX_ID
from app.pagination import MAX_LIMIT, encode_cursor
from tests.api.conftest import error_of


def _parameter(path: str, method: str, name: str) -> dict:
    (found,) = [p for p in OPENAPI["paths"][path][method].get("parameters", []) if p["name"] == name]
    return found


# -- R1: limit ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["101", "5000", "9999999999", "10000000000", "14020458241", "9" * 30, "9" * 5000,
                                 "0" * 20 + "1000"])
def test_limit_above_the_maximum_is_capped_whatever_its_length(api, factory, raw):
    for _ in range(MAX_LIMIT + 1):
        factory.conversation(api.account)
    response = api.get(f"/conversations?limit={raw}")
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert len(response.get_json()["data"]) == MAX_LIMIT and response.get_json()["next_cursor"]


def test_limit_with_leading_zeros_is_its_value(api, factory):
    for _ in range(3):
        factory.conversation(api.account)
    assert len(api.get("/conversations?limit=" + "0" * 30 + "2").get_json()["data"]) == 2


@pytest.mark.parametrize("raw", ["0", "-5", "abc", "1.5", "%2B5", "", "0" * 40, "1e3", "٣"])
def test_limit_below_one_or_not_a_whole_number_is_400(api, raw):
    if raw == "":
        assert api.get("/conversations?limit=").status_code == 200  # empty: the default
        return
    error = error_of(api.get(f"/conversations?limit={raw}"), 400)
    assert error["field"] == "limit"
    assert error["message"] == f"limit must be a whole number of at least 1 (larger values count as {MAX_LIMIT})"


def test_the_document_and_the_error_message_agree_on_limit():
    for path, method in (("/conversations", "get"), ("/conversations/{conversation_id}/messages", "get"),
                         ("/leads", "get")):
        limit = _parameter(path, method, "limit")
        assert limit["schema"]["type"] == "integer" and limit["schema"]["minimum"] == 1
        assert "maximum" not in limit["schema"]  # larger values are capped, not refused
        assert f"capped at {MAX_LIMIT}" in limit["description"]


# -- R2: cursor, before, assignee, owner ----------------------------------------------------------

CURSORS = [("/conversations", "get", "cursor"), ("/conversations/{conversation_id}/messages", "get", "before"),
           ("/leads", "get", "cursor")]


def test_the_longest_cursor_the_app_can_produce_fits_the_documented_max_length():
    # Timestamps come back from the database in UTC (+00:00), and ids stop at MAX_ID.
    longest = encode_cursor(datetime.max.replace(tzinfo=timezone.utc), MAX_ID)
    assert len(longest) == 63
    for path, method, name in CURSORS:
        assert _parameter(path, method, name)["schema"] == {"type": "string", "maxLength": len(longest)}, name


def test_a_real_cursor_fits_and_a_longer_one_is_a_json_400(api, factory):
    for _ in range(3):
        factory.conversation(api.account)
    cursor = api.get("/conversations?limit=1").get_json()["next_cursor"]
    assert 0 < len(cursor) <= _parameter("/conversations", "get", "cursor")["schema"]["maxLength"]
    error = error_of(api.get("/conversations?cursor=" + "A" * 4000), 400)
    assert error["code"] == "invalid_cursor" and error["field"] == "cursor"


@pytest.mark.parametrize("path, name, words", [("/conversations", "assignee", ("me", "unassigned")),
                                               ("/leads", "owner", ("me", "none"))])
def test_assignee_and_owner_are_documented_exactly(api, path, name, words):
    schema = _parameter(path, "get", name)["schema"]
    assert schema["maxLength"] == 10
    pattern = re.compile(schema["pattern"])
    for good in (*words, "1", "42", str(MAX_ID)):
        assert pattern.search(good), good
        assert api.get(f"{path}?{name}={good}").status_code == 200, good
    for bad in ("bob", "0", "042", "-1", "12345678901", "me ", "ME"):
        assert not pattern.search(bad), bad
        assert error_of(api.get(f"{path}?{name}={bad}"), 400)["field"] == name, bad


def test_the_longest_valid_request_line_fits_4094_bytes(api):
    """gunicorn answers a longer request line with an HTML 400 before the app sees it; 4094 is its
    default --limit-request-line. The longest valid line: every list filter at its documented
    maximum, `q` as 200 emoji (12 bytes each percent-encoded), the longest cursor, limit=100."""
    cursor = encode_cursor(datetime.max.replace(tzinfo=timezone.utc), MAX_ID)
    q = quote("😀" * 200, safe="")
    target = (f"/api/v1/conversations?status=resolved&unread=false&account_id={MAX_ID}&assignee=unassigned"
              f"&q={q}&cursor={cursor}&limit=100")
    line = f"GET {target} HTTP/1.1"
    assert len(line) == 2589 and len(line) <= 4094
    response = api.get(target)
    # Every value is valid (the cursor decodes), so the app answers 200 with an empty page.
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
