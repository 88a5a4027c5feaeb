"""parse_delivery on hand-written bodies shaped like Meta's (docs/meta-protocol.md#deliveries-and-event-kinds)."""

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from app.instagram.events import (
    Attachment,
    MessageEditEvent,
    MessageEvent,
    ParsedDelivery,
    PostbackEvent,
    ReactionEvent,
    ReadEvent,
    Referral,
    ReferralEvent,
    StoryRef,
    UnknownEvent,
    parse_delivery,
)
from app.leads.source import lead_source
from app.messages.content import attachment_label, content_from_event, preview_line

UTC = timezone.utc
ACCOUNT = "17841400000000001"  # our business account (entry.id)
CUSTOMER = "6543210987654321"  # the customer's IGSID
TS_MS = 1700000000123
TS = datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
ENTRY_MS = 1700000005000
ENTRY_TIME = datetime(2023, 11, 14, 22, 13, 25, tzinfo=UTC)
RECEIVED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def inbound(**event):
    return {"sender": {"id": CUSTOMER}, "recipient": {"id": ACCOUNT}, "timestamp": TS_MS, **event}


def body(*items, key="messaging", entry_id=ACCOUNT, time=ENTRY_MS):
    return {"object": "instagram", "entry": [{"id": entry_id, "time": time, key: list(items)}]}


def parse(payload) -> ParsedDelivery:
    return parse_delivery(payload, received_at=RECEIVED)


def only(payload):
    parsed = parse(payload)
    assert parsed.errors == []
    assert len(parsed.events) == 1
    return parsed.events[0]


def list_preview(event):
    """The conversation list's line for a parsed message, postback or referral, as ingestion
    (app.webhooks.apply) builds it from the event's content."""
    attachments = [{"type": a.type, "payload": a.payload} for a in getattr(event, "attachments", ())]
    return preview_line(content_from_event(event), getattr(event, "text", None), attachments,
                        deleted=getattr(event, "is_deleted", False), row_kind=event.kind)


def one_message(**message):
    event = only(body(inbound(message={"mid": "m1", **message})))
    assert isinstance(event, MessageEvent), getattr(event, "reason", event)
    return event


# ------------------------------------------------------------------ messages


def test_text_message_carries_the_common_fields():
    item = inbound(message={"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3", "text": "Hi, price?"})
    event = only(body(item))
    assert event == MessageEvent(
        account_id=ACCOUNT,
        sender_id=CUSTOMER,
        recipient_id=ACCOUNT,
        timestamp=TS,
        raw=item,
        mid="aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3",
        text="Hi, price?",
    )
    assert event.raw is item
    assert event.customer_id == CUSTOMER
    assert event.is_echo is False and event.standby is False
    assert event.kind == "message"
    assert list_preview(event) == "Hi, price?"
    assert lead_source(event) == ("dm", {})


def test_echo_is_outbound_and_the_customer_is_the_recipient():
    item = {
        "sender": {"id": ACCOUNT},
        "recipient": {"id": CUSTOMER},
        "timestamp": TS_MS,
        "message": {"mid": "m-echo", "text": "Sent from the app", "is_echo": True},
    }
    event = only(body(item))
    assert isinstance(event, MessageEvent)
    assert event.is_echo is True
    assert event.sender_id == ACCOUNT
    assert event.customer_id == CUSTOMER


def test_unsend_hides_the_message():
    event = one_message(is_deleted=True)
    assert event.is_deleted is True and event.text is None
    assert list_preview(event) == "Message deleted"


def test_unsupported_message():
    event = one_message(is_unsupported=True)
    assert event.is_unsupported is True
    assert list_preview(event) == "Unsupported message"


def test_quick_reply_payload():
    event = one_message(text="Yes please", quick_reply={"payload": "BOOK_YES"})
    assert event.quick_reply_payload == "BOOK_YES"


def test_inline_reply():
    event = one_message(text="this one", reply_to={"mid": "m0"})
    assert event.reply_to_mid == "m0"
    assert event.reply_to_story is None


def test_story_reply():
    story = {"url": "https://lookaside.fbsbx.com/story.mp4", "id": "18012345678901234"}
    event = one_message(text="love it", reply_to={"story": story})
    assert event.reply_to_story == StoryRef(id="18012345678901234", url=story["url"])
    assert event.reply_to_mid is None
    assert list_preview(event) == "Story reply: love it"
    assert lead_source(event) == (
        "story",
        {"kind": "reply", "url": story["url"], "story_id": "18012345678901234"},
    )


