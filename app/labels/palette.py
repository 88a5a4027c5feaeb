"""The colours a label may have: a fixed palette, each colour a background that the chip's white
text can be read on (WCAG AA, at least 4.5:1 for the chips' small bold text).

A label stores its colour as `#rrggbb` (Label.color); the chip gets the colour's CSS class
(`label--<key>` in static/css/labels.css), never an inline style, which the CSP forbids.
tests/labels/test_label_palette.py checks the ratios from the stylesheet's own values, so the two
cannot drift apart."""
from __future__ import annotations

from dataclasses import dataclass

TEXT = "#ffffff"  # every chip's text
AA_NORMAL_TEXT = 4.5


@dataclass(frozen=True)
class Colour:
    key: str         # the CSS class suffix and what forms send
    name: str        # what a person reads in the picker
    background: str  # #rrggbb, as Label.color stores it


PALETTE: tuple[Colour, ...] = (
    Colour("gray", "Grey", "#6b7280"),
    Colour("red", "Red", "#b91c1c"),
    Colour("orange", "Orange", "#c2410c"),
    Colour("amber", "Amber", "#a15c07"),
    Colour("green", "Green", "#15803d"),
    Colour("teal", "Teal", "#0f766e"),
    Colour("blue", "Blue", "#1d4ed8"),
    Colour("indigo", "Indigo", "#4338ca"),
    Colour("purple", "Purple", "#7e22ce"),
    Colour("pink", "Pink", "#be185d"),
)
DEFAULT = PALETTE[0]  # the schema's default colour, #6b7280
BY_KEY = {colour.key: colour for colour in PALETTE}
BY_BACKGROUND = {colour.background: colour for colour in PALETTE}


def colour_of(stored: str | None) -> Colour:
    """The palette colour a label's stored `#rrggbb` is; anything else (a value written outside
    the app) shows as the default rather than as an unreadable chip."""
    return BY_BACKGROUND.get((stored or "").lower(), DEFAULT)


def label_class(label) -> str:
    """The chip's CSS class for a Label (or anything with a `color`)."""
    return f"label--{colour_of(getattr(label, 'color', None)).key}"


def next_colour(used: list[str]) -> Colour:
    """A colour for a new label nobody chose one for: the palette's least used, in order, so
    labels made from the thread header are told apart without anyone picking."""
    counts = {colour.key: 0 for colour in PALETTE}
    for stored in used:
        counts[colour_of(stored).key] += 1
    return min(PALETTE, key=lambda colour: counts[colour.key])


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of `#rrggbb`."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
