"""Apply parsed webhook events to the inbox's rows: contacts, conversations, messages, leads.

`apply_events` runs inside the caller's transaction and never commits: the caller (app.webhooks.ingest)
commits the whole delivery at once, or rolls it all back and keeps the delivery as `failed`.

Idempotency comes from the database, not from lookups: contacts, conversations, messages and leads
are inserted with ON CONFLICT DO NOTHING on their unique keys, so a redelivery (or two deliveries
racing in two processes) changes nothing the first one did not. Every other change (counters,
reactions, edits, read receipts) is computed from the new rows only, or compares before it writes,
so a second application finds nothing to do and does not even bump `updated_at`.

History (app.accounts.history_import) goes through the same apply with `history=True`: the same
rows and keys, so an imported message and its webhook are one row whichever comes first, but the
past is quiet. It bumps no unread, reopens nothing, queues no automation, notifies and auto-assigns
no one and emits no message.created; who spoke last, whether the customer waits and the newest
message follow from what was imported, and a new customer's lead has source `import`.

The work is set-based: a delivery of N events costs a fixed number of statements (bulk lookups
and multi-row inserts), not N round trips. Conversation rows are locked (FOR UPDATE, in id order)
before their counters are changed, so concurrent deliveries for one customer cannot lose an unread.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Iterable, Protocol

from sqlalchemy import bindparam, delete, or_, select, tuple_, update

from app.extensions import db
from app.assignment.auto import assign_arrivals, release_from_former_members
from app.automation.rulebook import may_answer_sql
from app.inbox import unread
from app.inserts import Returned, insert_entities, insert_rows
from app.integrations import events as webhook_events
from app.instagram.events import (
    EXPECTED_OBJECT,
    Attachment,
    CommentEvent,
    Event,
    MessageEditEvent,
    MessageEvent,
    ParsedDelivery,
    PostbackEvent,
    ReactionEvent,
    ReadEvent,
    ReferralEvent,
    UnknownEvent,
)
from app.leads import ownership
from app.leads.source import lead_source
from app.messages import first_times, waiting
from app.messages.content import PREVIEW_MAX, MessageContent, content_from_event, preview_line, preview_of
from app.notifications import create as notifications
from app.models import Contact, Conversation, DeferredEvent, InstagramAccount, InstagramMedia, Lead, Message, utcnow
from app.outbound import lifecycle
from app.outbound.echo import match_echo

# Event kinds the inbox applies; an UnknownEvent of one of these kinds is a malformed item.
HANDLED_KINDS = frozenset({"message", "reaction", "read", "postback", "referral", "message_edit", "unknown",
                           "comment", "change:comments", "change:live_comments"})
PROFILE_STALE_AFTER = timedelta(days=7)
MID_MAX = 255  # Message.mid, Message.reply_to_mid, DeferredEvent.mid
IGSID_MAX = 64  # Contact.igsid
LAST_WEBHOOK_RESOLUTION = timedelta(seconds=30)  # InstagramAccount.last_webhook_at
# The predicate of ux_conversations_dm (app.models.conversations): one DM conversation per customer.
DM_THREAD = "kind = 'dm'"
# A post's caption, permalink and thumbnail are fetched again once a day (CDN urls expire), and a
# failed fetch is not retried by every comment that arrives within the hour.
MEDIA_STALE_AFTER = timedelta(days=1)
MEDIA_RETRY_AFTER = timedelta(hours=1)
INSERT_CHUNK = 500  # rows per multi-row INSERT, far below SQLite's and PostgreSQL's parameter limits
# Asked of each new message row by its own INSERT: do events wait for it (a reaction, a read, an
# edit that arrived before it)? Nearly always not, and then `apply_changes` needs no query of its
# own for it (ix_deferred_events_target answers this one).
WAITING = Returned("waiting", "EXISTS (SELECT 1 FROM deferred_events WHERE deferred_events.account_id = "
                              "messages.account_id AND deferred_events.mid = messages.mid)")


class AccountRef(Protocol):
    """What the apply reads of a connected account: a row of `usable_events`' query."""

    id: int
    workspace_id: int
    ig_user_id: str
    status: str
    last_webhook_at: datetime | None
    assignment: str  # auto-assignment's mode (app.assignment): "off" costs nothing more
    listened: bool  # its workspace has an active outbound webhook endpoint (app.integrations.events)
    automates: bool  # automation could answer its DMs (app.automation.rulebook.may_answer_sql)


@dataclass
class ApplyResult:
    """What one delivery did, for its log row and for the follow-up jobs (run after commit)."""

    applied: int = 0  # events for our accounts that the inbox handles (also when already applied)
    problems: list[str] = field(default_factory=list)  # malformed items and envelope errors
    notes: list[str] = field(default_factory=list)  # why events were ignored, for the log page
    warnings: list[str] = field(default_factory=list)  # what was worked around (an unusable time...)
    deferred_ids: list[int] = field(default_factory=list)  # events parked by this delivery (DeferredEvent)
    account_workspaces: dict[str, int] = field(default_factory=dict)  # entry id -> workspace, known accounts
    new_contact_ids: list[int] = field(default_factory=list)
    stale_contact_ids: list[int] = field(default_factory=list)
    automation_message_ids: list[int] = field(default_factory=list)  # new inbound DMs, not standby, automated accounts
    comment_message_ids: list[int] = field(default_factory=list)  # new customers' comments
    media_ids: list[int] = field(default_factory=list)  # InstagramMedia rows to fetch (new or stale)


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=None)
def _accounts_query():
    """The accounts of a delivery's entries: only the columns the apply reads (loading whole ORM
    objects cost more than the query), and whether anyone listens for outbound webhooks. Core
    columns and one statement object, built once: on ingestion's path, making the statement
    anew and through the ORM cost more than the round trip."""
    a = InstagramAccount.__table__
    return (select(a.c.id, a.c.workspace_id, a.c.ig_user_id, a.c.status, a.c.last_webhook_at, a.c.assignment,
                   webhook_events.listened_sql(a.c.workspace_id).label("listened"),
                   may_answer_sql(a.c.workspace_id, a.c.id).label("automates"))
            .where(a.c.ig_user_id.in_(bindparam("ig_ids", expanding=True))))


def _known_threads_query(condition):
    """Conversations of the contacts `condition` picks, locked in id order, with their contact's key."""
    return (select(Conversation, Contact.account_id, Contact.igsid, Contact.profile_fetched_at)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(condition)
            .order_by(Conversation.id).with_for_update(of=Conversation))


