"""A comment delivered by a signed webhook, all the way: the list's DMs / Comments switch, the
thread with its post and the comment-actions region (no DM composer), the API's `kind`, `media`
and `context`, the lead and the reports (docs/architecture.md#comments)."""
from __future__ import annotations

import re

from app.extensions import db
from app.instagram import payloads as p
from app.models import Conversation, InstagramMedia, Lead, Message
from tests.api.conftest import make_api
from tests.comments.conftest import MEDIA, comment
from tests.meta_kit import HX
from tests.webhooks.helpers import only, post, rows


def _dm(client, account, igsid="5550009", mid="m1", text="hello there"):
    post(client, p.delivery(p.entry(account.ig_user_id, [p.text_message(account.ig_user_id, igsid, mid, text)])))


def test_from_signed_delivery_to_thread_api_and_lead(client, auth, factory, account, deliver):
    user = auth.login(factory.user(workspace=account.workspace, role="admin"))
    deliver(comment(account, "c1", "PRICE?", username="ana.b", ad_id="120000111", ad_title="Winter sale"))
    deliver(comment(account, "c2", "Sent you a DM 💌", commenter=account.ig_user_id, parent_id="c1"))
    _dm(client, account)
    conversation = db.session.scalar(db.select(Conversation).where(Conversation.kind == "comments"))

    # The list: All shows both, the switch narrows to one kind (and the URL keeps it).
    page = client.get("/").get_data(as_text=True)
    assert f"/conversations/{conversation.id}" in page and "hello there" in page
    assert 'name="kind" value="comments"' in page
    comments_only = client.get("/?kind=comments", headers=HX).get_data(as_text=True)
    dms_only = client.get("/?kind=dm", headers=HX).get_data(as_text=True)
    assert f"/conversations/{conversation.id}" in comments_only and "hello there" not in comments_only
    assert f"/conversations/{conversation.id}" not in dms_only and "hello there" in dms_only
    assert "Unknown kind" in client.get("/?kind=posts").get_data(as_text=True)
    # A comments row says so (a customer who also wrote a DM had two rows alike but for the preview).
    rows = re.findall(r'<li id="conv-(\d+)".*?</li>', page, re.S)
    tagged = {int(row_id) for row_id in rows
              if '<span class="tag tag--comments">Comments</span>' in page[page.index(f'<li id="conv-{row_id}"'):]
              .split("</li>", 1)[0]}
    assert tagged == {conversation.id}, tagged

    # The thread: the post on top (reserved picture box, caption, link), the comment and our reply
    # indented under it, the comment-actions region instead of the DM composer.
    thread = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert 'class="post-card"' in thread and 'width="72" height="72"' in thread
    assert "New summer collection" in thread and f'href="https://www.instagram.com/p/{MEDIA[-6:]}/"' in thread
    assert "Comments on your ad" in thread and "Winter sale" in thread
    assert '<div id="comment-actions"' in thread and 'id="composer"' not in thread
    assert re.search(r'class="bubble bubble--in[^"]*bubble--comment"[^>]*data-comment-id="c1"', thread)
    assert re.search(r'bubble--comment bubble--reply"[^>]*data-comment-id="c2" data-parent-comment-id="c1"', thread)
    messages_html = thread[thread.index('id="thread-messages"'):]
    assert messages_html.index("PRICE?") < messages_html.index("Sent you a DM")
    assert "bubble__react" not in thread  # DM reactions are not for comments

    # The API names the kind, the post and each comment's context; kind= filters.
    api = make_api(client.application, client, user)
    listed = api.get("/conversations?kind=comments").get_json()["data"]
    assert [c["id"] for c in listed] == [conversation.id]
    assert listed[0]["kind"] == "comments" and listed[0]["media"] == {
        "id": MEDIA, "permalink": f"https://www.instagram.com/p/{MEDIA[-6:]}/",
        "caption": "New summer collection — comment PRICE", "thumbnail_url": f"https://cdn.example/{MEDIA}.jpg",
        "product_type": "FEED"}  # as the media object says (the ad is on the post card and the lead)
    assert [c["kind"] for c in api.get("/conversations?kind=dm").get_json()["data"]] == ["dm"]
    assert api.get("/conversations?kind=posts", check=False).status_code == 400
    messages = api.get(f"/conversations/{conversation.id}/messages").get_json()["data"]
    by_mid = {m["mid"]: m for m in messages}
    assert by_mid["c1"]["kind"] == "comment" and by_mid["c1"]["direction"] == "in"
    assert by_mid["c1"]["context"] == {"comment": {"comment_id": "c1", "parent_comment_id": None, "hidden": False}}
    assert by_mid["c2"]["context"]["comment"]["parent_comment_id"] == "c1" and by_mid["c2"]["direction"] == "out"
    # A comments conversation is not a DM thread: no DM goes out from it, and reading it sends no "seen".
    assert listed[0]["can_reply"] is False and listed[0]["window_closes_at"] is None
    refused = api.post(f"/conversations/{conversation.id}/messages", json={"text": "hi"}, check=False)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not_a_dm"
    assert db.session.scalar(db.select(db.func.count()).select_from(Message).where(
        Message.conversation_id == conversation.id, Message.status == "pending")) == 0

    # The lead: source comment with the ad, shown on the panel; the reports count it.
    lead = db.session.scalar(db.select(Lead).where(Lead.conversation_id == conversation.id))
    assert lead.source == "comment"
    assert lead.source_detail == {"media_id": MEDIA, "ad_id": "120000111", "ad_title": "Winter sale"}
    panel = client.get(f"/conversations/{conversation.id}/lead").get_data(as_text=True)
    assert "Comment" in panel and "Open the post" in panel
    sources = {row["source"]: row for row in api.get("/reports/summary").get_json()["data"]["leads_by_source"]}
    assert sources["comment"]["leads"] == 1 and sources["dm"]["leads"] == 1


def test_a_thread_shown_with_its_post_missing_asks_for_it_again(client, auth, factory, account, deliver, graph):
    from tests.meta_kit import graph_error_body

    auth.login(factory.user(workspace=account.workspace))
    graph.media[MEDIA] = (500, graph_error_body(2, message="Service temporarily unavailable"))
    deliver(comment(account))
    conversation = only(Conversation)
    thread = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert "PRICE please" in thread  # the comment shows without its post
    assert "post/refresh" in thread
    # A transient failure leaves the post unfetched, so the thread asks again; now Meta answers.
    media = only(InstagramMedia)
    assert media.fetched_at is None
    graph.media.pop(MEDIA)
    response = auth.post(f"/conversations/{conversation.id}/post/refresh", htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert only(InstagramMedia).caption.startswith("New summer collection")
    assert "post/refresh" not in client.get(f"/conversations/{conversation.id}").get_data(as_text=True)


def test_another_workspaces_comments_conversation_is_a_404(client, auth, factory, account, deliver):
    deliver(comment(account))
    conversation = only(Conversation)
    auth.login(factory.user())  # another workspace
    assert client.get(f"/conversations/{conversation.id}").status_code == 404
    assert auth.post(f"/conversations/{conversation.id}/post/refresh", htmx=True).status_code == 404
    assert "PRICE please" not in client.get("/?kind=comments").get_data(as_text=True)
    assert only(Message).kind == "comment"
