"""The body builders produce Meta's shapes exactly, and parse back as intended."""

import json

import pytest

from app.instagram import payloads
from app.instagram.events import (
    MessageEditEvent,
    MessageEvent,
    PostbackEvent,
    ReactionEvent,
    ReadEvent,
    ReferralEvent,
    parse_delivery,
)
from app.leads.source import lead_source

A, C, TS = "17841400000000001", "6543210987654321", 1700000000123


def inbound(**event):
    return {"sender": {"id": C}, "recipient": {"id": A}, "timestamp": TS, **event}


BUILT_VS_META = [
    (
        payloads.text_message(A, C, "m1", "hi", TS),
        inbound(message={"mid": "m1", "text": "hi"}),
    ),
    (
        payloads.text_message(A, C, "m2", "this", TS, reply_to_mid="m1", quick_reply_payload="YES"),
        inbound(message={"mid": "m2", "text": "this", "reply_to": {"mid": "m1"}, "quick_reply": {"payload": "YES"}}),
    ),
    (
        payloads.echo(A, C, "m3", "thanks", TS),
        {"sender": {"id": A}, "recipient": {"id": C}, "timestamp": TS,
         "message": {"mid": "m3", "is_echo": True, "text": "thanks"}},
    ),
    (
        payloads.attachment_message(A, C, "m4", "image", "https://cdn/i.jpg", TS),
        inbound(message={"mid": "m4", "attachments": [{"type": "image", "payload": {"url": "https://cdn/i.jpg"}}]}),
    ),
    (
        payloads.attachment_message(
            A, C, "m5", "ig_story", ts_ms=TS, payload={"story_media_id": "1", "story_media_url": "https://cdn/s"}
        ),
        inbound(message={"mid": "m5", "attachments": [
            {"type": "ig_story", "payload": {"story_media_id": "1", "story_media_url": "https://cdn/s"}}]}),
    ),
    (
        payloads.story_mention(A, C, "m6", "https://cdn/story", TS),
        inbound(message={"mid": "m6", "attachments": [{"type": "story_mention", "payload": {"url": "https://cdn/story"}}]}),
    ),
    (
        payloads.story_reply(A, C, "m7", "wow", "https://cdn/story", "18000", TS),
        inbound(message={"mid": "m7", "text": "wow", "reply_to": {"story": {"url": "https://cdn/story", "id": "18000"}}}),
    ),
    (
        payloads.ad_referral_message(
            A, C, "m8", "price?", "120200", TS, ad_title="Sale", ref="spring", photo_url="https://cdn/ad.jpg"
        ),
        inbound(message={"mid": "m8", "text": "price?", "referral": {
            "ad_id": "120200", "source": "ADS", "type": "OPEN_THREAD", "ref": "spring",
            "ads_context_data": {"ad_title": "Sale", "photo_url": "https://cdn/ad.jpg"}}}),
    ),
    (
        payloads.link_referral(A, C, "bio", TS),
        inbound(referral={"ref": "bio", "source": "SHORTLINK", "type": "OPEN_THREAD"}),
    ),
    (
        payloads.reaction(A, C, "m1", ts_ms=TS),
        inbound(reaction={"mid": "m1", "action": "react", "reaction": "love", "emoji": "\u2764\ufe0f"}),
    ),
    (
        payloads.reaction(A, C, "m1", ts_ms=TS, action="unreact"),
        inbound(reaction={"mid": "m1", "action": "unreact"}),
    ),
    (payloads.read(A, C, "m-out", TS), inbound(read={"mid": "m-out"})),
    (payloads.unsend(A, C, "m1", TS), inbound(message={"mid": "m1", "is_deleted": True})),
    (
        payloads.edit(A, C, "m1", "fixed", 2, TS),
        inbound(message_edit={"mid": "m1", "text": "fixed", "num_edit": 2}),
    ),
    (
        payloads.postback(A, C, "m9", "Book", "BOOK", TS),
        inbound(postback={"mid": "m9", "title": "Book", "payload": "BOOK"}),
    ),
]


@pytest.mark.parametrize(("built", "expected"), BUILT_VS_META)
def test_builders_match_meta_shapes(built, expected):
    assert built == expected
    json.dumps(built)  # plain JSON, ready to be signed


def test_entry_and_delivery():
    item = payloads.text_message(A, C, "m1", "hi", TS)
    assert payloads.delivery(payloads.entry(A, [item], time_ms=TS)) == {
        "object": "instagram",
        "entry": [{"id": A, "time": TS, "messaging": [item]}],
    }
    assert payloads.entry(A, [item], time_ms=TS, standby=True) == {"id": A, "time": TS, "standby": [item]}


def test_default_timestamps_are_now_in_ms():
    before = payloads.now_ms()
    item = payloads.text_message(A, C, "m1", "hi")
    assert before <= item["timestamp"] <= payloads.now_ms()
    assert payloads.entry(A, [])["time"] >= before


def parsed_event(item):
    parsed = parse_delivery(payloads.delivery(payloads.entry(A, [item], time_ms=TS)))
    assert parsed.errors == []
    (event,) = parsed.events
    return event


@pytest.mark.parametrize(
    ("item", "cls", "source"),
    [
        (payloads.text_message(A, C, "m1", "hi", TS), MessageEvent, "dm"),
        (payloads.echo(A, C, "m2", "yo", TS), MessageEvent, "dm"),
        (payloads.attachment_message(A, C, "m3", "audio", "https://cdn/a.mp4", TS), MessageEvent, "dm"),
        (payloads.story_mention(A, C, "m4", "https://cdn/s", TS), MessageEvent, "story"),
        (payloads.story_reply(A, C, "m5", "wow", "https://cdn/s", "1", TS), MessageEvent, "story"),
        (payloads.ad_referral_message(A, C, "m6", "hi", "120", TS), MessageEvent, "ad"),
        (payloads.link_referral(A, C, "bio", TS), ReferralEvent, "link"),
        (payloads.reaction(A, C, "m1", ts_ms=TS), ReactionEvent, "dm"),
        (payloads.read(A, C, "m1", TS), ReadEvent, "dm"),
        (payloads.unsend(A, C, "m1", TS), MessageEvent, "dm"),
        (payloads.edit(A, C, "m1", "new", 1, TS), MessageEditEvent, "dm"),
        (payloads.postback(A, C, "m1", "Book", "BOOK", TS), PostbackEvent, "dm"),
    ],
)
def test_builders_parse_back(item, cls, source):
    event = parsed_event(item)
    assert isinstance(event, cls)
    assert event.account_id == A and event.customer_id == C
    assert lead_source(event)[0] == source


def test_dashboard_test_is_metas_sample():
    body = payloads.dashboard_test()
    assert body == {
        "object": "instagram",
        "entry": [{
            "id": "0",
            "time": 1527459824,
            "changes": [{"field": "messages", "value": {
                "sender": {"id": "12334"},
                "recipient": {"id": "23245"},
                "timestamp": "1527459824",
                "message": {"mid": "random_mid", "text": "random_text"},
            }}],
        }],
    }
    (event,) = parse_delivery(body).events
    assert isinstance(event, MessageEvent) and event.account_id == "0"
