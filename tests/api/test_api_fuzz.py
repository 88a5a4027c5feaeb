"""Property-based fuzzing of every endpoint: arbitrary query parameters, JSON bodies (random
values, huge numbers, nulls, wrong types, NUL bytes, lone surrogates), raw bodies and content types.
Whatever comes in, the answer is never a 500 and is either a documented success or a JSON error
(`api` checks every response against the OpenAPI document)."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import utcnow
from app.pagination import encode_cursor, encode_token

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Query strings are text: no lone surrogates (they cannot be percent-encoded as UTF-8).
query_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
TRICKY = ["", " ", "0", "-1", "1", "2", "1.5", "1e3", "true", "false", "null", "me", "unassigned", "open",
          "snoozed", "won", "new", "9" * 25, str(2**31), str(2**63), "\x00", "a\x00b", "%", "_", "\\", "@", "١٢",
          "WyJ4IiwxXQ", encode_cursor(utcnow(), 1), encode_cursor(utcnow(), 2**31 - 1), "x" * 300]
# Tricky values are sampled as often as everything else together, so each gets its turn.
query_values = st.sampled_from(TRICKY) | st.sampled_from(TRICKY) | query_text | st.integers().map(str)
# Per parameter, values close to valid ones: LIKE wildcards and NUL in a search, digits of any length.
digits = st.integers(min_value=-(2**70), max_value=2**70).map(str)
QUERY_TYPED = {
    "q": st.text(alphabet=st.sampled_from("ab%_\\\x00@ 'é"), max_size=12),
    "account_id": digits, "assignee": digits, "owner": digits, "limit": digits,
    "cursor": st.builds(encode_cursor, st.datetimes(timezones=st.just(timezone.utc)), st.integers(-(2**40), 2**40))
    # The Longest waiting order's cursors (app.inbox.queries), of either order with either sort.
    | st.builds(lambda moment, row_id: encode_token(["waiting", moment.isoformat(), row_id]),
                st.datetimes(timezones=st.just(timezone.utc)), st.integers(-(2**40), 2**40)),
    "sort": st.sampled_from(["recent", "waiting", "WAITING", "", "oldest"]),
}
QUERY_TYPED["before"] = QUERY_TYPED["cursor"]
ENDPOINT_PARAMS = {
    "/conversations": ["status", "unread", "needs_reply", "sort", "account_id", "assignee", "q", "cursor", "limit",
                       "other"],
    "/conversations/{c}": ["other"],
    "/conversations/{c}/messages": ["before", "limit", "cursor"],
    "/leads": ["status", "owner", "source", "cursor", "limit"],
    "/accounts": ["other"],
}

NASTY = [None, True, False, 0, 1, -1, 1.5, 2**31 - 1, 2**31, 2**63, 10**30, -(10**30), float("nan"), float("inf"),
         "", " ", "open", "snoozed", "resolved", "won", "lost", "a\x00b", "\x00", "\ud800", "x" * 25000,
         "2030-01-01T00:00:00Z", "2030-01-01T00:00:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
         "2099-01-01T00:00:00+00:00", (utcnow() + timedelta(days=3)).isoformat(), [], {}, [1], {"id": 1}]
scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)
field_values = st.sampled_from(NASTY) | st.sampled_from(NASTY) | json_values

# Values of the right JSON type with wrong contents, per field, so they get past the type check
# and reach the rule and the database: any code point (NUL, lone surrogates), any integer, any
# date-time at any offset, from year 1 to 9999.
any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=40)
any_id = st.integers(min_value=-(2**70), max_value=2**70) | st.integers(min_value=-3, max_value=2**31 + 3)
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
any_time = (st.datetimes(timezones=offsets | st.none()).map(datetime.isoformat)
            | st.datetimes(min_value=datetime.now() + timedelta(hours=1), max_value=datetime.now() + timedelta(days=400),
                           timezones=offsets).map(datetime.isoformat))
TYPED = {
    "status": st.sampled_from(["open", "pending", "resolved", "snoozed", "new", "contacted", "qualified", "won",
                               "lost", "OPEN", " open", "open\x00"]) | any_text,
    "assignee_id": any_id,
    "owner_id": any_id,
    "snoozed_until": any_time | any_text,
    "notes": any_text | st.integers(min_value=19990, max_value=20010).map(lambda n: "y" * n),
    "text": any_text | st.integers(min_value=990, max_value=1010).map(lambda n: "é" * (n // 2)),
}


def _assert_sane(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.is_json, response.get_data(as_text=True)[:200]
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)


@pytest.fixture
def world(app, api, factory, meta_ok):
    app.config["API_RATE_LIMIT"] = 10**9
    colleague = factory.user(api.workspace, role="agent")
    conversation = factory.conversation(api.account, unread_count=1, last_inbound_at=utcnow())
    for n in range(3):
        factory.message(conversation, text=f"m{n}")
    lead = factory.lead(conversation)
    factory.conversation(api.account)
    return {"api": api, "conversation": conversation, "lead": lead, "colleague": colleague}


@pytest.mark.parametrize("path, name", [(p, n) for p, names in ENDPOINT_PARAMS.items() for n in names])
def test_fuzz_each_query_parameter(world, path, name):
    """One parameter at a time, so each value gets past the other parameters' checks."""
    api, target = world["api"], path.format(c=world["conversation"].id)
    values = QUERY_TYPED[name] | query_values if name in QUERY_TYPED else query_values

    @FUZZ
    @given(value=values)
    def run(value):
        _assert_sane(api.get(target, query_string={name: value}))

    run()