def test_story_reply_without_text():
    event = one_message(reply_to={"story": {"url": "https://cdn/s", "id": "1"}})
    assert list_preview(event) == "Story reply"


def test_ad_referral_on_a_message():
    referral = {
        "ref": "spring_sale",
        "ad_id": "120200000000000001",
        "source": "ADS",
        "type": "OPEN_THREAD",
        "ads_context_data": {
            "ad_title": "Spring sale -30%",
            "photo_url": "https://cdn/ad.jpg",
            "video_url": "https://cdn/ad.mp4",
        },
    }
    event = one_message(text="Is this still on?", referral=referral)
    assert event.referral == Referral(
        ref="spring_sale",
        source="ADS",
        type="OPEN_THREAD",
        ad_id="120200000000000001",
        ad_title="Spring sale -30%",
        photo_url="https://cdn/ad.jpg",
        video_url="https://cdn/ad.mp4",
    )
    assert lead_source(event) == (
        "ad",
        {
            "ad_id": "120200000000000001",
            "ad_title": "Spring sale -30%",
            "ref": "spring_sale",
            "source": "ADS",
            "type": "OPEN_THREAD",
            "photo_url": "https://cdn/ad.jpg",
            "video_url": "https://cdn/ad.mp4",
        },
    )


def test_numeric_ad_id_is_coerced_and_ads_source_alone_counts_as_ad():
    event = one_message(text="hi", referral={"ad_id": 120200000000000001, "source": "ADS"})
    assert event.referral.ad_id == "120200000000000001"
    assert lead_source(one_message(text="x", referral={"source": "ADS"}))[0] == "ad"


def test_link_referral_on_a_message():
    event = one_message(text="hi", referral={"ref": "bio_link", "source": "SHORTLINK", "type": "OPEN_THREAD"})
    assert lead_source(event) == ("link", {"ref": "bio_link", "source": "SHORTLINK", "type": "OPEN_THREAD"})


def test_empty_message_still_is_a_message():
    assert list_preview(one_message()) == "Message"


# ------------------------------------------------------------------ attachments

CDN = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"

ATTACHMENTS = [
    # (attachment as sent, expected Attachment, preview)
    ({"type": "image", "payload": {"url": CDN}}, Attachment("image", CDN, {"url": CDN}), "Photo"),
    (
        {"type": "image", "payload": {"url": CDN, "sticker_id": 369239263222822}},
        Attachment("image", CDN, {"url": CDN, "sticker_id": 369239263222822}),
        "Sticker",
    ),
    ({"type": "video", "payload": {"url": CDN}}, Attachment("video", CDN, {"url": CDN}), "Video"),
    ({"type": "audio", "payload": {"url": CDN}}, Attachment("audio", CDN, {"url": CDN}), "Voice message"),
    ({"type": "file", "payload": {"url": CDN}}, Attachment("file", CDN, {"url": CDN}), "File"),
    ({"type": "share", "payload": {"url": CDN}}, Attachment("share", CDN, {"url": CDN}), "Shared post"),
    (
        {"type": "story_mention", "payload": {"url": CDN}},
        Attachment("story_mention", CDN, {"url": CDN}),
        "Story mention",
    ),
    (
        {"type": "ig_reel", "payload": {"url": CDN, "title": "My reel", "reel_video_id": "1801"}},
        Attachment("ig_reel", CDN, {"url": CDN, "title": "My reel", "reel_video_id": "1801"}, "My reel"),
        "Reel",
    ),
    ({"type": "reel", "payload": {"url": CDN}}, Attachment("reel", CDN, {"url": CDN}), "Reel"),
    (
        {"type": "ig_post", "payload": {"url": CDN, "title": "Caption", "ig_post_media_id": "1790"}},
        Attachment("ig_post", CDN, {"url": CDN, "title": "Caption", "ig_post_media_id": "1790"}, "Caption"),
        "Shared post",
    ),
    (
        {"type": "ig_story", "payload": {"story_media_id": "1791", "story_media_url": CDN}},
        Attachment("ig_story", CDN, {"story_media_id": "1791", "story_media_url": CDN}),
        "Shared story",
    ),
    ({"type": "ephemeral", "payload": {}}, Attachment("ephemeral", None, {}), "Disappearing photo or video"),
    ({"type": "ephemeral"}, Attachment("ephemeral", None, {}), "Disappearing photo or video"),
    (
        {"type": "unsupported_type", "payload": None},
        Attachment("unsupported_type", None, {}),
        "Unsupported message",
    ),
    (
        {"type": "hologram", "payload": {"url": CDN, "depth": 3}},
        Attachment("hologram", CDN, {"url": CDN, "depth": 3}),
        "Attachment",
    ),
]