@lru_cache(maxsize=None)
def _known_threads_by_key():
    """`_known_threads_query` by (account id, igsid) keys, built once: a statement object that is
    reused keeps its cache key (SQLAlchemy memoizes it on the object), where one made per delivery
    was built and keyed again each time, the dearest Python of the usual delivery."""
    return _known_threads_query(tuple_(Contact.account_id, Contact.igsid).in_(bindparam("keys", expanding=True)))


def _chunks(rows: list, size: int = INSERT_CHUNK) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _attachments_json(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [{"type": a.type, "url": a.url, "title": a.title, "payload": a.payload} for a in attachments]


def synthetic_mid(kind: str, raw: Any) -> str:
    """A stable key for events Meta sends without a mid (postbacks may lack one, referrals never
    have one): the same item redelivered gets the same key, so the unique constraint dedupes it."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return f"synthetic.{kind}.{digest[:48]}"


def message_mid(event: Event) -> str:
    """The key a message-like event is stored under."""
    mid = getattr(event, "mid", None)
    return mid or synthetic_mid(event.kind, event.raw)


def _too_long(event: Event) -> str | None:
    """Ids longer than their columns would fail the whole delivery on PostgreSQL: refuse the item."""
    if len(event.customer_id or "") > IGSID_MAX:
        return f"customer id longer than {IGSID_MAX} characters"
    for name in ("mid", "reply_to_mid", "parent_id"):
        value = getattr(event, name, None)
        if value is not None and len(value) > MID_MAX:
            return f"{name} longer than {MID_MAX} characters"
    for name in ("media_id", "ad_id"):  # InstagramMedia.ig_media_id, .ad_id
        value = getattr(event, name, None)
        if value is not None and len(value) > IGSID_MAX:
            return f"{name} longer than {IGSID_MAX} characters"
    return None


# ------------------------------------------------------------------- the new rows


@dataclass(eq=False)
class _NewMessage:
    """A message row to insert, with what the conversation needs to know about it."""

    event: Event
    account: AccountRef
    customer_id: str
    direction: str
    kind: str
    mid: str
    row: dict[str, Any] = field(default_factory=dict)
    content: MessageContent = field(default_factory=MessageContent)  # row["meta"], typed
    matched: bool = False  # an echo of our own send, found by match_echo
    automation: str | None = None  # what automation the row is owed (_Delivery._automation_for)

    @property
    def counts_as_inbound(self) -> bool:
        # A referral is context ("came from an ad"), not something the customer wrote.
        return self.direction == "in" and self.kind != "referral"


def _message_kind(event: MessageEvent) -> str:
    if event.is_unsupported:
        return "unsupported"
    if any(a.type == "story_mention" for a in event.attachments):
        return "story_mention"
    if event.reply_to_story is not None:
        return "story_reply"
    if event.quick_reply_payload is not None:
        return "quick_reply"
    return "message"


def _new_message(event: Event, account: AccountRef) -> _NewMessage:
    """The row for a message-like event (message, echo, postback, referral)."""
    if isinstance(event, MessageEvent):
        kind = _message_kind(event)
        direction = "out" if event.is_echo else "in"
        mid, text = event.mid, event.text
        attachments = _attachments_json(event.attachments)
        reply_to_mid = event.reply_to_mid
    elif isinstance(event, PostbackEvent):
        kind, direction = "postback", "in"
        mid = message_mid(event)
        text = event.title or event.payload
        attachments = []
        reply_to_mid = None
    elif isinstance(event, ReferralEvent):
        kind, direction = "referral", "in"
        mid = message_mid(event)
        text = None
        attachments = []
        reply_to_mid = None
    elif isinstance(event, CommentEvent):
        kind, direction = "comment", "out" if event.is_echo else "in"
        mid, text = event.comment_id, event.text
        attachments = []
        reply_to_mid = None
    else:  # pragma: no cover - the caller only passes the kinds above
        raise TypeError(f"not a message-like event: {type(event).__name__}")
    # What it carries beyond text (story, referral, quick reply, postback, share, template...), typed
    # in app.messages.content; standby (another app or a person owned the thread) keeps automation out.
    content = content_from_event(event)
    row = {
        "account_id": account.id,
        "mid": mid,
        "direction": direction,
        "kind": kind,
        "text": text,
        "attachments": attachments,
        "status": lifecycle.arrival_status(direction),
        "source": "app" if direction == "out" else "instagram",
        "reply_to_mid": reply_to_mid,
        "parent_comment_id": event.parent_id if isinstance(event, CommentEvent) else None,
        "meta": content.to_json(),
        "raw": event.raw,
        "created_at": event.timestamp,
    }
    return _NewMessage(event, account, event.customer_id, direction, kind, mid, row, content)


# ------------------------------------------------------------------------ the apply


class _Delivery:
    """State of one delivery being applied; methods are the steps of `apply_events`."""

    def __init__(self, parsed: ParsedDelivery, now: datetime, history: bool = False) -> None:
        self.parsed = parsed
        self.now = now
        self.history = history  # imported history: quiet (see the module's docstring)
        self.result = ApplyResult(problems=list(parsed.errors), warnings=list(parsed.warnings))
        self.parked: list[DeferredEvent] = []  # DeferredEvent rows this delivery added
        self.accounts: dict[str, AccountRef] = {}  # ig_user_id -> account (usable ones)
        self.contacts: dict[tuple[int, str], int] = {}  # (account id, igsid) -> contact id
        # (contact id, media row id) -> locked conversation; media None for the DM conversation.
        self.conversations: dict[tuple[int, int | None], Conversation] = {}
        self.media: dict[tuple[int, str], int] = {}  # (account id, Meta's media id) -> InstagramMedia id
        self.permalinks: dict[int, str] = {}  # InstagramMedia id -> permalink, when fetched already
        self.conversations_by_id: dict[int, Conversation] = {}
        self.created_contacts: set[int] = set()
        self.created_conversations: set[int] = set()  # conversation ids this delivery made
        self.had_inbound: dict[int, bool] = {}  # conversation id -> had an inbound before this delivery
        self.reopened: set[int] = set()  # conversation ids a customer's message took out of resolved/snoozed
        self.first_times_stale: set[int] = set()  # conversation ids whose first times need app.messages.first_times.refresh
        self.new_unread: dict[int, unread.NewUnread] = {}  # conversation id -> new customer messages
        self.waiting_applied = 0  # deferred events applied now that their message is here
        self.none_waiting: set[tuple[int, str]] = set()  # (account id, mid) of new messages nothing waits for
        # Outbound webhooks (app.integrations): what this delivery made, per workspace, and who
        # listens (asked once per delivery, only when something was made).
        self.new_message_ids: dict[int, list[int]] = defaultdict(list)
        self.new_lead_ids: dict[int, list[int]] = defaultdict(list)
        self._subscriptions: webhook_events.Subscriptions | None = None

    # -- step 1: sort out what can be applied
    def usable_events(self) -> list[Event]:
        if self.parsed.object_type != EXPECTED_OBJECT:
            # Not an Instagram delivery (a Page's, say): its ids mean something else. Kept, not applied.
            if not self.result.problems:
                self.result.problems.append(f"object is not '{EXPECTED_OBJECT}'")
            return []
        ig_ids = {e.account_id for e in self.parsed.events if e.account_id is not None}
        if ig_ids:
            rows = db.session.execute(_accounts_query(), {"ig_ids": sorted(ig_ids)}).all()
            for account in rows:
                self.result.account_workspaces[account.ig_user_id] = account.workspace_id
                # reauth_required accounts keep receiving: applying needs no token.
                if account.status != "disconnected":
                    self.accounts[account.ig_user_id] = account
        usable: list[Event] = []
        ignored_reasons: dict[str, int] = defaultdict(int)
        for event in self.parsed.events:
            if isinstance(event, UnknownEvent):
                if event.kind in HANDLED_KINDS:
                    self.result.problems.append(event.reason)
                else:
                    ignored_reasons[f"{event.kind} not handled"] += 1
                continue
            account = self.accounts.get(event.account_id)
            if account is None:
                known = event.account_id in self.result.account_workspaces
                ignored_reasons[f"account {event.account_id:.64} {'is disconnected' if known else 'is not connected here'}"] += 1
                continue
            if event.customer_id == event.account_id:
                ignored_reasons["message to itself"] += 1
                continue
            problem = _too_long(event)
            if problem:
                self.result.problems.append(f"{event.kind} event: {problem}")
                continue
            usable.append(event)
        usable = self._place_own_comments(usable, ignored_reasons)
        self.result.notes.extend(f"{reason} ({count})" for reason, count in ignored_reasons.items())
        self.result.applied = len(usable)
        # Meta does not guarantee order: apply in timestamp order (stable for equal times).
        usable.sort(key=lambda e: e.timestamp)
        return usable

    def _place_own_comments(self, events: list[Event], ignored: dict[str, int]) -> list[Event]:
        """The business's own comments go in the thread of the customer whose comment they answer
        (a comment of this delivery, else one stored); one that answers nobody we know is not a
        conversation's, and is only noted."""
        own = [e for e in events if isinstance(e, CommentEvent) and e.is_echo]
        if not own:
            return events
        parents: dict[tuple[str, str], str] = {
            (e.account_id, e.comment_id): e.customer_id
            for e in events if isinstance(e, CommentEvent) and not e.is_echo}
        wanted = sorted({(self.accounts[e.account_id].id, e.parent_id) for e in own
                         if e.parent_id and (e.account_id, e.parent_id) not in parents})
        if wanted:
            ig_ids = {account.id: account.ig_user_id for account in self.accounts.values()}
            for row in db.session.execute(
                select(Message.account_id, Message.mid, Contact.igsid)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(Contact, Contact.id == Conversation.contact_id)
                .where(tuple_(Message.account_id, Message.mid).in_(wanted))
            ).all():
                parents[(ig_ids[row.account_id], row.mid)] = row.igsid
        placed: list[Event] = []
        for event in events:
            if isinstance(event, CommentEvent) and event.is_echo:
                customer = parents.get((event.account_id, event.parent_id)) if event.parent_id else None
                if customer is None:
                    ignored["our own comment, not a reply to a customer's comment"] += 1
                    continue
                event = dataclasses.replace(event, thread_customer_id=customer)
            placed.append(event)
        return placed

    # -- step 2a: the posts comments are on (a row per post; its details come from a follow-up job)
    def resolve_media(self, events: list[Event]) -> None:
        wanted: dict[tuple[int, str], dict[str, Any]] = {}
        for event in events:
            if not isinstance(event, CommentEvent):
                continue
            account = self.accounts[event.account_id]
            row = wanted.setdefault((account.id, event.media_id), {
                "workspace_id": account.workspace_id, "account_id": account.id, "ig_media_id": event.media_id,
                "product_type": event.product_type, "ad_id": None, "ad_title": None,
                "created_at": self.now, "updated_at": self.now})
            # Boosted posts and ads name the ad; a plain delivery of the same post does not.
            row["ad_id"] = row["ad_id"] or event.ad_id
            row["ad_title"] = row["ad_title"] or (event.ad_title[:255] if event.ad_title else None)
        if not wanted:
            return
        keys = sorted(wanted)
        self._load_media(keys, wanted)
        missing = [key for key in keys if key not in self.media]
        if missing:
            inserted = insert_rows(InstagramMedia, [wanted[key] for key in missing], ["account_id", "ig_media_id"],
                                   ("id", "account_id", "ig_media_id")).all()
            for row in inserted:
                self.media[(row.account_id, row.ig_media_id)] = row.id
                self.result.media_ids.append(row.id)
            if len(inserted) < len(missing):  # another process made it a moment ago
                self._load_media([key for key in missing if key not in self.media], wanted)

    def _load_media(self, keys: list[tuple[int, str]], wanted: dict[tuple[int, str], dict[str, Any]]) -> None:
        rows = db.session.execute(
            select(InstagramMedia.id, InstagramMedia.account_id, InstagramMedia.ig_media_id, InstagramMedia.ad_id,
                   InstagramMedia.permalink, InstagramMedia.fetched_at, InstagramMedia.fetch_error,
                   InstagramMedia.updated_at)
            .where(tuple_(InstagramMedia.account_id, InstagramMedia.ig_media_id).in_(keys))
        ).all()
        for row in rows:
            self.media[(row.account_id, row.ig_media_id)] = row.id
            if row.permalink:
                self.permalinks[row.id] = row.permalink
            news = wanted[(row.account_id, row.ig_media_id)]
            if row.ad_id is None and news["ad_id"] is not None:
                db.session.execute(update(InstagramMedia).where(InstagramMedia.id == row.id, InstagramMedia.ad_id.is_(None))
                                   .values(ad_id=news["ad_id"], ad_title=news["ad_title"], updated_at=self.now)
                                   .execution_options(synchronize_session=False))
            stale = row.fetched_at is None or row.fetched_at < self.now - MEDIA_STALE_AFTER
            retried_lately = row.fetch_error is not None and row.updated_at > self.now - MEDIA_RETRY_AFTER
            if stale and not retried_lately:
                self.result.media_ids.append(row.id)

    def _thread_media(self, event: Event) -> int | None:
        """The post a thread-making event belongs to: its comments conversation; None for DMs."""
        if isinstance(event, CommentEvent):
            return self.media[(self.accounts[event.account_id].id, event.media_id)]
        return None

    # -- step 2b: contacts and conversations, created race-safely
    def resolve_threads(self, events: list[Event]) -> None:
        needed: dict[tuple[int, str], tuple[AccountRef, datetime]] = {}
        threads: dict[tuple[int, str, int | None], datetime] = {}  # (account, igsid, media) -> first time
        commenters: list[CommentEvent] = []
        usernames: dict[tuple[int, str], str] = {}
        for event in events:
            if _creates_thread(event):
                account = self.accounts[event.account_id]
                needed.setdefault((account.id, event.customer_id), (account, event.timestamp))
                key = (account.id, event.customer_id, self._thread_media(event))
                started = threads.setdefault(key, event.timestamp)
                if self.history and event.timestamp < started:
                    threads[key] = event.timestamp  # imported history starts at its oldest message
                if isinstance(event, CommentEvent) and not event.is_echo:
                    commenters.append(event)
                    if event.username:
                        usernames.setdefault((account.id, event.customer_id), event.username)
        if not needed:
            return
        aliased = self._match_commenters(commenters) if commenters else set()
        self._lock_known_threads(needed, aliased)
        missing = sorted(key for key in needed if key not in self.contacts)  # sorted: lock order
        if missing:
            self._create_contacts(missing, needed, usernames)
        # The usual delivery has none missing: customers we know in threads they have, one query.
        if self._missing_threads(threads):
            # A contact we did not create may have a conversation made a moment ago by another process.
            older = sorted({self.contacts[(a, i)] for a, i, _ in self._missing_threads(threads)} - self.created_contacts)
            if older:
                self._lock_conversations(select(Conversation).where(Conversation.contact_id.in_(older)))
            self._create_conversations(threads, needed)
        if self.history:
            self._backdate(threads)

    def _backdate(self, threads: dict[tuple[int, str, int | None], datetime]) -> None:
        """Imported history that is older than its conversation: the conversation (and its lead)
        began then. A customer who wrote after the account was connected and before the import
        reached them had both made at that moment; reports count them by when they began."""
        moved = {}
        for (account_id, igsid, media_id), started in threads.items():
            conversation = self.conversations.get((self.contacts[(account_id, igsid)], media_id))
            if conversation is not None and started < conversation.created_at:
                conversation.created_at = started  # locked above (FOR UPDATE), flushed with the rest
                moved[conversation.id] = started
        for conversation_id, started in moved.items():
            db.session.execute(update(Lead).where(Lead.conversation_id == conversation_id, Lead.created_at > started)
                               .values(created_at=started).execution_options(synchronize_session=False))

    def _missing_threads(self, threads: dict[tuple[int, str, int | None], datetime]) -> list[tuple[int, str, int | None]]:
        return [key for key in threads if (self.contacts[(key[0], key[1])], key[2]) not in self.conversations]

    def _match_commenters(self, comments: list[CommentEvent]) -> set[int]:
        """A commenter who also writes DMs is one contact: matched on the scoped id when the comment
        has one, on from.id otherwise, on the username as a last resort (docs/meta-protocol.md).
        Returns the contacts found under another id than the one the comment is keyed by."""
        ids = sorted({(self.accounts[e.account_id].id, i) for e in comments for i in e.commenter_ids})
        names = sorted({(self.accounts[e.account_id].id, e.username) for e in comments if e.username})
        condition = tuple_(Contact.account_id, Contact.igsid).in_(ids)
        if names:
            condition = or_(condition, tuple_(Contact.account_id, Contact.username).in_(names))
        by_id: dict[tuple[int, str], int] = {}
        by_name: dict[tuple[int, str], int] = {}
        for row in db.session.execute(
            select(Contact.id, Contact.account_id, Contact.igsid, Contact.username).where(condition).order_by(Contact.id)
        ).all():
            by_id[(row.account_id, row.igsid)] = row.id
            if row.username:
                by_name.setdefault((row.account_id, row.username), row.id)  # the oldest, if several
        aliased: set[int] = set()
        for event in comments:
            account_id = self.accounts[event.account_id].id
            key = (account_id, event.customer_id)
            if key in by_id or key in self.contacts:
                continue  # known under the comment's own key: the usual lookup finds it
            found = next((by_id[(account_id, i)] for i in event.commenter_ids if (account_id, i) in by_id), None)
            if found is None and event.username:
                found = by_name.get((account_id, event.username))
            if found is not None:
                self.contacts[key] = found
                aliased.add(found)
        return aliased

    def _lock_known_threads(self, needed: dict[tuple[int, str], tuple[AccountRef, datetime]],
                            aliased: set[int] = frozenset()) -> None:
        """The conversations of customers we know, locked, with what the apply needs of their contact."""
        if aliased:  # commenters also known under another id: a statement of their own
            condition = or_(tuple_(Contact.account_id, Contact.igsid).in_(sorted(needed)), Contact.id.in_(sorted(aliased)))
            rows = db.session.execute(_known_threads_query(condition)).all()
        else:
            rows = db.session.execute(_known_threads_by_key(), {"keys": sorted(needed)}).all()
        for conversation, account_id, igsid, fetched_at in rows:
            self.contacts[(account_id, igsid)] = conversation.contact_id
            self._remember(conversation)
            self._check_profile(conversation.contact_id, fetched_at)

    def _check_profile(self, contact_id: int, fetched_at: datetime | None) -> None:
        if fetched_at is not None and fetched_at < self.now - PROFILE_STALE_AFTER:
            self.result.stale_contact_ids.append(contact_id)

    def _create_contacts(self, missing: list[tuple[int, str]],
                         needed: dict[tuple[int, str], tuple[AccountRef, datetime]],
                         usernames: dict[tuple[int, str], str]) -> None:
        # A commenter's username comes with the comment (a DM's, with the profile lookup).
        rows = [{"workspace_id": needed[key][0].workspace_id, "account_id": key[0], "igsid": key[1],
                 "username": (usernames.get(key) or "")[:120] or None, "created_at": self.now} for key in missing]
        for row in insert_rows(Contact, rows, ["account_id", "igsid"], ("id", "account_id", "igsid")).all():
            self.contacts[(row.account_id, row.igsid)] = row.id
            self.created_contacts.add(row.id)
        self.result.new_contact_ids.extend(sorted(self.created_contacts))
        existing = [key for key in missing if key not in self.contacts]
        if existing:  # contacts without a conversation, or made by another process a moment ago
            for row in db.session.execute(
                select(Contact.id, Contact.account_id, Contact.igsid, Contact.profile_fetched_at)
                .where(tuple_(Contact.account_id, Contact.igsid).in_(existing))
            ).all():
                self.contacts[(row.account_id, row.igsid)] = row.id
                self._check_profile(row.id, row.profile_fetched_at)

    def _create_conversations(self, threads: dict[tuple[int, str, int | None], datetime],
                              needed: dict[tuple[int, str], tuple[AccountRef, datetime]]) -> None:
        missing = self._missing_threads(threads)
        if not missing:
            return
        dm_rows, comment_rows = [], []
        for key in sorted(missing, key=lambda k: (self.contacts[(k[0], k[1])], k[2] or 0)):
            account_id, igsid, media_id = key
            account = needed[(account_id, igsid)][0]
            row = {"workspace_id": account.workspace_id, "account_id": account_id,
                   "contact_id": self.contacts[(account_id, igsid)], "kind": "comments" if media_id else "dm",
                   "media_id": media_id, "status": "open", "unread_count": 0, "last_message_at": threads[key],
                   # Imported history began when its first message was written, not when it was
                   # imported: reports count new conversations by this day (else the day an account
                   # was connected counted a month of them).
                   "created_at": min(threads[key], self.now) if self.history else self.now, "updated_at": self.now}
            (comment_rows if media_id else dm_rows).append(row)
        created = []
        if dm_rows:
            created += insert_entities(Conversation, dm_rows, ["account_id", "contact_id"], unique_where=DM_THREAD)
        if comment_rows:
            created += insert_entities(Conversation, comment_rows, ["account_id", "contact_id", "media_id"])
        for conversation in created:
            self._remember(conversation)
            self.created_conversations.add(conversation.id)
        if len(created) < len(dm_rows) + len(comment_rows):  # lost a race: lock the rows the other process made
            self._lock_conversations(select(Conversation).where(Conversation.contact_id.in_(
                sorted({self.contacts[(a, i)] for a, i, _ in self._missing_threads(threads)}))))

    def _lock_conversations(self, query) -> None:
        for conversation in db.session.scalars(query.order_by(Conversation.id).with_for_update()).all():
            self._remember(conversation)

    def _remember(self, conversation: Conversation) -> None:
        self.conversations[(conversation.contact_id, conversation.media_id)] = conversation
        self.conversations_by_id[conversation.id] = conversation
        self.had_inbound.setdefault(conversation.id, conversation.last_inbound_at is not None)

    def conversation_for(self, event: Event) -> Conversation:
        account = self.accounts[event.account_id]
        return self.conversations[(self.contacts[(account.id, event.customer_id)], self._thread_media(event))]

    # -- step 3: message rows
    def insert_messages(self, events: list[Event]) -> dict[tuple[int, str], int]:
        """Insert message-like events; returns (account id, mid) -> id of every message that now
        exists because of this delivery (new rows and echoes matched to our own sends)."""
        arrived: dict[tuple[int, str], int] = {}
        pending: list[_NewMessage] = []
        matched: list[_NewMessage] = []
        seen: set[tuple[int, str]] = set()
        for event in events:
            if not _creates_thread(event):
                continue
            new = _new_message(event, self.accounts[event.account_id])
            if (new.account.id, new.mid) in seen:
                continue  # Meta repeated an item inside one delivery
            seen.add((new.account.id, new.mid))
            conversation = self.conversation_for(event)
            if new.direction == "out" and new.kind != "comment":
                # Our own send (from the inbox, API or automation) coming back: attach the mid to
                # that message instead of showing it twice. None means it was typed in the app.
                own = match_echo(new.account, conversation, mid=new.mid, text=new.row["text"],
                                 attachments=new.row["attachments"], timestamp=event.timestamp)
                if own is not None:
                    arrived[(new.account.id, new.mid)] = own.id
                    new.matched = True
                    new.row["source"] = own.source  # inbox, api or automation: whether it answers the customer
                    matched.append(new)
                    continue
            new.row["conversation_id"] = conversation.id
            new.row["received_at"] = self.now
            new.row["updated_at"] = self.now
            # Marked in its own INSERT, so a lost enqueue of its automation is found again (app.jobs.owed).
            new.automation = self._automation_for(new)
            new.row["automation_due_at"] = self.now if new.automation else None
            pending.append(new)
        inserted: dict[tuple[int, str], int] = {}
        if pending:
            db.session.flush()  # what match_echo changed is written before the inserts
            for chunk in _chunks(pending):
                rows = insert_rows(Message, [new.row for new in chunk], ["account_id", "mid"],
                                   ("id", "account_id", "mid"), computed=(WAITING,)).all()
                inserted.update({(row.account_id, row.mid): row.id for row in rows})
                self.none_waiting.update((row.account_id, row.mid) for row in rows if not row.waiting)
        # Conversation counters follow Meta's timestamps, whatever order the items came in.
        for new in sorted(matched + pending, key=lambda n: n.event.timestamp):
            key = (new.account.id, new.mid)
            is_new = key in inserted
            if not is_new and not new.matched:
                continue  # a redelivery: the first delivery did everything
            if is_new:
                arrived[key] = inserted[key]
                if not self.history:  # the past: no message.created, no automation
                    self.new_message_ids[new.account.workspace_id].append(inserted[key])
                if new.automation == "comment":
                    self.result.comment_message_ids.append(inserted[key])
                elif new.automation == "message":
                    self.result.automation_message_ids.append(inserted[key])
            self._conversation_effects(self.conversation_for(new.event), new, is_new=is_new)
        first_times.refresh(self.first_times_stale)  # usually none: a first customer message that moved
        # Every active member's own unread, in one statement for the whole delivery, and the
        # notifications it causes (at most two more statements), in the same transaction.
        unread.add_inbound(self.new_unread)
        auto_assigned = self.auto_assign()
        notifications.on_inbound([
            notifications.Arrival(cid, item.count, self.conversations_by_id[cid].last_message_preview or "",
                                  new_thread=cid in self.created_conversations,
                                  assignee_id=self.conversations_by_id[cid].assignee_id)
            for cid, item in self.new_unread.items()
            # A reopened conversation just auto-assigned: its `assigned` notification says it.
            if cid in self.created_conversations or cid not in auto_assigned], self.now)
        return arrived

    def _automation_for(self, new: _NewMessage) -> str | None:
        """Which automation a new row is owed: "comment" (a customer's comment: comment automation's,
        not the DM rules'), "message" (a customer's DM, not standby, on an account automation could
        answer), or None (ours, the past of a history import, ...)."""
        if self.history or new.direction != "in":
            return None
        if new.kind == "comment":
            return "comment"
        if new.counts_as_inbound and not new.event.standby and new.account.automates:
            return "message"
        return None

    def auto_assign(self) -> set[int]:
        """New conversations a customer started, and unassigned ones their message reopened, of
        accounts with auto-assignment on (app.assignment.auto), before the notifications: an
        assigned new thread is the assignee's, not everyone's. Returns the ids assigned."""
        # Back to a member who has left: nobody's (only when a reopened one has an assignee).
        release_from_former_members(sorted(cid for cid in self.reopened
                                           if self.conversations_by_id[cid].assignee_id is not None))
        modes = {account.id: account.assignment for account in self.accounts.values()}
        if all(mode == "off" for mode in modes.values()):
            return set()  # the usual case: no query at all
        wanted = [self.conversations_by_id[cid] for cid in sorted(self.new_unread)
                  if (cid in self.created_conversations or cid in self.reopened)
                  and modes.get(self.conversations_by_id[cid].account_id, "off") != "off"
                  and self.conversations_by_id[cid].assignee_id is None]
        if not wanted:
            return set()
        assigned = assign_arrivals(wanted, self.now, lead_owners=False)
        # A new conversation's lead is made after this with its assignee as owner (create_leads):
        # only reopened ones have a lead to give one, so a delivery of new customers (the hot path)
        # sends no UPDATE that could match nothing.
        ownership.follow_assignees([c for c in assigned if c.id not in self.created_conversations], self.now)
        return {conversation.id for conversation in assigned}

    def _conversation_effects(self, conversation: Conversation, new: _NewMessage, is_new: bool) -> None:
        at = new.event.timestamp
        changed = False
        if new.counts_as_inbound and is_new and not self.history:
            # Unread for the team as a whole (it decides the "seen" receipt) and for each member.
            conversation.unread_count = (conversation.unread_count or 0) + 1
            self.new_unread.setdefault(conversation.id, unread.NewUnread()).add(at)
            changed = True
            if conversation.status in ("resolved", "snoozed"):
                conversation.status = "open"
                conversation.snoozed_until = None
                self.reopened.add(conversation.id)
        if is_new or new.matched:
            # Before last_message_at moves: whether this message is the newest decides who spoke last.
            changed |= waiting.note_message(conversation, direction=new.direction, source=new.row["source"], at=at,
                                            customer_wrote=new.counts_as_inbound)
        if is_new:
            # The reports' first message and first answer (an echo matched to our reply was counted
            # when the reply was queued).
            # A conversation this delivery created has no rows but this delivery's, noted in time order.
            if first_times.note_new_message(conversation, direction=new.direction, kind=new.kind,
                                            source=new.row["source"], status=new.row["status"], at=at,
                                            only_rows_so_far=conversation.id in self.created_conversations):
                self.first_times_stale.add(conversation.id)
        if new.counts_as_inbound and is_new:
            if conversation.last_inbound_at is None or at > conversation.last_inbound_at:
                conversation.last_inbound_at = at
        if is_new or new.direction == "out":
            # Never backwards: an older message arriving late leaves the newest one in the list.
            if at >= conversation.last_message_at:
                # The content built for the row, not a parse of the meta just written from it.
                preview = preview_line(new.content, new.row["text"], new.row["attachments"],
                                       row_kind=new.kind)[:PREVIEW_MAX] or None
                if at != conversation.last_message_at or preview != conversation.last_message_preview:
                    conversation.last_message_at = at
                    conversation.last_message_preview = preview
                    changed = True
        if changed or is_new:
            self._touch(conversation)

    # -- step 4: leads for customers who write for the first time
    def create_leads(self, events: list[Event], arrived: dict[tuple[int, str], int]) -> None:
        first: dict[int, Event] = {}
        for event in events:
            if not _creates_thread(event) or event.is_echo:
                continue
            conversation = self.conversation_for(event)
            if self.had_inbound[conversation.id]:
                continue
            if (self.accounts[event.account_id].id, message_mid(event)) not in arrived:
                continue  # a redelivery, or an echo matched to our own send
            # The first event names the source, unless a later one in the same batch knows better
            # (an ad referral right after a plain first line).
            current = first.get(conversation.id)
            if current is None or (lead_source(current)[0] == "dm" and lead_source(event)[0] != "dm"):
                first[conversation.id] = event
        rows = []
        for conversation_id, event in sorted(first.items()):
            conversation = self.conversations_by_id[conversation_id]
            source, detail = lead_source(event, imported=self.history,
                                         permalink=self.permalinks.get(conversation.media_id or 0))
            # An imported customer became a lead when their conversation began (see _create_conversations).
            created = min(conversation.created_at, self.now) if self.history else self.now
            # Owned by the conversation's assignee when it already has one (app.leads.ownership).
            rows.append({"workspace_id": conversation.workspace_id, "contact_id": conversation.contact_id,
                         "conversation_id": conversation.id, "owner_id": conversation.assignee_id,
                         "status": "new", "source": source,
                         "source_detail": detail, "created_at": created, "updated_at": self.now,
                         "stage_changed_at": self.now})
        if rows:
            # One lead per contact, ever: a later referral never overwrites where they came from.
            if self.subscriptions().any(webhook_events.LEAD_CREATED):
                for row in insert_rows(Lead, rows, ["contact_id"], ("id", "workspace_id")).all():
                    self.new_lead_ids[row.workspace_id].append(row.id)
            else:
                insert_rows(Lead, rows, ["contact_id"])

    def subscriptions(self) -> webhook_events.Subscriptions:
        if self._subscriptions is None:
            accounts = self.accounts.values()
            # The account lookup asked whether anyone listens: usually nobody, and then no query here.
            self._subscriptions = webhook_events.Subscriptions(
                {a.workspace_id for a in accounts}, listened=any(a.listened for a in accounts) or False)
        return self._subscriptions

    def emit_webhooks(self) -> None:
        """lead.created and message.created for the team's CRM, in this transaction; with no
        endpoint listening, one query and nothing else (app.integrations.events)."""
        if not self.new_message_ids and not self.new_lead_ids:
            return
        subscriptions = self.subscriptions()
        if not (subscriptions.any(webhook_events.MESSAGE_CREATED) or self.new_lead_ids):
            return
        webhook_events.ingested(subscriptions, lead_ids=self.new_lead_ids, message_ids=self.new_message_ids)

    # -- step 5: reactions, reads, edits, unsends (and those deferred earlier)
    def apply_changes(self, events: list[Event], arrived: dict[tuple[int, str], int]) -> None:
        changes: list[_Change] = []
        watermark_reads: list[ReadEvent] = []
        mid_reads: list[ReadEvent] = []
        for n, event in enumerate(events):
            if isinstance(event, ReadEvent) and event.mid is None:
                watermark_reads.append(event)
                continue
            if isinstance(event, ReadEvent):
                mid_reads.append(event)
            change = _change_of(event, self.accounts[event.account_id].id, n)
            if change is not None:
                changes.append(change)
        # New rows' own INSERT said whether anything waits for them (WAITING); echoes matched to our
        # sends, and apply_waiting's messages, are looked up.
        look_up = {key for key in arrived if key not in self.none_waiting}
        if look_up:
            # Rows, not ORM objects: nearly every delivery finds none, and the query is on its path.
            waiting = db.session.execute(
                select(DeferredEvent.id, DeferredEvent.account_id, DeferredEvent.mid, DeferredEvent.kind,
                       DeferredEvent.payload, DeferredEvent.occurred_at)
                .where(DeferredEvent.account_id.in_({k[0] for k in look_up}), DeferredEvent.mid.in_({k[1] for k in look_up}))
            ).all()
            changes.extend(_Change(row.occurred_at, -1, row.kind, row.account_id, row.mid, row.payload, row.id)
                           for row in waiting if (row.account_id, row.mid) in look_up)
        reads: dict[int, datetime] = {}  # conversation id -> our messages up to this time were seen
        missing: set[tuple[int, str]] = set()  # (account id, mid) of targets not stored (yet)
        if changes:
            changes.sort(key=lambda c: (c.occurred_at, c.order))
            targets = self._load_targets({(c.account_id, c.mid) for c in changes})
            to_defer: list[_Change] = []
            done_waiting: list[int] = []
            for change in changes:
                message = targets.get((change.account_id, change.mid))
                if message is None:
                    to_defer.append(change)
                    missing.add((change.account_id, change.mid))
                    continue
                if change.deferred_id is not None:
                    done_waiting.append(change.deferred_id)
                conversation = self.conversations_by_id[message.conversation_id]
                if change.kind == "read":
                    if message.conversation_id not in reads or message.created_at > reads[message.conversation_id]:
                        reads[message.conversation_id] = message.created_at
                elif change.kind == "reaction":
                    self._touch(conversation, _apply_reaction(message, change.payload))
                elif change.kind in ("edit", "unsend"):
                    before = preview_of(message)[:PREVIEW_MAX]
                    apply = _apply_edit if change.kind == "edit" else _apply_unsend
                    if apply(message, change.payload, conversation):
                        self._touch(conversation)
                        # The bell's line is the message's words too: what the customer took back or
                        # corrected must not stay there (usually no row matches).
                        notifications.retell(conversation.id, before, preview_of(message)[:PREVIEW_MAX])
            if done_waiting:
                db.session.execute(delete(DeferredEvent).where(DeferredEvent.id.in_(done_waiting)))
                self.waiting_applied += len(done_waiting)
            if to_defer:
                self._defer(to_defer)
        # A receipt naming a message we never stored (sent by another tool, or before the account was
        # connected) still says the customer saw what we sent before it: read up to its watermark, else
        # its time. It also waits for that message, in case its echo is only late.
        watermark_reads.extend(e for e in mid_reads if (self.accounts[e.account_id].id, e.mid) in missing)
        for event in watermark_reads:
            upto = event.watermark or event.timestamp
            conversation = self._existing_conversation(event)
            if conversation is not None and (conversation.id not in reads or upto > reads[conversation.id]):
                reads[conversation.id] = upto
        db.session.flush()
        for conversation_id, upto in sorted(reads.items()):
            if lifecycle.mark_read(conversation_id, upto, self.now):
                self._touch(self.conversations_by_id[conversation_id])

    def _existing_conversation(self, event: Event) -> Conversation | None:
        """The conversation with this event's customer, if there is one (never creates it)."""
        account = self.accounts[event.account_id]
        contact_id = self.contacts.get((account.id, event.customer_id))
        if contact_id is not None and (contact_id, None) in self.conversations:
            return self.conversations[(contact_id, None)]
        # Read receipts are about DMs: the customer's DM conversation.
        found = db.session.scalar(
            select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.account_id == account.id, Contact.igsid == event.customer_id, Conversation.kind == "dm")
            .with_for_update(of=Conversation)
        )
        if found is not None:
            self._remember(found)
        return found

    def _load_targets(self, keys: set[tuple[int, str]]) -> dict[tuple[int, str], Message]:
        if not keys:
            return {}
        messages = db.session.scalars(
            select(Message).where(Message.account_id.in_({k[0] for k in keys}), Message.mid.in_({k[1] for k in keys}))
        ).all()
        found = {(m.account_id, m.mid): m for m in messages if (m.account_id, m.mid) in keys}
        unlocked = sorted({m.conversation_id for m in found.values()} - set(self.conversations_by_id))
        if unlocked:
            self._lock_conversations(select(Conversation).where(Conversation.id.in_(unlocked)))
        return found

    def _touch(self, conversation: Conversation, changed: bool = True) -> None:
        if changed:
            conversation.updated_at = self.now  # the inbox's live poll watches this

    def _defer(self, changes: list[_Change]) -> None:
        """Keep events about messages we have not seen yet; the message's arrival applies them."""
        existing = db.session.execute(
            select(DeferredEvent.account_id, DeferredEvent.mid, DeferredEvent.kind, DeferredEvent.payload)
            .where(DeferredEvent.account_id.in_({c.account_id for c in changes}),
                   DeferredEvent.mid.in_({c.mid for c in changes}))
        ).all()
        seen = {(r.account_id, r.mid, r.kind, _waiting_key(r.payload)) for r in existing}
        for change in changes:
            if change.deferred_id is not None:
                continue  # a row that is already waiting stays as it is
            key = (change.account_id, change.mid, change.kind, _waiting_key(change.payload))
            if key in seen:
                continue  # a redelivery of an event that is already waiting
            seen.add(key)
            parked = DeferredEvent(account_id=change.account_id, mid=change.mid, kind=change.kind,
                                   payload=change.payload, occurred_at=change.occurred_at, created_at=self.now)
            db.session.add(parked)
            self.parked.append(parked)

    # -- step 6: bookkeeping
    def finish(self) -> None:
        if self.history:
            db.session.flush()
            return  # an import is not a webhook: "last webhook received" stays as it was
        # "Last webhook" is shown to the minute. Writing it on every delivery would make every
        # concurrent delivery for an account queue on that one row's lock until its commit.
        stale_before = self.now - LAST_WEBHOOK_RESOLUTION
        heard_from = sorted({account.id for account in self.accounts.values()
                             if account.last_webhook_at is None or account.last_webhook_at <= stale_before})
        if heard_from:
            db.session.execute(
                update(InstagramAccount).where(InstagramAccount.id.in_(heard_from))
                .values(last_webhook_at=self.now).execution_options(synchronize_session=False)
            )
        db.session.flush()


