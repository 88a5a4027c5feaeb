"""The demo shop's saved replies: the answers a boutique's DMs need every day (prices, with the
price list as a PDF, shipping, sizes, opening hours, returns), added by the admin for the whole
workspace, and one of Sam's own. Used now and then, as a real team's are. Rows are added only
where their shortcut is still free, so running the demo again changes nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import SavedReply, User, Workspace, utcnow

# (shortcut, title, text, times used, hours since last used)
WORKSPACE_REPLIES = (
    ("prices", "Price list",
     "Hi {first_name}! Here are our current prices: canvas tote €39, linen dresses from €59, sneakers €89. "
     "Shipping is free from €80. The full price list is attached. Which one caught your eye?", 23, 3),
    ("shipping", "Shipping times",
     "We ship within 1–2 working days from Berlin. Delivery takes 2–4 days in Germany and 3–7 days across the EU, "
     "and you get a tracking link by email as soon as your parcel leaves us.", 41, 1),
    ("sizes", "Sizes and fit",
     "Hi {first_name}, our pieces run true to size. Between two sizes? Take the larger one for a relaxed fit. "
     "Tell me your usual size and I'll check what we have in stock for you!", 17, 26),
    ("hours", "Opening hours",
     "Our shop at Torstraße 12 is open Monday to Friday 10:00–19:00 and Saturday 10:00–16:00. "
     "Here in the DMs we answer every day. {agent_name} from {account}", 9, 50),
    ("returns", "Returns",
     "No problem, {first_name}: you can return anything unworn within 30 days. Send me your order number "
     "and I'll email you a free return label.", 6, 120),
)
AGENT_REPLY = ("thanks", "Thank you (Sam's)",
               "Thank you so much, {first_name}! It was a pleasure helping you. Sam from {account}", 12, 5)


def seed_saved_replies(workspace: Workspace, admin: User, agent: User) -> None:
    now = utcnow()
    for shortcut, title, text, used, hours_ago in WORKSPACE_REPLIES:
        if _exists(workspace, None, shortcut):
            continue
        reply = SavedReply(workspace_id=workspace.id, owner_id=None, title=title, shortcut=shortcut, text=text,
                           usage_count=used, last_used_at=now - timedelta(hours=hours_ago))
        if shortcut == "prices":
            reply.attachment_name, reply.attachment_type = "price-list.pdf", "application/pdf"
            reply.attachment_data = price_list_pdf()
        db.session.add(reply)
        db.session.flush()
        audit.record("saved_reply.created", f"Added the workspace saved reply “{title}” (/{shortcut})",
                     actor=admin, saved_reply_id=reply.id)
    shortcut, title, text, used, hours_ago = AGENT_REPLY
    if not _exists(workspace, agent, shortcut):
        db.session.add(SavedReply(workspace_id=workspace.id, owner_id=agent.id, title=title, shortcut=shortcut,
                                  text=text, usage_count=used, last_used_at=now - timedelta(hours=hours_ago)))
    db.session.commit()


def _exists(workspace: Workspace, owner: User | None, shortcut: str) -> bool:
    query = select(SavedReply.id).where(SavedReply.workspace_id == workspace.id, SavedReply.shortcut == shortcut)
    query = query.where(SavedReply.owner_id.is_(None) if owner is None else SavedReply.owner_id == owner.id)
    return db.session.scalar(query) is not None


PRICE_LIST = (
    "Demo Boutique - price list",
    "",
    "Canvas tote bag ................ 39 EUR",
    "Linen summer dress ............. 59 EUR",
    "Linen maxi dress ............... 79 EUR",
    "Leather sneakers ............... 89 EUR",
    "",
    "Free shipping from 80 EUR (Germany and the EU).",
    "Returns within 30 days.",
)


def price_list_pdf() -> bytes:
    """A one-page PDF of PRICE_LIST in Helvetica, written out by hand (no PDF library needed)."""
    # The lines hold no "(", ")" or "\\", which a PDF string would need escaped.
    text = " ".join(f"({line}) Tj T*" for line in PRICE_LIST)
    content = f"BT /F1 16 Tf 22 TL 64 760 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
