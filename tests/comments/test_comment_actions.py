"""Actions on a comment (app.comments.actions) through the inbox's routes, with Meta at the HTTP
boundary (`responses`): a public reply threaded under the comment, hide / unhide, deleting our own
reply, and the one private reply per comment, refused a second time or after 7 days. Jobs run
inline, so each test sees what Instagram was asked and what the rows became."""
from __future__ import annotations

import json
from datetime import timedelta

import responses
from sqlalchemy import select

from app.comments import actions, rules
from app.extensions import db
from app.instagram import payloads as p
from app.models import Conversation, Message, Note
from app.outbound.replies import ReplyRefused
from tests.comments.helpers import PERMALINK, POST_ID, add_comment, comments_thread
from tests.meta_kit import graph_error, graph_url, sent_ok, success_ok
from tests.webhooks.helpers import post

import pytest


def _requests(meta, method: str, url_part: str):
    return [c.request for c in meta.calls if c.request.method == method and url_part in c.request.url]


# -- Public reply -----------------------------------------------------------------------------

def test_a_public_reply_is_posted_under_the_comment_once_and_its_webhook_adds_no_second_row(
        auth, factory, meta, client):
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url("c1", "replies"), json={"id": "c-ours-1"})
    auth.login(thread.user)

    response = auth.post(f"/comments/{thread.comment.id}/reply", {"text": "Sent you the prices in DM!"}, htmx=True)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Reply queued" in response.get_data(as_text=True)
    [call] = _requests(meta, "POST", "/replies")
    assert "message=Sent+you+the+prices+in+DM%21" in call.body
    reply = db.session.scalar(select(Message).where(Message.direction == "out"))
    # The confirmation names the reply whose bubble takes it away once sent (static/js/app.js).
    assert f'data-until-sent="message-{reply.id}"' in response.get_data(as_text=True)
    assert (reply.kind, reply.mid, reply.status, reply.parent_comment_id, reply.source) == (
        "comment", "c-ours-1", "sent", "c1", "inbox")
    assert reply.conversation_id == thread.conversation.id
    conversation = db.session.get(Conversation, thread.conversation.id)
    assert conversation.waiting_since is None  # a person answered the customer

    # Meta's webhook of our own reply: the same comment id, so no second row.
    own = p.comment(thread.account.ig_user_id, thread.account.ig_user_id, "c-ours-1", "Sent you the prices in DM!",
                    POST_ID, parent_id="c1", username="shop")
    body = p.delivery(p.change_entry(thread.account.ig_user_id, [own], time_s=1_765_000_000))
    assert post(client, body).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(select(Message.mid).where(Message.direction == "out")).all() == ["c-ours-1"]


def test_a_reply_to_a_reply_goes_under_the_thread_it_belongs_to(factory, meta):
    thread = comments_thread(factory)
    answer = add_comment(factory, thread, "c2", "and shipping?", parent_comment_id="c1")
    meta.add(responses.POST, graph_url("c1", "replies"), json={"id": "c-ours-2"})
    reply = actions.reply_publicly(answer, "Free shipping", user=thread.user)
    db.session.refresh(reply)
    assert (reply.parent_comment_id, reply.mid, reply.status) == ("c1", "c-ours-2", "sent")


def test_public_reply_refusals_store_nothing(factory):
    thread = comments_thread(factory)
    for text, code in (("   ", "empty"), ("x" * 2201, "too_long")):
        with pytest.raises(ReplyRefused) as refused:
            actions.reply_publicly(thread.comment, text, user=thread.user)
        assert refused.value.code == code
    assert db.session.scalar(select(Message).where(Message.direction == "out")) is None


def test_a_rate_limited_public_reply_is_retried_and_a_token_error_asks_for_reconnect(factory, meta):
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url("c1", "replies"), **graph_error(4, message="Too many calls"))
    reply = actions.reply_publicly(thread.comment, "Hi!", user=thread.user)
    db.session.refresh(reply)
    # Retried with backoff (inline mode runs the delayed retries at once) until it gives up.
    assert len(_requests(meta, "POST", "/replies")) == 5
    assert reply.status == "failed" and "kept limiting" in reply.error and reply.mid is None

    meta.replace(responses.POST, graph_url("c1", "replies"), **graph_error(190, 460, "Session expired"))
    other = actions.reply_publicly(thread.comment, "Hello again", user=thread.user)
    db.session.refresh(other)
    db.session.refresh(thread.account)
    assert other.status == "failed" and thread.account.status == "reauth_required"


# -- Hide / unhide ----------------------------------------------------------------------------

