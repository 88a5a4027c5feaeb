"""The pure rule choice shared by the job and the preview: each kind, order, switches, scope."""
from datetime import datetime, timezone

from app.automation.rules import Inbound, choose_rule
from app.models import AutomationRule

UTC = timezone.utc
HOURS = {str(day): [["09:00", "17:00"]] for day in range(5)}
MONDAY_NOON = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # 12:00 in Berlin: open
MONDAY_NIGHT = datetime(2025, 6, 2, 20, 0, tzinfo=UTC)  # 22:00 in Berlin: closed

_ids = iter(range(1, 10_000))


def rule(kind, reply="Reply", *, match_type=None, pattern=None, enabled=True, account_id=None):
    if kind == "keyword":
        match_type = match_type or "contains"
    return AutomationRule(id=next(_ids), kind=kind, reply_text=reply, match_type=match_type, pattern=pattern,
                          enabled=enabled, account_id=account_id)


def choose(rules, text="hello", at=MONDAY_NOON, suppressed=(), **inbound):
    return choose_rule(rules, Inbound(text=text, at=at, **inbound), business_hours=HOURS, timezone="Europe/Berlin",
                       suppressed=suppressed)


def test_greeting_answers_only_the_first_message():
    greeting = rule("greeting", "Welcome!")
    assert choose([greeting], is_first_message=True).rule is greeting
    assert choose([greeting], is_first_message=True).reply_text == "Welcome!"
    assert choose([greeting], is_first_message=False) is None


def test_away_answers_outside_business_hours_only():
    away = rule("away", "We're closed")
    assert choose([away], at=MONDAY_NOON) is None
    choice = choose([away], at=MONDAY_NIGHT)
    assert choice.rule is away and "outside business hours" in choice.why


def test_keyword_rules_by_match_type():
    contains = rule("keyword", "Prices: ...", pattern="price")
    exact = rule("keyword", "Hello!", match_type="exact", pattern="hi")
    regex = rule("keyword", "Order status...", match_type="regex", pattern=r"order\s*#?\d+")
    rules = [contains, exact, regex]
    assert choose(rules, text="What's the price?").rule is contains
    assert choose(rules, text="Hi!").rule is exact
    assert choose(rules, text="where is order #42").rule is regex
    assert choose(rules, text="nothing to see") is None


def test_story_mention_answers_story_mentions_only():
    thanks = rule("story_mention", "Thanks for the mention!")
    assert choose([thanks], text=None, kind="story_mention").rule is thanks
    assert choose([thanks], text="story", kind="message") is None
    assert choose([thanks], text=None, kind="story_reply") is None


def test_the_first_applicable_rule_in_order_wins():
    keyword = rule("keyword", "About prices", pattern="price")
    greeting = rule("greeting", "Welcome")
    away = rule("away", "Closed")
    inbound = dict(text="price?", at=MONDAY_NIGHT, is_first_message=True)
    assert choose([keyword, greeting, away], **inbound).rule is keyword
    assert choose([greeting, keyword, away], **inbound).rule is greeting
    assert choose([away, greeting, keyword], **inbound).rule is away


def test_switched_off_rules_are_passed_over():
    off = rule("keyword", "Off", pattern="price", enabled=False)
    on = rule("keyword", "On", pattern="price")
    assert choose([off, on], text="price").rule is on
    assert choose([off], text="price") is None


def test_suppressed_kinds_let_later_rules_answer():
    away = rule("away", "Closed")
    keyword = rule("keyword", "Prices", pattern="price")
    assert choose([away, keyword], text="price", at=MONDAY_NIGHT).rule is away
    assert choose([away, keyword], text="price", at=MONDAY_NIGHT, suppressed={"away"}).rule is keyword
    assert choose([away], text="price", at=MONDAY_NIGHT, suppressed={"away"}) is None


def test_account_rules_apply_to_their_account_only():
    shop_a = rule("keyword", "A", pattern="price", account_id=1)
    everyone = rule("keyword", "All", pattern="price")
    assert choose([shop_a, everyone], text="price", account_id=1).rule is shop_a
    assert choose([shop_a, everyone], text="price", account_id=2).rule is everyone


def test_an_unsafe_saved_pattern_never_matches(caplog):
    unsafe = rule("keyword", "x", match_type="regex", pattern=r"(a)\1")  # RE2 cannot run a back-reference
    fallback = rule("keyword", "fallback", pattern="a")
    assert choose([unsafe, fallback], text="a" * 30 + "!").rule is fallback
    assert "unsafe pattern" in caplog.text
