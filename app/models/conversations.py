"""The conversations with customers: the contact (a customer as one account sees them), the
conversation and its messages and private notes, the lead it made, and the files staff attach
to replies."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import InstagramAccount
from app.models.types import UTCDateTime, enum_check, utcnow
from app.models.workspaces import User

if TYPE_CHECKING:
    from app.models.agents_day import Label

SPEAKERS = ("customer", "team", "automation")
# A conversation is a person's DMs with an account, or their comments on one post of it.
CONVERSATION_KINDS = ("dm", "comments")
CONVERSATION_STATUSES = ("open", "pending", "resolved", "snoozed")
DIRECTIONS = ("in", "out")
MESSAGE_STATUSES = ("received", "pending", "sent", "delivered", "read", "failed")
MESSAGE_SOURCES = ("instagram", "inbox", "api", "app", "automation")
LEAD_STATUSES = ("new", "contacted", "qualified", "won", "lost")
# The rows the reports' partial indexes hold, written as app.messages.first_times writes its predicates.
FIRST_CUSTOMER = "direction = 'in' AND kind <> 'referral'"
FIRST_ANSWER = "direction = 'out' AND source <> 'automation' AND status <> 'failed'"


class Contact(db.Model):
    """A customer on Instagram, as seen by one of our accounts (IGSIDs are per account)."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("account_id", "igsid"),
        # The lead panel's "other conversations of this customer": the same username on the
        # workspace's other accounts (an IGSID is per account).
        Index("ix_contacts_account_username", "account_id", "username"),
        # Search (app.inbox.search): trigram GIN on the names, led by the workspace (btree_gin), so a
        # search reads only its own workspace's entries. PostgreSQL only (pg_trgm); SQLite scans.
        Index("ix_contacts_search", "workspace_id", "username", "name", postgresql_using="gin",
              postgresql_ops={"username": "gin_trgm_ops", "name": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    igsid: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(120))
    name: Mapped[str | None] = mapped_column(String(255))
    profile_pic_url: Mapped[str | None] = mapped_column(Text)
    follower_count: Mapped[int | None] = mapped_column(Integer)
    is_verified_user: Mapped[bool | None] = mapped_column(Boolean)
    is_user_follow_business: Mapped[bool | None] = mapped_column(Boolean)
    is_business_follow_user: Mapped[bool | None] = mapped_column(Boolean)
    profile_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    profile_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[InstagramAccount] = relationship()

    @property
    def display_name(self) -> str:
        # Until the profile lookup succeeds the customer is still shown, by id.
        return self.name or (f"@{self.username}" if self.username else "Instagram user")

    @property
    def handle(self) -> str:
        return f"@{self.username}" if self.username else f"@{self.igsid}"


class InstagramMedia(db.Model):
    """A post, reel, story, ad or Live broadcast of one of our accounts that people comment on.

    Made by ingestion from a comment's `media` (id, product type, ad) and filled in by a follow-up
    job (app.comments.media : fetch_media) with Meta's caption, permalink and thumbnail: a comment
    never waits for it. CDN urls expire, so the permalink is kept and the rest is fetched again
    when `fetched_at` is older than a day."""

    __tablename__ = "instagram_media"
    __table_args__ = (UniqueConstraint("account_id", "ig_media_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    ig_media_id: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(30))  # IMAGE, VIDEO, CAROUSEL_ALBUM
    product_type: Mapped[str | None] = mapped_column(String(30))  # FEED, REELS, STORY, AD, LIVE...
    caption: Mapped[str | None] = mapped_column(Text)
    permalink: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(Text)
    thumbnail_url: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Boosted posts and ads: what the comment's delivery said (the media object does not say it).
    ad_id: Mapped[str | None] = mapped_column(String(64))
    ad_title: Mapped[str | None] = mapped_column(String(255))
    # The last successful fetch (None: never); the last failure's sentence, cleared by a success.
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetch_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Conversation(db.Model):
    __tablename__ = "conversations"
    __table_args__ = (
        # One DM conversation per customer and account; one comments conversation per customer,
        # account and post (DM rows have no media, and NULLs never conflict in the second index).
        Index("ux_conversations_dm", "account_id", "contact_id", unique=True,
              postgresql_where=sql_text("kind = 'dm'"), sqlite_where=sql_text("kind = 'dm'")),
        UniqueConstraint("account_id", "contact_id", "media_id"),
        enum_check("kind", CONVERSATION_KINDS),
        CheckConstraint("(kind = 'dm' AND media_id IS NULL) OR (kind = 'comments' AND media_id IS NOT NULL)",
                        name="media_valid"),
        enum_check("status", CONVERSATION_STATUSES),
        # The inbox list: newest activity first within a workspace, keyset-paginated by (time, id).
        Index("ix_conversations_inbox", "workspace_id", "last_message_at", "id"),
        # The live-update poll: "has anything in my workspace changed since X?"
        Index("ix_conversations_changes", "workspace_id", "updated_at"),
        # Needs reply, longest waiting first: only the conversations waiting for a person.
        Index("ix_conversations_waiting", "workspace_id", "waiting_since", "id",
              postgresql_where=sql_text("waiting_since IS NOT NULL"), sqlite_where=sql_text("waiting_since IS NOT NULL")),
        enum_check("last_speaker", SPEAKERS),
        # Reports: the period's new conversations of a workspace (app.reports.figures).
        Index("ix_conversations_reports", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="dm", server_default="dm")
    # The post a comments conversation is about (None for DMs).
    media_id: Mapped[int | None] = mapped_column(ForeignKey("instagram_media.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Why the assignee is who they are, for the conversation's activity: "round_robin", "least_open"
    # (auto-assignment) or "manual"; and when it happened.
    assignment_reason: Mapped[str | None] = mapped_column(String(16))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unread_count: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    # Never null (a conversation starts with its first message) so the inbox index orders it as is.
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_preview: Mapped[str | None] = mapped_column(String(200))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The customer's oldest message that no person has answered (automated replies don't count):
    # set means the conversation needs a reply.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who wrote the newest message: the customer, a person of the team, or the automation.
    last_speaker: Mapped[str | None] = mapped_column(String(10))
    # The customer's first message and a person's first answer at or after it, for the reports'
    # first response (app.messages.first_times defines them and keeps them with every message).
    first_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[InstagramAccount] = relationship()
    contact: Mapped[Contact] = relationship()
    media: Mapped[InstagramMedia | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    # Read-only: labels are put on and taken off through app/labels/tagging.py, which bumps updated_at.
    labels: Mapped[list[Label]] = relationship(secondary="conversation_labels", viewonly=True, order_by="Label.name")


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        # Meta's message id is unique per account; the constraint, not a lookup, stops duplicates.
        UniqueConstraint("account_id", "mid"),
        enum_check("direction", DIRECTIONS),
        enum_check("status", MESSAGE_STATUSES),
        enum_check("source", MESSAGE_SOURCES),
        # The thread: a conversation's messages in Meta's timestamp order, keyset by (time, id).
        Index("ix_messages_thread", "conversation_id", "created_at", "id"),
        # The outbound sweep: pending sends that are stuck or were never queued.
        Index("ix_messages_outbox", "status", "send_after"),
        # Reports: the period's customer messages and persons' answers of a workspace's accounts, in
        # time order (app.reports.figures counts them per local day, one index range per day);
        # messages carry the account, not the workspace. Partial, so a count reads only the rows it
        # counts and tests nothing per row; on PostgreSQL the sender and the conversation (for the
        # label and agent filters) ride along, so the count reads the index alone.
        Index("ix_messages_reports_customer", "account_id", "created_at", postgresql_include=["conversation_id"],
              postgresql_where=sql_text(FIRST_CUSTOMER), sqlite_where=sql_text(FIRST_CUSTOMER)),
        Index("ix_messages_reports_answers", "account_id", "created_at",
              postgresql_include=["sent_by_id", "conversation_id"],
              postgresql_where=sql_text(FIRST_ANSWER), sqlite_where=sql_text(FIRST_ANSWER)),
        # Reports: a conversation's first customer message and first person's answer, each the first
        # entry under the conversation, read when app.messages.first_times refreshes the times it stores
        # (predicates: app.messages.first_times.customer_message, person_reply).
        Index("ix_messages_first_customer", "conversation_id", "created_at",
              postgresql_where=sql_text(FIRST_CUSTOMER), sqlite_where=sql_text(FIRST_CUSTOMER)),
        Index("ix_messages_first_answer", "conversation_id", "created_at",
              postgresql_where=sql_text(FIRST_ANSWER), sqlite_where=sql_text(FIRST_ANSWER)),
        # The sweeps of jobs a row is owed (app.jobs.owed): reactions and comment actions Instagram
        # has not been told of (app.outbound.state_sync), automation not yet run on a new customer
        # message (app.automation.jobs). Partial: nearly every row has none.
        Index("ix_messages_state_sync", "state_sync_due_at",
              postgresql_where=sql_text("state_sync_due_at IS NOT NULL"),
              sqlite_where=sql_text("state_sync_due_at IS NOT NULL")),
        Index("ix_messages_automation_due", "automation_due_at",
              postgresql_where=sql_text("automation_due_at IS NOT NULL"),
              sqlite_where=sql_text("automation_due_at IS NOT NULL")),
        # Search (app.inbox.search): trigram GIN on the text, led by the account (messages carry the
        # account, not the workspace), so a search reads only its workspace's accounts' entries.
        # PostgreSQL only (pg_trgm + btree_gin, migration 0019); SQLite scans with LIKE.
        Index("ix_messages_search", "account_id", "text", postgresql_using="gin",
              postgresql_ops={"text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("instagram_accounts.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    mid: Mapped[str | None] = mapped_column(String(255))  # None while an outbound message is pending
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20), default="message")  # message, postback, story_mention...
    text: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(12))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reply_to_mid: Mapped[str | None] = mapped_column(String(255))
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    edited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    reactions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What the message carries beyond text (story, referral/ad, quick reply, postback, share, template,
    # unsupported, standby) plus reaction/edit bookkeeping: written and read only through
    # app/messages/content.py, which also names the message's kind for the API and the thread.
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    human_agent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    send_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A pending send is due from this time (later after a failed try); the sweep re-queues it
    # if nothing has picked it up some minutes after.
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A state staff changed that Instagram has not been told of yet (the business's reaction, a
    # comment hidden or shown, our comment deleted): set with the change, moved on by its job's
    # lease and cleared when the job is done; the sweep queues the job again for a row still
    # marked minutes after (app.outbound.state_sync).
    state_sync_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Automation owed to a new customer message or comment: set in ingestion's INSERT, cleared
    # when the automation job has run (app.automation.jobs; the same mark, lease and sweep).
    automation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # Meta's timestamp
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when we stored it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Comments (kind "comment", `mid` is Meta's comment id, unique per account like a DM's mid;
    # direction "out" for the business's own): the comment it answers, whether it is hidden on
    # Instagram, and its one private reply. `private_replied_at` is the claim: set once, by the
    # UPDATE ... WHERE private_replied_at IS NULL that wins, before the reply is sent.
    parent_comment_id: Mapped[str | None] = mapped_column(String(255))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    private_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    private_reply_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), unique=True)

    conversation: Mapped[Conversation] = relationship()
    sent_by: Mapped[User | None] = relationship()


class Note(db.Model):
    """A private note for the team inside a conversation; never sent to Instagram."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_thread", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
    # The teammates the note @mentions (note_mentions, app.models.notifications.NoteMention); read
    # only: app.inbox.mentions writes the rows with the note and notifies those people.
    mentioned: Mapped[list[User]] = relationship(secondary="note_mentions", viewonly=True, order_by="User.id")


class Lead(db.Model):
    __tablename__ = "leads"
    __table_args__ = (
        enum_check("status", LEAD_STATUSES),
        Index("ix_leads_list", "workspace_id", "created_at", "id"),
        # The board's live poll: leads changed since a moment (app.leads.board_live).
        Index("ix_leads_changes", "workspace_id", "updated_at"),
        # The board: one column per status, newest move first (app.leads.board).
        Index("ix_leads_board", "workspace_id", "status", "stage_changed_at", "id"),
        # The board's column heads (count and value per status and currency) read this index alone
        # (an index-only scan on PostgreSQL), never the table.
        Index("ix_leads_board_totals", "workspace_id", "status", "currency", "value_cents"),
        # The same for one owner (the board's "Mine" and owner filter); it also serves the owner
        # foreign key (a deleted user's leads lose their owner).
        Index("ix_leads_owner_totals", "owner_id", "workspace_id", "status", "currency", "value_cents"),
        # Leads by their conversation: a label filter on the list or board when the label is rare
        # (its few conversations first, not every lead checked), the conversation foreign key (a
        # deleted conversation's lead loses it) and history import's start-date fix.
        Index("ix_leads_conversation", "conversation_id"),
        # The follow-ups due list and the clock's `follow_up_due` sweep.
        Index("ix_leads_follow_up", "workspace_id", "next_follow_up_at",
              postgresql_where=sql_text("next_follow_up_at IS NOT NULL"),
              sqlite_where=sql_text("next_follow_up_at IS NOT NULL")),
        CheckConstraint("value_cents IS NULL OR value_cents >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20), default="dm")
    source_detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    # The deal: what it is worth, in hundredths of the ISO 4217 currency (exact on PostgreSQL and
    # SQLite alike, and summed by the board and the reports as integers); the API speaks decimal
    # strings ("1250.50"), app.leads.values converts.
    value_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    # Why it was lost (required when moving to lost): a reason from the pick list, then free text.
    lost_reason: Mapped[str | None] = mapped_column(String(300))
    # Contact facts the customer gave in the chat (saved by a person, never silently).
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # When the status last changed ("days in stage" on the board); the history is lead_stage_changes.
    # A lead made through the ORM starts its clock when it is made (ingestion's set-based insert
    # and app.leads.stages set it themselves): the board's keyset order has no place for a NULL.
    stage_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The next follow-up: when, what for, and when its `follow_up_due` notification went out (once).
    next_follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_note: Mapped[str | None] = mapped_column(String(300))
    follow_up_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()
    conversation: Mapped[Conversation | None] = relationship()
    owner: Mapped[User | None] = relationship()


class Upload(db.Model):
    """A staff attachment, served to Meta at an unguessable, expiring URL. Kept in the database
    because a Heroku-style dyno has no persistent disk."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LeadStageChange(db.Model):
    """One move of a lead between statuses: who, from, to, when (the panel's timeline, the API's
    history, and the reports' conversion figures). Written with the change, never edited."""

    __tablename__ = "lead_stage_changes"
    __table_args__ = (
        enum_check("to_status", LEAD_STATUSES),
        Index("ix_lead_stage_changes_lead", "lead_id", "id"),
        # Reports: moves into a status within a period, per workspace.
        Index("ix_lead_stage_changes_reports", "workspace_id", "to_status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(16))  # None: the lead was created
    to_status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: automatic
    value_cents: Mapped[int | None] = mapped_column(BigInteger)  # the lead's value at the move (won value)
    lost_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()
