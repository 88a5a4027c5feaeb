"""The lead panel beside a thread: what it shows, each field's save and refusal, isolation, CSRF."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Lead, LeadStageChange, User
from tests.meta_kit import HX


@pytest.fixture
def thread(factory, auth):
    ws = factory.workspace("Shop")
    maya = factory.user(ws, name="Maya")  # an admin (the factory's default)
    sam = factory.user(ws, name="Sam", role="agent")
    account = factory.account(ws, username="acme")
    contact = factory.contact(account, name="Priya <b>Shah</b>", username="priya", follower_count=1520,
                              is_verified_user=True, is_user_follow_business=False)
    conversation = factory.conversation(account, contact=contact)
    factory.message(conversation, "hi! write to me at priya@example.com or call +44 20 7946 0958")
    lead = factory.lead(conversation, source="ad", source_detail={
        "ad_id": "ad-77", "ad_title": "Summer <script>sale</script>", "photo_url": "https://cdn.example/ad.jpg"})
    auth.login(sam)
    return dict(ws=ws, maya=maya, sam=sam, account=account, conversation=conversation, lead=lead)


def text(response) -> str:
    return response.get_data(as_text=True)


def panel_url(t, tail=""):
    return f"/conversations/{t['conversation'].id}/lead{tail}"


def test_the_thread_loads_the_panel_which_shows_the_lead(client, thread):
    page = text(client.get(f"/conversations/{thread['conversation'].id}"))
    assert f'hx-get="{panel_url(thread)}"' in page and 'data-lead-panel-open' in page
    html = text(client.get(panel_url(thread), headers=HX))
    assert "<html" not in html
    assert 'id="lead-panel-stage"' in html and 'id="lead-panel-follow_up"' in html
    assert "Summer &lt;script&gt;sale&lt;/script&gt;" in html and "<script>sale" not in html  # escaped
    assert 'src="https://cdn.example/ad.jpg"' in html
    assert "Priya &lt;b&gt;Shah&lt;/b&gt;" in html and "1,520" in html and "@priya" in html
    assert "Save <bdi class=\"offer__value\">priya@example.com</bdi> as email?" in html
    assert "+44 20 7946 0958</bdi> as phone?" in html
    # Without JavaScript the Lead link opens the panel as a page of its own.
    page = text(client.get(panel_url(thread)))
    assert "<html" in page and "Back to the conversation" in page


def test_another_workspaces_conversation_is_a_404(client, factory, thread):
    other = factory.workspace("Other")
    account = factory.account(other, username="theirs")
    theirs = factory.conversation(account)
    factory.lead(theirs)
    assert client.get(f"/conversations/{theirs.id}/lead", headers=HX).status_code == 404
    for tail in ("stage", "owner", "value", "follow-up", "email", "phone", "offer", "notes"):
        response = client.post(f"/conversations/{theirs.id}/lead/{tail}", data={"status": "won"},
                               headers={**HX, "X-CSRFToken": _token(client)})
        assert response.status_code == 404, tail


def _token(client) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(text(client.get("/settings")))


def test_a_post_without_csrf_is_refused(client, thread):
    response = client.post(panel_url(thread, "/value"), data={"value": "10"}, headers=HX)
    assert response.status_code == 400
    assert db.session.get(Lead, thread["lead"].id).value_cents is None


def test_an_agent_edits_as_on_the_leads_page(auth, thread):
    # Agents change leads on the leads page; the panel allows the same (and records who did it).
    response = auth.post(panel_url(thread, "/stage"), {"status": "contacted"}, htmx=True)
    assert response.status_code == 200, text(response)
    assert 'id="lead-panel-stage"' in text(response) and "Stage saved." in text(response)
    change = db.session.scalar(db.select(LeadStageChange))
    assert (change.from_status, change.to_status, change.user_id) == ("new", "contacted", thread["sam"].id)
    assert "Contacted</strong>" in text(response) and "Sam" in text(response)


def test_value_saves_and_refuses_next_to_the_field(auth, thread):
    response = auth.post(panel_url(thread, "/value"), {"value": "1,250.5", "currency": "EUR"}, htmx=True)
    assert response.status_code == 200
    lead = db.session.get(Lead, thread["lead"].id)
    assert (lead.value_cents, lead.currency) == (125050, "EUR")
    assert 'value="1250.50"' in text(response) and "Value saved." in text(response)
    response = auth.post(panel_url(thread, "/value"), {"value": "12.345", "currency": "EUR"}, htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert 'id="lp-value-error"' in html and "at most two decimals" in html and 'value="12.345"' in html
    assert 'aria-invalid="true"' in html
    db.session.expire_all()
    assert db.session.get(Lead, thread["lead"].id).value_cents == 125050
    response = auth.post(panel_url(thread, "/value"), {"value": "5", "currency": "euro"}, htmx=True)
    assert response.status_code == 422 and "three-letter ISO 4217" in text(response)


def test_lost_needs_a_reason_and_records_it(auth, thread):
    response = auth.post(panel_url(thread, "/stage"), {"status": "lost", "lost_reason": ""}, htmx=True)
    assert response.status_code == 422 and "say why the lead was lost" in text(response)
    assert db.session.get(Lead, thread["lead"].id).status == "new"
    response = auth.post(panel_url(thread, "/stage"),
                         {"status": "lost", "lost_reason": "Price", "lost_detail": "found it cheaper"}, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    lead = db.session.get(Lead, thread["lead"].id)
    assert (lead.status, lead.lost_reason) == ("lost", "Price: found it cheaper")
    assert "Reason: Price: found it cheaper" in text(response)


def test_won_saves_the_confirmed_value_with_the_move(auth, thread):
    response = auth.post(panel_url(thread, "/stage"), {"status": "won", "value": "900", "currency": "GBP"}, htmx=True)
    assert response.status_code == 200, text(response)
    html = text(response)
    assert "Won at 900 GBP" in html
    # The value section comes along out of band with the confirmed value.
    assert re.search(r'id="lead-panel-value"[^>]*hx-swap-oob="true"', html) and 'value="900.00"' in html
    change = db.session.scalar(db.select(LeadStageChange))
    assert (change.to_status, change.value_cents) == ("won", 90000)
    # A bad value refuses the move too: nothing changes.
    auth.post(panel_url(thread, "/stage"), {"status": "contacted"}, htmx=True)
    response = auth.post(panel_url(thread, "/stage"), {"status": "won", "value": "-3", "currency": "GBP"}, htmx=True)
    assert response.status_code == 422 and 'id="lp-stage-error"' in text(response)
    db.session.expire_all()
    assert db.session.get(Lead, thread["lead"].id).status == "contacted"


def test_owner(auth, thread):
    response = auth.post(panel_url(thread, "/owner"), {"owner_id": str(thread["maya"].id)}, htmx=True)
    assert response.status_code == 200
    assert db.session.get(Lead, thread["lead"].id).owner_id == thread["maya"].id
    response = auth.post(panel_url(thread, "/owner"), {"owner_id": "abc"}, htmx=True)
    assert response.status_code == 422 and "Choose someone from the list." in text(response)
    response = auth.post(panel_url(thread, "/owner"), {"owner_id": "999999"}, htmx=True)
    assert response.status_code == 422


def test_follow_up_quick_pick_custom_time_and_clear(auth, client, thread):
    client.set_cookie("tz", "Europe/Berlin")
    thread["sam"].timezone = None
    db.session.commit()
    response = auth.post(panel_url(thread, "/follow-up"), {"preset": "tomorrow", "note": "send the catalogue"}, htmx=True)
    assert response.status_code == 200, text(response)
    lead = db.session.get(Lead, thread["lead"].id)
    local = lead.next_follow_up_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (9, 0) and lead.follow_up_note == "send the catalogue"
    response = auth.post(panel_url(thread, "/follow-up"), {"at": "2028-03-04T15:30", "note": ""}, htmx=True)
    db.session.expire_all()
    lead = db.session.get(Lead, thread["lead"].id)
    assert lead.next_follow_up_at == datetime(2028, 3, 4, 14, 30, tzinfo=timezone.utc)  # 15:30 in Berlin
    assert 'value="2028-03-04T15:30"' in text(response)
    response = auth.post(panel_url(thread, "/follow-up"), {"at": "not a date"}, htmx=True)
    assert response.status_code == 422 and "not a date and time" in text(response)
    response = auth.post(panel_url(thread, "/follow-up"), {"at": "2099-01-01T09:00"}, htmx=True)
    assert response.status_code == 422 and "three years" in text(response)
    response = auth.post(panel_url(thread, "/follow-up"), {"at": ""}, htmx=True)
    assert response.status_code == 422 and "Choose a date and time" in text(response)
    response = auth.post(panel_url(thread, "/follow-up"), {"clear": "1"}, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Lead, thread["lead"].id).next_follow_up_at is None


def test_a_follow_up_nobody_would_see_makes_its_setter_the_owner(auth, client, thread):
    """No owner and nobody assigned: the follow-up was on no one's list and reminded no one. Whoever
    sets it takes the lead (the owner section comes along); an owned or assigned lead is left alone."""
    response = auth.post(panel_url(thread, "/follow-up"), {"preset": "tomorrow", "note": "bulk quote"}, htmx=True)
    body = text(response)
    assert response.status_code == 200 and "Nobody owned this lead, so it is yours now" in body
    assert 'id="lead-panel-owner"' in body and 'hx-swap-oob="true"' in body
    db.session.expire_all()
    lead = db.session.get(Lead, thread["lead"].id)
    assert lead.owner_id == thread["sam"].id
    assert "bulk quote" in text(client.get("/leads/follow-ups"))  # on Sam's own list

    lead.owner_id = None
    thread["conversation"].assignee_id = thread["maya"].id  # Maya's to follow up, as the rule says
    db.session.commit()
    body = text(auth.post(panel_url(thread, "/follow-up"), {"preset": "monday"}, htmx=True))
    assert "Follow-up saved." in body and "yours now" not in body
    db.session.expire_all()
    assert db.session.get(Lead, thread["lead"].id).owner_id is None

    # Maya has left the team: her follow-ups remind no one, so the next one set is taken too.
    db.session.get(User, thread["maya"].id).active = False
    db.session.commit()
    body = text(auth.post(panel_url(thread, "/follow-up"), {"preset": "tomorrow"}, htmx=True))
    assert "yours now" in body
    db.session.expire_all()
    assert db.session.get(Lead, thread["lead"].id).owner_id == thread["sam"].id


def test_offered_email_saves_in_one_click_and_is_no_longer_offered(auth, thread):
    response = auth.post(panel_url(thread, "/offer"), {"kind": "email", "value": "priya@example.com"}, htmx=True)
    assert response.status_code == 200
    assert db.session.get(Lead, thread["lead"].id).email == "priya@example.com"
    html = text(response)
    assert "as email?" not in html and "as phone?" in html and 'value="priya@example.com"' in html
    response = auth.post(panel_url(thread, "/offer"), {"kind": "phone", "value": "call me"}, htmx=True)
    assert response.status_code == 422 and "phone must be a phone number" in text(response)
    response = auth.post(panel_url(thread, "/offer"), {"kind": "notes", "value": "x"}, htmx=True)
    assert response.status_code == 422


def test_email_phone_and_notes_fields(auth, thread):
    response = auth.post(panel_url(thread, "/email"), {"email": "not-an-email"}, htmx=True)
    assert response.status_code == 422 and 'id="lp-email-error"' in text(response)
    assert auth.post(panel_url(thread, "/phone"), {"phone": "+1 (555) 010-9999"}, htmx=True).status_code == 200
    assert auth.post(panel_url(thread, "/notes"), {"notes": "  wants red  "}, htmx=True).status_code == 200
    lead = db.session.get(Lead, thread["lead"].id)
    assert (lead.phone, lead.notes, lead.email) == ("+1 (555) 010-9999", "wants red", None)


def test_without_htmx_a_save_redirects_to_the_conversation(auth, thread):
    response = auth.post(panel_url(thread, "/value"), {"value": "10", "currency": "USD"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/conversations/{thread['conversation'].id}")


def test_a_conversation_without_a_lead(client, factory, auth, thread):
    bare = factory.conversation(thread["account"])
    html = text(client.get(f"/conversations/{bare.id}/lead", headers=HX))
    assert "This conversation has no lead." in html
    response = auth.post(f"/conversations/{bare.id}/lead/value", {"value": "10"}, htmx=True)
    assert response.status_code == 422


def test_other_conversations_of_the_same_customer(client, factory, thread):
    second = factory.account(thread["ws"], username="acme_outlet")
    elsewhere = factory.conversation(second, contact=factory.contact(second, username="priya"))
    stranger = factory.conversation(second, contact=factory.contact(second, username="someone"))
    html = text(client.get(panel_url(thread), headers=HX))
    assert f'/conversations/{elsewhere.id}"' in html and f'/conversations/{stranger.id}"' not in html


def test_panel_statements_do_not_grow_with_the_history(client, thread, auth):
    from tests.sql_log import sql_sent as counting_statements

    for status in ("contacted", "qualified", "won", "contacted", "qualified"):
        auth.post(panel_url(thread, "/stage"), {"status": status, "value": "5", "currency": "USD"}, htmx=True)
    db.session.expire_all()
    with counting_statements() as few:
        client.get(panel_url(thread), headers=HX)
    for status in ("won", "contacted", "qualified", "won", "contacted", "qualified"):
        auth.post(panel_url(thread, "/stage"), {"status": status, "value": "5", "currency": "USD"}, htmx=True)
    db.session.expire_all()
    with counting_statements() as many:
        client.get(panel_url(thread), headers=HX)
    assert len(many) == len(few), "\n".join(many)
