"""`flask demo` shows clickable links: a customer's message with an address, and one of ours typed
in the Instagram app, are links in their threads (app/messages/links.py)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.messages.links import REL
from app.models import Contact, Conversation, User
from app.standin import customer_igsid
from tests.demo.test_demo_seed import run_demo


def thread_of(client, username: str) -> str:
    conversation = db.session.scalar(select(Conversation.id).join(Contact, Contact.id == Conversation.contact_id)
                                     .where(Contact.igsid == customer_igsid(username), Conversation.kind == "dm"))
    return client.get(f"/conversations/{conversation}").get_data(as_text=True)


def test_demo_threads_show_links(runner, client, auth):
    run_demo(runner)
    auth.login(db.session.scalar(select(User).where(User.email == "demo@example.com")), password="demo-inbox")
    assert (f'<a href="https://www.demo-boutique.example/totes" rel="{REL}" target="_blank">'
            "www.demo-boutique.example/totes</a> (the natural colour).") in thread_of(client, "priya.m")
    assert (f'<a href="https://demo-boutique.example/tote" rel="{REL}" target="_blank">'
            "https://demo-boutique.example/tote</a>") in thread_of(client, "lena.bakes")
