"""Who else has a conversation open, and who is typing (app/inbox/viewers.py): the open thread's
heartbeat names the teammates there, says who types a reply or a note, forgets a tab that went
quiet and one that left, never names a deactivated member or the asker, escapes names, is a 404
for another workspace's conversation, needs CSRF (as a header, or a field for the page's beacon),
and the clock prunes what tabs left behind."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.inbox import viewers
from app.jobs.schedule import PERIODIC_JOBS
from app.jobs.upkeep import prune_conversation_viewers
from app.models import Conversation, ConversationViewer, User, utcnow
from tests.conftest import AuthActions
from tests.meta_kit import HX
from tests.sql_log import sql_sent

PASSWORD = "correct-horse-battery"


@pytest.fixture
def shop(factory):
    workspace = factory.workspace("Viewer Shop")
    ana = factory.user(workspace, email="ana@viewers.test", name="Ana", role="agent")
    ben = factory.user(workspace, email="ben@viewers.test", name="Ben", role="agent")
    account = factory.account(workspace)
    contact = factory.contact(account, name="Maria Lopez", username="maria.l")
    conversation = factory.conversation(account, contact=contact, last_inbound_at=utcnow() - timedelta(hours=1))
    factory.message(conversation, "Is it in stock?")
    return workspace, ana, ben, conversation


def signed_in(app, factory, user) -> AuthActions:
    actions = AuthActions(app.test_client(), factory)
    actions.login(user, password=PASSWORD)
    return actions


@pytest.fixture
def as_ana(app, factory, shop):
    return signed_in(app, factory, shop[1])


@pytest.fixture
def as_ben(app, factory, shop):
    return signed_in(app, factory, shop[2])


def beat(actions: AuthActions, conversation_id: int, **fields):
    token = actions.csrf_token("/settings")
    return actions.client.post(f"/conversations/{conversation_id}/viewing", data=fields,
                               headers={**HX, "X-CSRFToken": token})


def line(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return " ".join(response.get_data(as_text=True).split())


def rows() -> list[tuple[int, str | None]]:
    db.session.expire_all()
    return sorted((r.user_id, r.typing) for r in db.session.scalars(select(ConversationViewer)))


def age(user: User, *, seen: timedelta | None = None, typed: timedelta | None = None) -> None:
    """Move a person's heartbeat (or last keystroke) into the past, as time passing would."""
    values = {}
    if seen is not None:
        values["seen_at"] = utcnow() - seen
    if typed is not None:
        values["typing_at"] = utcnow() - typed
    db.session.execute(update(ConversationViewer).where(ConversationViewer.user_id == user.id).values(**values))
    db.session.commit()


def test_each_one_sees_the_other(as_ana, as_ben, shop):
    _, ana, ben, conversation = shop

    assert line(beat(as_ana, conversation.id)) == ""  # alone: nothing to say
    assert "Ana is also viewing this conversation." in line(beat(as_ben, conversation.id))
    assert "Ben is also viewing this conversation." in line(beat(as_ana, conversation.id))
    assert rows() == sorted([(ana.id, None), (ben.id, None)])
    # The heartbeat keeps one row per person, however often it comes.
    beat(as_ana, conversation.id)
    assert len(rows()) == 2


def test_typing_a_reply_or_a_note_is_named_until_sent(as_ana, as_ben, shop):
    _, _, _, conversation = shop
    beat(as_ben, conversation.id)

    beat(as_ana, conversation.id, typing="reply")
    assert "Ana is typing a reply…" in line(beat(as_ben, conversation.id))
    assert "also viewing" not in line(beat(as_ben, conversation.id))

    beat(as_ana, conversation.id, typing="note")
    assert "Ana is writing a private note…" in line(beat(as_ben, conversation.id))

    # A heartbeat without typing (the keys stopped a moment ago) does not end it: time does.
    beat(as_ana, conversation.id)
    assert "Ana is writing a private note…" in line(beat(as_ben, conversation.id))

    beat(as_ana, conversation.id, typing="stopped")  # sent
    answer = line(beat(as_ben, conversation.id))
    assert "Ana is also viewing this conversation." in answer and "private note" not in answer


def test_quiet_tabs_drop_out_by_themselves(as_ana, as_ben, shop):
    _, ana, _, conversation = shop
    beat(as_ana, conversation.id, typing="reply")

    age(ana, typed=viewers.TYPING_FOR + timedelta(seconds=1))
    answer = line(beat(as_ben, conversation.id))
    assert "typing" not in answer and "Ana is also viewing" in answer  # stopped typing, still there

    age(ana, seen=viewers.VIEWING_FOR + timedelta(seconds=1))
    assert line(beat(as_ben, conversation.id)) == ""  # three heartbeats missed: gone

    beat(as_ana, conversation.id)  # the tab is back
    assert "Ana is also viewing" in line(beat(as_ben, conversation.id))