@pytest.mark.parametrize(("sent", "expected", "label"), ATTACHMENTS, ids=[a[0]["type"] for a in ATTACHMENTS])
def test_attachment_types(sent, expected, label):
    event = one_message(attachments=[sent])
    assert event.attachments == (expected,)
    assert attachment_label(event.attachments[0].type, event.attachments[0].payload) == label
    assert list_preview(event) == label


def test_attachment_media_ids():
    def media_id(sent):
        return one_message(attachments=[sent]).attachments[0].media_id

    assert media_id(ATTACHMENTS[7][0]) == "1801"
    assert media_id(ATTACHMENTS[9][0]) == "1790"
    assert media_id(ATTACHMENTS[10][0]) == "1791"
    assert media_id(ATTACHMENTS[0][0]) is None


def test_story_mention_is_a_story_lead():
    event = one_message(attachments=[{"type": "story_mention", "payload": {"url": CDN}}])
    assert lead_source(event) == ("story", {"kind": "mention", "url": CDN})


def test_text_wins_over_attachment_in_the_preview():
    event = one_message(text="look", attachments=[{"type": "share", "payload": {"url": CDN}}])
    assert list_preview(event) == "look"


@pytest.mark.parametrize(
    ("types", "preview"),
    [(["image", "image", "image"], "3 photos"), (["video", "video"], "2 videos"), (["image", "file"], "2 attachments")],
)
def test_several_attachments(types, preview):
    event = one_message(attachments=[{"type": t, "payload": {"url": CDN}} for t in types])
    assert [a.type for a in event.attachments] == types
    assert list_preview(event) == preview


# ------------------------------------------------------------------ other kinds


def test_reaction():
    item = inbound(reaction={"mid": "m1", "action": "react", "reaction": "love", "emoji": "\u2764\ufe0f"})
    event = only(body(item))
    assert event == ReactionEvent(
        account_id=ACCOUNT,
        sender_id=CUSTOMER,
        recipient_id=ACCOUNT,
        timestamp=TS,
        raw=item,
        mid="m1",
        action="react",
        reaction="love",
        emoji="\u2764\ufe0f",
    )


def test_unreact_has_no_reaction_or_emoji():
    event = only(body(inbound(reaction={"mid": "m1", "action": "unreact"})))
    assert isinstance(event, ReactionEvent)
    assert (event.action, event.reaction, event.emoji) == ("unreact", None, None)


def test_read_with_mid():
    event = only(body(inbound(read={"mid": "m-out-7"})))
    assert isinstance(event, ReadEvent)
    assert (event.mid, event.watermark) == ("m-out-7", None)


def test_read_with_watermark():
    event = only(body(inbound(read={"watermark": TS_MS})))
    assert isinstance(event, ReadEvent)
    assert (event.mid, event.watermark) == (None, TS)


def test_read_with_neither_is_unknown():
    event = only(body(inbound(read={})))
    assert isinstance(event, UnknownEvent) and event.kind == "read"
    assert "neither mid nor watermark" in event.reason


def test_postback():
    event = only(body(inbound(postback={"mid": "m2", "title": "Book a call", "payload": "BOOK"})))
    assert isinstance(event, PostbackEvent)
    assert (event.mid, event.title, event.payload) == ("m2", "Book a call", "BOOK")
    assert list_preview(event) == "Book a call"


def test_messaging_referral_from_an_ig_me_link():
    event = only(body(inbound(referral={"ref": "summer", "source": "SHORTLINK", "type": "OPEN_THREAD"})))
    assert isinstance(event, ReferralEvent)
    assert event.referral == Referral(ref="summer", source="SHORTLINK", type="OPEN_THREAD")
    assert lead_source(event) == ("link", {"ref": "summer", "source": "SHORTLINK", "type": "OPEN_THREAD"})
    assert list_preview(event) == "Opened the conversation from a link"


