"""parse_delivery is total: arbitrary JSON and mutated real bodies never raise."""

import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.instagram import payloads
from app.instagram.events import (
    Attachment,
    BaseEvent,
    MessageEvent,
    ParsedDelivery,
    PostbackEvent,
    ReferralEvent,
    UnknownEvent,
    parse_delivery,
)
from app.leads.source import lead_source
from app.messages.content import content_from_event, preview_line

UTC = timezone.utc
RECEIVED = datetime(2024, 1, 2, tzinfo=UTC)
A, C, TS = "17841400000000001", "6543210987654321", 1700000000123

# Meta's own key names, so random objects often reach the deeper parsing paths.
KEYS = [
    "object", "entry", "id", "time", "messaging", "standby", "changes", "field", "value",
    "sender", "recipient", "timestamp", "message", "mid", "text", "attachments", "type",
    "payload", "url", "title", "is_echo", "is_deleted", "is_unsupported", "quick_reply",
    "reply_to", "story", "referral", "ref", "ad_id", "source", "ads_context_data", "ad_title",
    "photo_url", "reaction", "action", "emoji", "read", "watermark", "postback",
    "message_edit", "num_edit", "story_media_url", "story_media_id", "sticker_id", "optin",
]

# Values at the edges of what the parser coerces: blank ids, timestamps around the
# seconds/ms threshold and beyond datetime's range, numeric strings, known words.
TRICKY = [
    "", " ", "0", "-1", "1e12", "1700000000123", "1700000000", "9" * 30, "NaN",
    0, -1, 1, 10**11 - 1, 10**11, 10**17, 10**20, 10**30, 10**40, -(10**40),
    1e11, 1e300, float("nan"), float("inf"), float("-inf"), True, False, None,
    "instagram", "messages", "comments", "standby", "react", "unreact", "image", "ig_story",
    [], {},
]
# What json.loads can return, including NaN/Infinity (Python accepts them).
scalars = (
    st.sampled_from(TRICKY)
    | st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=5),
    max_leaves=40,
)


def sample_body() -> dict:
    """A body holding every kind the parser knows, in every container."""
    items = [
        payloads.text_message(A, C, "m1", "hi", TS, reply_to_mid="m0", quick_reply_payload="Q"),
        payloads.echo(A, C, "m2", "yo", TS),
        payloads.attachment_message(A, C, "m3", "image", "https://cdn/i", TS),
        payloads.attachment_message(
            A, C, "m4", "ig_story", ts_ms=TS, payload={"story_media_id": "1", "story_media_url": "https://cdn/s"}
        ),
        payloads.story_mention(A, C, "m5", "https://cdn/s", TS),
        payloads.story_reply(A, C, "m6", "wow", "https://cdn/s", "18", TS),
        payloads.ad_referral_message(A, C, "m7", "hi", "120", TS, ad_title="Sale", photo_url="https://cdn/a"),
        payloads.link_referral(A, C, "bio", TS),
        payloads.reaction(A, C, "m1", ts_ms=TS),
        payloads.reaction(A, C, "m1", ts_ms=TS, action="unreact"),
        payloads.read(A, C, "m2", TS),
        payloads.unsend(A, C, "m1", TS),
        payloads.edit(A, C, "m1", "new", 1, TS),
        payloads.postback(A, C, "m8", "Book", "BOOK", TS),
    ]
    body = payloads.delivery(
        payloads.entry(A, items, time_ms=TS),
        payloads.entry(A, [payloads.text_message(A, C, "m9", "standby", TS)], time_ms=TS, standby=True),
    )
    body["entry"].extend(payloads.dashboard_test()["entry"])
    return body


SAMPLE = sample_body()


