"""Deterministic identities for the stand-in: business accounts and their customers.

Nothing here is stored. A business account is derived from its username and a customer
from their IGSID, so every process (and every test) computes the same ids and profiles.
Tests may call `business_account()` and `customer_profile()` to know what to expect.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Instagram usernames: letters, digits, period and underscore, at most 30 characters.
USERNAME_RE = re.compile(r"^[a-z0-9._]{1,30}$")

_FIRST_NAMES = (
    "Ana", "Bruno", "Chloé", "Dmitri", "Elif", "Farah", "Gabriel", "Hana", "Ivan", "Jana",
    "Kofi", "Lucía", "Mateo", "Nia", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tomás",
    "Uma", "Vera", "Wen", "Ximena", "Yusuf", "Zoë",
)
_LAST_NAMES = (
    "Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopes", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Silva",
    "Tanaka", "Weber",
)
_AVATAR_COLOURS = ("#e4405f", "#833ab4", "#fd1d1d", "#fcaf45", "#405de6", "#5851db", "#1c9c6c", "#c13584")


def _digest(*parts: str) -> bytes:
    return hashlib.sha256(":".join(parts).encode()).digest()


def _number(digest: bytes, start: int, length: int) -> int:
    return int.from_bytes(digest[start : start + length], "big")


@dataclass(frozen=True)
class BusinessAccount:
    ig_user_id: str  # "user_id": the id webhooks carry as entry.id
    app_user_id: str  # "id": the app-scoped id Meta also hands out (code exchange, /me id)
    username: str
    name: str


def normalise_username(raw: str) -> str | None:
    """The username as Instagram would keep it, or None if it can never be one."""
    username = (raw or "").strip().lstrip("@").lower()
    return username if USERNAME_RE.match(username) else None


def business_account(username: str) -> BusinessAccount:
    """The demo business account for `username` (stable across processes and runs)."""
    digest = _digest("account", username)
    # Real professional-account ids are 17 digits starting 1784; app-scoped ids are shorter
    # and unrelated. Keeping them different catches code that mixes them up.
    ig_user_id = "17841" + str(_number(digest, 0, 8) % 10**12).zfill(12)
    app_user_id = "2" + str(_number(digest, 8, 8) % 10**15).zfill(15)
    name = " ".join(part.capitalize() for part in re.split(r"[._]+", username) if part) or username
    return BusinessAccount(ig_user_id=ig_user_id, app_user_id=app_user_id, username=username, name=name)


@dataclass(frozen=True)
class CustomerProfile:
    igsid: str
    name: str | None
    username: str
    has_picture: bool
    follower_count: int
    is_user_follow_business: bool
    is_business_follow_user: bool
    is_verified_user: bool


# Customers named by username (demo data, the simulator): the IGSID carries the username,
# encoded reversibly, so the profile lookup in any process answers with that same username.
# Layout: "8" + bijective base-38 number of the username + 3 check digits.
_USERNAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789._"
_NAMED_PREFIX = "8"


def _check_digits(username: str) -> str:
    return str(_number(_digest("igsid", username), 0, 4) % 1000).zfill(3)


def customer_igsid(username: str) -> str:
    """The IGSID of the customer with this Instagram username (stable across processes).

    `customer_profile()` of the result reports `username` back, as Meta's profile lookup would.
    Raises ValueError for a string that can never be an Instagram username.
    """
    normalised = normalise_username(username)
    if normalised is None:
        raise ValueError("not an Instagram username (letters, digits, periods and underscores, at most 30)")
    number = 0
    for ch in reversed(normalised):
        number = number * len(_USERNAME_ALPHABET) + _USERNAME_ALPHABET.index(ch) + 1
    return f"{_NAMED_PREFIX}{number}{_check_digits(normalised)}"


def username_of_igsid(igsid: str) -> str | None:
    """The username a `customer_igsid()` result carries; None for any other IGSID."""
    body = igsid[len(_NAMED_PREFIX):-3]
    if not (igsid.startswith(_NAMED_PREFIX) and body.isdigit() and body[0] != "0"):
        return None
    number, chars = int(body), []
    base = len(_USERNAME_ALPHABET)
    while number > 0 and len(chars) <= 30:
        number, index = divmod(number - 1, base)
        chars.append(_USERNAME_ALPHABET[index])
    username = "".join(chars)
    if number or not USERNAME_RE.match(username) or igsid[-3:] != _check_digits(username):
        return None
    return username


def _name_from_username(username: str) -> str:
    words = [w for w in re.split(r"[._0-9]+", username) if w]
    return " ".join(w.capitalize() for w in words[:2]) or username


def customer_profile(igsid: str) -> CustomerProfile:
    """The profile Meta would report for a customer's IGSID.

    About one customer in sixteen has no name and no picture: Meta documents both as
    nullable, and the inbox must cope. Customers from `customer_igsid()` keep their username
    and always have a name (made from it).
    """
    digest = _digest("customer", igsid)
    first = _FIRST_NAMES[digest[0] % len(_FIRST_NAMES)]
    last = _LAST_NAMES[digest[1] % len(_LAST_NAMES)]
    named = username_of_igsid(igsid)
    anonymous = named is None and digest[2] % 16 == 0
    ascii_first = first.encode("ascii", "ignore").decode().lower()
    ascii_last = last.encode("ascii", "ignore").decode().lower()
    # Follower counts are heavy-tailed: most customers have a few hundred, a few have many.
    followers = _number(digest, 3, 2) % 900 + 10
    if digest[5] % 10 == 0:
        followers *= 100
    return CustomerProfile(
        igsid=igsid,
        name=None if anonymous else (_name_from_username(named) if named else f"{first} {last}"),
        username=named or f"{ascii_first}.{ascii_last}{digest[6] % 100}",
        has_picture=not anonymous,
        follower_count=followers,
        is_user_follow_business=bool(digest[7] & 1),
        is_business_follow_user=bool(digest[7] & 2),
        is_verified_user=digest[8] % 20 == 0,
    )


def avatar_svg(kind: str, seed: str) -> str:
    """A small SVG avatar: a coloured circle with initials.

    `kind` is "customer" (seed: an IGSID) or "account" (seed: a username); the initials
    come from the matching profile so the picture agrees with the name shown next to it.
    """
    if kind == "customer":
        profile = customer_profile(seed)
        label = profile.name or profile.username
    else:
        label = business_account(seed).name
    initials = "".join(word[0] for word in label.replace(".", " ").split()[:2]).upper() or "?"
    # Only letters survive into the markup, so nothing needs escaping.
    initials = "".join(ch for ch in initials if ch.isalpha())[:2] or "?"
    colour = _AVATAR_COLOURS[_digest("avatar", kind, seed)[0] % len(_AVATAR_COLOURS)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150" viewBox="0 0 150 150">'
        f'<circle cx="75" cy="75" r="75" fill="{colour}"/>'
        '<text x="75" y="75" dy=".35em" text-anchor="middle" fill="#fff" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="60">{initials}</text></svg>'
    )