def test_messaging_referral_from_an_ad():
    event = only(body(inbound(referral={"ref": "r", "source": "ADS", "type": "OPEN_THREAD", "ad_id": "99"})))
    assert lead_source(event) == ("ad", {"ad_id": "99", "ref": "r", "source": "ADS", "type": "OPEN_THREAD"})


def test_message_edit():
    event = only(body(inbound(message_edit={"mid": "m1", "text": "fixed typo", "num_edit": 2})))
    assert isinstance(event, MessageEditEvent)
    assert (event.mid, event.text, event.num_edit) == ("m1", "fixed typo", 2)


def test_message_edit_count_as_numeric_string():
    event = only(body(inbound(message_edit={"mid": "m1", "text": "x", "num_edit": "3"})))
    assert event.num_edit == 3


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        (inbound(optin={"ref": "x"}), "optin"),
        (inbound(pass_thread_control={"new_owner_app_id": "1"}), "handover"),
        (inbound(take_thread_control={"previous_owner_app_id": "1"}), "handover"),
        (inbound(request_thread_control={"requested_owner_app_id": "1"}), "handover"),
        (inbound(delivery={"mids": ["m1"]}), "delivery"),
        (inbound(something_new={"a": 1}), "unknown"),
    ],
)
def test_unhandled_kinds_are_kept_as_unknown(item, kind):
    event = only(body(item))
    assert isinstance(event, UnknownEvent)
    assert event.kind == kind
    assert event.raw is item
    assert (event.account_id, event.sender_id, event.recipient_id) == (ACCOUNT, CUSTOMER, ACCOUNT)
    assert event.customer_id == CUSTOMER and event.is_echo is False
    assert event.timestamp == TS
    assert event.reason
    assert lead_source(event) == ("dm", {})


# ------------------------------------------------------------------ changes (dashboard tests)


def test_dashboard_test_event_in_changes_shape():
    value = {
        "sender": {"id": "12334"},
        "recipient": {"id": "23245"},
        "timestamp": "1527459824",
        "message": {"mid": "random_mid", "text": "random_text"},
    }
    payload = {
        "object": "instagram",
        "entry": [{"id": "0", "time": 1527459824, "changes": [{"field": "messages", "value": value}]}],
    }
    event = only(payload)
    assert isinstance(event, MessageEvent)
    assert event.account_id == "0"
    assert (event.sender_id, event.recipient_id, event.customer_id) == ("12334", "23245", "12334")
    assert event.timestamp == datetime(2018, 5, 27, 22, 23, 44, tzinfo=UTC)
    assert event.text == "random_text" and event.raw is value


def test_dashboard_test_with_fixed_ids_in_messaging_shape():
    item = {"sender": {"id": "12334"}, "recipient": {"id": "23245"}, "timestamp": 1527459824,
            "message": {"mid": "random_mid", "text": "random_text"}}
    event = only(body(item, entry_id="0", time=1527459824))
    assert isinstance(event, MessageEvent) and event.account_id == "0"


def test_other_messaging_fields_in_changes_shape_parse_too():
    reaction = inbound(reaction={"mid": "m1", "action": "react", "reaction": "like", "emoji": "\U0001f44d"})
    payload = body({"field": "message_reactions", "value": reaction}, key="changes")
    assert isinstance(only(payload), ReactionEvent)


def test_standby_change_field_is_flagged():
    payload = body({"field": "standby", "value": inbound(message={"mid": "m1", "text": "x"})}, key="changes")
    event = only(payload)
    assert isinstance(event, MessageEvent) and event.standby is True


def test_comment_changes_are_unknown_with_their_field():
    change = {"field": "comments", "value": {"id": "c1", "from": {"id": "9", "username": "ann"}, "text": "nice"}}
    event = only(body(change, key="changes"))
    assert isinstance(event, UnknownEvent)
    assert event.kind == "change:comments"
    assert event.raw is change
    assert event.account_id == ACCOUNT and event.timestamp == ENTRY_TIME


@pytest.mark.parametrize(
    ("change", "kind", "reason"),
    [
        ({"field": "messages", "value": "oops"}, "change:messages", "value is a string"),
        ({"field": "messages"}, "change:messages", "value is null"),
        ({"value": {}}, "change", "field is missing"),
        ({"field": 7, "value": {}}, "change", "field is missing"),
        ("not a change", "change", "is a string"),
    ],
)
def test_malformed_changes_are_unknown(change, kind, reason):
    event = only(body(change, key="changes"))
    assert isinstance(event, UnknownEvent)
    assert event.kind == kind and reason in event.reason


