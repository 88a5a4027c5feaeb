"""@mentions in private notes (app.inbox.mentions): the note, its mention rows and the mentioned
people's notifications are written in one transaction; the author is not told; another
workspace's or a former member's id is refused and nothing is stored; the page keeps only the
mentions whose `@Name` is still in the text; notes show mentions highlighted and escaped; the
composer lists the teammates to pick; and the list's Mentions filter (`mentions=me`)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.errors import ActionRefused
from app.extensions import db
from app.inbox import actions
from app.inbox.mentions import MAX_MENTIONS, note_parts
from app.models import Note, NoteMention, Notification, utcnow

HX = {"HX-Request": "true"}


def body(response) -> str:
    return response.get_data(as_text=True)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="conv-(\d+)" class="convlist__item"', html)]


def mentions_of(note: Note) -> list[int]:
    return list(db.session.scalars(select(NoteMention.user_id).where(NoteMention.note_id == note.id)
                                   .order_by(NoteMention.user_id)))


def notified() -> list[tuple[int, str, int | None, int | None]]:
    return [(n.user_id, n.type, n.conversation_id, n.actor_id)
            for n in db.session.scalars(select(Notification).order_by(Notification.user_id))]


@pytest.fixture
def team(factory):
    ws = factory.workspace("Mention Shop")
    account = factory.account(ws, username="mention.shop")

    class Team:
        admin = factory.user(ws, name="Ada Admin")
        sam = factory.user(ws, name="Sam Rivera", role="agent")
        samuel = factory.user(ws, name="Sam", role="agent")  # a name that starts another's
        gone = factory.user(ws, name="Gone Rep", role="agent")
        stranger = factory.user(factory.workspace("Elsewhere"), name="Sam Rivera")  # same name, other workspace

    Team.gone.active = False
    now = utcnow()
    Team.ann = factory.conversation(account, contact=factory.contact(account, name="Ann", username="ann"),
                                    last_message_at=now - timedelta(minutes=1))
    Team.bea = factory.conversation(account, contact=factory.contact(account, name="Bea", username="bea"),
                                    last_message_at=now - timedelta(minutes=2))
    Team.cid = factory.conversation(account, contact=factory.contact(account, name="Cid", username="cid"),
                                    last_message_at=now - timedelta(minutes=3))
    db.session.commit()
    return Team


def test_the_note_its_mentions_and_their_notifications_are_one_transaction(team):
    flushed, commits = [], []
    session = db.session()
    on_flush = lambda s, context, instances: flushed.append({type(o).__name__ for o in s.new})  # noqa: E731
    on_commit = lambda s: commits.append(len(flushed))  # noqa: E731
    event.listen(session, "before_flush", on_flush)
    event.listen(session, "after_commit", on_commit)
    try:
        note = actions.add_note(team.ann, team.admin, "@Sam Rivera can you call her back?", [team.sam.id])
    finally:
        event.remove(session, "before_flush", on_flush)
        event.remove(session, "after_commit", on_commit)
    assert len(commits) == 1, "one commit for the note, its mentions and the notifications"
    assert {"Note", "NoteMention", "Notification"} <= set().union(*flushed)
    assert mentions_of(note) == [team.sam.id]
    assert notified() == [(team.sam.id, "mention", team.ann.id, team.admin.id)]
    [row] = db.session.scalars(select(Notification))
    assert row.text == "Ada Admin mentioned you: @Sam Rivera can you call her back?"
    assert [p.id for p in note.mentioned] == [team.sam.id]


def test_the_author_is_stored_but_not_told_and_an_id_counts_once(team):
    note = actions.add_note(team.ann, team.sam, "@Ada Admin and me", [team.admin.id, team.sam.id, team.admin.id])
    assert mentions_of(note) == sorted([team.admin.id, team.sam.id])
    assert notified() == [(team.admin.id, "mention", team.ann.id, team.sam.id)]


@pytest.mark.parametrize("who", ["stranger", "gone", "missing", "text"])
def test_another_workspace_a_former_member_or_no_user_is_refused_and_nothing_is_stored(team, who):
    user_id = {"stranger": team.stranger.id, "gone": team.gone.id, "missing": 10**6, "text": "Sam"}[who]
    with pytest.raises(ActionRefused) as refused:
        actions.add_note(team.ann, team.admin, "@Sam Rivera look", [team.sam.id, user_id])
    db.session.rollback()
    assert refused.value.field == "mentions"
    expected = "Gone Rep is a former member; choose an active one" if who == "gone" else "no such user in this workspace"
    assert refused.value.message == expected
    assert db.session.scalars(select(Note)).all() == [] and notified() == []


def test_at_most_so_many_people(factory, team):
    many = [factory.user(team.admin.workspace, role="agent").id for _ in range(MAX_MENTIONS + 1)]
    with pytest.raises(ActionRefused, match=f"at most {MAX_MENTIONS} people"):
        actions.add_note(team.ann, team.admin, "all hands", many)
    assert actions.add_note(team.ann, team.admin, "most hands", many[:MAX_MENTIONS]).id


def test_the_page_keeps_only_mentions_still_named_in_the_text(auth, team):
    auth.login(team.admin)
    response = auth.post(f"/conversations/{team.ann.id}/notes", {
        # Sam Rivera was picked and is still named; Sam was picked, then deleted from the text
        # (what is left of it inside "@Sam Rivera" does not count).
        "text": "@Sam Rivera please check <b>stock</b>", "mentions": [str(team.sam.id), str(team.samuel.id)],
    }, htmx=True)
    assert response.status_code == 200, body(response)
    note = db.session.scalar(select(Note))
    assert mentions_of(note) == [team.sam.id]
    assert notified() == [(team.sam.id, "mention", team.ann.id, team.admin.id)]
    html = body(response)
    assert f'<span class="mention" dir="auto" data-user-id="{team.sam.id}">@Sam Rivera</span>' in html
    assert " please check &lt;b&gt;stock&lt;/b&gt;</p>" in html


def test_named_in_the_text_without_the_picker_is_no_mention(auth, team):
    auth.login(team.admin)
    auth.post(f"/conversations/{team.ann.id}/notes", {"text": "@Sam Rivera hello"}, htmx=True)
    assert mentions_of(db.session.scalar(select(Note))) == [] and notified() == []


def test_the_page_refuses_another_workspaces_id(auth, team):
    auth.login(team.admin)
    response = auth.post(f"/conversations/{team.ann.id}/notes",
                         {"text": "@Sam Rivera hi", "mentions": [str(team.stranger.id)]}, htmx=True)
    assert response.status_code == 422 and "no such user in this workspace" in body(response)
    assert db.session.scalars(select(Note)).all() == [] and notified() == []


def test_note_parts_prefer_the_longest_name_and_leave_the_rest_as_text(team):
    note = actions.add_note(team.ann, team.admin, "@Sam Rivera, @Sam and @Samantha: see @Ada Admin",
                            [team.sam.id, team.samuel.id])
    db.session.expire_all()
    note = db.session.get(Note, note.id)
    parts = [(text, person.id if person else None) for text, person in note_parts(note)]
    assert parts == [("@Sam Rivera", team.sam.id), (", ", None), ("@Sam", team.samuel.id),
                     (" and @Samantha: see @Ada Admin", None)]


def test_the_thread_shows_mentions_and_marks_mine(auth, team):
    actions.add_note(team.ann, team.admin, "@Sam Rivera ask @Sam", [team.sam.id, team.samuel.id])
    auth.login(team.sam)
    html = body(auth.client.get(f"/conversations/{team.ann.id}"))
    assert f'<span class="mention mention--me" dir="auto" data-user-id="{team.sam.id}">@Sam Rivera</span>' in html
    assert f'<span class="mention" dir="auto" data-user-id="{team.samuel.id}">@Sam</span>' in html


def test_the_composer_offers_the_active_teammates_but_me(auth, team):
    auth.login(team.admin)
    html = body(auth.client.get(f"/conversations/{team.ann.id}"))
    options = html[html.index('<template id="mention-options">'):]
    options = options[:options.index("</template>")]
    offered = re.findall(r'data-user-id="(\d+)" data-name="([^"]+)"', options)
    assert offered == [(str(team.samuel.id), "Sam"), (str(team.sam.id), "Sam Rivera")]
    assert 'data-mention-ids' in html and 'id="mention-listbox" role="listbox"' in html


def test_the_mentions_filter_lists_conversations_where_i_was_mentioned(auth, team):
    actions.add_note(team.ann, team.admin, "@Sam Rivera here", [team.sam.id])
    actions.add_note(team.bea, team.admin, "@Sam over there", [team.samuel.id])  # someone else's
    actions.add_note(team.cid, team.sam, "@Ada Admin mine", [team.admin.id])  # mentioning, not mentioned
    actions.add_note(team.cid, team.admin, "no mention")
    auth.login(team.sam)
    assert row_ids(body(auth.client.get("/?mentions=me"))) == [team.ann.id]
    assert row_ids(body(auth.client.get("/"))) == [team.ann.id, team.bea.id, team.cid.id]
    # With the other filters, and in htmx's fragment; the checkbox says it is on.
    page = body(auth.client.get("/?mentions=me&status=open"))
    assert row_ids(page) == [team.ann.id]
    assert re.search(r'id="filter-mentions" name="mentions" value="me" checked', page)
    assert row_ids(body(auth.client.get("/?mentions=me&view=unread", headers=HX))) == []
    # A value it does not know is dropped with a notice, as the other filters do.
    odd = body(auth.client.get("/?mentions=bob"))
    assert "Unknown mentions “bob” was ignored." in odd and len(row_ids(odd)) == 3


def test_a_new_mention_reaches_an_open_mentions_list_through_the_live_poll(auth, team):
    auth.login(team.sam)
    page = body(auth.client.get("/?mentions=me"))
    token = re.search(r'id="live-since" name="since" value="([^"]+)"', page)
    assert row_ids(page) == []
    actions.add_note(team.bea, team.admin, "@Sam Rivera new one", [team.sam.id])
    assert token, "the list page carries its live token"
    changes = auth.client.get("/inbox/changes", query_string={"since": token.group(1), "mentions": "me"}, headers=HX)
    assert changes.status_code == 200 and f'id="conv-{team.bea.id}"' in body(changes)
