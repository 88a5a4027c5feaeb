"""Leads through the API: list with status filter and keyset paging, PATCH of status/owner/notes."""
from datetime import timedelta

from app.extensions import db
from app.models import Lead, utcnow
from tests.api.conftest import error_of


def _lead(factory, account, **fields):
    return factory.lead(factory.conversation(account), **fields)


def test_list_shape_newest_first_and_status_filter(api, factory):
    contact = factory.contact(api.account, username="bo", name="Bo")
    conversation = factory.conversation(api.account, contact=contact)
    older = _lead(factory, api.account, status="won", created_at=utcnow() - timedelta(days=1))
    newer = factory.lead(conversation, source="ad", source_detail={"ad_id": "123", "ad_title": "Spring"},
                         notes="asked about sizes", owner_id=api.user.id)
    body = api.get("/leads").get_json()
    assert [lead["id"] for lead in body["data"]] == [newer.id, older.id] and body["next_cursor"] is None
    assert body["data"][0] == {
        "id": newer.id,
        "contact": {"id": contact.id, "igsid": contact.igsid, "username": "bo", "name": "Bo", "profile_pic_url": None},
        "conversation_id": conversation.id, "status": "new", "owner_id": api.user.id, "source": "ad",
        "source_detail": {"ad_id": "123", "ad_title": "Spring"}, "notes": "asked about sizes",
        "value": None, "currency": None, "lost_reason": None, "email": None, "phone": None,
        "next_follow_up_at": None, "follow_up_note": None, "stage_changed_at": body["data"][0]["stage_changed_at"],
        "created_at": body["data"][0]["created_at"], "updated_at": body["data"][0]["updated_at"],
    }
    assert [lead["id"] for lead in api.get("/leads?status=won").get_json()["data"]] == [older.id]
    assert api.get("/leads?status=lost").get_json()["data"] == []
    assert error_of(api.get("/leads?status=hot"), 400)["field"] == "status"


def test_lead_paging_while_leads_arrive(api, factory):
    base = utcnow() - timedelta(hours=1)
    made = [_lead(factory, api.account, created_at=base - timedelta(minutes=i // 4)) for i in range(11)]
    seen, cursor, pages = [], None, 0
    while True:
        body = api.get("/leads?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen.extend(lead["id"] for lead in body["data"])
        pages += 1
        _lead(factory, api.account)  # a new lead arrives between pages
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert seen == [lead.id for lead in sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)]


def test_patch_lead(api, factory):
    colleague = factory.user(api.workspace, role="agent")
    lead = _lead(factory, api.account)
    response = api.patch(f"/leads/{lead.id}", json={"status": "qualified", "owner_id": colleague.id, "notes": "budget 2k"})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert (data["status"], data["owner_id"], data["notes"]) == ("qualified", colleague.id, "budget 2k")
    data = api.patch(f"/leads/{lead.id}", json={"owner_id": None, "notes": None}).get_json()["data"]
    assert (data["status"], data["owner_id"], data["notes"]) == ("qualified", None, None)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == "qualified"


def test_patch_lead_validation(api, factory):
    lead = _lead(factory, api.account, notes="keep me")
    path = f"/leads/{lead.id}"
    for body, field in (
        ({"status": "hot"}, "status"),
        ({"status": 1}, "status"),
        ({"owner_id": "1"}, "owner_id"),
        ({"owner_id": False}, "owner_id"),
        ({"owner_id": -4}, "owner_id"),
        ({"notes": 5}, "notes"),
        ({"notes": "a\x00b"}, "notes"),
        ({"notes": "\ud800"}, "notes"),
        ({"colour": "red"}, "colour"),
    ):
        assert error_of(api.patch(path, json=body), 400)["field"] == field, body
    stranger = factory.user()
    error = error_of(api.patch(path, json={"status": "won", "owner_id": stranger.id}), 422)
    assert error["field"] == "owner_id"
    assert error_of(api.patch(path, json={"status": "won", "notes": "x" * 20001}), 422)["field"] == "notes"
    db.session.expire_all()
    row = db.session.get(Lead, lead.id)
    assert (row.status, row.owner_id, row.notes) == ("new", None, "keep me")


def test_a_former_member_is_given_no_lead(api, factory):
    # The same rule as a conversation's assignee (app.auth.users.workspace_member).
    former = factory.user(api.workspace, role="agent", name="Rob Rep")
    kept = _lead(factory, api.account, owner_id=former.id)  # theirs from before they left
    other = _lead(factory, api.account)
    former.active = False
    db.session.commit()
    for lead in (other, kept):  # a new owner, or the owner they already are
        error = error_of(api.patch(f"/leads/{lead.id}", json={"status": "won", "owner_id": former.id}), 422)
        assert error == {"code": "unprocessable", "field": "owner_id",
                         "message": "Rob Rep is a former member; choose an active one"}
    db.session.expire_all()
    assert (db.session.get(Lead, other.id).owner_id, db.session.get(Lead, other.id).status) == (None, "new")
    assert (db.session.get(Lead, kept.id).owner_id, db.session.get(Lead, kept.id).status) == (former.id, "new")


def test_owner_and_source_filters(api, factory):
    colleague = factory.user(api.workspace, role="agent")
    mine = _lead(factory, api.account, owner_id=api.user.id, source="ad")
    theirs = _lead(factory, api.account, owner_id=colleague.id)
    nobodys = _lead(factory, api.account, source="link")

    def ids(query):
        response = api.get(f"/leads?{query}")
        assert response.status_code == 200, response.get_json()
        return {lead["id"] for lead in response.get_json()["data"]}

    assert ids("owner=me") == {mine.id}
    assert ids("owner=none") == {nobodys.id}
    assert ids(f"owner={colleague.id}") == {theirs.id}
    assert ids("source=ad") == {mine.id}
    assert ids("source=link&owner=none&status=new") == {nobodys.id}
    for query, field in (("owner=someone", "owner"), ("owner=99999999999", "owner"), ("source=" + "x" * 21, "source")):
        assert error_of(api.get(f"/leads?{query}"), 400)["field"] == field