# ------------------------------------------------------------------ standby and batching


def test_standby_items_are_flagged():
    event = only(body(inbound(message={"mid": "m1", "text": "x"}), key="standby"))
    assert isinstance(event, MessageEvent) and event.standby is True


def test_batch_keeps_every_entry_and_item_in_order():
    other_account = "17841400000000002"
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": ACCOUNT,
                "time": ENTRY_MS,
                "messaging": [
                    inbound(message={"mid": "a1", "text": "one"}),
                    inbound(message={"mid": "a2", "text": "two"}),
                    inbound(read={"mid": "out-1"}),
                ],
            },
            {
                "id": other_account,
                "time": ENTRY_MS,
                "messaging": [
                    {"sender": {"id": "555"}, "recipient": {"id": other_account}, "timestamp": TS_MS,
                     "message": {"mid": "b1", "text": "three"}},
                ],
                "standby": [
                    {"sender": {"id": "556"}, "recipient": {"id": other_account}, "timestamp": TS_MS,
                     "message": {"mid": "b2", "text": "four"}},
                ],
            },
        ],
    }
    parsed = parse(payload)
    assert parsed.errors == []
    assert [(e.account_id, e.kind, getattr(e, "mid", None), e.standby) for e in parsed.events] == [
        (ACCOUNT, "message", "a1", False),
        (ACCOUNT, "message", "a2", False),
        (ACCOUNT, "read", "out-1", False),
        (other_account, "message", "b1", False),
        (other_account, "message", "b2", True),
    ]


def test_a_thousand_items_in_one_delivery():
    items = [inbound(message={"mid": f"m{n}", "text": str(n)}) for n in range(1000)]
    parsed = parse(body(*items))
    assert len(parsed.events) == 1000
    assert all(isinstance(e, MessageEvent) for e in parsed.events)
    assert parsed.events[-1].mid == "m999"


# ------------------------------------------------------------------ timestamps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (TS_MS, TS),  # milliseconds (messaging)
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),  # seconds (changes samples)
        (str(TS_MS), TS),
        ("1700000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1700000000.5, datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        # Read as seconds (year 5138), then more than a day after RECEIVED: the receive time is used (F-09).
        (10**11 - 1, RECEIVED),
        (10**11, datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=10**11)),
    ],
)
def test_timestamps_in_ms_or_seconds(value, expected):
    event = only(body(inbound(timestamp=value, message={"mid": "m1", "text": "x"})))
    assert event.timestamp == expected
    assert event.timestamp.tzinfo is not None and event.timestamp.utcoffset() == timedelta(0)


def test_missing_timestamp_uses_the_entry_time():
    item = inbound(message={"mid": "m1", "text": "x"})
    del item["timestamp"]
    assert only(body(item)).timestamp == ENTRY_TIME


def test_missing_timestamp_and_entry_time_use_received_at():
    item = inbound(message={"mid": "m1", "text": "x"})
    del item["timestamp"]
    payload = {"object": "instagram", "entry": [{"id": ACCOUNT, "messaging": [item]}]}
    assert only(payload).timestamp == RECEIVED


@pytest.mark.parametrize("value", ["yesterday", True, -5, 0, [1], {"ms": 1}, 10**40, "1e12", 1e308])
def test_unusable_timestamp_falls_back_and_is_noted(value):
    parsed = parse(body(inbound(timestamp=value, message={"mid": "m1", "text": "x"})))
    (event,) = parsed.events
    assert isinstance(event, MessageEvent)
    assert event.timestamp == ENTRY_TIME
    # Worked around, nothing lost: a warning, not an error.
    assert parsed.errors == []
    assert parsed.warnings == ["entry[0].messaging[0].timestamp is not a usable timestamp; used the entry time"]


def test_unusable_entry_time_is_noted():
    item = inbound(message={"mid": "m1", "text": "x"})
    del item["timestamp"]
    parsed = parse(body(item, time="soon"))
    assert parsed.events[0].timestamp == RECEIVED
    assert parsed.errors == []
    assert parsed.warnings == ["entry[0].time is not a usable timestamp"]


