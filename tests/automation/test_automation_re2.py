"""Regex keyword rules run on RE2 (linear time): the review's exponential pattern (F-01) finishes,
what RE2 cannot run is refused on save with a readable reason (F-13: never a 500), and a stored
pattern RE2 cannot compile simply never matches."""
import logging
import time

import pytest

from app.automation.patterns import PatternRejected, check_regex, keyword_matches
from app.automation.rules import Inbound, choose_rule
from tests.automation.test_automation_rules import MONDAY_NOON, rule
from tests.automation.test_automation_settings import add_rule, keyword_form, rules_of
from tests.meta_kit import HX

EXPONENTIAL = "a?" * 30 + "a" * 30  # F-01: ~2^30 backtracking steps in Python's re
TEN_KB = "a" * 10_000
WORST = "a" * 30  # the a? must all give way: the case that backtracks through every combination


def test_the_review_pattern_runs_in_linear_time():
    started = time.monotonic()
    compiled = check_regex(EXPONENTIAL)
    assert compiled.search(TEN_KB) is not None
    assert keyword_matches("regex", EXPONENTIAL, TEN_KB) is True
    assert keyword_matches("regex", EXPONENTIAL, WORST) is True
    assert compiled.search(("a" * 29 + "b") * 333) is None  # 10 kB, no match anywhere
    assert compiled.search("b" * 10_000) is None
    # A generous bound: a guard against exponential blow-up, not a benchmark.
    assert time.monotonic() - started < 2


def test_formerly_exponential_shapes_are_now_accepted_and_fast():
    started = time.monotonic()
    for pattern in (r"(a+)+$", r"(\w*\s?)*$", r"(a|ab)+c", r".*.*.*x"):
        assert keyword_matches("regex", pattern, "a" * 1000 + "!") in (True, False)
    assert time.monotonic() - started < 2


def test_matching_is_case_insensitive_including_non_ascii():
    assert keyword_matches("regex", r"\bprices?\b", "PRICES please") is True
    assert keyword_matches("regex", "größe", "Welche GRÖßE?") is True
    assert keyword_matches("regex", r"^order\s*#?\d+", "my order 12") is False


@pytest.mark.parametrize("pattern, reason", [
    ("x{99999999999}", "at most 1000"),
    ("x{2000}", "at most 1000"),
    ("x{5,99999999999}", "at most 1000"),
    (r"(\w)\1", "Back-references"),
    (r"(?P<w>x)(?P=w)", "Back-references"),
    (r"price(?=s)", "Lookahead and lookbehind"),
    (r"(?<!no )price", "Lookahead and lookbehind"),
    (r"\pL{1000}", "too large"),
    (r"(unclosed", "not a valid regular expression"),
])
def test_what_re2_cannot_run_is_refused_with_a_reason(pattern, reason):
    with pytest.raises(PatternRejected, match=reason):
        check_regex(pattern)


def test_escaped_braces_and_braces_in_a_class_are_literal():
    assert keyword_matches("regex", r"x\{99999999999}", "see x{99999999999}") is True
    assert keyword_matches("regex", r"[{]99999999999}", "{99999999999}") is True


@pytest.fixture
def admin(auth, factory):
    user = factory.user(role="admin")
    auth.login(user)
    return user


def test_the_form_accepts_the_review_pattern(auth, admin):
    response = auth.post("/settings/automation/rules/new", keyword_form(match_type="regex", pattern=EXPONENTIAL))
    assert response.status_code == 302
    assert [r.pattern for r in rules_of(admin.workspace_id)] == [EXPONENTIAL]


@pytest.mark.parametrize("pattern, message", [
    ("x{99999999999}", "A repeat count can be at most 1000"),
    (r"(\w)\1", "Back-references"),
    (r"price(?!s)", "Lookahead and lookbehind"),
])
def test_the_form_refuses_what_re2_cannot_run(auth, admin, pattern, message):
    response = auth.post("/settings/automation/rules/new", keyword_form(match_type="regex", pattern=pattern))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert rules_of(admin.workspace_id) == []


@pytest.mark.parametrize("stored", ["x{99999999999}", r"(\w)\1", r"price(?=s)"])
def test_a_stored_pattern_re2_cannot_compile_never_matches_and_is_logged(caplog, stored):
    bad = rule("keyword", "bad", match_type="regex", pattern=stored)
    fallback = rule("keyword", "fallback", pattern="price")
    with caplog.at_level(logging.WARNING, logger="app.automation.rules"):
        choice = choose_rule([bad, fallback], Inbound(text="prices x{99999999999} aa", at=MONDAY_NOON),
                             business_hours={}, timezone="UTC")
    assert choice.rule is fallback
    assert f"automation rule {bad.id} skipped" in caplog.text


def test_the_preview_skips_a_stored_pattern_re2_cannot_compile(client, admin):
    add_rule(admin.workspace, match_type="regex", pattern=r"(\w)\1", reply_text="Never")
    add_rule(admin.workspace, reply_text="Shoes cost 80 €.")
    response = client.get("/settings/automation/preview", query_string={"text": "price?"},
                          headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Shoes cost 80 €." in body and "Never" not in body


def test_the_preview_runs_the_review_pattern_quickly(client, admin):
    add_rule(admin.workspace, match_type="regex", pattern=EXPONENTIAL, reply_text="Lots of a")
    started = time.monotonic()
    response = client.get("/settings/automation/preview", query_string={"text": WORST},
                          headers=HX)
    assert response.status_code == 200 and "Lots of a" in response.get_data(as_text=True)
    assert time.monotonic() - started < 2
