"""Conversations and their messages through the API: shapes, filters, changes, isolation, paging."""
from datetime import timedelta

from app.extensions import db
from app.models import Conversation, Message, utcnow
from tests.api.conftest import error_of


def test_list_shape_and_newest_activity_first(api, factory):
    contact = factory.contact(api.account, username="ann", name="Ann", profile_pic_url="https://cdn.test/a.jpg")
    older = factory.conversation(api.account, last_message_at=utcnow() - timedelta(hours=2),
                                 last_inbound_at=utcnow() - timedelta(hours=30))
    newer = factory.conversation(api.account, contact=contact, last_message_at=utcnow() - timedelta(minutes=1),
                                 last_inbound_at=utcnow() - timedelta(minutes=1), unread_count=2,
                                 last_message_preview="Hi there")
    body = api.get("/conversations").get_json()
    assert [c["id"] for c in body["data"]] == [newer.id, older.id]
    assert body["next_cursor"] is None
    first = body["data"][0]
    assert first["contact"] == {"id": contact.id, "igsid": contact.igsid, "username": "ann", "name": "Ann",
                                "profile_pic_url": "https://cdn.test/a.jpg"}
    assert first["account_id"] == api.account.id
    assert first["status"] == "open" and first["assignee_id"] is None
    assert first["unread_count"] == 2 and first["last_message_preview"] == "Hi there"
    assert first["can_reply"] is True and first["reply_window_ends_at"].endswith("Z")
    assert first["last_message_at"].endswith("Z")
    assert body["data"][1]["can_reply"] is False  # customer's last message was 30 hours ago


def test_never_written_conversation_cannot_be_replied_to(api, factory):
    conversation = factory.conversation(api.account, last_inbound_at=None)
    data = api.get(f"/conversations/{conversation.id}").get_json()["data"]
    assert data["can_reply"] is False and data["reply_window_ends_at"] is None


def test_a_profile_picture_that_is_not_http_is_dropped(api, factory):
    contact = factory.contact(api.account, profile_pic_url="javascript:alert(1)")
    conversation = factory.conversation(api.account, contact=contact)
    assert api.get(f"/conversations/{conversation.id}").get_json()["data"]["contact"]["profile_pic_url"] is None


def test_filters(api, factory):
    other_account = factory.account(api.workspace)
    colleague = factory.user(api.workspace, role="agent")
    mine = factory.conversation(api.account, assignee_id=api.user.id, unread_count=1)
    theirs = factory.conversation(api.account, assignee_id=colleague.id, status="resolved")
    elsewhere = factory.conversation(other_account,
                                     contact=factory.contact(other_account, name="Zoë Quinn", username="zq"))
    factory.message(theirs, text="Do you ship to Oslo?")

    def ids(query):
        response = api.get(f"/conversations?{query}")
        assert response.status_code == 200, response.get_json()
        return {c["id"] for c in response.get_json()["data"]}

    assert ids("") == {mine.id, theirs.id, elsewhere.id}
    assert ids("status=resolved") == {theirs.id}
    assert ids("status=open") == {mine.id, elsewhere.id}
    assert ids("unread=true") == {mine.id}
    assert ids("unread=false") == {mine.id, theirs.id, elsewhere.id}
    assert ids(f"account_id={other_account.id}") == {elsewhere.id}
    assert ids("q=zoë") == {elsewhere.id}
    assert ids("q=@zq") == {elsewhere.id}
    assert ids("q=oslo") == {theirs.id}
    assert ids("assignee=me") == {mine.id}
    assert ids("assignee=unassigned") == {elsewhere.id}
    assert ids(f"assignee={colleague.id}") == {theirs.id}
    assert ids("status=open&unread=true&assignee=me") == {mine.id}


def test_get_one(api, factory):
    conversation = factory.conversation(api.account, status="pending")
    response = api.get(f"/conversations/{conversation.id}")
    assert response.status_code == 200
    assert response.get_json()["data"]["id"] == conversation.id
    assert response.get_json()["data"]["status"] == "pending"


