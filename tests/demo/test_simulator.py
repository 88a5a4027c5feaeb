"""The simulator: each event is a Meta-signed POST through the real webhook path, never a write of
its own; bad input is refused with a readable reason and nothing delivered."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.instagram.signature import verify_signature
from app.models import Contact, Conversation, Lead, Message, WebhookEvent
from app.standin import customer_igsid
from tests.conftest import TEST_APP_SECRET


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEvent))


def simulate(auth, **form):
    form.setdefault("kind", "text")
    return auth.post("/demo/simulator", form)


@pytest.fixture
def admin(auth, demo):
    auth.login(demo.admin)
    return demo


def test_a_simulated_message_is_a_signed_delivery_applied_by_ingestion(auth, admin):
    response = simulate(auth, username="nina.tries", text="Hello from the simulator 👋")
    assert response.status_code == 200, response.text
    assert 'id="simulator-status">200<' in response.text
    # The live form keeps its customer for the next event; the history form does not take them.
    assert 'id="sim-username" name="username" value="nina.tries"' in response.text
    assert 'placeholder="e.g. maria.lopes" value=""' in response.text

    [event] = db.session.scalars(select(WebhookEvent)).all()
    assert event.status == "applied"
    signature = response.text.split("X-Hub-Signature-256: ")[1].split("<")[0].strip()
    assert verify_signature(TEST_APP_SECRET, event.body, signature)
    body = json.loads(event.body)
    item = body["entry"][0]["messaging"][0]
    assert body["entry"][0]["id"] == admin.account.ig_user_id
    assert item["sender"]["id"] == customer_igsid("nina.tries")
    assert item["message"]["text"] == "Hello from the simulator 👋"

    message = db.session.scalar(select(Message))
    assert (message.direction, message.text, message.mid) == ("in", "Hello from the simulator 👋", item["message"]["mid"])
    contact = db.session.scalar(select(Contact))
    assert contact.username == "nina.tries"  # from the stand-in's profile lookup, over HTTP
    conversation = db.session.scalar(select(Conversation))
    assert f'/conversations/{conversation.id}"' in response.text
    assert db.session.scalar(select(Lead)).source == "dm"


def test_every_event_kind_is_one_webhook_event(auth, admin, factory):
    steps = [
        dict(kind="text", username="olga.p", text="Hi!"),
        dict(kind="edit", username="olga.p", text="Hi there!"),
        dict(kind="image", username="olga.p"),
        dict(kind="reaction", username="olga.p", reaction="love", reaction_target="theirs"),
        dict(kind="story_mention", username="olga.p"),
        dict(kind="unsend", username="olga.p"),
        dict(kind="ad_referral", username="ads.fan", text="Is the tote in stock?", ad_title="Tote sale"),
    ]
    for number, step in enumerate(steps, start=1):
        response = simulate(auth, **step)
        assert response.status_code == 200, (step, response.text)
        assert event_count() == number
    conversation = db.session.scalar(
        select(Conversation).join(Contact).where(Contact.igsid == customer_igsid("olga.p")))
    # Our own message, so "react to ours" and "read" have something to point at.
    ours = factory.message(conversation, "Yes, it is!", direction="out", mid="m_ours_1")
    for step in (dict(kind="reaction", username="olga.p", reaction="laugh", reaction_target="ours"),
                 dict(kind="read", username="olga.p")):
        assert simulate(auth, **step).status_code == 200
    assert event_count() == len(steps) + 2
    assert {e.status for e in db.session.scalars(select(WebhookEvent))} == {"applied"}

    db.session.expire_all()
    messages = db.session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                                  .order_by(Message.created_at, Message.id)).all()
    text, image, story = messages[:3]
    assert text.edited and text.text == "Hi there!"
    assert image.attachments[0]["type"] == "image" and image.reactions
    assert story.kind == "story_mention" and story.is_deleted  # "unsend" takes back their newest message
    ours = db.session.get(Message, ours.id)
    assert ours.reactions and ours.status == "read"
    ad_lead = db.session.scalar(select(Lead).join(Contact).where(Contact.igsid == customer_igsid("ads.fan")))
    assert ad_lead.source == "ad"


@pytest.mark.parametrize("form, field, message", [
    ({"kind": "text", "text": "hi"}, "username", "Pick a customer or type a username."),
    ({"kind": "text", "username": "two words", "text": "hi"}, "username", "only letters, digits"),
    ({"kind": "text", "username": "nina"}, "text", "Type the message text."),
    ({"kind": "text", "username": "nina", "text": "x" * 1001}, "text", "under 1000 characters"),
    ({"kind": "teleport", "username": "nina"}, "kind", "Choose what the customer does."),
    ({"kind": "reaction", "username": "nina"}, "kind", "has no conversation yet"),
    ({"kind": "read", "username": "nina"}, "kind", "has no conversation yet"),
    ({"kind": "reaction", "username": "nina", "reaction": "poke"}, "reaction", "Choose one of the reactions"),
    ({"kind": "text", "username": "nina", "text": "hi", "account_id": "999999"}, "account_id", "connected accounts"),
])
def test_bad_input_is_refused_and_nothing_is_delivered(auth, admin, form, field, message):
    response = auth.post("/demo/simulator", form)
    assert response.status_code == 422
    assert message in response.text
    assert event_count() == 0


def test_pointing_at_a_message_that_is_not_there_is_refused(auth, admin):
    assert simulate(auth, username="nina", text="hello").status_code == 200
    response = simulate(auth, kind="read", username="nina")
    assert response.status_code == 422
    assert "no message from you in this conversation" in response.text
    assert event_count() == 1


def test_another_workspaces_account_and_customers_are_out_of_reach(auth, admin, factory):
    other = factory.account(username="other.shop")
    stranger = factory.contact(other, username="stranger")
    response = simulate(auth, username="nina", text="hi", account_id=str(other.id))
    assert response.status_code == 422
    response = simulate(auth, contact_id=str(stranger.id), text="hi")
    assert response.status_code == 422 and "not in this workspace" in response.text
    assert event_count() == 0


def test_picking_a_known_customer_keeps_their_igsid(auth, admin, factory):
    contact = factory.contact(admin.account, igsid="5512345678901234", username="known.one")
    assert simulate(auth, contact_id=str(contact.id), text="again").status_code == 200
    assert simulate(auth, username="known.one", text="and again").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_htmx_gets_the_simulator_fragment(auth, admin):
    response = auth.post("/demo/simulator", {"kind": "text", "username": "nina", "text": "hi"}, htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="simulator"')
    assert "<html" not in response.text


def test_a_customer_of_another_account_is_reached_by_username(auth, admin, factory):
    second = factory.account(admin.workspace, username="demo.studio")
    known = factory.contact(second, igsid="5512345678901234", username="known.one")
    nameless = factory.contact(second, igsid="5512345678905678")
    response = simulate(auth, contact_id=str(known.id), text="hi", account_id=str(admin.account.id))
    assert response.status_code == 200
    event = db.session.scalar(select(WebhookEvent))
    assert json.loads(event.body)["entry"][0]["messaging"][0]["sender"]["id"] == customer_igsid("known.one")
    response = simulate(auth, contact_id=str(nameless.id), text="hi", account_id=str(admin.account.id))
    assert response.status_code == 422 and "no username" in response.text
    assert event_count() == 1


def test_a_simulated_comment_on_an_ad_is_a_signed_changes_delivery_with_its_post(auth, admin):
    from app.models import InstagramMedia
    from app.standin.media import DEMO_POSTS

    simulate(auth, kind="text", username="olga.p", text="Hi!")  # she writes DMs too
    media_id = list(DEMO_POSTS)[2]
    response = simulate(auth, kind="comment", username="olga.p", text="INFO please", post=media_id, on_ad="1",
                        ad_title="Sneaker drop")
    assert response.status_code == 200, response.text
    assert "a comment on the ad “Sneaker drop”: “INFO please”" in response.text
    event = db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id.desc())).first()
    assert event.status == "applied"
    change = json.loads(event.body)["entry"][0]["changes"][0]
    assert change["field"] == "comments" and change["value"]["media"]["ad_title"] == "Sneaker drop"
    conversation = db.session.scalar(select(Conversation).where(Conversation.kind == "comments"))
    assert conversation.contact.igsid == customer_igsid("olga.p")  # the DM contact: one person
    assert f"/conversations/{conversation.id}" in response.text
    # The stand-in served the post to the follow-up job over HTTP.
    media = db.session.scalar(select(InstagramMedia))
    assert media.caption == DEMO_POSTS[media_id].caption and media.thumbnail_url.endswith(f"/{media_id}.svg")
    assert media.ad_title == "Sneaker drop"
    thread = auth.client.get(f"/conversations/{conversation.id}").text
    assert "Limited sneaker drop" in thread and 'id="comment-actions"' in thread


def test_a_comment_needs_text_and_one_of_the_posts(auth, admin):
    assert simulate(auth, kind="comment", username="nina", post="17841000000000101").status_code == 422
    response = simulate(auth, kind="comment", username="nina", text="hi", post="123")
    assert response.status_code == 422 and "Choose one of the posts offered." in response.text
    assert event_count() == 0
