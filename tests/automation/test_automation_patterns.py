"""Keyword matching: contains, exact, and regular expressions that cannot hang the worker."""
import pytest

from app.automation.patterns import MAX_INPUT_CHARS, PatternRejected, check_regex, keyword_matches


@pytest.mark.parametrize("pattern, text, expected", [
    ("price", "What's the PRICE of this?", True),
    ("how much", "Hi, how   much is it", True),  # whitespace runs count as one space
    ("price", "Hello there", False),
    ("price", "", False),
    ("price", None, False),
    ("Größe", "welche GRÖSSE habt ihr", True),  # casefold, not just lower()
])
def test_contains(pattern, text, expected):
    assert keyword_matches("contains", pattern, text) is expected


@pytest.mark.parametrize("pattern, text, expected", [
    ("hi", "Hi", True),
    ("hi", "  hi!! ", True),  # punctuation around the whole message does not change it
    ("hi", "hi there", False),
    ("hi", "this", False),
    ("opening hours", "Opening   hours?", True),
])
def test_exact(pattern, text, expected):
    assert keyword_matches("exact", pattern, text) is expected


@pytest.mark.parametrize("pattern, text, expected", [
    (r"\b(price|cost)s?\b", "what are your COSTS", True),
    (r"\b(price|cost)s?\b", "costume", False),
    (r"^order\s*#?\d+", "Order #123 where is it", True),
    (r"^order\s*#?\d+", "my order 123", False),
])
def test_regex_is_case_insensitive_search(pattern, text, expected):
    assert keyword_matches("regex", pattern, text) is expected


def test_only_the_first_1000_characters_are_matched():
    text = "a" * MAX_INPUT_CHARS + "price"
    assert keyword_matches("contains", "price", text) is False
    assert keyword_matches("regex", "price", text) is False
    assert keyword_matches("contains", "price", "price" + text) is True


@pytest.mark.parametrize("pattern, reason", [
    (r"(\w)\1", "Back-references"),
    (r"(?P<w>x)(?P=w)", "Back-references"),
    (r"price(?=s)", "Lookahead and lookbehind"),
    (r"(?(1)a|b)", "Conditional and atomic groups"),
    (r"x{1001}", "at most 1000"),
    (r"(unclosed", "not a valid regular expression"),
    ("x" * 201, "at most 200 characters"),
    ("", "Enter a regular expression"),
])
def test_unsupported_or_broken_patterns_are_rejected(pattern, reason):
    with pytest.raises(PatternRejected, match=reason):
        check_regex(pattern)


@pytest.mark.parametrize("pattern", [
    r"\bprice\b|\bcost\b", r"(?:a|b)+", r"(ab){2,3}", r"(a{2})+", r"^order\s*#?\d+", r".*later.*", "x" * 200,
    # Exponential under backtracking, linear under RE2: no longer refused.
    r"(a+)+$", r"(\w*\s?)*$", r"(a|ab)+c", r".*.*.*x", r"a{1,100}b{1,100}c{1,100}",
])
def test_ordinary_patterns_are_accepted(pattern):
    check_regex(pattern)  # no PatternRejected
    assert isinstance(keyword_matches("regex", pattern, "A" * 500 + "!"), bool)


def test_a_rejected_regex_never_runs():
    with pytest.raises(PatternRejected):
        keyword_matches("regex", r"(\w)\1", "aa")