def test_mark_read(api, factory):
    conversation = factory.conversation(api.account, unread_count=4)
    response = api.post(f"/conversations/{conversation.id}/read")
    assert response.status_code == 200
    assert response.get_json()["data"]["unread_count"] == 0
    assert db.session.get(Conversation, conversation.id).unread_count == 0
    assert api.post(f"/conversations/{conversation.id}/read").status_code == 200  # idempotent


def test_patch_status_and_assignee(api, factory):
    colleague = factory.user(api.workspace, role="agent")
    conversation = factory.conversation(api.account)
    response = api.patch(f"/conversations/{conversation.id}", json={"status": "resolved", "assignee_id": colleague.id})
    assert response.status_code == 200
    assert response.get_json()["data"]["status"] == "resolved"
    assert response.get_json()["data"]["assignee_id"] == colleague.id
    response = api.patch(f"/conversations/{conversation.id}", json={"assignee_id": None})
    assert response.get_json()["data"]["assignee_id"] is None
    row = db.session.get(Conversation, conversation.id)
    db.session.refresh(row)
    assert (row.status, row.assignee_id) == ("resolved", None)


def test_patch_nothing_changes_nothing(api, factory):
    conversation = factory.conversation(api.account, status="pending")
    response = api.patch(f"/conversations/{conversation.id}", json={})
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "pending"


