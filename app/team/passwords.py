"""The password policy: long enough, and not one an attacker tries first. No composition rules
(NIST SP 800-63B): "P@ssw0rd1" passes those and fails this.

Guessability is zxcvbn's estimate (Dropbox's estimator, dictionaries of common passwords, names,
keyboard walks, repeats, dates); a score of 2 or more means it is not among the first ~10^8
guesses. Only the first MAX_CHECKED characters are scored: zxcvbn's time grows fast with length,
and a password that long is not a common one."""
from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 2
MAX_CHECKED = 64


class WeakPassword(ValueError):
    """A password the policy refuses; the message says why, in words for the person typing it."""


def check_password(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters (a few words together work well).")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    result = zxcvbn(password[:MAX_CHECKED], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_SCORE:
        reason = result["feedback"].get("warning") or "It is too easy to guess."
        raise WeakPassword(f"{reason.rstrip('.')}. Choose something less common, such as a few unrelated words.")