@pytest.mark.parametrize("path", list(ENDPOINT_PARAMS))
def test_fuzz_query_parameters(world, path):
    """Parameters in combination."""
    api, target = world["api"], path.format(c=world["conversation"].id)
    queries = st.fixed_dictionaries({}, optional={
        name: (QUERY_TYPED[name] | query_values if name in QUERY_TYPED else query_values)
        for name in ENDPOINT_PARAMS[path]
    })

    @FUZZ
    @given(query=queries)
    def run(query):
        _assert_sane(api.get(target, query_string=query))

    run()


def test_fuzz_path_ids(world):
    api = world["api"]
    ids = st.integers(min_value=-(10**30), max_value=10**30).map(str) | query_text.filter(lambda s: "/" not in s and "?" not in s and "#" not in s)

    @FUZZ
    @given(object_id=ids, which=st.sampled_from(["/conversations/{}", "/conversations/{}/messages",
                                                "/conversations/{}/read", "/leads/{}"]))
    def run(object_id, which):
        method = "POST" if which.endswith("/read") else ("PATCH" if which.startswith("/leads") else "GET")
        from urllib.parse import quote

        _assert_sane(api.request(method, which.format(quote(object_id, safe="")), json={} if method == "PATCH" else None))

    run()


BODY_FIELDS = {
    "/conversations/{c}": ["status", "assignee_id", "snoozed_until"],
    "/conversations/{c}/messages": ["text"],
    "/leads/{l}": ["status", "owner_id", "notes"],
    "/conversations/{c}/read": [],
}


def _target(world, target):
    path = target.format(c=world["conversation"].id, l=world["lead"].id)
    return ("POST" if path.endswith(("/read", "/messages")) else "PATCH"), path


@pytest.mark.parametrize("target", list(BODY_FIELDS))
def test_fuzz_json_bodies(world, target):
    """Any JSON value as the body, objects with known and unknown keys."""
    api = world["api"]
    method, path = _target(world, target)
    keys = st.sampled_from(BODY_FIELDS[target] or ["x"]) | st.text(max_size=10)

    @FUZZ
    @given(body=st.dictionaries(keys, field_values, max_size=4) | json_values)
    def run(body):
        _assert_sane(api.request(method, path, data=json.dumps(body), content_type="application/json"))

    run()


@pytest.mark.parametrize("target, field", [(t, f) for t, fields in BODY_FIELDS.items() for f in fields])
def test_fuzz_each_body_field(world, target, field):
    """One field at a time (alone or with a valid companion), so every value reaches that
    field's checks, its rule and the database — real ids included."""
    api = world["api"]
    method, path = _target(world, target)
    companions = {"status": st.sampled_from(["open", "snoozed", "won", "new"])}
    values = TYPED[field] | TYPED[field] | field_values | st.sampled_from([world["colleague"].id, api.user.id])

    @FUZZ
    @given(value=values, extra=st.fixed_dictionaries({}, optional={k: v for k, v in companions.items() if k != field}))
    def run(value, extra):
        _assert_sane(api.request(method, path, data=json.dumps({field: value, **extra}), content_type="application/json"))

    run()


@pytest.mark.parametrize("target", list(BODY_FIELDS))
def test_fuzz_raw_bodies_and_content_types(world, target):
    api = world["api"]
    method, path = _target(world, target)
    content_types = st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain",
                                     "application/x-www-form-urlencoded", "multipart/form-data",
                                     "application/vnd.api+json", ""])

    @FUZZ
    @given(raw=st.binary(max_size=200) | query_text.map(str.encode), content_type=content_types)
    def run(raw, content_type):
        _assert_sane(api.request(method, path, data=raw, content_type=content_type or None))

    run()