def test_snooze(api, factory):
    conversation = factory.conversation(api.account)
    until = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    response = api.patch(f"/conversations/{conversation.id}",
                         json={"status": "snoozed", "snoozed_until": until.isoformat().replace("+00:00", "Z")})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["status"] == "snoozed" and data["snoozed_until"] == until.isoformat().replace("+00:00", "Z")
    # A snooze time alone snoozes (here: moves the wake-up); any other status clears it.
    later = until + timedelta(days=1)
    data = api.patch(f"/conversations/{conversation.id}", json={"snoozed_until": later.isoformat()}).get_json()["data"]
    assert data["status"] == "snoozed" and data["snoozed_until"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    data = api.patch(f"/conversations/{conversation.id}", json={"status": "open"}).get_json()["data"]
    assert data["status"] == "open" and data["snoozed_until"] is None


def test_snooze_refusals_are_422_and_change_nothing(api, factory):
    conversation = factory.conversation(api.account)
    path = f"/conversations/{conversation.id}"
    past = (utcnow() - timedelta(hours=1)).isoformat()
    for body, field in (
        ({"status": "snoozed"}, "snoozed_until"),
        ({"status": "snoozed", "snoozed_until": past}, "snoozed_until"),
        ({"status": "snoozed", "snoozed_until": "2030-01-01T09:00:00"}, "snoozed_until"),  # no time zone
        ({"snoozed_until": (utcnow() + timedelta(days=400)).isoformat()}, "snoozed_until"),
        ({"status": "resolved", "snoozed_until": (utcnow() + timedelta(days=1)).isoformat()}, "snoozed_until"),
    ):
        error = error_of(api.patch(path, json=body), 422)
        assert error["field"] == field, body
    row = db.session.get(Conversation, conversation.id)
    db.session.refresh(row)
    assert row.status == "open" and row.snoozed_until is None


def test_ending_a_snooze_needs_a_status(api, factory):
    conversation = factory.conversation(api.account, status="snoozed", snoozed_until=utcnow() + timedelta(days=1))
    error = error_of(api.patch(f"/conversations/{conversation.id}", json={"snoozed_until": None}), 422)
    assert error["field"] == "snoozed_until"


def test_a_refused_field_keeps_the_others_from_being_saved(api, factory):
    stranger = factory.user()  # another workspace
    conversation = factory.conversation(api.account)
    error = error_of(api.patch(f"/conversations/{conversation.id}",
                               json={"status": "resolved", "assignee_id": stranger.id}), 422)
    assert error == {"code": "unprocessable", "message": "no such user in this workspace", "field": "assignee_id"}
    error = error_of(api.patch(f"/conversations/{conversation.id}",
                               json={"assignee_id": api.user.id, "status": "snoozed"}), 422)
    assert error["field"] == "snoozed_until"
    row = db.session.get(Conversation, conversation.id)
    db.session.refresh(row)
    assert (row.status, row.assignee_id) == ("open", None)


def test_inactive_user_cannot_be_assigned(api, factory):
    gone = factory.user(api.workspace, role="agent")
    gone.active = False
    db.session.commit()
    conversation = factory.conversation(api.account)
    assert error_of(api.patch(f"/conversations/{conversation.id}", json={"assignee_id": gone.id}), 422)["field"] == "assignee_id"


def test_patch_validation_is_400_naming_the_field(api, factory):
    conversation = factory.conversation(api.account)
    path = f"/conversations/{conversation.id}"
    for body, field in (
        ({"status": "closed"}, "status"),
        ({"status": None}, "status"),
        ({"status": ["open"]}, "status"),
        ({"assignee_id": "3"}, "assignee_id"),
        ({"assignee_id": True}, "assignee_id"),
        ({"assignee_id": 1.5}, "assignee_id"),
        ({"assignee_id": 0}, "assignee_id"),
        ({"assignee_id": 10**30}, "assignee_id"),
        ({"snoozed_until": "tomorrow"}, "snoozed_until"),
        ({"snoozed_until": 1767225600}, "snoozed_until"),
        ({"assignee": 3}, "assignee"),
    ):
        error = error_of(api.patch(path, json=body), 400)
        assert error["field"] == field, (body, error)
    assert db.session.get(Conversation, conversation.id).status == "open"


def test_messages_oldest_first_and_paged_with_before(api, factory):
    conversation = factory.conversation(api.account)
    base = utcnow() - timedelta(hours=1)
    made = [factory.message(conversation, text=f"m{i}", created_at=base + timedelta(seconds=i)) for i in range(7)]
    body = api.get(f"/conversations/{conversation.id}/messages?limit=3").get_json()
    assert [m["text"] for m in body["data"]] == ["m4", "m5", "m6"]
    body = api.get(f"/conversations/{conversation.id}/messages?limit=3&before={body['next_cursor']}").get_json()
    assert [m["text"] for m in body["data"]] == ["m1", "m2", "m3"]
    body = api.get(f"/conversations/{conversation.id}/messages?limit=3&before={body['next_cursor']}").get_json()
    assert [m["text"] for m in body["data"]] == ["m0"] and body["next_cursor"] is None
    assert body["data"][0]["id"] == made[0].id


def test_message_shape(api, factory):
    conversation = factory.conversation(api.account)
    message = factory.message(
        conversation, text="look", mid="mid.abc", reply_to_mid="mid.prev", edited=True,
        attachments=[{"type": "image", "payload": {"url": "https://cdn.test/p.jpg"}},
                     {"type": "file", "url": "javascript:alert(1)"}, "junk"],
        reactions=[{"emoji": "❤️", "reaction": "love", "by": "customer"}, "junk"],
    )
    out = factory.message(conversation, text="thanks", direction="out", status="failed", source="api",
                          error="Outside the 24-hour window", sent_by_id=api.user.id)
    data = api.get(f"/conversations/{conversation.id}/messages").get_json()["data"]
    first, second = data
    assert first == {
        "id": message.id, "conversation_id": conversation.id, "mid": "mid.abc", "direction": "in", "kind": "attachment",
        "context": None, "text": "look", "attachments": [{"type": "image", "url": "https://cdn.test/p.jpg"}, {"type": "file", "url": None}],
        "status": "received", "error": None, "source": "instagram", "sent_by_id": None, "reply_to_mid": "mid.prev",
        "is_deleted": False, "edited": True, "reactions": [{"emoji": "❤️", "reaction": "love", "by": "customer"}],
        "created_at": first["created_at"],
    }
    assert first["created_at"].endswith("Z")
    assert second["id"] == out.id and second["direction"] == "out" and second["status"] == "failed"
    assert second["error"] == "Outside the 24-hour window" and second["source"] == "api"
    assert second["sent_by_id"] == api.user.id


def test_unsent_message_hides_its_content(api, factory):
    conversation = factory.conversation(api.account)
    factory.message(conversation, text="oops, my card number", is_deleted=True,
                    attachments=[{"type": "image", "url": "https://cdn.test/card.jpg"}])
    response = api.get(f"/conversations/{conversation.id}/messages")
    data = response.get_json()["data"][0]
    assert data["is_deleted"] is True and data["text"] is None and data["attachments"] == []
    assert "card" not in response.get_data(as_text=True)


def test_conversation_paging_while_conversations_and_messages_arrive(api, factory):
    base = utcnow() - timedelta(hours=1)
    # Ties in last_message_at are broken by id, so they cannot cause a skip or a repeat.
    made = [factory.conversation(api.account, last_message_at=base - timedelta(minutes=i // 3)) for i in range(14)]
    seen, cursor, pages = [], None, 0
    moved = None
    while True:
        query = "/conversations?limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(query).get_json()
        seen.extend(c["id"] for c in body["data"])
        cursor, pages = body["next_cursor"], pages + 1
        # Between pages: a new conversation arrives, and one already seen gets a new message.
        factory.conversation(api.account, last_message_at=utcnow())
        row = db.session.get(Conversation, seen[0])
        row.last_message_at = utcnow()
        if moved is None:
            # ...and once, one not yet seen gets new activity: it jumps to the top, where the
            # next read from the first page finds it; paging on must not show it twice.
            moved = db.session.get(Conversation, made[-1].id)
            moved.last_message_at = utcnow()
        db.session.commit()
        if cursor is None:
            break
    assert pages > 1
    assert len(seen) == len(set(seen)), "a conversation appeared twice"
    assert set(seen) == {c.id for c in made} - {moved.id}
    top = [c["id"] for c in api.get("/conversations?limit=100").get_json()["data"]]
    assert moved.id in top


def test_message_paging_while_messages_arrive(api, factory):
    conversation = factory.conversation(api.account)
    base = utcnow() - timedelta(hours=1)
    same_second = base + timedelta(seconds=5)
    made = [factory.message(conversation, text=f"m{i}", created_at=same_second if 3 <= i <= 6 else base + timedelta(seconds=i))
            for i in range(11)]
    seen, before = [], None
    while True:
        body = api.get(f"/conversations/{conversation.id}/messages?limit=3" + (f"&before={before}" if before else "")).get_json()
        seen = [m["id"] for m in body["data"]] + seen
        factory.message(conversation, text="new", created_at=utcnow())  # arrives while paging back
        before = body["next_cursor"]
        if before is None:
            break
    assert seen == [m.id for m in sorted(made, key=lambda m: (m.created_at, m.id))]


def test_other_workspaces_ids_are_404_everywhere(api, factory, meta_ok):
    other_account = factory.account()
    theirs = factory.conversation(other_account, unread_count=3)
    factory.message(theirs, text="secret from B")
    lead = factory.lead(theirs)
    for method, path, kwargs in (
        ("GET", f"/conversations/{theirs.id}", {}),
        ("GET", f"/conversations/{theirs.id}/messages", {}),
        ("POST", f"/conversations/{theirs.id}/read", {}),
        ("PATCH", f"/conversations/{theirs.id}", {"json": {"status": "resolved"}}),
        ("POST", f"/conversations/{theirs.id}/messages", {"json": {"text": "hi"}}),
        ("PATCH", f"/leads/{lead.id}", {"json": {"status": "won"}}),
    ):
        response = api.request(method, path, **kwargs)
        assert error_of(response, 404)["code"] == "not_found", path
        assert "secret" not in response.get_data(as_text=True)
    assert len(meta_ok.calls) == 0  # nothing sent to their customer
    db.session.expire_all()
    assert db.session.query(Message).count() == 1
    assert db.session.get(Conversation, theirs.id).unread_count == 3
    assert db.session.get(Conversation, theirs.id).status == "open"
    assert lead.status == "new"
    # Filtering by another workspace's account finds nothing rather than their conversations.
    assert api.get(f"/conversations?account_id={other_account.id}").get_json() == {"data": [], "next_cursor": None}
    assert api.get("/conversations?q=secret").get_json()["data"] == []
    assert api.get("/leads").get_json()["data"] == []


def test_unknown_and_out_of_range_ids_are_404(api):
    for path in ("/conversations/999999", "/conversations/99999999999999999999", "/conversations/0",
                 "/conversations/abc", "/conversations/999999/messages", "/leads/99999999999999999999"):
        method = "PATCH" if path.startswith("/leads") else "GET"
        kwargs = {"json": {}} if method == "PATCH" else {}
        assert error_of(api.request(method, path, **kwargs), 404)["code"] == "not_found"