def test_leaving_says_so_at_once(as_ana, as_ben, shop):
    _, ana, ben, conversation = shop
    beat(as_ana, conversation.id)

    response = beat(as_ana, conversation.id, leaving="1")

    assert response.status_code == 204 and response.get_data() == b""
    assert line(beat(as_ben, conversation.id)) == ""
    assert rows() == [(ben.id, None)]


def test_the_page_beacon_carries_its_token_as_a_field(as_ana, shop):
    _, ana, _, conversation = shop
    beat(as_ana, conversation.id)
    url = f"/conversations/{conversation.id}/viewing"

    # navigator.sendBeacon cannot set headers: the token comes as a field of its multipart body.
    assert as_ana.client.post(url, data={"leaving": "1"}, content_type="multipart/form-data").status_code == 400
    assert rows() == [(ana.id, None)]  # no token at all: refused
    response = as_ana.client.post(url, data={"leaving": "1", "csrf_token": as_ana.csrf_token("/settings")},
                                  content_type="multipart/form-data")
    assert response.status_code == 204
    assert rows() == []


def test_only_leaving_1_leaves(as_ana, shop):
    _, ana, _, conversation = shop
    assert beat(as_ana, conversation.id, leaving="0").status_code == 200  # a heartbeat like any other
    assert rows() == [(ana.id, None)]


def test_screen_readers_get_who_is_here_not_each_keystroke(as_ana, as_ben, shop):
    _, _, _, conversation = shop
    beat(as_ben, conversation.id)
    looking = line(beat(as_ana, conversation.id))
    beat(as_ben, conversation.id, typing="reply")
    typing = line(beat(as_ana, conversation.id))

    said = '<span hidden data-present="Also in this conversation: Ben."></span>'
    assert said in looking and said in typing  # the same sentence: nothing new to say
    assert line(beat(as_ben, conversation.id)).count("data-present") == 1


def test_a_conversation_deleted_meanwhile_is_not_a_row(app, shop):
    _, ana, _, conversation = shop
    gone = SimpleNamespace(id=conversation.id)
    db.session.execute(delete(Conversation).where(Conversation.id == conversation.id))
    db.session.commit()

    assert viewers.here(gone, SimpleNamespace(id=ana.id), "reply", notice_due=True) == (False, False)
    assert rows() == []


def test_deactivated_members_and_the_asker_are_never_named(app, factory, as_ana, as_ben, shop):
    workspace, ana, _, conversation = shop
    lee = factory.user(workspace, email="lee@viewers.test", name="Lee", role="agent")
    beat(signed_in(app, factory, lee), conversation.id)
    beat(as_ana, conversation.id)

    assert "Ben" not in line(beat(as_ben, conversation.id))
    lee.active = False
    db.session.commit()
    answer = line(beat(as_ben, conversation.id))
    assert "Ana is also viewing" in answer and "Lee" not in answer


def test_names_are_escaped_and_a_crowd_is_counted(app, factory, as_ben, shop):
    workspace, _, _, conversation = shop
    for name in ["<b>Eve</b>", "Cleo", "Dan", "Fay"]:
        person = factory.user(workspace, email=f"{name.strip('<b>/').lower()}@viewers.test", name=name, role="agent")
        beat(signed_in(app, factory, person), conversation.id)

    answer = line(beat(as_ben, conversation.id))

    assert "<b>Eve</b>" not in answer and "&lt;b&gt;Eve&lt;/b&gt;" in answer
    assert "&lt;b&gt;Eve&lt;/b&gt;, Cleo and 2 others are also viewing this conversation." in answer
    assert answer.count('class="avatar viewers__face') == 3  # at most three faces


def test_summary_sentences():
    def who(name, typing=None):
        return viewers.Viewer(User(name=name, email=f"{name}@x.test"), typing)

    assert viewers.summary([]) == []
    assert viewers.summary([who("Ana")]) == ["Ana is also viewing this conversation."]
    assert viewers.summary([who("Ana"), who("Ben")]) == ["Ana and Ben are also viewing this conversation."]
    assert viewers.summary([who("Ana", "reply"), who("Ben", "note"), who("Cleo")]) == [
        "Ana is typing a reply…", "Ben is writing a private note…", "Cleo is also viewing this conversation."]
    assert viewers.summary([who(n) for n in "ABCD"]) == ["A, B and 2 others are also viewing this conversation."]


