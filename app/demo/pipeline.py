"""The demo shop's pipeline: each customer's lead walked to its stage through app.leads.stages (so
the panel's timeline has steps, spread over the conversation's days), what the deals are worth
and in which currency, why the lost one was lost, and follow-ups overdue, due today and coming up.

Run once per conversation, when the demo makes it (app.demo.seed), and never over what someone has
changed since: a lead is walked only while it has no history, a value or a follow-up set only where
the lead has none."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.extensions import db
from app.leads import stages
from app.leads.actions import update_lead
from app.models import Lead, LeadStageChange, User, Workspace, utcnow

# The stages a lead goes through on its way to each status.
PATHS = {"new": (), "contacted": ("contacted",), "qualified": ("contacted", "qualified"),
         "won": ("contacted", "qualified", "won"), "lost": ("contacted", "lost")}


SHOP_CURRENCY = "EUR"  # the demo workspace's (Settings → Workspace)


@dataclass(frozen=True)
class Deal:
    value: str | None = None
    currency: str = SHOP_CURRENCY
    lost_reason: str | None = None
    follow_up_in: timedelta | None = None  # from now; negative: overdue
    follow_up_note: str | None = None


# Customer (app.demo.seed.STORIES) -> their deal.
DEALS = {
    "lena.bakes": Deal("89.00"),
    "noor.home": Deal("240.00"),
    "theo.k": Deal("60.00", lost_reason="No reply: it was a message meant for someone else"),
    "marco_fit": Deal("45.00", follow_up_in=timedelta(hours=2), follow_up_note="Confirm the shirt in L and shipping to Milan"),
    "jonas.outdoors": Deal("129.90", follow_up_in=-timedelta(hours=3), follow_up_note="Size 44 is back: offer to hold a pair"),
    "priya.m": Deal("1400.00", "GBP", follow_up_in=timedelta(days=1, hours=1), follow_up_note="Wholesale quote for 40 totes"),
    "sofia.draws": Deal("35.00", "USD"),
    "amira.styles": Deal(follow_up_in=-timedelta(days=1), follow_up_note="Send the price of the blue dress"),
}


def lost_reason_for(username: str) -> str | None:
    deal = DEALS.get(username)
    return deal.lost_reason if deal else None


def _shop_currency(workspace_id: int) -> None:
    """The demo boutique counts in euros, as most of its deals are: the board's column totals lead
    with the workspace's currency (others only noted beside it). Set while no lead has a value yet, so a
    currency someone chose since is kept."""
    workspace = db.session.get(Workspace, workspace_id)
    if workspace.currency != SHOP_CURRENCY and db.session.scalar(
            db.select(Lead.id).where(Lead.workspace_id == workspace_id, Lead.value_cents.is_not(None)).limit(1)) is None:
        workspace.currency = SHOP_CURRENCY
        db.session.commit()


def seed_lead(lead: Lead, username: str, status: str, by: User) -> None:
    """Give a freshly made demo lead its value, its stages (backdated between its creation and now)
    and its follow-up. A lead that already has a history is left as it is."""
    if db.session.scalar(db.select(LeadStageChange.id).where(LeadStageChange.lead_id == lead.id).limit(1)):
        return
    deal = DEALS.get(username, Deal())
    now = utcnow()
    _shop_currency(lead.workspace_id)
    if deal.value is not None and lead.value_cents is None:
        update_lead(lead, value=deal.value, currency=deal.currency)
    path = PATHS.get(status, (status,))
    start = lead.created_at or now - timedelta(days=1)
    for step, to_status in enumerate(path, start=1):
        at = start + (now - start) * step / (len(path) + 1)
        stages.move(lead, to_status, by, lost_reason=deal.lost_reason if to_status == "lost" else None, now=at)
    db.session.commit()
    if deal.follow_up_in is not None and lead.next_follow_up_at is None:
        update_lead(lead, next_follow_up_at=now + deal.follow_up_in, follow_up_note=deal.follow_up_note)
