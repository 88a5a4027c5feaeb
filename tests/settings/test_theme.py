"""Dark mode: the profile's theme (system, light or dark, in User.theme) drawn by the server on
<html data-theme> with a matching <meta name="color-scheme">, and both palettes of static/css/app.css
meeting WCAG AA contrast for the text they carry (computed from the CSS variables)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.extensions import db
from app.models import User

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


# -- The profile's switch and the page it draws ---------------------------------------------------

def theme_of(html: str) -> tuple[str, str]:
    html_tag = re.search(r"<html[^>]*\bdata-theme=\"([^\"]+)\"", html)
    meta = re.search(r'<meta name="color-scheme" content="([^"]+)">', html)
    assert html_tag and meta, "no theme on the page"
    return html_tag.group(1), meta.group(1)


def test_the_profile_offers_the_three_themes_system_first(client, auth, factory):
    user = auth.login(factory.user(name="Maya"))
    assert user.theme == "system"
    html = client.get("/settings/profile").get_data(as_text=True)
    for value in ("system", "light", "dark"):
        assert f'id="theme-{value}" name="theme" value="{value}"' in html
    assert re.search(r'value="system" checked', html)
    assert theme_of(html) == ("system", "light dark")


@pytest.mark.parametrize("theme, scheme", [("dark", "dark"), ("light", "light"), ("system", "light dark")])
def test_a_saved_theme_is_on_every_page_from_the_server(client, auth, factory, theme, scheme):
    user = auth.login(factory.user(name="Maya"))
    response = auth.post("/settings/profile", {"name": "Maya", "timezone": "", "avatar_hue": "", "theme": theme})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).theme == theme
    for path in ("/settings/profile", "/", "/leads", "/accounts", "/settings"):
        assert theme_of(client.get(path).get_data(as_text=True)) == (theme, scheme), path
    assert f'value="{theme}" checked' in client.get("/settings/profile").get_data(as_text=True)


def test_an_unknown_theme_is_refused_and_nothing_changes(client, auth, factory):
    user = auth.login(factory.user(name="Maya"))
    response = auth.post("/settings/profile", {"name": "Someone else", "theme": "neon"})
    assert response.status_code == 422
    assert "Choose system, light or dark." in response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.theme, saved.name) == ("system", "Maya")


def test_a_form_without_the_field_keeps_the_theme(client, auth, factory):
    user = factory.user(name="Maya")
    user.theme = "dark"
    db.session.commit()
    auth.login(user)
    assert auth.post("/settings/profile", {"name": "Maya R."}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).theme == "dark"


def test_signed_out_pages_follow_the_device(client, factory):
    assert theme_of(client.get("/login").get_data(as_text=True)) == ("system", "light dark")


def test_one_persons_theme_is_not_anothers(client, auth, factory):
    ws = factory.workspace("Shop")
    dark = factory.user(ws, email="dark@shop.test")
    dark.theme = "dark"
    light = factory.user(ws, email="light@shop.test")
    db.session.commit()
    auth.login(light)
    assert theme_of(client.get("/").get_data(as_text=True))[0] == "system"


# -- The palettes ---------------------------------------------------------------------------------

def _block(css: str, selector: str, after: int = 0) -> tuple[dict[str, str], int]:
    start = css.index(selector + " {", after)
    body = css[start + len(selector) + 2:css.index("}", start)]
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", body)), start


def palettes() -> dict[str, dict[str, str]]:
    css = CSS.read_text(encoding="utf-8")
    light, _ = _block(css, ":root")
    dark, _ = _block(css, '[data-theme="dark"]')
    media = css.index("@media (prefers-color-scheme: dark)")
    system_dark, _ = _block(css, '[data-theme="system"]', media)
    return {"light": light, "dark": {**light, **dark}, "system-dark": {**light, **system_dark}}


def _rgb(value: str) -> tuple[float, float, float]:
    value = value.strip()
    assert re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", value), f"not a hex colour: {value}"
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(value: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(value))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# (text, background): the variables as the stylesheet pairs them. "#fff" is a literal white.
TEXT_PAIRS = [
    ("text", "bg"), ("text", "surface"), ("text", "surface-2"), ("text", "field"), ("text", "in"),
    ("text", "primary-soft"), ("text", "chip"), ("text", "note-field"),
    ("muted", "bg"), ("muted", "surface"), ("muted", "surface-2"), ("muted", "field"), ("muted", "primary-soft"),
    ("muted", "chip"), ("muted", "in"),
    ("primary", "bg"), ("primary", "surface"), ("primary", "surface-2"), ("primary", "primary-soft"),
    ("primary-text", "primary"), ("primary-text", "primary-hover"),
    ("danger", "surface"), ("danger", "danger-soft"), ("danger-strong", "danger-soft"), ("danger-strong", "surface"),
    ("success", "surface"), ("success", "success-soft"), ("success-strong", "success-soft"),
    ("warning", "surface"), ("warning", "warning-soft"), ("warning-strong", "warning-soft"),
    ("note-text", "note"), ("out-text", "out"), ("out-meta", "out"),
    ("chip-text", "chip"), ("chip-text", "surface"), ("chip-text", "note-composer"),
    ("snoozed", "snoozed-soft"), ("unread", "surface"), ("unread", "primary-soft"), ("#fff", "badge"),
]
# Large text (2.5rem): 3:1.
LARGE_PAIRS = [("faint", "surface"), ("faint", "bg")]


def _colour(palette: dict[str, str], name: str) -> str:
    return name if name.startswith("#") else palette[f"--{name}"]


@pytest.mark.parametrize("name", ["light", "dark"])
def test_every_main_text_colour_meets_wcag_aa_on_its_background(name):
    palette = palettes()[name]
    failures = []
    for pairs, minimum in ((TEXT_PAIRS, 4.5), (LARGE_PAIRS, 3.0)):
        for fg, bg in pairs:
            ratio = contrast(_colour(palette, fg), _colour(palette, bg))
            if ratio < minimum:
                failures.append(f"{fg} on {bg}: {ratio:.2f} < {minimum}")
    assert not failures, f"{name} palette:\n" + "\n".join(failures)


def test_the_device_dark_palette_is_the_chosen_dark_palette():
    found = palettes()
    assert found["system-dark"] == found["dark"]
    assert found["dark"] != found["light"]


def test_dark_redefines_every_colour_that_is_text_or_a_background():
    light, dark = palettes()["light"], _block(CSS.read_text(encoding="utf-8"), '[data-theme="dark"]')[0]
    names = {n for pair in TEXT_PAIRS + LARGE_PAIRS for n in pair if not n.startswith("#")}
    # These stay the same on purpose: our bubbles are the brand's blue with white text, and the
    # unread badge is white on orange, in both.
    same = {"out", "out-text", "out-meta", "badge"}
    missing = sorted(n for n in names - same if f"--{n}" not in dark)
    assert not missing, f"not in the dark palette: {missing}"
    assert all(f"--{n}" in light for n in names)


def test_the_contrast_arithmetic():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)