def check(parsed: ParsedDelivery) -> None:
    """What every result must satisfy, however bad the input."""
    assert isinstance(parsed, ParsedDelivery)
    assert all(isinstance(error, str) for error in parsed.errors)
    for event in parsed.events:
        assert isinstance(event, (BaseEvent, UnknownEvent))
        assert isinstance(event.timestamp, datetime)
        assert event.timestamp.utcoffset() == timedelta(0)
        if isinstance(event, (MessageEvent, PostbackEvent, ReferralEvent)):  # what ingestion previews
            attachments = [{"type": a.type, "payload": a.payload} for a in getattr(event, "attachments", ())]
            line = preview_line(content_from_event(event), getattr(event, "text", None), attachments, row_kind=event.kind)
            assert isinstance(line, str)
        source, detail = lead_source(event)
        assert isinstance(source, str) and all(isinstance(v, str) for v in detail.values())
        if isinstance(event, UnknownEvent):
            assert isinstance(event.reason, str) and event.reason
            assert isinstance(event.kind, str) and event.kind
            continue
        for value in (event.account_id, event.sender_id, event.recipient_id, event.customer_id):
            assert isinstance(value, str) and value.strip()
        assert isinstance(event.raw, dict)
        if isinstance(event, MessageEvent):
            assert isinstance(event.mid, str)
            assert event.text is None or isinstance(event.text, str)
            assert all(isinstance(a, Attachment) and isinstance(a.type, str) for a in event.attachments)
            assert all(a.url is None or isinstance(a.url, str) for a in event.attachments)


def test_the_sample_body_parses_cleanly():
    parsed = parse_delivery(SAMPLE, received_at=RECEIVED)
    check(parsed)
    assert parsed.errors == []
    assert not [e for e in parsed.events if isinstance(e, UnknownEvent)]
    assert len(parsed.events) == 16


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_any_json_value_parses_without_raising(value):
    check(parse_delivery(value, received_at=RECEIVED))


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=4), st.lists(json_values, max_size=4))
def test_any_entry_and_item_lists_parse_without_raising(entries, items):
    body = {"object": "instagram", "entry": [*entries, {"id": A, "time": TS, "messaging": items}]}
    check(parse_delivery(body, received_at=RECEIVED))


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def replaced(value, path, new):
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def deleted(value, path):
    copy = list(value) if isinstance(value, list) else dict(value)
    if len(path) == 1:
        del copy[path[0]]
    else:
        copy[path[0]] = deleted(value[path[0]], path[1:])
    return copy


ALL_PATHS = list(paths(SAMPLE))


def leaf(value, path) -> bool:
    for key in path:
        value = value[key]
    return not isinstance(value, (dict, list))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_bodies_parse_without_raising(data):
    body = SAMPLE
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        candidates = list(paths(body))
        how = data.draw(st.sampled_from(["leaf", "subtree", "delete"]), label="mutation")
        leaves = [p for p in candidates if leaf(body, p)]
        if how == "leaf" and leaves:
            # Most bugs hide in scalar coercion: swap one scalar for an edge value.
            path = data.draw(st.sampled_from(leaves), label="leaf")
            body = replaced(body, path, data.draw(scalars, label="scalar"))
        elif how == "delete" and len(candidates) > 1:
            body = deleted(body, data.draw(st.sampled_from(candidates[1:]), label="deleted"))
        else:
            path = data.draw(st.sampled_from(candidates), label="path")
            body = replaced(body, path, data.draw(json_values, label="subtree"))
    check(parse_delivery(body, received_at=RECEIVED))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ALL_PATHS[1:]), json_values)
def test_one_bad_field_spoils_at_most_its_own_item(path, new):
    """Damage inside one item never costs the other items their events."""
    body = replaced(SAMPLE, path, new)
    parsed = parse_delivery(body, received_at=RECEIVED)
    check(parsed)
    if len(path) >= 4 and path[:2] == ("entry", 0) and path[2] == "messaging":
        damaged = path[3]
        untouched = [e for n, e in enumerate(parsed.events[:14]) if n != damaged]
        assert len(parsed.events) == 16
        assert not [e for e in untouched if isinstance(e, UnknownEvent)]


def test_nan_and_infinity_from_json_loads():
    raw = (
        '{"object":"instagram","entry":[{"id":"1","time":NaN,"messaging":[{"sender":{"id":"2"},'
        '"recipient":{"id":"1"},"timestamp":Infinity,"message":{"mid":"m","text":"x"}}]}]}'
    )
    parsed = parse_delivery(json.loads(raw), received_at=RECEIVED)
    check(parsed)
    assert parsed.events[0].timestamp == RECEIVED


def test_deeply_nested_values_do_not_matter():
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    body = {"object": "instagram", "entry": [{"id": A, "messaging": [deep, {"message": deep}]}]}
    check(parse_delivery(body, received_at=RECEIVED))
