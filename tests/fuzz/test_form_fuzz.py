"""Whatever a browser (or anyone) posts into the staff forms: never a 500, and a refused input
changes nothing. Bounded runs (max_examples <= 100) so the suite stays fast."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.instagram.graph import MAX_TEXT_BYTES
from app.models import LEAD_STATUSES, Conversation, Lead, Message, Note, User, utcnow
from app.outbound.rules import normalize_text
from tests.conftest import csrf_token_from
from tests.meta_kit import HX

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text as forms carry it: any character a browser can encode (no lone surrogates), with the
# troublemakers over-represented: NUL and control characters, bidi overrides, HTML, SQL, emoji.
TRICKY = ["\x00", "\r\n", "\u202e", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "🙂" * 300,
          "{{ 7*7 }}", "\ufeff", " ", "a" * 5000, "ß", "İ", "\U0001f600\u200d"]
form_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.sampled_from(TRICKY),
    st.lists(st.sampled_from(TRICKY), min_size=1, max_size=4).map("".join),
)


FUZZ_EMAIL = "fuzz@example.com"
FUZZ_PASSWORD = "correct-horse-battery"


def _csrf(client, path: str) -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def _fuzz_user(factory):
    """One user for all examples of a test (function-scoped fixtures live across examples)."""
    user = db.session.scalar(select(User).where(User.email == FUZZ_EMAIL))
    return user or factory.user(email=FUZZ_EMAIL, password=FUZZ_PASSWORD)


@FUZZ
@given(email=form_text, password=form_text, next_url=form_text)
def test_login_with_anything(app, client, factory, email, password, next_url):
    app.config["LOGIN_PAIR_LIMITS"] = app.config["LOGIN_CLIENT_LIMITS"] = "1000000 per second"  # every example reaches the form
    user = _fuzz_user(factory)
    token = _csrf(client, "/login")

    response = client.post("/login", query_string={"next": next_url},
                           data={"email": email, "password": password, "csrf_token": token})

    assert response.status_code in (200, 400, 401), response.status_code
    assert "_user_id" not in _session(client)

    # The right password with any `next`: signed in, and sent only to a path on this site.
    good = client.post("/login", query_string={"next": next_url},
                       data={"email": user.email, "password": FUZZ_PASSWORD, "csrf_token": token})
    if "\x00" in next_url:
        assert good.status_code == 400 and "_user_id" not in _session(client)
        return
    assert good.status_code == 302
    location = urlsplit(good.headers["Location"])
    assert not location.scheme and not location.netloc, good.headers["Location"]
    assert location.path.startswith("/") and not location.path.startswith("//")
    client.post("/logout", data={"csrf_token": _csrf(client, "/settings")})


def test_a_nul_character_is_refused_before_any_view_runs(auth, factory):
    """PostgreSQL text cannot hold NUL: a query string or form field with one is a 400 that
    changes nothing (it used to fail inside the login query as a 500)."""
    user = _fuzz_user(factory)
    token = _csrf(auth.client, "/login")
    response = auth.client.post("/login", data={"email": "a\x00@example.com", "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)

    auth.login(user, password=FUZZ_PASSWORD)
    assert auth.client.get("/", query_string={"q": "blue\x00"}).status_code == 400
    assert auth.client.get("/", query_string={"q": "blue"}).status_code == 200


def _session(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def _outbound_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "out"))


def _conversation(auth, factory):
    if auth.user is None:
        auth.login(_fuzz_user(factory), password=FUZZ_PASSWORD)
    conversation = db.session.scalar(select(Conversation).order_by(Conversation.id))
    if conversation is None:
        account = factory.account(auth.user.workspace)
        conversation = factory.conversation(account, last_inbound_at=utcnow() - timedelta(hours=1))
    return conversation


@FUZZ
@given(text=form_text, htmx=st.booleans())
def test_reply_form_with_any_text(auth, factory, queued, text, htmx):
    conversation = _conversation(auth, factory)
    before = _outbound_count()

    response = auth.post(f"/conversations/{conversation.id}/messages", {"text": text}, htmx=htmx)

    assert response.status_code in (201, 302, 400, 422), response.status_code
    after = _outbound_count()
    if "\x00" in text:
        assert response.status_code == 400 and after == before
        return
    expected = normalize_text(text)
    if not expected or len(expected.encode()) > MAX_TEXT_BYTES:
        assert after == before  # refused: nothing stored, nothing queued
        assert response.status_code in (302, 422)
        return
    assert after == before + 1
    message = db.session.scalars(select(Message).where(Message.direction == "out").order_by(Message.id.desc())).first()
    assert message.status == "pending" and message.text == expected
    if htmx:
        assert "<script>" not in response.get_data(as_text=True)  # the bubble escapes what staff typed


@FUZZ
@given(body=st.binary(max_size=400), content_type=st.sampled_from(
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "text/plain", "application/json"]))
def test_reply_form_with_raw_bodies(auth, factory, queued, body, content_type):
    """Undecodable bytes, broken multipart, the wrong content type: refused or ignored, never a 500."""
    conversation = _conversation(auth, factory)
    token = auth.csrf_token("/settings")
    before = _outbound_count()

    response = auth.client.post(f"/conversations/{conversation.id}/messages", data=body,
                                headers={"Content-Type": content_type, "X-CSRFToken": token, "HX-Request": "true"})

    assert response.status_code < 500, response.status_code
    if response.status_code >= 400:
        assert _outbound_count() == before


def _signed_in_lead(auth, factory) -> Lead:
    conversation = _conversation(auth, factory)
    lead = db.session.scalar(select(Lead).where(Lead.conversation_id == conversation.id))
    return lead or factory.lead(conversation)


@FUZZ
@given(text=form_text, htmx=st.booleans())
def test_note_form_with_any_text(auth, factory, text, htmx):
    conversation = _conversation(auth, factory)
    before = db.session.scalar(select(func.count()).select_from(Note))

    response = auth.post(f"/conversations/{conversation.id}/notes", {"text": text}, htmx=htmx)

    assert response.status_code in (200, 302, 400, 422), response.status_code
    db.session.rollback()
    after = db.session.scalar(select(func.count()).select_from(Note))
    body = text.strip()
    if "\x00" in text or not body or len(body) > 5000:
        assert after == before  # refused: nothing stored
    else:
        assert after == before + 1
        note = db.session.scalars(select(Note).order_by(Note.id.desc())).first()
        assert note.body == body
        if htmx:
            assert "<script>" not in response.get_data(as_text=True)


lead_field_values = st.one_of(form_text, st.sampled_from(LEAD_STATUSES),
                              st.integers(min_value=-(2**70), max_value=2**70).map(str))


@FUZZ
@given(field=st.sampled_from(["status", "owner_id", "notes"]), value=lead_field_values, htmx=st.booleans())
def test_lead_updates_with_any_value(auth, factory, field, value, htmx):
    lead = _signed_in_lead(auth, factory)
    path = {"status": "status", "owner_id": "owner", "notes": "notes"}[field]
    before = (lead.status, lead.owner_id, lead.notes)

    response = auth.post(f"/leads/{lead.id}/{path}", {field: value}, htmx=htmx)

    assert response.status_code in (200, 302, 400, 422), response.status_code
    db.session.rollback()
    db.session.refresh(lead)
    after = (lead.status, lead.owner_id, lead.notes)
    if response.status_code in (400, 422):
        assert after == before  # a refused value changes nothing
    if field == "status":
        assert lead.status in LEAD_STATUSES
        wanted = value.strip() if value.strip() in LEAD_STATUSES and "\x00" not in value else None
        if wanted == "lost" and before[0] != "lost":
            wanted = None  # moving to lost needs a reason (app.leads.stages), and this form sent none
        assert lead.status == (wanted or before[0])
    elif field == "owner_id":
        assert lead.owner_id in (None, auth.user.id)  # never someone outside the workspace
    else:
        assert lead.notes is None or ("\x00" not in lead.notes and len(lead.notes) <= 20000)


QUERY_KEYS = ["view", "status", "account", "q", "cursor", "owner", "source", "since", "thread", "open", "before",
              "limit", "next", "page", "from", "to", "sort", "needs_reply", "label"]
query_strings = st.dictionaries(st.sampled_from(QUERY_KEYS) | st.text(max_size=6), form_text, max_size=5)


@FUZZ
@given(path=st.sampled_from(["/", "/leads", "/leads.csv", "/inbox/changes", "/conversations/{id}",
                             "/conversations/{id}/older", "/webhooks/log", "/accounts", "/settings/automation"]),
       query=query_strings, htmx=st.booleans())
def test_pages_with_any_filters_and_search(auth, factory, path, query, htmx):
    """Filters and search live in the query string, so anyone can type anything there: the page
    answers (a notice for what it could not use) or refuses with a 4xx, never a 500."""
    conversation = _conversation(auth, factory)
    headers = HX if htmx else {}

    response = auth.client.get(path.format(id=conversation.id), query_string=query, headers=headers)

    assert response.status_code in (200, 204, 302, 400, 404), (response.status_code, query)
