"""A lead's value and currency as people and the API write them, and as they are stored.

Stored: whole hundredths (`leads.value_cents`), exact on every database and summed as integers by the
board and the reports. Written: a decimal string with at most two decimals ("1250", "1250.5",
"1250.50"; a decimal comma and thousands separators of either convention are read too, see
`_with_decimal_point`); the API answers with two decimals always ("1250.50"). Currencies are ISO 4217 codes."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.errors import ActionRefused

MAX_CENTS = 10**14 - 1  # 999,999,999,999.99: more than any deal, well inside BIGINT
_DECIMAL = re.compile(r"^\d{1,12}(?:\.\d{1,2})?$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")  # "12,50"
_COMMA_GROUPS = re.compile(r"^[1-9]\d{0,2}(?:,\d{3})+$")  # "1,250,000" (not "0,500": that is no thousand)
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# Offered first in the pickers; any three-letter ISO 4217 code is accepted.
COMMON_CURRENCIES = ("USD", "EUR", "GBP", "BRL", "MXN", "INR", "AUD", "CAD", "CHF", "JPY", "AED", "SGD",
                     "IDR", "TRY", "ZAR", "PLN", "SEK", "NGN")
LOST_REASONS = ("Price", "Chose a competitor", "No reply", "Not a fit", "Timing", "Other")


def parse_value(raw, field: str = "value") -> int | None:
    """A decimal string (or int) → hundredths; "" or None → None. ActionRefused names the field."""
    if raw is None:
        return None
    if isinstance(raw, bool) or isinstance(raw, float):
        raise ActionRefused(field, f"{field} must be a decimal string like \"1250.50\"")
    text = str(raw).strip() if isinstance(raw, (str, int)) else None
    if text is None:
        raise ActionRefused(field, f"{field} must be a decimal string like \"1250.50\"")
    if text == "":
        return None
    text = _with_decimal_point(text)
    if text is None or not _DECIMAL.match(text):
        raise ActionRefused(field, f"{field} must be a number of at most two decimals, like 1250.50 or 1250,50, "
                                   "not negative")
    try:
        cents = int((Decimal(text) * 100).to_integral_exact())
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ActionRefused(field, f"{field} is not a number") from None
    if cents > MAX_CENTS:
        raise ActionRefused(field, f"{field} is too large")
    return cents


def _with_decimal_point(text: str) -> str | None:
    """`text` with its thousands separators dropped and a decimal point, as people write amounts in
    either convention: "1,250.50" and "1.250,50" are both 1250.50, "12,50" (a phone's keypad in a
    comma-decimal locale) is 12.50, not 1250 as dropping every comma made it. "1,250" is read as
    thousands (an amount with three decimals is not a price). None when the separators make no
    sense ("12,5000", "1,25,0"): refused rather than guessed."""
    if "," in text and "." in text:
        point = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if point == "," else ","
        whole, _, fraction = text.rpartition(point)
        if not re.fullmatch(rf"0|[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})*", whole):
            return None
        return f"{whole.replace(group, '')}.{fraction}"
    if "," in text:
        if _DECIMAL_COMMA.match(text):
            return text.replace(",", ".")
        if _COMMA_GROUPS.match(text):
            return text.replace(",", "")
        return None
    return text


def format_value(cents: int | None) -> str | None:
    """Hundredths → "1250.50" (the API's form); None stays None."""
    if cents is None:
        return None
    return f"{cents // 100}.{cents % 100:02d}"


def display_value(cents: int | None, currency: str | None) -> str:
    """For pages: "1,250.50 EUR" ("" without a value)."""
    if cents is None:
        return ""
    whole = f"{cents // 100:,}"
    fraction = f".{cents % 100:02d}" if cents % 100 else ""
    return f"{whole}{fraction} {currency or ''}".strip()


def parse_currency(raw, field: str = "currency") -> str | None:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if not isinstance(raw, str) or not _CURRENCY.match(raw.strip().upper()):
        raise ActionRefused(field, f"{field} must be a three-letter ISO 4217 code, like EUR")
    return raw.strip().upper()
