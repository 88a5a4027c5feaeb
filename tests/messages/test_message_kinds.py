"""Every message kind round-trips: a signed delivery shaped as Meta sends it → the thread page
shows it → the API's Message has its `kind` and `context` (app/messages/content.py is the one
home of what a message carries). Also the corpus bugs of issue 15 this fixes, each pinned."""
from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.instagram import payloads as p
from app.messages.content import REACTION_EMOJI, MessageContent, content_of, kind_of, reaction_emoji
from app.models import Conversation, Message
from tests.api.conftest import make_api
from tests.webhooks.helpers import T0, post

C = "6543210987654321"  # the customer's IGSID
AD_PHOTO = "https://cdn.example/ads/spring.jpg"


class Inbox:
    """A logged-in admin, a connected account, an API token and a customer called @ann."""

    def __init__(self, app, client, factory, auth):
        self.user = auth.login(factory.user(name="Ada Admin"))
        self.account = factory.account(self.user.workspace, username="shop")
        self.contact = factory.contact(self.account, igsid=C, username="ann", name="Ann")
        self.client = client
        self.api = make_api(app, client, self.user)
        self.ig = self.account.ig_user_id

    def deliver(self, *items):
        response = post(self.client, p.delivery(p.entry(self.ig, list(items))))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["status"] == "applied", response.get_json()
        db.session.expire_all()

    @property
    def conversation(self) -> Conversation:
        return db.session.scalar(select(Conversation).where(Conversation.account_id == self.account.id))

    def thread(self) -> str:
        response = self.client.get(f"/conversations/{self.conversation.id}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def bubble(self, mid: str) -> str:
        """The thread's <li> of one message, unescaped for readable asserts."""
        message = db.session.scalar(select(Message).where(Message.mid == mid))
        page = self.thread()
        start = page.index(f'<li id="message-{message.id}"')
        end = re.compile(r"<li id=\"(?:message|note)-|<li class=\"day|</ol>").search(page, start + 1)
        return html_lib.unescape(page[start:end.start() if end else len(page)])

    def api_message(self, mid: str) -> dict:
        # The ApiClient checks every response against the OpenAPI document (tests/api/openapi_check.py).
        data = self.api.get(f"/conversations/{self.conversation.id}/messages").get_json()["data"]
        return next(m for m in data if m["mid"] == mid)

    def list_page(self) -> str:
        return html_lib.unescape(self.client.get("/").get_data(as_text=True))


@pytest.fixture
def inbox(app, client, factory, auth):
    return Inbox(app, client, factory, auth)


def test_text(inbox):
    inbox.deliver(p.text_message(inbox.ig, C, "m1", "Is the blue one in stock?", T0))
    assert "Is the blue one in stock?" in inbox.bubble("m1")
    got = inbox.api_message("m1")
    assert (got["kind"], got["context"], got["text"]) == ("text", None, "Is the blue one in stock?")


def test_attachment(inbox):
    inbox.deliver(p.attachment_message(inbox.ig, C, "m1", "image", "https://cdn.example/p.jpg", T0))
    assert '<img src="https://cdn.example/p.jpg"' in inbox.bubble("m1")
    got = inbox.api_message("m1")
    assert (got["kind"], got["context"]) == ("attachment", None)
    assert got["attachments"] == [{"type": "image", "url": "https://cdn.example/p.jpg"}]
    assert inbox.conversation.last_message_preview == "Photo"


def test_story_mention_by_the_customer(inbox):
    inbox.deliver(p.story_mention(inbox.ig, C, "m1", "https://cdn.example/story.jpg", T0))
    bubble = inbox.bubble("m1")
    assert "Mentioned you in their story" in bubble and '<img src="https://cdn.example/story.jpg"' in bubble
    got = inbox.api_message("m1")
    assert got["kind"] == "story_mention"
    assert got["context"] == {"story": {"kind": "mention", "id": None, "url": "https://cdn.example/story.jpg"}}


def test_echo_of_the_business_mentioning_the_customer_is_worded_from_the_business_side(inbox):
    """Corpus bug: the echo of our own story mention read as if the customer had mentioned us."""
    inbox.deliver(p.text_message(inbox.ig, C, "m0", "hi", T0),
                  p.echo(inbox.ig, C, "e1", None, T0 + 1000,
                         attachments=[p.attachment("story_mention", "https://cdn.example/ours.jpg")]))
    bubble = inbox.bubble("e1")
    assert "You mentioned @ann in your story" in bubble
    assert "Mentioned you in their story" not in bubble and "bubble--out" in bubble
    got = inbox.api_message("e1")
    assert (got["kind"], got["direction"]) == ("story_mention", "out")
    assert got["context"]["story"]["kind"] == "mention"


def test_story_reply(inbox):
    inbox.deliver(p.story_reply(inbox.ig, C, "m1", "Love this!", "https://cdn.example/s.jpg", "1788", T0))
    bubble = inbox.bubble("m1")
    assert "Replied to your story" in bubble and "Love this!" in bubble and 'src="https://cdn.example/s.jpg"' in bubble
    got = inbox.api_message("m1")
    assert got["kind"] == "story_reply"
    assert got["context"] == {"story": {"kind": "reply", "id": "1788", "url": "https://cdn.example/s.jpg"}}
    assert inbox.conversation.last_message_preview == "Story reply: Love this!"


def test_share_of_a_reel_and_the_business_sharing_a_post(inbox):
    reel = p.attachment_message(inbox.ig, C, "m1", "ig_reel", None, T0,
                                payload={"url": "https://cdn.example/r.mp4", "title": "New drop", "reel_video_id": "777"})
    post_echo = p.echo(inbox.ig, C, "e1", None, T0 + 1000, attachments=[
        p.attachment("ig_post", "https://cdn.example/post.jpg", title="Our post", ig_post_media_id="888")])
    inbox.deliver(reel, post_echo)
    bubble = inbox.bubble("m1")
    assert "Shared a reel" in bubble and "New drop" in bubble
    ours = inbox.bubble("e1")
    assert "You shared a post" in ours and "Our post" in ours
    got = inbox.api_message("m1")
    assert got["kind"] == "share"
    assert got["context"] == {"shares": [{"type": "reel", "url": "https://cdn.example/r.mp4", "title": "New drop",
                                          "media_id": "777"}]}
    assert inbox.api_message("e1")["context"]["shares"][0] == {
        "type": "post", "url": "https://cdn.example/post.jpg", "title": "Our post", "media_id": "888"}


def test_postback(inbox):
    inbox.deliver(p.postback(inbox.ig, C, "pb-1", "Get started", "GET_STARTED", T0))
    bubble = inbox.bubble("pb-1")
    assert "Get started" in bubble and "Tapped a button" in bubble and "GET_STARTED" in bubble
    got = inbox.api_message("pb-1")
    assert got["kind"] == "postback"
    assert got["context"] == {"postback": {"title": "Get started", "payload": "GET_STARTED"}}


def test_link_referral(inbox):
    inbox.deliver(p.link_referral(inbox.ig, C, "from-bio", T0))
    mid = db.session.scalar(select(Message.mid))
    bubble = inbox.bubble(mid)
    assert "Came from a link" in bubble and "Reference: from-bio" in bubble
    got = inbox.api_message(mid)
    assert got["kind"] == "referral"
    assert got["context"] == {"referral": {"ref": "from-bio", "source": "SHORTLINK", "type": "OPEN_THREAD",
                                           "ad_id": None, "ad_title": None, "photo_url": None, "video_url": None}}


def test_click_to_dm_ad_shows_its_title_and_image(inbox):
    """Corpus bug (CODE_REVIEW B-9): the thread showed "Came from an ad" but not the ad's title nor image."""
    inbox.deliver(p.ad_referral_message(inbox.ig, C, "m1", "Price?", "120000001", T0, ad_title="Spring Sale",
                                        ref="spring", photo_url=AD_PHOTO))
    bubble = inbox.bubble("m1")
    assert "Came from an ad" in bubble and "Spring Sale" in bubble and f'<img src="{AD_PHOTO}"' in bubble
    assert "Reference: spring" in bubble and "Price?" in bubble
    got = inbox.api_message("m1")
    assert got["kind"] == "text"  # a message that came with a referral keeps its own kind
    assert got["context"] == {"referral": {"ref": "spring", "source": "ADS", "type": "OPEN_THREAD",
                                           "ad_id": "120000001", "ad_title": "Spring Sale", "photo_url": AD_PHOTO,
                                           "video_url": None}}


def test_quick_reply_shows_its_chip(inbox):
    """Corpus bug (B-9): the quick-reply chip never showed for a real message."""
    inbox.deliver(p.text_message(inbox.ig, C, "m1", "Blue please", T0, quick_reply_payload="BUY_BLUE"))
    bubble = inbox.bubble("m1")
    assert "Blue please" in bubble and "Quick reply: BUY_BLUE" in bubble
    got = inbox.api_message("m1")
    assert got["kind"] == "quick_reply" and got["context"] == {"quick_reply": {"payload": "BUY_BLUE"}}


GENERIC = {"generic": {"elements": [{
    "title": "Blue tote", "subtitle": "€39, in stock", "image_url": "https://cdn.example/tote.jpg",
    "buttons": [{"type": "web_url", "url": "https://shop.example/tote", "title": "View"},
                {"type": "postback", "title": "Buy now", "payload": "BUY_TOTE"}]}]}}
BUTTON = {"template_type": "button", "text": "What would you like to do?",
          "buttons": [{"type": "postback", "title": "Track my order", "payload": "TRACK"},
                      {"type": "web_url", "url": "javascript:alert(1)", "title": "Help"}]}


def test_generic_template_echo_shows_title_and_buttons(inbox):
    """Corpus bug: templates sent by another tool through the account showed as an empty
    "Attachment"; the list read "Attachment" too."""
    inbox.deliver(p.text_message(inbox.ig, C, "m0", "hi", T0), p.template_echo(inbox.ig, C, "e1", GENERIC, T0 + 1000))
    bubble = inbox.bubble("e1")
    assert "You sent a message with buttons" in bubble and "Blue tote" in bubble and "€39, in stock" in bubble
    assert '<a href="https://shop.example/tote"' in bubble and ">View</a>" in bubble and "Buy now" in bubble
    assert "does not share with other apps" not in bubble
    assert inbox.conversation.last_message_preview == "Blue tote"
    got = inbox.api_message("e1")
    assert got["kind"] == "template"
    assert got["context"] == {"template": {
        "template_type": "generic", "title": "Blue tote", "subtitle": "€39, in stock", "text": None,
        "image_url": "https://cdn.example/tote.jpg", "cards": 1,
        "buttons": [{"title": "View", "url": "https://shop.example/tote", "payload": None},
                    {"title": "Buy now", "url": None, "payload": "BUY_TOTE"}]}}


def test_button_template_echo_shows_its_text_and_the_list_uses_it(inbox):
    inbox.deliver(p.text_message(inbox.ig, C, "m0", "hi", T0), p.template_echo(inbox.ig, C, "e1", BUTTON, T0 + 1000))
    bubble = inbox.bubble("e1")
    assert "What would you like to do?" in bubble and "Track my order" in bubble and "Help" in bubble
    assert "javascript:" not in bubble  # only http(s) links reach an href
    assert inbox.conversation.last_message_preview == "What would you like to do?"
    assert "What would you like to do?" in inbox.list_page() and ">Attachment<" not in inbox.list_page()
    got = inbox.api_message("e1")
    assert got["kind"] == "template" and got["context"]["template"]["text"] == "What would you like to do?"
    assert got["context"]["template"]["buttons"][1] == {"title": "Help", "url": None, "payload": None}


def test_unsupported_message_shows_a_placeholder(inbox):
    """Corpus bug: an unsupported message was an empty bubble."""
    inbox.deliver(p.unsupported_message(inbox.ig, C, "m1", T0))
    bubble = inbox.bubble("m1")
    assert "This message type isn't supported by Instagram's API — open Instagram to see it." in bubble
    got = inbox.api_message("m1")
    assert got["kind"] == "unsupported" and got["context"] == {"unsupported": {"type": None}}
    assert inbox.conversation.last_message_preview == "Unsupported message"


def test_unsupported_type_attachment_shows_the_same_placeholder(inbox):
    inbox.deliver(p.attachment_message(inbox.ig, C, "m1", "unsupported_type", None, T0))
    assert "open Instagram to see it" in inbox.bubble("m1")
    got = inbox.api_message("m1")
    assert got["kind"] == "unsupported" and got["context"] == {"unsupported": {"type": "unsupported_type"}}


def test_unsent_message_has_no_context(inbox):
    inbox.deliver(p.text_message(inbox.ig, C, "m1", "Blue please", T0, quick_reply_payload="BUY_BLUE"))
    inbox.deliver(p.unsend(inbox.ig, C, "m1", T0 + 1000))
    got = inbox.api_message("m1")
    assert got["is_deleted"] and got["context"] is None and got["text"] is None


# ------------------------------------------------------------- rows written before this module


@pytest.mark.parametrize("row,kind,context", [
    ({"kind": "quick_reply", "meta": {"kind": "quick_reply", "payload": "BUY_BLUE"}}, "quick_reply",
     {"quick_reply": {"payload": "BUY_BLUE"}}),
    ({"kind": "postback", "meta": {"kind": "postback", "payload": "GO", "title": "Go"}}, "postback",
     {"postback": {"title": "Go", "payload": "GO"}}),
    ({"kind": "story_reply", "meta": {"kind": "story_reply", "story": {"id": "1", "url": "https://cdn.example/s.jpg"}}},
     "story_reply", {"story": {"kind": "reply", "id": "1", "url": "https://cdn.example/s.jpg"}}),
    ({"kind": "story_mention", "meta": {"kind": "story_mention"},
      "attachments": [{"type": "story_mention", "url": "https://cdn.example/m.jpg", "title": None,
                       "payload": {"url": "https://cdn.example/m.jpg"}}]},
     "story_mention", {"story": {"kind": "mention", "id": None, "url": "https://cdn.example/m.jpg"}}),
    ({"kind": "message", "meta": {"referral": {"source": "ADS", "ad_id": "AD42", "ad_title": "Spring Sale",
                                               "photo_url": AD_PHOTO}}},
     "text", {"referral": {"ref": None, "source": "ADS", "type": None, "ad_id": "AD42", "ad_title": "Spring Sale",
                           "photo_url": AD_PHOTO, "video_url": None}}),
    ({"kind": "message", "meta": {"referral": {"ad_id": "9", "ads_context_data": {"ad_title": "Meta's own shape"}}}},
     "text", {"referral": {"ref": None, "source": None, "type": None, "ad_id": "9", "ad_title": "Meta's own shape",
                           "photo_url": None, "video_url": None}}),
    ({"kind": "unsupported", "meta": {"kind": "unsupported"}}, "unsupported", {"unsupported": {"type": None}}),
    ({"kind": "message", "direction": "out", "meta": {"reaction_error": "x"},
      "attachments": [{"type": "template", "payload": BUTTON}]}, "template", None),
])
def test_rows_stored_in_the_older_shapes_still_read(inbox, factory, row, kind, context):
    conversation = factory.conversation(inbox.account, contact=inbox.contact)
    message = factory.message(conversation, row.pop("text", None), **row)
    assert kind_of(message) == kind
    got = inbox.api.get(f"/conversations/{conversation.id}/messages").get_json()["data"][0]
    assert got["kind"] == kind
    if context is not None:
        assert got["context"] == context
    assert inbox.client.get(f"/conversations/{conversation.id}").status_code == 200


def test_content_round_trips_through_json(inbox):
    inbox.deliver(p.ad_referral_message(inbox.ig, C, "m1", "Price?", "1", T0, ad_title="T", photo_url=AD_PHOTO),
                  p.story_reply(inbox.ig, C, "m2", "wow", "https://cdn.example/s.jpg", "5", T0 + 1),
                  p.template_echo(inbox.ig, C, "e1", GENERIC, T0 + 2))
    for message in db.session.scalars(select(Message)):
        content = content_of(message)
        assert MessageContent.from_json(content.to_json(), attachments=message.attachments) == content


# ------------------------------------------------------------- one vocabulary


def test_one_reaction_map_and_one_preview_vocabulary(inbox, factory):
    from app.demo.simulator import REACTIONS as DEMO_REACTIONS
    from app.outbound.replies import REACTIONS as SENDABLE, preview

    assert DEMO_REACTIONS is REACTION_EMOJI and SENDABLE is REACTION_EMOJI
    assert reaction_emoji("angry") == "😡" and reaction_emoji("other") == "✨" and reaction_emoji(None) == "👍"
    # Our own photo and the customer's read the same in the list.
    inbox.deliver(p.attachment_message(inbox.ig, C, "m1", "image", "https://cdn.example/p.jpg", T0))
    ours = factory.message(inbox.conversation, None, direction="out",
                           attachments=[{"type": "image", "url": "https://cdn.example/o.jpg"}])
    assert preview(ours) == inbox.conversation.last_message_preview == "Photo"


def test_the_leads_csv_names_the_ad_from_the_same_referral_record(inbox):
    inbox.deliver(p.ad_referral_message(inbox.ig, C, "m1", "Price?", "120000001", T0, ad_title="Spring Sale",
                                        photo_url=AD_PHOTO))
    csv_text = inbox.client.get("/leads.csv").get_data(as_text=True)
    assert '"ad"' in csv_text and '"Spring Sale"' in csv_text