def test_hide_and_unhide_tell_instagram_and_a_refusal_puts_it_back_with_the_reason(auth, factory, meta):
    thread = comments_thread(factory)
    url = graph_url("c1")
    meta.add(responses.POST, url, **success_ok())
    auth.login(thread.user)

    response = auth.post(f"/comments/{thread.comment.id}/hide", {"hidden": "1"}, htmx=True)
    assert response.status_code == 200 and "Unhide" in response.get_data(as_text=True)
    db.session.refresh(thread.comment)
    assert thread.comment.hidden is True
    assert [c.url.split("?")[1] for c in _requests(meta, "POST", "/c1?")] == ["hide=true"]

    auth.post(f"/comments/{thread.comment.id}/hide", {"hidden": "1"}, htmx=True)  # a double click
    assert len(_requests(meta, "POST", "/c1?")) == 1

    meta.replace(responses.POST, url, **graph_error(100, 33, "Unsupported post request"))
    response = auth.post(f"/comments/{thread.comment.id}/hide", {"hidden": "0"}, htmx=True)
    db.session.refresh(thread.comment)
    assert thread.comment.hidden is True  # Instagram refused: still hidden, and the reason is kept
    assert "did not unhide the comment" in thread.comment.meta["comment_error"]


def test_our_own_comment_cannot_be_hidden_or_answered_privately(factory):
    thread = comments_thread(factory)
    ours = add_comment(factory, thread, "c-ours", "Thanks!", direction="out", status="sent", source="inbox")
    for call in (lambda: actions.set_hidden(ours, True), lambda: actions.reply_privately(ours, "hi")):
        with pytest.raises(ReplyRefused) as refused:
            call()
        assert refused.value.code == "not_a_comment"


# -- Delete our reply -------------------------------------------------------------------------

def test_deleting_our_reply_deletes_it_on_instagram_and_a_customers_comment_cannot_be_deleted(auth, factory, meta):
    thread = comments_thread(factory)
    ours = add_comment(factory, thread, "c-ours", "Thanks!", direction="out", status="sent", source="inbox",
                       parent_comment_id="c1")
    meta.add(responses.DELETE, graph_url("c-ours"), **success_ok())
    auth.login(thread.user)

    refused = auth.post(f"/comments/{thread.comment.id}/delete", htmx=True)
    assert refused.status_code == 422 and "own comments" in refused.get_data(as_text=True)

    response = auth.post(f"/comments/{ours.id}/delete", htmx=True)
    assert response.status_code == 200 and "Reply deleted" in response.get_data(as_text=True)
    db.session.refresh(ours)
    assert ours.is_deleted is True
    assert len(_requests(meta, "DELETE", "/c-ours")) == 1


def test_a_refused_delete_shows_the_reply_again(factory, meta):
    thread = comments_thread(factory)
    ours = add_comment(factory, thread, "c-ours", "Thanks!", direction="out", status="sent", source="inbox")
    meta.add(responses.DELETE, graph_url("c-ours"), **graph_error(10, message="Permission denied"))
    actions.delete_reply(ours)
    db.session.refresh(ours)
    assert ours.is_deleted is False and "did not delete the comment" in ours.meta["comment_error"]


# -- Private reply ----------------------------------------------------------------------------

def test_a_private_reply_opens_the_persons_dm_conversation_and_says_where_it_came_from(auth, factory, meta):
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"), **sent_ok("mid.private.1", "5550001"))
    auth.login(thread.user)

    response = auth.post(f"/comments/{thread.comment.id}/private-reply", {"text": "Hi Ana, it is 40 €"}, htmx=True)

    assert response.status_code == 200, response.get_data(as_text=True)
    [call] = _requests(meta, "POST", "/messages")
    assert json.loads(call.body) == {"recipient": {"comment_id": "c1"}, "message": {"text": "Hi Ana, it is 40 €"}}
    dm = db.session.scalar(select(Conversation).where(Conversation.kind == "dm"))
    assert dm.contact_id == thread.conversation.contact_id and dm.media_id is None
    reply = db.session.scalar(select(Message).where(Message.conversation_id == dm.id))
    assert (reply.mid, reply.status, reply.text) == ("mid.private.1", "sent", "Hi Ana, it is 40 €")
    db.session.refresh(thread.comment)
    assert thread.comment.private_reply_message_id == reply.id and thread.comment.private_replied_at is not None

    page = auth.client.get(f"/conversations/{dm.id}").get_data(as_text=True)
    assert "from a comment on" in page and PERMALINK in page
    # The comment's actions now link the DM instead of offering a second private reply.
    again = auth.post(f"/comments/{thread.comment.id}/hide", {"hidden": "0"}, htmx=True).get_data(as_text=True)
    assert "Replied privately" in again and "Send privately" not in again


