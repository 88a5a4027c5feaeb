"""The manager's figures, defined once for the /reports page, its CSV files and the report API.

Every figure is an SQL aggregate over the live rows (messages, conversations, leads and their
stage history): nothing is copied overnight, so nothing can drift. The definitions, in words, are
in docs/architecture.md#reports; in short:

- *conversations*: conversations created in the period;
- *inbound*: messages the customer wrote (an ad's referral line is context, not a message);
- *outbound*: messages a person of the team sent, as app.messages.waiting counts an answer (the
  inbox, the API, or the Instagram app; not the automation), except failed sends, which never
  reached the customer;
- *first response*: for each conversation of the period, from its first customer message to the
  first person's message after it; median and 90th percentile of the answered ones, also counting
  only business hours;
- *replied within the window*: the share of those conversations whose first customer message got a
  person's message within Meta's 24 h window;
- *resolution*: from the first customer message to the last message, for the period's conversations
  that are resolved now (no resolved-at time is stored; see the docs);
- *per agent*: conversations of the period assigned to them, their outbound messages in the
  period, the median first response of their conversations;
- *leads by source*: leads created in the period, how many reached contacted, qualified and won
  (at any time, from lead_stage_changes or their status now), and the won leads' value in the
  workspace's currency;
- *why deals were lost*: leads moved to lost in the period and still lost, by the reason picked
  (app.leads.values.LOST_REASONS; a reason only typed counts as "Other"), with their value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, and_, case, exists, func, literal, or_, select, text
from sqlalchemy.sql import ColumnElement

from app.automation.settings import workspace_settings
from app.extensions import db
from app.messages.first_times import customer_message, person_reply, sql_constant
from app.models import (
    Contact,
    Conversation,
    ConversationLabel,
    InstagramAccount,
    Lead,
    LeadStageChange,
    Message,
    User,
    Workspace,
)
from app.leads.values import LOST_REASONS
from app.reports.scope import ReportScope
from app.reports.sql import (
    day_number,
    rows_table,
    dialect,
    epoch,
    greatest,
    least,
    local_day,
    percentile,
    percentiles,
    seconds_between,
)

WINDOW_SECONDS = 24 * 60 * 60  # Meta's standard messaging window
FUNNEL = ("contacted", "qualified", "won")  # the pipeline's forward steps, in order
# Business-hours time is counted from a week before the period to 31 days after it: a first
# answer later than that gains no more open hours (the schedule is expanded into that many rows).
HOURS_BEFORE, HOURS_AFTER = timedelta(days=7), timedelta(days=31)


@dataclass
class Day:
    day: date
    conversations: int = 0
    inbound: int = 0
    outbound: int = 0


@dataclass
class AgentRow:
    user_id: int
    name: str
    active: bool
    conversations: int = 0
    replies: int = 0
    first_response_median_s: float | None = None


@dataclass
class SourceRow:
    source: str
    leads: int = 0
    contacted: int = 0
    qualified: int = 0
    won: int = 0
    won_value_cents: int = 0  # in the workspace's currency
    other_currencies: int = 0  # won leads valued in another currency (not in the sum)


@dataclass
class LostRow:
    reason: str  # one of app.leads.values.LOST_REASONS
    leads: int = 0
    value_cents: int = 0  # in the workspace's currency
    other_currencies: int = 0  # lost leads valued in another currency (not in the sum)


@dataclass
class Report:
    scope: ReportScope
    currency: str
    business_hours: dict | None  # None: the schedule has no opening at all, so every hour counts
    hours_timezone: str | None
    hours_saved: bool  # False: automation's default schedule, no admin saved one yet
    days: list[Day] = field(default_factory=list)
    conversations: int = 0
    inbound: int = 0
    outbound: int = 0
    # ... of which sent from the Instagram app itself (no person of ours named): beside the agents'
    # rows, so that theirs and these add up to `outbound`.
    outbound_from_app: int = 0
    with_customer_message: int = 0  # conversations of the period the customer wrote in
    answered: int = 0  # ... that a person answered
    first_response_median_s: float | None = None
    first_response_p90_s: float | None = None
    business_first_response_median_s: float | None = None
    business_first_response_p90_s: float | None = None
    replied_within_window: int = 0
    resolved: int = 0
    resolution_median_s: float | None = None
    agents: list[AgentRow] = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)
    lost: list[LostRow] = field(default_factory=list)

    @property
    def replied_within_window_rate(self) -> float | None:
        if not self.with_customer_message:
            return None
        return round(self.replied_within_window / self.with_customer_message, 4)


# -- Which rows a report reads ----------------------------------------------------------------

def conversation_filter(scope: ReportScope, c=Conversation) -> ColumnElement:
    clauses = [c.workspace_id == scope.workspace_id]
    if scope.account_id:
        clauses.append(c.account_id == scope.account_id)
    if scope.label_id is not None:
        clauses.append(exists().where(ConversationLabel.conversation_id == c.id,
                                      ConversationLabel.label_id == scope.label_id))
    if scope.agent_id:
        clauses.append(c.assignee_id == scope.agent_id)
    return and_(*clauses)


def _in_period(column_, scope: ReportScope) -> ColumnElement:
    return and_(column_ >= scope.start_utc, column_ < scope.end_utc)


def _report_days(scope: ReportScope):
    """The period's local days as rows (n, starts, ends): n counts from 0 in scope.days, the bounds
    are UTC instants placed by zoneinfo (a daylight-saving day is 23 or 25 hours long)."""
    rows = [(n, scope.midnight(day), scope.midnight(day + timedelta(days=1))) for n, day in enumerate(scope.days)]
    at = Message.created_at.type
    return rows_table("report_days", [("n", Integer), ("starts", at), ("ends", at)], rows)


def _narrowed(scope: ReportScope) -> bool:
    return scope.label_id is not None or bool(scope.agent_id)


def _count_by_day(scope: ReportScope, at: ColumnElement, rows, where: ColumnElement, *columns) -> dict[tuple, int]:
    """{(day number in scope.days, *columns): count} of `rows` (a table or join) matching `where`,
    by the local day of `at`.

    The whole team's report joins the period's days, as UTC bounds, to the rows
    (`starts <= at < ends`): each day is one range of an index on time, nothing is computed per row
    to find its day. Narrowed to a label or an agent, the rows come the other way round (the
    conversations first, then their messages), where a range join would test every row against
    every day: there each row's 15-minute UTC slot is grouped on and given its day in Python
    (app.reports.sql.local_day)."""
    found: dict[tuple, int] = {}
    if not _narrowed(scope):
        days = _report_days(scope)
        query = select(days.c.n, *columns, func.count()).select_from(days) \
            .join(rows, and_(at >= days.c.starts, at < days.c.ends, where)).group_by(days.c.n, *columns)
        for row in db.session.execute(query):
            found[tuple(row[:-1])] = row[-1]
        return found
    slot, to_date = local_day(at, scope.timezone)
    number = {day: n for n, day in enumerate(scope.days)}
    query = select(slot, *columns, func.count()).select_from(rows).where(where, _in_period(at, scope)) \
        .group_by(slot, *columns)
    for row in db.session.execute(query):
        key = (number[to_date(row[0])], *row[1:-1])
        found[key] = found.get(key, 0) + row[-1]
    return found


def _messages_by_day(scope: ReportScope, predicate: ColumnElement, *columns) -> dict[tuple, int]:
    """{(day number, *columns): count} of the period's messages matching `predicate` in the report's
    conversations. The workspace is reached through the messages' accounts, passed as values (their
    ids, one small query), so that each day is one range of the partial index on (account, time)
    whose predicate `predicate` is (ix_messages_reports_customer, ix_messages_reports_answers); the
    conversation is joined only when a label or the agent narrows it down."""
    accounts = select(InstagramAccount.id).where(InstagramAccount.workspace_id == scope.workspace_id)
    if scope.account_id:
        accounts = accounts.where(InstagramAccount.id == scope.account_id)
    ids = list(db.session.scalars(accounts)) or [0]
    rows, where = Message, and_(Message.account_id.in_(ids), predicate)
    if _narrowed(scope):
        rows = Message.__table__.join(Conversation, Conversation.id == Message.conversation_id)
        where = and_(where, conversation_filter(scope))
    return _count_by_day(scope, Message.created_at, rows, where, *columns)


def _cohort(scope: ReportScope):
    """The period's conversations with their first customer message and first person's answer, as
    stored on each (app.messages.first_times: kept by every writer in the message's transaction)."""
    c = Conversation
    pairs = select(c.id.label("id"), c.assignee_id.label("assignee_id"), c.status.label("status"),
                   c.last_message_at.label("last_at"), c.first_customer_at.label("first_in"),
                   c.first_answer_at.label("first_reply")) \
        .where(conversation_filter(scope), _in_period(c.created_at, scope)).cte("report_cohort")
    # Not MATERIALIZED any more: with no subquery per row left, PostgreSQL reads the rows straight
    # into the joins and the rollup, about a quarter faster than through a stored CTE at 100k.
    return pairs


# -- Business hours ---------------------------------------------------------------------------

def business_schedule(workspace_id: int) -> tuple[dict | None, str | None, bool]:
    """(schedule, time zone, saved) of the business hours automation works by
    (app.automation.settings.workspace_settings: the saved schedule or, until an admin saves one,
    the defaults the settings page shows, Monday to Friday 9 to 5 in the workspace's zone), so
    the report and the away reply agree on when the shop is open. (None, None, saved) for a
    schedule with no opening at all, where "business hours" would mean nothing: every hour counts."""
    settings = workspace_settings(workspace_id)
    saved = settings in db.session
    if not any((settings.business_hours or {}).get(str(d)) for d in range(7)):
        return None, None, saved
    return settings.business_hours, settings.timezone, saved


def open_intervals(hours: dict, zone: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The schedule's opening intervals between `start` and `end`, as UTC instants: each local
    day's HH:MM boundaries placed in the zone by zoneinfo (so a daylight-saving day is 23 or 25 h)."""
    tz = ZoneInfo(zone)
    found = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for opens, closes in hours.get(str(day.weekday()), []):
            a, b = _local(day, _clock(opens), tz), _local(day, _clock(closes), tz)
            a, b = max(a, start), min(b, end)
            if a < b:
                found.append((a, b))
        day += timedelta(days=1)
    return found


def _clock(value: str) -> int:
    # Saved schedules are normalised HH:MM (app.automation.hours.parse_day), 24:00 the latest.
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _local(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    if minutes >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(timezone.utc)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tz).astimezone(timezone.utc)


def open_hours_table(hours: dict, zone: str, start: datetime, end: datetime) -> tuple[int, list[tuple]]:
    """The schedule between `start` and `end` as one row per UTC day: (day number, open seconds
    of the window before that day, then `width` pairs of (opens, closes) in epoch seconds: the
    day's opening intervals cut at UTC midnight, padded with empty ones). Returns (width, rows)."""
    first, last = int(start.timestamp() // 86400), int(end.timestamp() // 86400)
    per_day: dict[int, list[tuple[float, float]]] = {day: [] for day in range(first, last + 1)}
    for opens, closes in open_intervals(hours, zone, start, end):
        a, b = opens.timestamp(), closes.timestamp()
        while a < b:
            cut = min(b, (a // 86400 + 1) * 86400)
            per_day[int(a // 86400)].append((a, cut))
            a = cut
    width = max(1, max(len(pieces) for pieces in per_day.values()))
    rows, before = [], 0.0
    for day, pieces in per_day.items():
        padded = pieces + [(day * 86400.0, day * 86400.0)] * (width - len(pieces))
        rows.append((day, before, *[t for piece in padded for t in piece]))
        before += sum(b - a for a, b in pieces)
    return width, rows


def _business_seconds(pairs, scope: ReportScope, hours: dict, zone: str):
    """(`pairs` joined to the schedule, the open-hours seconds between first message and first
    answer: NULL while unanswered).

    With F(t) = the open seconds of the window before t, the answer is F(answer) - F(first
    message); F(t) is the open time before t's UTC day plus what of that day's intervals lies
    before t: one row of the schedule per moment, found by an equality (hash) join on the day.
    Outer joins on the conversations themselves (not a subquery joined back by id, which PostgreSQL
    sorted twice to merge): a conversation without a first message or answer matches no day."""
    start, end = scope.start_utc - HOURS_BEFORE, scope.end_utc + HOURS_AFTER
    width, rows = open_hours_table(hours, zone, start, end)
    names = [f"{edge}{i}" for i in range(width) for edge in ("opens", "closes")]
    table = rows_table("open_hours", [("day", Integer), ("before", Float), *[(n, Float) for n in names]], rows)
    low, high = literal(start.timestamp()), literal(end.timestamp())

    def open_before(moment, day):
        t = greatest(low, least(epoch(moment), high))
        parts = [greatest(literal(0.0), least(t - day.c[f"opens{i}"], day.c[f"closes{i}"] - day.c[f"opens{i}"]))
                 for i in range(width)]
        return day.c.before + sum(parts[1:], parts[0]), day_number(t)

    on_first, on_answer = table.alias("open_hours_first"), table.alias("open_hours_answer")
    f_first, first_day = open_before(pairs.c.first_in, on_first)
    f_answer, answer_day = open_before(pairs.c.first_reply, on_answer)
    joined = pairs.outerjoin(on_first, on_first.c.day == first_day).outerjoin(on_answer, on_answer.c.day == answer_day)
    return joined, case((pairs.c.first_reply.is_not(None), func.round(f_answer - f_first)))


# -- The report -------------------------------------------------------------------------------

ALL = "all"  # the key of the whole team's figures among the per-assignee ones


@dataclass
class CohortFigures:
    """First responses and resolution of one group of the period's conversations."""
    conversations: int = 0
    with_customer_message: int = 0
    answered: int = 0
    within_window: int = 0
    resolved: int = 0
    median_s: float | None = None
    p90_s: float | None = None
    business_median_s: float | None = None
    business_p90_s: float | None = None
    resolution_median_s: float | None = None


def build_report(scope: ReportScope) -> Report:
    workspace = db.session.get(Workspace, scope.workspace_id)
    if dialect() == "postgresql":
        # The report's statements are short but their estimated cost (a subquery per conversation)
        # is high enough for PostgreSQL to compile them to machine code first, which took longer
        # than running them (bench/bench_reports.py). The percentiles sort a period's conversations:
        # a year's 100k spilled to disk with the default 4 MB. For this transaction only.
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))
    hours, hours_zone, hours_saved = business_schedule(scope.workspace_id)
    report = Report(scope=scope, currency=workspace.currency, business_hours=hours, hours_timezone=hours_zone,
                    hours_saved=hours_saved)
    replies = _volumes(report)
    cohort = _cohort_figures(report)
    whole = cohort.get(ALL, CohortFigures())
    report.with_customer_message, report.answered = whole.with_customer_message, whole.answered
    report.replied_within_window, report.resolved = whole.within_window, whole.resolved
    report.first_response_median_s, report.first_response_p90_s = whole.median_s, whole.p90_s
    report.business_first_response_median_s, report.business_first_response_p90_s = \
        whole.business_median_s, whole.business_p90_s
    report.resolution_median_s = whole.resolution_median_s
    report.agents = _agents(scope, cohort, replies)
    report.sources = _sources(scope, workspace.currency)
    report.lost = _lost(scope, workspace.currency)
    return report


def _volumes(report: Report) -> dict[int, int]:
    """Conversations, inbound and outbound per local day (the persons' answers are counted per day
    and sender: each person's replies are returned, for the agents' table)."""
    scope = report.scope
    created = _count_by_day(scope, Conversation.created_at, Conversation, conversation_filter(scope))
    inbound = _messages_by_day(scope, customer_message(Message))
    outbound: dict[tuple, int] = {}
    replies: dict[int, int] = {}
    for (number, sender), count in _messages_by_day(scope, person_reply(Message), Message.sent_by_id).items():
        outbound[(number,)] = outbound.get((number,), 0) + count
        if sender is not None:
            replies[sender] = replies.get(sender, 0) + count
        else:
            report.outbound_from_app += count
    report.days = [Day(d, created.get((i,), 0), inbound.get((i,), 0), outbound.get((i,), 0))
                   for i, d in enumerate(scope.days)]
    report.conversations = sum(d.conversations for d in report.days)
    report.inbound = sum(d.inbound for d in report.days)
    report.outbound = sum(d.outbound for d in report.days)
    return replies


def _cohort_figures(report: Report) -> dict:
    """{ALL or an assignee's id: CohortFigures} for the period's conversations."""
    scope = report.scope
    pairs = _cohort(scope)
    wait = seconds_between(pairs.c.first_in, pairs.c.first_reply)  # NULL while unanswered
    source = pairs
    open_wait = wait
    if report.business_hours is not None:
        source, seconds = _business_seconds(pairs, scope, report.business_hours, report.hours_timezone)
        open_wait = case((pairs.c.first_reply.is_not(None), func.coalesce(seconds, 0)))
    resolution = case((pairs.c.status == "resolved", seconds_between(pairs.c.first_in, pairs.c.last_at)))
    counts = (func.count(), func.count(pairs.c.first_in), func.count(pairs.c.first_reply),
              func.coalesce(func.sum(case((wait <= WINDOW_SECONDS, 1), else_=0)), 0),
              func.coalesce(func.sum(case((and_(pairs.c.status == "resolved", pairs.c.first_in.is_not(None)), 1),
                                          else_=0)), 0))
    found: dict = {}
    if dialect() == "postgresql":
        # One statement: the whole team (the rollup's total row) and each assignee.
        query = select(pairs.c.assignee_id, func.grouping(pairs.c.assignee_id), *counts,
                       percentile(0.5, wait), percentile(0.9, wait), percentile(0.5, open_wait),
                       percentile(0.9, open_wait), percentile(0.5, resolution)) \
            .select_from(source).group_by(func.rollup(pairs.c.assignee_id))
        for row in db.session.execute(query):
            key = ALL if row[1] else row[0]
            if key is not None:
                found[key] = CohortFigures(*(int(v) for v in row[2:7]), *(_rounded(v) for v in row[7:]))
        return found
    # SQLite: the same figures, the percentiles ranked by window functions (app.reports.sql).
    for key in (literal(ALL), pairs.c.assignee_id):
        groups = {row[0]: CohortFigures(*(int(v) for v in row[1:]))
                  for row in db.session.execute(select(key, *counts).select_from(source).group_by(key))
                  if row[0] is not None}
        waits = percentiles(select(key, wait).select_from(source), (0.5, 0.9))
        open_waits = percentiles(select(key, open_wait).select_from(source), (0.5, 0.9))
        resolutions = percentiles(select(key, resolution).select_from(source), (0.5,))
        found.update(groups)
        for k, figures in groups.items():
            figures.median_s, figures.p90_s = waits.get(k, (0, [None, None]))[1]
            figures.business_median_s, figures.business_p90_s = open_waits.get(k, (0, [None, None]))[1]
            figures.resolution_median_s = resolutions.get(k, (0, [None]))[1][0]
    return found


def _rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _agents(scope: ReportScope, cohort: dict, replies: dict[int, int]) -> list[AgentRow]:
    """A row per person: every active member (agents: only themselves), and anyone else, such as a
    rep who has left, with conversations or replies in the period."""
    people = select(User).where(User.workspace_id == scope.workspace_id).order_by(User.id)
    if scope.agent_id:
        people = people.where(User.id == scope.agent_id)
    rows = []
    for user in db.session.scalars(people):
        figures = cohort.get(user.id, CohortFigures())
        row = AgentRow(user.id, user.display_name, user.active, figures.conversations, replies.get(user.id, 0),
                       figures.median_s)
        if user.active or row.conversations or row.replies:
            rows.append(row)
    return rows


def _lead_scope(scope: ReportScope, lead=Lead) -> list[ColumnElement]:
    """The report's account, label or agent, for leads (through their contact and conversation)."""
    clauses = [lead.workspace_id == scope.workspace_id]
    if scope.account_id:
        clauses.append(lead.contact_id.in_(select(Contact.id).where(Contact.account_id == scope.account_id)))
    if scope.label_id is not None or scope.agent_id:
        clauses.append(lead.conversation_id.in_(select(Conversation.id).where(conversation_filter(scope))))
    return clauses


def _sources(scope: ReportScope, currency: str) -> list[SourceRow]:
    lead = Lead
    clauses = [*_lead_scope(scope, lead), _in_period(lead.created_at, scope)]

    # How far along the funnel each lead got (0 none, 1 contacted, 2 qualified, 3 won): the furthest
    # step in its history or its status now (leads made before lead_stage_changes existed have no
    # history). A step counts as reached when this is at or past it: a lead moved from new straight
    # to won was contacted and qualified too. One lookup per lead, through ix_lead_stage_changes_lead.
    def rank(status_column) -> ColumnElement:
        return case(*[(status_column == sql_constant(step), n) for n, step in enumerate(FUNNEL, 1)], else_=0)

    history = select(func.max(rank(LeadStageChange.to_status))).where(LeadStageChange.lead_id == lead.id) \
        .scalar_subquery()
    furthest = select(lead.source.label("source"), lead.currency.label("currency"), lead.value_cents.label("cents"),
                      greatest(rank(lead.status), func.coalesce(history, 0)).label("rank")).where(*clauses) \
        .cte("report_funnel")
    if dialect() == "postgresql":
        # Computed once per lead: inlined, PostgreSQL ran the history lookup again for each of the
        # five sums that use the rank.
        furthest = furthest.prefix_with("MATERIALIZED")
    won = furthest.c.rank >= len(FUNNEL)
    in_currency = or_(furthest.c.currency.is_(None), furthest.c.currency == currency)
    query = select(
        furthest.c.source, func.count(),
        *[func.sum(case((furthest.c.rank >= n, 1), else_=0)) for n in range(1, len(FUNNEL) + 1)],
        func.sum(case((and_(won, in_currency), func.coalesce(furthest.c.cents, 0)), else_=0)),
        func.sum(case((and_(won, ~in_currency, furthest.c.cents.is_not(None)), 1), else_=0)),
    ).group_by(furthest.c.source).order_by(func.count().desc(), furthest.c.source)
    return [SourceRow(row[0], *(int(v or 0) for v in row[1:])) for row in db.session.execute(query)]


def _lost(scope: ReportScope, currency: str) -> list[LostRow]:
    """Leads moved to lost in the period (ix_lead_stage_changes_reports: one range) and lost still,
    each once, by the reason picked: the reason is stored as the pick, the typed words, or
    "pick: words" (app.leads.stages.lost_reason_from_form)."""
    moved = select(LeadStageChange.lead_id).where(
        LeadStageChange.workspace_id == scope.workspace_id, LeadStageChange.to_status == sql_constant("lost"),
        _in_period(LeadStageChange.created_at, scope)).distinct().cte("report_lost")
    # An exact prefix, not LIKE: SQLite's LIKE ignores case, PostgreSQL's does not, and typed words
    # starting "price: …" must count the same on both (as Other: the pick is stored as listed).
    reason = case(*[(or_(Lead.lost_reason == sql_constant(pick),
                         func.substr(Lead.lost_reason, 1, len(pick) + 1) == sql_constant(pick + ":")),
                     sql_constant(pick)) for pick in LOST_REASONS if pick != "Other"], else_=sql_constant("Other"))
    in_currency = or_(Lead.currency.is_(None), Lead.currency == currency)
    query = (select(reason.label("reason"), func.count(),
                    func.sum(case((in_currency, func.coalesce(Lead.value_cents, 0)), else_=0)),
                    func.sum(case((and_(~in_currency, Lead.value_cents.is_not(None)), 1), else_=0)))
             .select_from(moved).join(Lead, Lead.id == moved.c.lead_id)
             .where(Lead.status == sql_constant("lost"), *_lead_scope(scope))
             .group_by(reason))
    found = {row[0]: LostRow(row[0], *(int(v or 0) for v in row[1:])) for row in db.session.execute(query)}
    # The list's order, as the forms offer the reasons; reasons nobody gave are left out.
    return [found[pick] for pick in LOST_REASONS if pick in found]


def total_won_cents(report: Report) -> int:
    return sum(row.won_value_cents for row in report.sources)
