r"""Keyword matching for automation rules: contains, exact, and regular expressions that run in
linear time.

Regular expressions are written by workspace admins and run on every inbound DM (inside the webhook
request in inline mode, in the worker otherwise, and in the settings page's preview). Python's `re`
backtracks, so a pattern such as `a?a?…aa…` takes exponential time, holding the GIL where nothing
can interrupt it. So admin patterns run on RE2 (`google-re2`), whose matching time is linear in the
text whatever the pattern, and this module is the one home of the rule:

- a pattern is at most 200 characters and must compile with RE2: back-references, lookahead and
  lookbehind, conditionals and atomic groups are refused (RE2 has none of them), as is a repeat
  count above 1000 (RE2 reads `x{99999999999}` as literal text, which is never what was meant);
- RE2 compiles with `max_mem` of 1 MiB, so a pattern whose program is too big (`\pL{1000}`) is
  refused as "too large" instead of taking memory; the compiled patterns are cached (at most 256);
- matching is case-insensitive (`case_sensitive=False`) and unanchored (`search`);
- a stored pattern that RE2 cannot compile (saved before this check) raises PatternRejected, which
  the caller logs and treats as "does not match";
- the customer's text is cut to its first 1000 characters before matching (Instagram's own limit
  for a DM is 1000 bytes, so nothing real is lost).

RE2's `\w`, `\d` and `\b` are ASCII-only (Python's are Unicode): use `\pL` for any letter.
"""
from __future__ import annotations

import string
from functools import lru_cache

import re2

MAX_PATTERN_LENGTH = 200
MAX_INPUT_CHARS = 1000
MAX_REPEAT = 1000  # RE2's own ceiling for {n,m}
RE2_MAX_MEM = 1 << 20


class PatternRejected(ValueError):
    """A keyword pattern an admin must change; the message says what and why."""


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False  # a refused pattern is the admin's to fix, not a line on stderr
    return options


_OPTIONS = _options()


def check_regex(pattern: str):
    """The compiled RE2 pattern (case-insensitive), or PatternRejected with a readable reason."""
    return _checked(pattern)


@lru_cache(maxsize=256)
def _checked(pattern: str):
    if not pattern:
        raise PatternRejected("Enter a regular expression.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternRejected(f"A regular expression can be at most {MAX_PATTERN_LENGTH} characters.")
    if _largest_repeat(pattern) > MAX_REPEAT:
        raise PatternRejected(f"A repeat count can be at most {MAX_REPEAT}, as in x{{1,{MAX_REPEAT}}}.")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise PatternRejected(_reason(pattern, exc)) from None


def _reason(pattern: str, exc: Exception) -> str:
    raw = exc.args[0] if exc.args else ""
    detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if "(?P=" in pattern or any(f"invalid escape sequence: \\{c}" in detail for c in "123456789kg"):
        return "Back-references (\\1, (?P=name)) are not supported in a regular expression here."
    if any(f"invalid perl operator: {op}" in detail for op in ("(?=", "(?!", "(?<=", "(?<!")):
        return "Lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not supported in a regular expression here."
    if "invalid perl operator: (?(" in detail or "invalid perl operator: (?>" in detail:
        return "Conditional and atomic groups ((?(1)…), (?>…)) are not supported in a regular expression here."
    if "invalid repetition size" in detail:
        return f"A repeat count can be at most {MAX_REPEAT}, and {{n,m}} needs n ≤ m."
    if "pattern too large" in detail:
        return "This regular expression is too large to run safely: use smaller repeat counts."
    if "invalid escape sequence: \\Z" in detail:
        return "Use \\z (not \\Z) for the end of the message."
    return f"This is not a valid regular expression: {detail}."


def _largest_repeat(pattern: str) -> int:
    """The largest number in a {n}, {n,} or {n,m} outside escapes and character classes.
    RE2 refuses counts from 1001 up, but reads very long ones (9 digits and more) as literal text."""
    largest, i, size = 0, 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(pattern, i)
            continue
        if char == "{":
            j = i + 1
            while j < size and (pattern[j].isdigit() or pattern[j] == ","):
                j += 1
            body = pattern[i + 1:j]
            if j < size and pattern[j] == "}" and body[:1].isdigit() and body.count(",") <= 1:
                largest = max([largest] + [int(part) for part in body.split(",") if part])
                i = j + 1
                continue
        i += 1
    return largest


def _class_end(pattern: str, start: int) -> int:
    """The index just after the character class opening at `start` (POSIX [:name:] inside allowed)."""
    i, size = start + 1, len(pattern)
    if i < size and pattern[i] == "^":
        i += 1
    if i < size and pattern[i] == "]":  # a leading ] is a literal
        i += 1
    while i < size:
        if pattern[i] == "\\":
            i += 2
        elif pattern.startswith("[:", i) and ":]" in pattern[i + 2:]:
            i = pattern.index(":]", i + 2) + 2
        elif pattern[i] == "]":
            return i + 1
        else:
            i += 1
    return size


def normalize(text: str | None) -> str:
    """Case-insensitive, whitespace-tolerant form for contains/exact matching."""
    return " ".join((text or "").casefold().split())


# "Hi!" is the same answer as "hi": punctuation around a whole message does not change it.
_EDGE_PUNCTUATION = string.punctuation + "¡¿…“”‘’«» "


def _exact_form(text: str | None) -> str:
    return normalize(text).strip(_EDGE_PUNCTUATION)


def keyword_matches(match_type: str, pattern: str, text: str | None) -> bool:
    """Does the customer's text match this keyword rule? Raises PatternRejected for a regex that
    RE2 cannot run (a rule saved before the check existed); callers log it and treat it as no match."""
    text = (text or "")[:MAX_INPUT_CHARS]
    if not text.strip():
        return False
    if match_type == "contains":
        needle = normalize(pattern)
        return bool(needle) and needle in normalize(text)
    if match_type == "exact":
        return bool(_exact_form(pattern)) and _exact_form(pattern) == _exact_form(text)
    if match_type == "regex":
        return check_regex(pattern).search(text) is not None
    raise ValueError(f"unknown match type {match_type!r}")
