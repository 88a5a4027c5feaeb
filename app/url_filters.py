"""Filters read from a page's query string (the inbox, the leads page, the board).

The rule for all of them: what cannot be understood is dropped with a notice the page shows, so a
stale bookmark or a hand-edited link still opens the page instead of failing."""
from __future__ import annotations

from app.scoping import valid_id


def choice_arg(args, name: str, allowed, notices: list[str], default=None, what: str | None = None):
    """One of `allowed` (`?status=open`); absent gives `default`, anything else the default with
    "Unknown <what> …"."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if raw not in allowed:
        notices.append(f"Unknown {what or name} “{raw[:40]}” was ignored.")
        return default
    return raw


def id_arg(args, name: str, what: str, notices: list[str]) -> int | None:
    """A row id (`?account=3`); anything else is ignored with "Unknown <what> …"."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = valid_id(raw)
    if value is None:
        notices.append(f"Unknown {what} “{raw[:40]}” was ignored.")
    return value


def label_arg(args, notices: list[str]) -> str | None:
    """A label's name, normalised as app.labels.catalog does."""
    # Imported here: app.labels' package imports its routes, which import the inbox's filters.
    from app.labels.catalog import label_name

    raw = (args.get("label") or "").strip()
    if not raw:
        return None
    label = label_name(raw)
    if label is None:
        notices.append(f"Unknown label “{raw[:40]}” was ignored.")
    return label


def owner_arg(args, notices: list[str]) -> str | None:
    """A lead owner: "me", "none" (no owner) or a user id, kept as the URL spells it."""
    owner = (args.get("owner") or "").strip() or None
    if owner is not None and owner not in ("me", "none") and valid_id(owner) is None:
        notices.append(f"Unknown owner “{owner[:40]}” was ignored.")
        return None
    return owner
