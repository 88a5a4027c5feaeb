"""What a report covers: the period (whole days in the workspace's time zone), the account and
label filters, and whose conversations (admins: everyone's, agents: their own).

One parser for the page and the API, so a range the page refuses the API refuses for the same
reason (docs/architecture.md#reports)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from app.errors import ActionRefused
from app.extensions import db
from app.labels.catalog import label_name
from app.models import InstagramAccount, Label, User, Workspace, utcnow
from app.scoping import valid_id

DEFAULT_DAYS = 30
MAX_DAYS = 366


class ReportNotFound(LookupError):
    """The account asked for is not one of this workspace's (a 404, like any foreign id)."""


@dataclass(frozen=True)
class ReportScope:
    workspace_id: int
    timezone: str  # the workspace's IANA zone: days start at its midnight
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    account_id: int | None = None
    label: str | None = None  # a label's name as the URL has it
    label_id: int | None = None  # None: no label filter; 0: a name no label has (matches nothing)
    agent_id: int | None = None  # set for agents: only conversations assigned to them

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def midnight(self, day: date) -> datetime:
        """The UTC instant at which `day` begins in the workspace's zone."""
        return datetime.combine(day, time(0), self.zone).astimezone(timezone.utc)

    @property
    def start_utc(self) -> datetime:
        return self.midnight(self.start)

    @property
    def end_utc(self) -> datetime:  # exclusive
        return self.midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def quick_ranges(self) -> list[tuple[str, dict[str, str], bool]]:
        """The page's one-tap periods, in the workspace's days: (label, the URL's parameters with
        the other filters kept, whether it is the period shown)."""
        today = _today(self.timezone)
        month = today.replace(day=1)
        last_month_end = month - timedelta(days=1)
        ranges = (("Today", today, today), ("Last 7 days", today - timedelta(days=6), today),
                  ("Last 30 days", today - timedelta(days=DEFAULT_DAYS - 1), today), ("This month", month, today),
                  ("Last month", last_month_end.replace(day=1), last_month_end))
        return [(label, {**self.params(), "from": start.isoformat(), "to": end.isoformat()},
                 (start, end) == (self.start, self.end)) for label, start, end in ranges]

    def params(self) -> dict[str, str]:
        """The filters as query parameters (the page's URL, the CSV links)."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.account_id:
            params["account_id"] = str(self.account_id)
        if self.label:
            params["label"] = self.label
        return params


def workspace_zone(workspace: Workspace) -> str:
    try:
        ZoneInfo(workspace.timezone or "UTC")
        return workspace.timezone or "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def _day(args: Mapping, field: str) -> date | None:
    raw = (args.get(field) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad(field)
    except ValueError:
        _bad(field)


# How a message names a date: for the page's reader, and the API's parameter beside it.
_DATE_NAMES = {"from": "The start date (from)", "to": "The end date (to)"}


def _bad(field: str):
    raise ActionRefused(field, f"{_DATE_NAMES.get(field, field)} must be a date written YYYY-MM-DD, e.g. 2030-01-31.")


def _today(zone: str) -> date:
    """Today in the workspace's zone: a report's days start at its midnight."""
    return utcnow().astimezone(ZoneInfo(zone)).date()


def parse_scope(args: Mapping, viewer: User) -> ReportScope:
    """The report `viewer` asked for. ActionRefused (a 422 naming the field) for a malformed
    date, from after to, or more than MAX_DAYS days; ReportNotFound for another workspace's
    account. Missing dates: the last DEFAULT_DAYS days up to today in the workspace's zone."""
    workspace = db.session.get(Workspace, viewer.workspace_id)
    zone = workspace_zone(workspace)
    start, end = _day(args, "from"), _day(args, "to")
    today = _today(zone)
    if end is None:
        end = today if start is None else min(start + timedelta(days=DEFAULT_DAYS - 1), max(start, today))
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ActionRefused("from", "The start date (from) must be on or before the end date (to).")
    if (end - start).days + 1 > MAX_DAYS:
        raise ActionRefused("to", f"A report covers at most {MAX_DAYS} days; choose a shorter range.")

    account_id = None
    raw_account = (args.get("account_id") or "").strip()
    if raw_account:
        account_id = valid_id(raw_account)
        owner = db.session.scalar(select(InstagramAccount.workspace_id).where(InstagramAccount.id == account_id)) \
            if account_id else None
        if owner != viewer.workspace_id:
            raise ReportNotFound(raw_account)

    label, label_id = None, None
    raw_label = (args.get("label") or "").strip()
    if raw_label:
        label = label_name(raw_label)
        label_id = db.session.scalar(select(Label.id).where(Label.workspace_id == viewer.workspace_id,
                                                           Label.name == label)) if label else None
        label, label_id = label or raw_label[:40], label_id or 0

    return ReportScope(workspace_id=viewer.workspace_id, timezone=zone, start=start, end=end, account_id=account_id,
                       label=label, label_id=label_id, agent_id=None if viewer.is_admin else viewer.id)
