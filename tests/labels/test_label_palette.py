"""Every label colour can be read: the chip's text on each palette background meets WCAG AA for
normal text (4.5:1), computed from the stylesheet the browser gets, which must hold exactly the
palette's colours."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.labels.palette import AA_NORMAL_TEXT, DEFAULT, PALETTE, TEXT, colour_of, contrast_ratio, label_class, next_colour

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "labels.css"


def _rules() -> dict[str, tuple[str, str]]:
    found = {}
    for selector, body in re.findall(r"\.(label--[a-z]+|labelchip--more)\s*\{([^}]*)\}", CSS.read_text()):
        background = re.search(r"background:\s*(#[0-9a-f]{6})", body)
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", body)
        found[selector] = (background.group(1), colour.group(1))
    return found


def test_the_stylesheet_holds_the_palette_and_nothing_else():
    rules = _rules()
    assert {k for k in rules if k.startswith("label--")} == {f"label--{c.key}" for c in PALETTE}
    for colour in PALETTE:
        assert rules[f"label--{colour.key}"] == (colour.background, TEXT)


@pytest.mark.parametrize("selector", [f"label--{c.key}" for c in PALETTE] + ["labelchip--more"])
def test_chip_text_meets_wcag_aa(selector):
    background, text = _rules()[selector]
    assert contrast_ratio(background, text) >= AA_NORMAL_TEXT, (selector, round(contrast_ratio(background, text), 2))


def test_about_ten_distinct_colours_with_the_schema_default_first():
    assert 8 <= len(PALETTE) <= 12
    assert len({c.background for c in PALETTE}) == len(PALETTE)
    assert DEFAULT.background == "#6b7280"  # Label.color's default in the schema


def test_a_stored_colour_outside_the_palette_shows_as_the_default():
    class Row:
        color = "#123456"

    assert colour_of("#B91C1C").key == "red"
    assert label_class(Row()) == "label--gray"


def test_new_labels_spread_over_the_palette():
    assert next_colour([]) == PALETTE[0]
    assert next_colour([PALETTE[0].background]) == PALETTE[1]
    used = [c.background for c in PALETTE]
    assert next_colour(used) == PALETTE[0]


def test_contrast_ratio_known_values():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert contrast_ratio("#777777", "#777777") == 1.0