def test_bad_input_and_other_workspaces(as_ana, factory, shop):
    _, _, _, conversation = shop
    stranger = factory.conversation(factory.account(factory.workspace("Elsewhere")))

    assert beat(as_ana, stranger.id).status_code == 404
    assert beat(as_ana, 2**40).status_code == 404
    response = beat(as_ana, conversation.id, typing="shouting")
    assert response.status_code == 400 and "typing must be reply, note or stopped" in response.get_data(as_text=True)
    assert rows() == []


def test_signed_out_is_not_counted(app, factory, shop):
    conversation = shop[3]
    stranger = AuthActions(app.test_client(), factory)  # a valid CSRF token, and nobody signed in
    response = stranger.client.post(f"/conversations/{conversation.id}/viewing",
                                    headers={**HX, "X-CSRFToken": stranger.csrf_token("/login")})
    assert response.status_code in (302, 401)
    assert rows() == []


def test_the_thread_carries_its_viewers_line(as_ana, shop):
    conversation = shop[3]
    page = as_ana.client.get(f"/conversations/{conversation.id}").get_data(as_text=True)

    assert 'id="thread-viewers"' in page
    assert f'data-viewing-url="/conversations/{conversation.id}/viewing"' in page
    assert f'data-every="{int(viewers.HEARTBEAT.total_seconds() * 1000)}"' in page


def test_the_clock_prunes_rows_tabs_left_behind(as_ana, as_ben, shop):
    _, ana, ben, conversation = shop
    beat(as_ana, conversation.id)
    beat(as_ben, conversation.id)
    age(ana, seen=viewers.KEPT + timedelta(minutes=1))

    assert prune_conversation_viewers() == 1
    assert rows() == [(ben.id, None)]
    assert any(job.path == "app.jobs.upkeep:prune_conversation_viewers" for job in PERIODIC_JOBS)


def test_a_deleted_conversation_takes_its_rows(as_ana, shop):
    conversation = shop[3]
    beat(as_ana, conversation.id, typing="reply")
    db.session.delete(db.session.merge(conversation))
    db.session.commit()
    assert rows() == []


def test_a_heartbeat_costs_four_statements(as_ana, as_ben, shop):
    """Every open thread sends one every 5 s: the person, the conversation, the UPDATE of the row
    and the others, and nothing loaded again after its commit (it once read both rows twice)."""
    url = f"/conversations/{shop[3].id}/viewing"
    beat(as_ben, shop[3].id)
    beat(as_ana, shop[3].id)
    headers = {**HX, "X-CSRFToken": as_ana.csrf_token("/settings")}

    with sql_sent() as seen:
        response = as_ana.client.post(url, headers=headers)

    assert "Ben is also viewing" in line(response)
    assert [sent.statement.split()[0] for sent in seen] == ["SELECT", "SELECT", "UPDATE", "SELECT"], \
        [sent.statement[:80] for sent in seen]


def test_typing_a_reply_is_one_update_with_the_customers_notice(as_ana, as_ben, shop, monkeypatch):
    """While a reply is typed (every 3 s), the heartbeat and the claim of the customer's "typing…"
    are one UPDATE and one commit (they were two of each), and nothing is loaded after it. The
    job itself is tests/outbound/test_typing_indicator.py's."""
    queued = []
    monkeypatch.setattr(viewers, "queue_typing", queued.append)
    url = f"/conversations/{shop[3].id}/viewing"
    beat(as_ben, shop[3].id)
    beat(as_ana, shop[3].id)
    headers = {**HX, "X-CSRFToken": as_ana.csrf_token("/settings")}

    with sql_sent() as seen:
        response = as_ana.client.post(url, data={"typing": "reply"}, headers=headers)

    assert "Ben is also viewing" in line(response)
    kinds = [sent.statement.split()[0] for sent in seen]
    assert kinds.count("UPDATE") == 1 and kinds[-2:] == ["UPDATE", "SELECT"], [sent.statement[:80] for sent in seen]
    assert queued == [shop[3].id]
    as_ana.client.post(url, data={"typing": "reply"}, headers=headers)
    assert queued == [shop[3].id]  # told once per TYPING_NOTICE_EVERY
    told = db.session.scalar(select(ConversationViewer.typing_told_at)
                             .where(ConversationViewer.conversation_id == shop[3].id,
                                    ConversationViewer.user_id == shop[1].id))
    assert told is not None  # claimed by that UPDATE
