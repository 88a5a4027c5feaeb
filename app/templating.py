"""Jinja filters and globals shared by every page."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_login import current_user
from markupsafe import Markup


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """"now", "5m", "3h", "Tue", "12 Mar" — the compact form inbox lists use."""
    if value is None:
        return ""
    now = now or datetime.now(timezone.utc)
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 6 * 86400:
        return value.strftime("%a")
    if value.year == now.year:
        return value.strftime("%-d %b")
    return value.strftime("%-d %b %Y")


def initials(name: str | None) -> str:
    words = [w for w in (name or "").replace("@", " ").replace("_", " ").replace(".", " ").split() if w]
    if not words:
        return "?"
    return (words[0][0] + (words[1][0] if len(words) > 1 else "")).upper()


def iso(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else ""


def avatar_hue(seed: str | int | None) -> int:
    """A stable colour per contact so initials avatars are told apart at a glance."""
    return sum(str(seed or "").encode()) * 37 % 360


def safe_url(url: str | None) -> str | None:
    """Instagram text is untrusted: only http(s) links ever reach an href or src."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def workspace_unread_total() -> int:
    from app.inbox.queries import unread_total

    if not current_user or not current_user.is_authenticated:
        return 0
    return unread_total(current_user.workspace_id)


def register(app) -> None:
    from app.inbox.queries import badge_count

    app.jinja_env.filters["reltime"] = relative_time
    app.jinja_env.filters["initials"] = initials
    app.jinja_env.filters["iso"] = iso
    app.jinja_env.filters["hue"] = avatar_hue
    app.jinja_env.filters["safe_url"] = safe_url
    app.jinja_env.globals["unread_total"] = workspace_unread_total
    app.jinja_env.filters["badge_count"] = badge_count
    app.jinja_env.globals["Markup"] = Markup
    from app.mail import mail_enabled

    app.jinja_env.globals["mail_enabled"] = mail_enabled