def _creates_thread(event: Event) -> bool:
    """Events that are a line in the thread, so they need the contact and conversation."""
    if isinstance(event, MessageEvent):
        return not event.is_deleted
    return isinstance(event, (PostbackEvent, ReferralEvent, CommentEvent))


@dataclass
class _Change:
    """An event that changes an existing message. `payload` is JSON so it can wait in a
    DeferredEvent row until the message arrives (`deferred_id` is that row once it has waited)."""

    occurred_at: datetime
    order: int  # position in the delivery; deferred ones (older by nature) sort first on ties
    kind: str  # reaction, read, edit, unsend
    account_id: int
    mid: str
    payload: dict[str, Any]
    deferred_id: int | None = None


def _waiting_key(payload: dict[str, Any]) -> str:
    """What makes two waiting events the same event: their payload without `at`. `at` is Meta's
    time, or the time we received the delivery when Meta gave none, which differs at each
    redelivery; `item` (a digest of the item as Meta sent it, timestamp included) tells events
    apart instead."""
    return json.dumps({k: v for k, v in payload.items() if k != "at"}, sort_keys=True, default=str)


def _change_of(event: Event, account_id: int, order: int) -> _Change | None:
    at = _ms(event.timestamp)
    if isinstance(event, MessageEvent) and event.is_deleted:
        kind, mid, payload = "unsend", event.mid, {"at": at, "raw": event.raw}
    elif isinstance(event, ReactionEvent):
        by = "business" if event.sender_id == event.account_id else "customer"
        kind, mid = "reaction", event.mid
        payload = {"at": at, "action": event.action, "reaction": event.reaction, "emoji": event.emoji, "by": by}
    elif isinstance(event, MessageEditEvent):
        kind, mid, payload = "edit", event.mid, {"at": at, "text": event.text, "num_edit": event.num_edit}
    elif isinstance(event, ReadEvent) and event.mid is not None:
        kind, mid, payload = "read", event.mid, {"at": at}
    else:
        return None
    payload["item"] = synthetic_mid(kind, event.raw).rsplit(".", 1)[1][:16]
    return _Change(event.timestamp, order, kind, account_id, mid, payload)