def test_a_second_private_reply_is_refused_with_the_reason_and_instagram_is_called_once(auth, factory, meta):
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"), **sent_ok("mid.private.1"))
    auth.login(thread.user)
    first = auth.post(f"/comments/{thread.comment.id}/private-reply", {"text": "one"}, htmx=True)
    second = auth.post(f"/comments/{thread.comment.id}/private-reply", {"text": "two"}, htmx=True)
    assert first.status_code == 200
    assert second.status_code == 422
    assert rules.ALREADY_REPLIED in second.get_data(as_text=True)
    assert len(_requests(meta, "POST", "/messages")) == 1
    assert db.session.scalars(select(Message.text).where(Message.direction == "out")).all() == ["one"]


def test_a_comment_older_than_7_days_or_from_an_ended_live_gets_no_private_reply(factory, meta):
    old = comments_thread(factory, age=timedelta(days=7, minutes=1))
    with pytest.raises(ReplyRefused) as refused:
        actions.reply_privately(old.comment, "hi")
    assert (refused.value.code, refused.value.message) == ("too_old", rules.TOO_OLD)

    live = comments_thread(factory, age=timedelta(hours=5), product_type="LIVE", mid="c-live")
    with pytest.raises(ReplyRefused) as refused:
        actions.reply_privately(live.comment, "hi")
    assert refused.value.code == "live_ended"
    assert not meta.calls and db.session.scalar(select(Message).where(Message.direction == "out")) is None


def test_instagrams_refusal_of_a_private_reply_is_permanent_with_the_reason(factory, meta):
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"),
             **graph_error(10, 2534022, "This message is sent outside of allowed window."))
    reply = actions.reply_privately(thread.comment, "hi")
    db.session.refresh(reply)
    assert reply.status == "failed" and reply.error == rules.REFUSED_BY_INSTAGRAM
    assert len(meta.calls) == 1  # never retried, never as a human agent


def test_a_private_reply_continues_an_existing_dm_conversation(factory, meta):
    thread = comments_thread(factory)
    contact = thread.conversation.contact
    dm = factory.conversation(thread.account, contact=contact)
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"), **sent_ok("mid.p"))
    reply = actions.reply_privately(thread.comment, "hi")
    assert reply.conversation_id == dm.id
    assert db.session.scalar(select(db.func.count()).select_from(Conversation).where(Conversation.kind == "dm")) == 1


def test_a_private_reply_that_starts_the_dm_conversation_is_its_last_word(factory, meta):
    # The new conversation is dated as the reply, not a moment after it: the list shows "You:" and
    # nobody waits in it (it was made later than the reply, so who spoke last was never set).
    thread = comments_thread(factory)
    meta.add(responses.POST, graph_url(thread.account.ig_user_id, "messages"), **sent_ok("mid.p"))
    reply = actions.reply_privately(thread.comment, "Sent you the sizes in DM")
    dm = db.session.get(Conversation, reply.conversation_id)
    db.session.refresh(dm)
    assert dm.kind == "dm" and dm.id != thread.conversation.id
    assert (dm.last_speaker, dm.waiting_since) == ("team", None)
    assert dm.last_message_at == reply.created_at
    assert dm.last_message_preview == "Sent you the sizes in DM"


# -- Isolation and roles ----------------------------------------------------------------------

def test_another_workspaces_comment_is_404_and_a_dm_message_is_not_a_comment(auth, factory, meta):
    thread = comments_thread(factory)
    stranger = factory.user(factory.workspace(), role="admin")
    auth.login(stranger)
    for action in ("reply", "private-reply", "hide", "delete"):
        assert auth.post(f"/comments/{thread.comment.id}/{action}", {"text": "x"}, htmx=True).status_code == 404
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/settings")})
    auth.login(thread.user)
    dm_message = factory.message(factory.conversation(thread.account), text="a DM")
    assert auth.post(f"/comments/{dm_message.id}/hide", htmx=True).status_code == 404
    assert not meta.calls


def test_actions_need_sign_in_and_csrf(auth, factory, meta):
    thread = comments_thread(factory)
    token = auth.csrf_token("/login")
    signed_out = auth.client.post(f"/comments/{thread.comment.id}/hide", data={"csrf_token": token})
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    auth.login(thread.user)
    assert auth.client.post(f"/comments/{thread.comment.id}/hide", data={"hidden": "1"}).status_code == 400
    db.session.refresh(thread.comment)
    assert thread.comment.hidden is False and not meta.calls


