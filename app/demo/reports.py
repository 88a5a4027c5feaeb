"""The demo shop's last month, so /reports means something at first sight: about eighty more
conversations spread over the 30 days up to yesterday, beside the ten stories (app.demo.seed), each with the
customer's first message at a believable hour, the team's first answer after a believable wait
(minutes in the shop's daytime, the next morning for a message sent at night, now and then a few
hours on a busy afternoon), a greeting from the automation in some, a short exchange after it, and
most of them resolved. Each customer's lead came from a direct message, an ad, a story or the bio
link and moved through the pipeline over the following days (lead_stage_changes), the won ones
with what they were worth.

This is history the demo did not receive as webhooks (they would all land "now"), so the rows are
written directly, as an import of old conversations would. Deterministic (a fixed random seed) and
written once: nothing is added while the first history customer exists."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from app.demo.pipeline import SHOP_CURRENCY
from app.extensions import db
from app.models import Contact, Conversation, InstagramAccount, Lead, LeadStageChange, Message, User, utcnow
from app.standin import customer_igsid

FIRST_NAMES = ("ana", "ben", "carla", "dev", "elif", "femi", "greta", "hugo", "ines", "jamal", "kira", "luca",
               "maya", "nils", "olga", "pablo", "quinn", "rosa", "sami", "tara", "umar", "vera", "wen", "yara")
LAST_NAMES = ("costa", "meyer", "novak", "okafor", "park", "rossi", "silva", "tan", "weber", "young")
OPENERS = ("Hi! Is the linen shirt still available in M?", "How long does shipping to Vienna take?",
           "Do you have this in green?", "Saw your story, what's the price of the tote?",
           "Can I pick up in store tomorrow?", "Hello, do you ship to Norway?",
           "Is there a discount for two pieces?", "What are the sizes for the wool coat?")
ANSWERS = ("Hi! Yes, M is in stock. Shall I reserve one for you?", "2-3 working days to Austria, tracked.",
           "We have it in sage green, here is a photo.", "The tote is 45 EUR, free shipping this week.",
           "Of course, it will be ready from 10:00.", "Yes, to Norway in 4-5 days.",
           "10% off when you take two, at checkout.", "XS to XL, the chart is in our highlights.")
FOLLOW_UPS = (("Great, I'll take it!", "Lovely, here is your payment link."),
              ("Thanks!", "You're welcome, have a nice day!"),
              ("Perfect, ordered.", "Thank you! It ships tomorrow."))
SOURCES = ("dm",) * 8 + ("ad",) * 5 + ("story",) * 3 + ("link",) * 2
DAYS, PER_DAY = 30, (1, 4)
MARKER = "ana.costa.history"  # the first history customer: present means already written


def _wait(rng: random.Random, asked: datetime) -> timedelta:
    """How long the team took to answer a message sent at `asked` (UTC, the shop's clock)."""
    hour = asked.hour + asked.minute / 60
    if hour < 8 or hour >= 20:  # at night: the next morning, shortly after opening
        opening = datetime.combine(asked.date() + timedelta(days=1 if hour >= 20 else 0), time(9), timezone.utc)
        return opening - asked + timedelta(minutes=rng.randint(3, 50))
    if rng.random() < 0.12:  # a busy afternoon
        return timedelta(minutes=rng.randint(90, 300))
    return timedelta(seconds=int(rng.lognormvariate(6.4, 0.8)))  # around 10 minutes, a few up to an hour


def seed_month(workspace, account: InstagramAccount, people: list[User]) -> None:
    if account is None or db.session.scalar(select(Contact.id).where(Contact.account_id == account.id,
                                                                      Contact.igsid == customer_igsid(MARKER))):
        return
    rng = random.Random(20)
    now = utcnow().replace(microsecond=0)
    names = [f"{first}.{last}.history" for last in LAST_NAMES for first in FIRST_NAMES]
    names.remove(MARKER)
    names.insert(0, MARKER)
    serial = 0
    for days_ago in range(DAYS, 0, -1):  # the last month, up to yesterday
        day = (now - timedelta(days=days_ago)).date()
        for _ in range(rng.randint(*PER_DAY) + (1 if day.weekday() in (0, 5) else 0)):
            username = names[serial % len(names)]
            serial += 1
            asked = datetime.combine(day, time(0), timezone.utc) + timedelta(
                minutes=rng.choice((rng.randint(9 * 60, 19 * 60), rng.randint(7 * 60, 23 * 60 + 30))))
            _conversation(rng, workspace, account, people, username, asked, serial, now)
    db.session.commit()


def _conversation(rng, workspace, account, people, username: str, asked: datetime, serial: int,
                  now: datetime) -> None:
    first, last = username.split(".")[:2]
    contact = Contact(workspace_id=workspace.id, account_id=account.id, igsid=customer_igsid(username),
                      username=username.replace(".history", ""), name=f"{first.title()} {last.title()}",
                      created_at=asked)
    db.session.add(contact)
    db.session.flush()
    owner = people[serial % len(people)]
    answered = asked + _wait(rng, asked)
    pick = serial % len(OPENERS)
    lines = [("in", "instagram", None, OPENERS[pick], asked)]
    if serial % 3 == 0:  # the greeting rule answered first: not a person's answer
        lines.append(("out", "automation", None, "Thanks for your message! We usually answer within the hour.",
                      asked + timedelta(seconds=4)))
    lines.append(("out", "app" if serial % 9 == 0 else "inbox", None if serial % 9 == 0 else owner.id,
                  ANSWERS[pick], answered))
    more, thanks = FOLLOW_UPS[serial % len(FOLLOW_UPS)]
    if serial % 4 != 3:
        lines.append(("in", "instagram", None, more, answered + timedelta(minutes=rng.randint(2, 40))))
        lines.append(("out", "inbox", owner.id, thanks, lines[-1][4] + timedelta(minutes=rng.randint(1, 15))))
    # Nothing after now: a message from late last night is answered "next morning", which may not have
    # come yet. (A row dated in the future would also hide every later change from the inbox's live
    # poll, which watches the newest updated_at.)
    lines = [line for line in lines if line[4] <= now]
    if answered > now:
        answered = None
    customer_last = lines[-1][0] == "in"
    resolved = serial % 5 != 0 and not customer_last
    conversation = Conversation(workspace_id=workspace.id, account_id=account.id, contact_id=contact.id,
                                status="resolved" if resolved else "open", assignee_id=owner.id,
                                assignment_reason="manual", assigned_at=asked, last_message_at=lines[-1][4],
                                last_message_preview=lines[-1][3][:200], last_inbound_at=max(
                                    line[4] for line in lines if line[0] == "in"),
                                last_speaker="customer" if customer_last else "team",
                                waiting_since=lines[-1][4] if customer_last else None,
                                created_at=asked, updated_at=lines[-1][4])
    db.session.add(conversation)
    db.session.flush()
    for n, (direction, source, sender, text, at) in enumerate(lines):
        db.session.add(Message(account_id=account.id, conversation_id=conversation.id,
                               mid=f"demo-history-{serial}-{n}", direction=direction, kind="message", text=text,
                               status="received" if direction == "in" else "read", source=source,
                               sent_by_id=sender, created_at=at, received_at=at, updated_at=at))
    _lead(rng, workspace, contact, conversation, owner, asked, answered, serial, now)


# Why the month's lost deals were lost, as the forms store it (a reason picked, sometimes with words):
# the reports' "Why deals were lost" has several rows to show.
LOST_WHY = ("Price: too expensive for them", "Chose a competitor", "No reply", "Price", "Timing: after the holidays",
            "Not a fit: wanted wholesale sizes")


def _lead(rng, workspace, contact, conversation, owner, asked, answered, serial: int, now: datetime) -> None:
    source = SOURCES[serial % len(SOURCES)]
    path = ["new", "contacted"]
    roll = rng.random()
    if roll < 0.55:
        path.append("qualified")
        if roll < 0.3 or (source == "ad" and roll < 0.4):
            path.append("won")
        elif roll > 0.5:
            path.append("lost")
    elif roll > 0.9:
        path.append("lost")
    value = rng.choice((4500, 8900, 12000, 24000, 6000, 3900)) if "qualified" in path else None
    lead = Lead(workspace_id=workspace.id, contact_id=contact.id, conversation_id=conversation.id, status=path[-1],
                owner_id=owner.id, source=source,
                source_detail={"ad_id": f"demo-ad-{serial % 3}", "ad_title": "Autumn linen"} if source == "ad" else {},
                value_cents=value, currency=SHOP_CURRENCY if value else None,
                lost_reason=LOST_WHY[serial % len(LOST_WHY)] if path[-1] == "lost" else None, created_at=asked,
                updated_at=asked)
    db.session.add(lead)
    db.session.flush()
    at, before, reached_at = asked, None, asked
    for step in path:
        if step != "new" and answered is None:
            break  # not answered yet: still new
        at = answered if step == "contacted" else at + timedelta(hours=rng.randint(2, 60)) if step != "new" else asked
        if at > now:
            break  # the rest of its way is still ahead
        reached_at = at
        db.session.add(LeadStageChange(workspace_id=workspace.id, lead_id=lead.id, from_status=before, to_status=step,
                                       user_id=None if step == "new" else owner.id,
                                       value_cents=value if step == "won" else None,
                                       lost_reason=lead.lost_reason if step == "lost" else None, created_at=at))
        before = step
    # Where it got to by now (the whole path, unless part of it is still ahead).
    lead.status = before
    lead.lost_reason = lead.lost_reason if before == "lost" else None
    lead.value_cents = value if before in ("qualified", "won", "lost") else None
    lead.currency = SHOP_CURRENCY if lead.value_cents else None
    lead.stage_changed_at = reached_at