def _apply_reaction(message: Message, payload: dict[str, Any]) -> bool:
    by = payload.get("by") or "customer"
    meta = dict(message.meta or {})
    stamps = dict(meta.get("reaction_at") or {})
    at = int(payload.get("at") or 0)
    if at <= int(stamps.get(by, 0)):
        return False  # this one or a newer one was applied already; order by Meta's time
    reactions = [r for r in (message.reactions or []) if r.get("by") != by]  # one reaction per side
    if payload.get("action") == "react":
        reactions.append({"emoji": payload.get("emoji"), "reaction": payload.get("reaction"), "by": by})
    stamps[by] = at
    meta["reaction_at"] = stamps
    message.reactions = reactions
    message.meta = meta
    return True


def _apply_edit(message: Message, payload: dict[str, Any], conversation: Conversation) -> bool:
    if message.is_deleted:
        return False
    meta = dict(message.meta or {})
    num_edit, at = payload.get("num_edit"), int(payload.get("at") or 0)
    if num_edit is not None and int(meta.get("num_edit") or 0) >= num_edit:
        return False
    if num_edit is None and at <= int(meta.get("edited_at") or 0):
        return False
    meta["edited_at"] = at
    if num_edit is not None:
        meta["num_edit"] = num_edit
    message.text = payload.get("text")
    message.edited = True
    message.meta = meta
    if message.created_at >= conversation.last_message_at and message.text:
        conversation.last_message_preview = message.text[:PREVIEW_MAX]
    return True