def test_the_comments_thread_offers_the_actions_and_its_reply_box_answers_the_newest_comment(auth, factory, meta):
    thread = comments_thread(factory)
    newest = add_comment(factory, thread, "c2", "and in blue?")
    meta.add(responses.POST, graph_url("c2", "replies"), json={"id": "c-ours-9"})
    auth.login(thread.user)
    page = auth.client.get(f"/conversations/{thread.conversation.id}").get_data(as_text=True)
    assert 'id="comment-actions"' in page and "Reply publicly to the newest comment of @ana.b" in page
    for comment in (thread.comment, newest):
        assert f'id="comment-actions-{comment.id}"' in page
    assert page.count("Send privately") == 2 and ">Hide<" in page

    response = auth.post(f"/comments/{newest.id}/reply", {"text": "Yes, in blue too", "from": "region"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="comment-actions"' in body and "Reply queued" in body
    assert db.session.scalar(select(Message.parent_comment_id).where(Message.mid == "c-ours-9")) == "c2"
    queued = db.session.scalar(select(Message.id).where(Message.mid == "c-ours-9"))
    assert f'class="comment-actions__done" data-until-sent="message-{queued}"' in body
    # The region comes back whole: its private note's @mention picker still lists the teammates.
    teammate = factory.user(thread.workspace, name="Tom Teammate", role="agent")
    body = auth.post(f"/comments/{newest.id}/reply", {"text": "Also in red", "from": "region"},
                     htmx=True).get_data(as_text=True)
    assert f'id="mention-option-{teammate.id}"' in body and 'data-name="Tom Teammate"' in body


def test_the_team_leaves_a_private_note_in_a_comments_thread(auth, factory, meta):
    """A comments thread has no DM composer, but the team still talks about the person there: the
    region offers a private note (the DMs' own route), which joins the thread and never reaches Meta."""
    thread = comments_thread(factory)
    auth.login(thread.user)
    page = auth.client.get(f"/conversations/{thread.conversation.id}").get_data(as_text=True)
    assert "Add a private note" in page and f'/conversations/{thread.conversation.id}/notes' in page

    response = auth.post(f"/conversations/{thread.conversation.id}/notes", {"text": "Regular customer, <b>VIP</b>"},
                         htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Regular customer, &lt;b&gt;VIP&lt;/b&gt;" in body
    assert db.session.scalar(select(Note.body).where(Note.conversation_id == thread.conversation.id)) == \
        "Regular customer, <b>VIP</b>"
    page = auth.client.get(f"/conversations/{thread.conversation.id}").get_data(as_text=True)
    assert "Regular customer, &lt;b&gt;VIP&lt;/b&gt;" in page
    assert auth.post(f"/conversations/{thread.conversation.id}/notes", {"text": "  "}, htmx=True).status_code == 422
    assert not meta.calls


def test_the_send_job_reads_each_kind_of_reply_as_the_model_does(factory, monkeypatch):
    """The send job reads a claimed message as plain columns (app.outbound.sending.claim_outgoing,
    on PostgreSQL in the claim's own statement; load_outgoing elsewhere), not as a Message: for a
    DM, a public reply and a private reply, what it reads must be what the model says — content_of
    falls back to None for a column the row lacks, so a column missing from the read would
    otherwise pass silently."""
    from app.messages.content import content_of
    from app.outbound.rules import is_human
    from app.outbound.sending import claim_outgoing, load_outgoing

    monkeypatch.setattr(actions, "_enqueue_send", lambda *_: None)  # they stay pending, unsent
    thread = comments_thread(factory)
    public = actions.reply_publicly(thread.comment, "Free shipping", user=thread.user)
    private = actions.reply_privately(thread.comment, "Sent you the sizes", user=thread.user)
    dm = factory.message(private.conversation, text="And a DM", direction="out", status="pending", source="inbox",
                         attachments=[{"type": "image", "url": "https://cdn.example/p.png"}], mid=None)
    for message in (public, private, dm):
        db.session.commit()  # the job claims with nothing else in its transaction
        claimed_at, outgoing = claim_outgoing(message.id)
        assert claim_outgoing(message.id) is None  # claimed once
        assert outgoing == load_outgoing(message.id)  # the claim's read is the plain read
        model = db.session.get(Message, message.id)
        assert (model.send_claimed_at, model.send_attempts) == (claimed_at, 1)
        assert content_of(outgoing.message) == content_of(model)
        assert is_human(outgoing.message) == is_human(model)
        for name in ("kind", "text", "attachments", "human_agent", "send_attempts", "parent_comment_id"):
            assert getattr(outgoing.message, name) == getattr(model, name), name
        conversation = model.conversation
        assert (outgoing.conversation.kind, outgoing.conversation.last_inbound_at, outgoing.conversation.workspace_id) \
            == (conversation.kind, conversation.last_inbound_at, conversation.workspace_id)
        assert (outgoing.account.id, outgoing.account.status, outgoing.account.ig_user_id, outgoing.igsid) \
            == (conversation.account.id, conversation.account.status, conversation.account.ig_user_id,
                conversation.contact.igsid)
    assert content_of(load_outgoing(private.id).message).private_reply is not None
