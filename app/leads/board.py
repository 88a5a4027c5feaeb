"""The pipeline board: a column per lead status, read so each column stays an index range scan.

A column is the newest N leads of one status by when they entered it, keyset-paginated on
(stage_changed_at, id) descending — the `ix_leads_board` index (workspace_id, status,
stage_changed_at, id) — so the first page and every "Show more" cost the same at 1k or 100k
leads, and a lead moved in between is neither skipped nor shown twice. A column's head carries
its count and its total value per currency: one grouped query for the five columns.

Filters come from the URL like the inbox's and the leads page's (`/leads/board?owner=me&source=ad
&account=3&label=vip`), so a reload, a shared link and the List/Board toggle keep them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, literal, tuple_
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.leads.queries import labelled, owned_from
from app.leads.values import display_value
from app.models import LEAD_STATUSES, Contact, InstagramAccount, Lead, utcnow
from app.pagination import decode_cursor, encode_cursor
from app.scoping import scoped
from app.url_filters import id_arg, label_arg, owner_arg

COLUMN_SIZE = 50  # cards per column and per "Show more"


@dataclass(frozen=True)
class BoardFilters:
    owner: str | None = None      # "me" (the "Mine" toggle), "none", or a user id as a string
    source: str | None = None
    account_id: int | None = None
    label: str | None = None      # a label's name, normalised as app.labels.catalog does
    notices: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args) -> BoardFilters:
        """Read from the query string; what cannot be understood is dropped with a notice, so a
        stale bookmark still opens the board."""
        notices: list[str] = []
        owner = owner_arg(args, notices)
        source = (args.get("source") or "").strip()[:20] or None
        account_id = id_arg(args, "account", "account", notices)
        label = label_arg(args, notices)
        return cls(owner=owner, source=source, account_id=account_id, label=label, notices=tuple(notices))

    def params(self, **overrides) -> dict[str, str]:
        """Only the filters in use, as the URL spells them."""
        values = {"owner": self.owner, "source": self.source,
                  "account": str(self.account_id) if self.account_id else None, "label": self.label, **overrides}
        return {k: v for k, v in values.items() if v}

    def list_params(self) -> dict[str, str]:
        """What the leads page (the List side of the toggle) understands of these."""
        return {k: v for k, v in (("owner", self.owner), ("source", self.source), ("label", self.label)) if v}


def _filtered(filters: BoardFilters, user):
    query = labelled(owned_from(scoped(Lead), filters.owner, filters.source, user), filters.label, user.workspace_id)
    if filters.account_id:
        # A lead's account is its contact's (IGSIDs, hence contacts, are per account).
        query = query.where(exists().where(Contact.id == Lead.contact_id, Contact.account_id == filters.account_id))
    return query


def _card_loads():
    """What a card shows, loaded with the leads (templates/leads/_board_card.html)."""
    return (joinedload(Lead.contact).joinedload(Contact.account), joinedload(Lead.owner), joinedload(Lead.conversation))


def column_query(filters: BoardFilters, user, status: str, cursor: str | None = None, limit: int = COLUMN_SIZE + 1):
    """The SELECT of one column's page (bench/bench_board.py checks its plan): newest move first,
    keyset (stage_changed_at, id) below the cursor, with what a card shows joined in."""
    if status not in LEAD_STATUSES:
        raise ValueError(f"status must be one of {', '.join(LEAD_STATUSES)}")
    query = _filtered(filters, user).where(Lead.status == status).options(*_card_loads())
    if cursor:
        stamp, last_id = decode_cursor(cursor)  # BadCursor for anything we did not make
        # A row-value comparison: PostgreSQL seeks ix_leads_board to it, however deep the page.
        # The moment is bound with the column's type, so SQLite compares it in the stored form.
        query = query.where(tuple_(Lead.stage_changed_at, Lead.id)
                            < tuple_(literal(stamp, Lead.stage_changed_at.type), literal(last_id, Lead.id.type)))
    return query.order_by(Lead.stage_changed_at.desc(), Lead.id.desc()).limit(limit)


def cards_by_id(filters: BoardFilters, user, ids: list[int]) -> list[Lead]:
    """Those of these leads that the filters keep, with what a card shows (the live poll's changed
    cards, app.leads.board_live)."""
    if not ids:
        return []
    return list(db.session.scalars(_filtered(filters, user).where(Lead.id.in_(ids)).options(*_card_loads())).unique())


def column_page(filters: BoardFilters, user, status: str, cursor: str | None = None,
                limit: int | None = None) -> tuple[list[Lead], str | None]:
    """One page of a column (COLUMN_SIZE cards unless `limit`) and the cursor of the next (None:
    the column ends here)."""
    limit = limit or COLUMN_SIZE
    rows = list(db.session.scalars(column_query(filters, user, status, cursor, limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].stage_changed_at, rows[-1].id)
    return rows, next_cursor


@dataclass
class ColumnTotal:
    """A column's head: how many leads, and their value per currency (leads without a value add
    to the count only)."""

    count: int = 0
    cents: dict[str, int] = field(default_factory=dict)

    def main_value(self, currency: str) -> str:
        """The bold figure: the total in the workspace's currency, "0 EUR" when the column has no
        value at all, and the largest other currency's when only others have one (a bold
        "0 EUR + 1,400 GBP" read as a column worth nothing)."""
        code, cents = self._ordered(currency)[0]
        return display_value(cents, code)

    def other_values(self, currency: str) -> list[str]:
        """The other currencies' totals, largest first, noted beside the main one: never added to
        it (no exchange rates here)."""
        return [display_value(cents, code) for code, cents in self._ordered(currency)[1:]]

    def _ordered(self, currency: str) -> list[tuple[str, int]]:
        others = sorted(((c, v) for c, v in self.cents.items() if c != currency and v), key=lambda cv: (-cv[1], cv[0]))
        if self.cents.get(currency) or not others:
            return [(currency, self.cents.get(currency, 0)), *others]
        return others


def totals_query(filters: BoardFilters, user):
    """Count and value sum per (status, currency) under the filters (bench/bench_board.py checks its plan)."""
    return (_filtered(filters, user)
            .with_only_columns(Lead.status, Lead.currency, func.count(), func.sum(Lead.value_cents))
            .group_by(Lead.status, Lead.currency))


def column_totals(filters: BoardFilters, user, workspace_currency: str) -> dict[str, ColumnTotal]:
    """Every column's head, in one query. A value saved without a currency is in the workspace's
    (app.leads.actions gives a value one; this only covers rows written before that rule)."""
    totals = {status: ColumnTotal() for status in LEAD_STATUSES}
    for status, currency, count, cents in db.session.execute(totals_query(filters, user)):
        column = totals[status]
        column.count += count
        if cents:
            key = currency or workspace_currency
            column.cents[key] = column.cents.get(key, 0) + int(cents)
    return totals


def days_in_stage(lead: Lead, now: datetime | None = None) -> int | None:
    """Whole days since the lead's status last changed (None when unknown)."""
    if lead.stage_changed_at is None:
        return None
    return max(0, ((now or utcnow()) - lead.stage_changed_at).days)


def stage_age(lead: Lead, now: datetime | None = None) -> str:
    """ "Today", "1 day", "12 days": how long the card has sat in its column."""
    days = days_in_stage(lead, now)
    if days is None:
        return ""
    if days == 0:
        return "Today"
    return "1 day" if days == 1 else f"{days} days"


def workspace_accounts(user) -> list[InstagramAccount]:
    """The accounts the board's Account filter offers."""
    return list(db.session.scalars(scoped(InstagramAccount).order_by(InstagramAccount.username)))