def _apply_unsend(message: Message, payload: dict[str, Any], conversation: Conversation) -> bool:
    if message.is_deleted:
        return False
    # The customer took it back: nothing of its content stays visible (raw included).
    message.text = None
    message.attachments = []
    message.is_deleted = True
    message.meta = {"unsent_at": payload.get("at")}
    message.raw = payload.get("raw")
    if message.created_at >= conversation.last_message_at:
        conversation.last_message_preview = "Message deleted"
    return True


def apply_events(parsed: ParsedDelivery, now: datetime | None = None, *, history: bool = False) -> ApplyResult:
    """Apply one parsed delivery in the current transaction (the caller commits). `history`: the
    events are imported history, applied quietly (see the module's docstring)."""
    delivery = _Delivery(parsed, now or utcnow(), history)
    events = delivery.usable_events()
    if events:
        delivery.resolve_media(events)
        delivery.resolve_threads(events)
        arrived = delivery.insert_messages(events)
        delivery.create_leads(events, arrived)
        delivery.apply_changes(events, arrived)
        delivery.emit_webhooks()
    delivery.finish()
    # Flushed by finish(): the log links them to this delivery, so their expiry is shown on it.
    delivery.result.deferred_ids = [row.id for row in delivery.parked]
    return delivery.result


def apply_waiting(now: datetime | None = None, limit: int = 500) -> int:
    """Apply deferred events whose message has arrived by a path that does not look for them (our
    send job storing Meta's mid, say). The caller commits. Returns how many were applied."""
    found = db.session.execute(
        select(Message.account_id, Message.mid)
        .join(DeferredEvent, (DeferredEvent.account_id == Message.account_id) & (DeferredEvent.mid == Message.mid))
        .distinct().limit(limit)
    ).all()
    if not found:
        return 0
    delivery = _Delivery(ParsedDelivery([], []), now or utcnow())
    arrived = {(row.account_id, row.mid): 0 for row in found}
    delivery.apply_changes([], arrived)
    delivery.finish()
    return delivery.waiting_applied
