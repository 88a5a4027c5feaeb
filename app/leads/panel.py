"""What the lead panel beside a thread shows: the conversation's lead and everything around it.

The panel (templates/leads/_panel.html, routes in app.leads.panel_routes) is one template whose
sections each save one field and come back re-rendered; this module gathers what they read, in a
fixed number of queries whatever the lead's history or the workspace's size."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.inbox.queries import workspace_users
from app.leads import stages
from app.leads.contact_facts import Offer, offers_for
from app.leads.follow_ups import local_input_value
from app.leads.values import COMMON_CURRENCIES, LOST_REASONS, display_value, format_value
from app.messages.content import Referral
from app.comments.media import media_json
from app.models import (LEAD_STATUSES, Contact, Conversation, InstagramAccount, InstagramMedia, Lead, LeadStageChange,
                        Workspace, utcnow)
from app.scoping import current_workspace_id

OTHER_CONVERSATIONS_SHOWN = 5


def lead_of(conversation: Conversation) -> Lead | None:
    """The conversation's lead: one per contact (leads.contact_id is unique)."""
    return db.session.scalar(
        select(Lead).where(Lead.contact_id == conversation.contact_id, Lead.workspace_id == conversation.workspace_id)
        .options(joinedload(Lead.owner)))


def other_conversations(conversation: Conversation) -> list[Conversation]:
    """The same customer's other conversations: with the same contact (a comments thread beside the
    DMs), or on the workspace's other accounts under the same username (an IGSID is per account,
    so the username is what ties them). The second look runs only when there are other accounts."""
    contact = conversation.contact
    query = (select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
             .where(Conversation.workspace_id == conversation.workspace_id, Conversation.id != conversation.id)
             .options(joinedload(Conversation.account), joinedload(Conversation.contact))
             .order_by(Conversation.last_message_at.desc()).limit(OTHER_CONVERSATIONS_SHOWN))
    same_contact = Conversation.contact_id == contact.id
    other_accounts = list(db.session.scalars(
        select(InstagramAccount.id).where(InstagramAccount.workspace_id == conversation.workspace_id,
                                          InstagramAccount.id != conversation.account_id)))
    if contact.username and other_accounts:
        query = query.where(same_contact | ((Contact.account_id.in_(other_accounts)) & (Contact.username == contact.username)))
    else:
        query = query.where(same_contact, Conversation.account_id == conversation.account_id)
    return list(db.session.scalars(query).unique())


@dataclass
class Panel:
    conversation: Conversation
    lead: Lead | None
    history: list[LeadStageChange] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    others: list[Conversation] = field(default_factory=list)
    users: list = field(default_factory=list)
    workspace_currency: str = "USD"

    @property
    def referral(self) -> Referral | None:
        if self.lead is None or self.lead.source not in ("ad", "link"):
            return None
        return Referral.from_json(self.lead.source_detail)

    @property
    def detail(self) -> dict:
        detail = self.lead.source_detail if self.lead is not None else None
        detail = detail if isinstance(detail, dict) else {}
        if self.lead is not None and self.lead.source == "comment" and detail.get("media_id"):
            # The post as fetched since (caption, thumbnail, permalink): the lead kept only its id.
            media = db.session.scalar(select(InstagramMedia).where(
                InstagramMedia.account_id == self.lead.contact.account_id,
                InstagramMedia.ig_media_id == str(detail["media_id"])))
            if media is not None:
                detail = {**media_json(media), **{k: v for k, v in detail.items() if v}}
        return detail

    def context(self) -> dict:
        """The panel template's context: a section rendered alone gets `section`, `error`, `done`
        and the refused `form` on top of it."""
        return dict(panel=self, lead=self.lead, current=self.conversation, statuses=LEAD_STATUSES,
                    lost_reasons=LOST_REASONS, currencies=COMMON_CURRENCIES, users=self.users,
                    format_value=format_value, display_value=display_value, local_input_value=local_input_value,
                    now=utcnow, section=None, error=None, done=None, form={})


def load_panel(conversation: Conversation) -> Panel:
    lead = lead_of(conversation)
    panel = Panel(conversation=conversation, lead=lead, users=workspace_users(),
                  workspace_currency=db.session.get(Workspace, current_workspace_id()).currency or "USD")
    if lead is not None:
        panel.history = stages.history(lead)
        panel.offers = offers_for(lead, conversation.id)
    panel.others = other_conversations(conversation)
    return panel