def test_received_at_defaults_to_now_and_must_be_aware():
    item = inbound(message={"mid": "m1", "text": "x"})
    del item["timestamp"]
    payload = {"object": "instagram", "entry": [{"id": ACCOUNT, "messaging": [item]}]}
    before = datetime.now(UTC)
    event = parse_delivery(payload).events[0]
    assert before <= event.timestamp <= datetime.now(UTC)
    with pytest.raises(ValueError):
        parse_delivery(payload, received_at=datetime(2024, 1, 1))


def test_received_at_in_another_zone_is_converted_to_utc():
    item = inbound(message={"mid": "m1", "text": "x"})
    del item["timestamp"]
    payload = {"object": "instagram", "entry": [{"id": ACCOUNT, "messaging": [item]}]}
    paris = timezone(timedelta(hours=1))
    event = parse_delivery(payload, received_at=datetime(2024, 1, 1, 13, tzinfo=paris)).events[0]
    assert event.timestamp == datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert event.timestamp.tzinfo == UTC


# ------------------------------------------------------------------ envelope problems


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ([{"object": "instagram"}], "body is a list, expected an object"),
        ("instagram", "body is a string, expected an object"),
        (None, "body is null, expected an object"),
        (3, "body is a number, expected an object"),
        ({"object": "instagram"}, "entry is missing, expected a list"),
        ({"object": "instagram", "entry": {"id": "1"}}, "entry is an object, expected a list"),
    ],
)
def test_unusable_top_level_is_invalid(payload, error):
    parsed = parse(payload)
    assert parsed.events == []
    assert error in parsed.errors


def test_other_object_is_noted_but_entries_are_parsed():
    payload = body(inbound(message={"mid": "m1", "text": "x"}))
    payload["object"] = "page"
    parsed = parse(payload)
    assert parsed.object_type == "page"
    assert parsed.errors == ["object is 'page', expected 'instagram'"]
    assert isinstance(parsed.events[0], MessageEvent)


def test_missing_object_is_noted():
    payload = body(inbound(message={"mid": "m1", "text": "x"}))
    del payload["object"]
    parsed = parse(payload)
    assert parsed.object_type is None
    assert parsed.errors == ["object is missing, expected 'instagram'"]


def test_empty_entry_list_is_parsed_without_errors():
    parsed = parse({"object": "instagram", "entry": []})
    assert parsed == ParsedDelivery([], [], "instagram")


def test_bad_entries_are_noted_and_good_ones_kept():
    good = {"id": ACCOUNT, "time": ENTRY_MS, "messaging": [inbound(message={"mid": "m1", "text": "x"})]}
    payload = {
        "object": "instagram",
        "entry": ["junk", good, {"id": ACCOUNT, "messaging": {"not": "a list"}}, {"id": ACCOUNT}],
    }
    parsed = parse(payload)
    assert [e.kind for e in parsed.events] == ["message"]
    assert parsed.errors == [
        "entry[0] is a string, expected an object",
        "entry[2].messaging is an object, expected a list",
        "entry[3] has no messaging, standby or changes list",
    ]


def test_entry_without_usable_id_turns_items_unknown():
    item = inbound(message={"mid": "m1", "text": "x"})
    parsed = parse(body(item, entry_id=None))
    assert parsed.errors == ["entry[0].id is missing or not an id"]
    (event,) = parsed.events
    assert isinstance(event, UnknownEvent) and event.kind == "message"
    assert event.account_id is None and "no usable id" in event.reason


def test_numeric_entry_id_is_coerced():
    item = inbound(message={"mid": "m1", "text": "x"})
    assert only(body(item, entry_id=17841400000000001)).account_id == ACCOUNT


# ------------------------------------------------------------------ wrong types in items


def test_numeric_ids_are_coerced_to_strings():
    item = {"sender": {"id": 6543210987654321}, "recipient": {"id": 17841400000000001},
            "timestamp": TS_MS, "message": {"mid": 12345, "text": "x", "reply_to": {"mid": 99}}}
    event = only(body(item))
    assert isinstance(event, MessageEvent)
    assert (event.sender_id, event.recipient_id, event.mid, event.reply_to_mid) == (
        CUSTOMER, ACCOUNT, "12345", "99")


