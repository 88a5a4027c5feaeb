"""Keyword matching for automation rules: contains, exact, and regular expressions that cannot
hang the worker.

Why validation and not a timeout: Python's `re` runs in C holding the GIL, so a watchdog thread
cannot interrupt it (the thread never even gets to run), and a subprocess per message costs more
than the match. So a pattern is checked when it is saved, and again (cached) before it is used:

- at most 200 characters, and it must compile;
- no repetition inside a repetition (`(a+)+`, `(\\w*\\s?)*`) and no alternation inside a
  repetition (`(a|ab)+`): these are the shapes with exponential backtracking;
- no back-references or conditionals (matching them is NP-hard in general);
- at most two unlimited repetitions (`*`, `+`, `{n,}`, or an upper bound above 50), which keeps
  the worst case polynomial and small: two overlapping ones (`.*.*x`) on the longest input take
  about a second in the worst case, three would take minutes;

and the customer's text is cut to its first 1000 characters before matching (Instagram's own
limit for a DM is 1000 bytes, so nothing real is lost).
"""
from __future__ import annotations

import re
import string
from functools import lru_cache

try:  # Python 3.11+ (the stdlib parser behind `re.compile`)
    import re._constants as _sre
    import re._parser as _sre_parse
except ImportError:  # pragma: no cover - older layout
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

MAX_PATTERN_LENGTH = 200
MAX_INPUT_CHARS = 1000
MAX_UNLIMITED_REPEATS = 2
WIDE_REPEAT = 50  # an upper bound above this counts as unlimited

_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT)
_POSSESSIVE = getattr(_sre, "POSSESSIVE_REPEAT", None)
_ATOMIC = getattr(_sre, "ATOMIC_GROUP", None)
_BACKREFS = tuple(op for op in (getattr(_sre, name, None) for name in (
    "GROUPREF", "GROUPREF_IGNORE", "GROUPREF_LOC_IGNORE", "GROUPREF_UNI_IGNORE", "GROUPREF_EXISTS")) if op is not None)


class PatternRejected(ValueError):
    """A keyword pattern an admin must change; the message says what and why."""


def check_regex(pattern: str) -> re.Pattern:
    """The compiled pattern (case-insensitive), or PatternRejected with a readable reason."""
    return _checked(pattern)


@lru_cache(maxsize=512)
def _checked(pattern: str) -> re.Pattern:
    if not pattern:
        raise PatternRejected("Enter a regular expression.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternRejected(f"A regular expression can be at most {MAX_PATTERN_LENGTH} characters.")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
        parsed = _sre_parse.parse(pattern, re.IGNORECASE)
    except re.error as exc:
        raise PatternRejected(f"This is not a valid regular expression: {exc}.") from None
    unlimited = _walk(list(parsed), inside_repeat=False)
    if unlimited > MAX_UNLIMITED_REPEATS:
        raise PatternRejected(
            f"Use at most {MAX_UNLIMITED_REPEATS} unlimited repetitions (*, + or {{n,}}); this pattern has "
            f"{unlimited}. Give the others a small upper bound, e.g. \\s{{0,3}} instead of \\s*.")
    return compiled


def _walk(items, inside_repeat: bool) -> int:
    """Reject the dangerous shapes; return how many unlimited repetitions there are."""
    unlimited = 0
    for op, av in items:
        if op in _REPEATS or (_POSSESSIVE is not None and op == _POSSESSIVE):
            low, high, sub = av
            iterates = high == _sre.MAXREPEAT or high > 1
            # A fixed count like {3} leaves the matcher no choice; only a variable one backtracks.
            if high != low and inside_repeat:
                raise PatternRejected(
                    "A repetition inside a repetition, like (a+)+, is not allowed: on some messages it takes "
                    "practically forever to match. Repeat only the inner or only the outer part.")
            if op != _POSSESSIVE and (high == _sre.MAXREPEAT or high > WIDE_REPEAT):
                unlimited += 1
            if iterates and _has_branch(sub):
                raise PatternRejected(
                    "Repeating a group with alternatives, like (a|ab)+, is not allowed: on some messages it "
                    "takes practically forever to match. Use a character class such as [ab]+ instead.")
            unlimited += _walk(list(sub), inside_repeat or iterates)
        elif op == _sre.SUBPATTERN:
            unlimited += _walk(list(av[-1]), inside_repeat)
        elif _ATOMIC is not None and op == _ATOMIC:
            unlimited += _walk(list(av), inside_repeat)
        elif op == _sre.BRANCH:
            for branch in av[1]:
                unlimited += _walk(list(branch), inside_repeat)
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            unlimited += _walk(list(av[1]), inside_repeat)
        elif op in _BACKREFS:
            raise PatternRejected("Back-references and conditional groups (\\1, (?P=name), (?(1)…)) are not allowed.")
    return unlimited


def _has_branch(items) -> bool:
    for op, av in items:
        if op == _sre.BRANCH:
            return True
        if op == _sre.SUBPATTERN and _has_branch(av[-1]):
            return True
        if _ATOMIC is not None and op == _ATOMIC and _has_branch(av):
            return True
    return False


def normalize(text: str | None) -> str:
    """Case-insensitive, whitespace-tolerant form for contains/exact matching."""
    return " ".join((text or "").casefold().split())


# "Hi!" is the same answer as "hi": punctuation around a whole message does not change it.
_EDGE_PUNCTUATION = string.punctuation + "¡¿…“”‘’«» "


def _exact_form(text: str | None) -> str:
    return normalize(text).strip(_EDGE_PUNCTUATION)


def keyword_matches(match_type: str, pattern: str, text: str | None) -> bool:
    """Does the customer's text match this keyword rule? Raises PatternRejected for a regex that
    fails the safety check (a rule saved before the check existed)."""
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