def image(payload):
    return {"mid": "m1", "attachments": [{"type": "image", "payload": payload}]}


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("message", {"mid": "m1", "text": 42}, "message.text is a number, expected a string"),
        ("message", {"text": "x"}, "message.mid is missing"),
        ("message", {"mid": 1.5}, "message.mid is a number, expected an id"),
        ("message", {"mid": ""}, "message.mid is blank, expected an id"),
        ("message", {"mid": True}, "message.mid is a boolean, expected an id"),
        ("message", "hello", "messaging[0].message is a string, expected an object"),
        ("message", None, "messaging[0].message is null, expected an object"),
        ("message", {"mid": "m1", "attachments": {}}, "attachments is an object, expected a list"),
        ("message", {"mid": "m1", "attachments": ["image"]}, "attachments[0] is a string"),
        ("message", {"mid": "m1", "attachments": [{}]}, "attachments[0].type is missing"),
        ("message", image("https://cdn/x"), "attachments[0].payload is a string"),
        ("message", image({"url": 5}), "attachments[0].payload.url is a number"),
        ("message", {"mid": "m1", "is_echo": "true"}, "is_echo is a string, expected true or false"),
        ("message", {"mid": "m1", "is_deleted": 1}, "is_deleted is a number"),
        ("message", {"mid": "m1", "reply_to": ["m0"]}, "reply_to is a list"),
        ("message", {"mid": "m1", "referral": {"ads_context_data": []}}, "ads_context_data is a list"),
        ("message", {"mid": "m1", "quick_reply": {"payload": 1}}, "quick_reply.payload is a number"),
        ("reaction", {"mid": "m1", "action": "love"}, "reaction.action is 'love'"),
        ("reaction", {"mid": "m1"}, "reaction.action is missing"),
        ("reaction", {"action": "react"}, "reaction.mid is missing"),
        ("read", {"watermark": "soon"}, "read.watermark is not a usable timestamp"),
        ("postback", [], "messaging[0].postback is a list"),
        ("referral", {"ref": 7}, "referral.ref is a number"),
        ("message_edit", {"mid": "m1", "num_edit": "two"}, "num_edit is a string"),
        ("message_edit", {"text": "x"}, "message_edit.mid is missing"),
    ],
)
def test_wrong_types_make_an_unknown_event_with_a_reason(kind, value, reason):
    item = inbound(**{kind: value})
    event = only(body(item))
    assert isinstance(event, UnknownEvent)
    assert event.kind == kind
    assert reason in event.reason
    assert event.raw is item
    assert event.timestamp == TS


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sender": None}, "sender is null, expected an object"),
        ({"sender": {"id": ""}}, "sender.id is blank, expected an id"),
        ({"sender": {}}, "sender.id is missing"),
        ({"recipient": "me"}, "recipient is a string, expected an object"),
        ({"recipient": {"id": -3}}, "recipient.id is a number, expected an id"),
    ],
)
def test_bad_sender_or_recipient_makes_an_unknown_event(change, reason):
    item = {**inbound(message={"mid": "m1", "text": "x"}), **change}
    event = only(body(item))
    assert isinstance(event, UnknownEvent) and event.kind == "message"
    assert reason in event.reason


def test_non_object_items_are_unknown():
    parsed = parse(body("garbage", 17, None))
    assert [(e.kind, e.raw) for e in parsed.events] == [("unknown", "garbage"), ("unknown", 17), ("unknown", None)]
    assert all(e.account_id == ACCOUNT and e.timestamp == ENTRY_TIME for e in parsed.events)


# ------------------------------------------------------------------ value semantics


def test_events_are_frozen_and_hashable():
    event = one_message(text="x", attachments=[{"type": "image", "payload": {"url": CDN}}])
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.text = "changed"
    assert hash(event) == hash(one_message(text="x", attachments=[{"type": "image", "payload": {"url": CDN}}]))


def test_preview_of_a_postback_without_title():
    tap = only(body(inbound(postback={"mid": "m1", "payload": "GO"})))
    assert list_preview(tap) == "GO"


def test_customer_is_the_other_side_when_our_account_acts_without_echo_flag():
    item = {"sender": {"id": ACCOUNT}, "recipient": {"id": CUSTOMER}, "timestamp": TS_MS,
            "reaction": {"mid": "m1", "action": "react", "reaction": "like", "emoji": "\U0001f44d"}}
    event = only(body(item))
    assert isinstance(event, ReactionEvent) and event.is_echo is False
    assert event.customer_id == CUSTOMER
