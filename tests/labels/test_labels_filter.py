"""The list's `label=` filter: in the URL and the filter bar, keeping the list's newest-first keyset
order across pages, and read through the label's index; an unusable value is dropped with a notice."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from flask_login import login_user
from sqlalchemy import text

from app.extensions import db
from app.inbox.filters import InboxListQuery
from app.inbox.queries import ConversationFilters, _filtered_conversations, conversation_page
from app.models import ConversationLabel, Label, utcnow


@contextmanager
def signed_in(app, user):
    with app.test_request_context():
        login_user(user)
        yield


def _tag(conversation, label):
    db.session.add(ConversationLabel(conversation_id=conversation.id, label_id=label.id))
    db.session.commit()


def test_the_filter_bar_offers_the_labels_and_the_list_shows_only_those_conversations(auth, shop):
    vip = shop.label("vip")
    shop.label("wholesale")
    _tag(shop.first, vip)
    auth.login(shop.agent)
    html = auth.client.get("/?label=VIP").get_data(as_text=True)  # typed URLs are normalised too
    assert '<select id="filter-label" name="label">' in html
    assert '<option value="vip" selected>vip</option>' in html and '<option value="wholesale">' in html
    assert f'id="conv-{shop.first.id}"' in html and f'id="conv-{shop.second.id}"' not in html
    # htmx's filter change gets the list, and the address it pushes keeps the label.
    response = auth.client.get("/?label=vip", headers={"HX-Request": "true", "HX-Target": "conversation-list-region"})
    assert response.headers["HX-Push-Url"] == "/?label=vip"
    # Rows link to the conversation with the filter kept.
    assert f"/conversations/{shop.first.id}?label=vip" in html


def test_a_label_that_does_not_exist_lists_nothing_and_an_impossible_one_is_ignored(auth, shop):
    auth.login(shop.agent)
    html = auth.client.get("/?label=gone").get_data(as_text=True)
    assert "gone (no such label)" in html and "Nothing here" in html
    html = auth.client.get("/?label=no%20way!").get_data(as_text=True)
    assert "Unknown label “no way!” was ignored." in html
    assert f'id="conv-{shop.first.id}"' in html and f'id="conv-{shop.second.id}"' in html


def test_no_filter_select_before_the_workspace_has_labels(auth, shop):
    auth.login(shop.agent)
    assert 'id="filter-label"' not in auth.client.get("/").get_data(as_text=True)


def test_the_label_filter_keeps_the_keyset_order_across_pages(app, shop, factory):
    vip = shop.label("vip")
    account = shop.first.account
    now = utcnow()
    tagged = []
    for n in range(7):
        conversation = factory.conversation(account, last_message_at=now - timedelta(minutes=n))
        if n % 2 == 0:
            _tag(conversation, vip)
            tagged.append(conversation.id)
    filters = ConversationFilters(label="vip")
    seen, cursor = [], None
    with signed_in(app, shop.admin):
        while True:
            rows, cursor = conversation_page(filters, shop.admin, cursor=cursor, limit=2)
            seen += [c.id for c in rows]
            if not cursor:
                break
    assert seen == tagged  # newest first, each once


def test_another_workspaces_label_of_the_same_name_filters_nothing_here(app, shop, factory):
    other = factory.workspace("Other")
    theirs_account = factory.account(other)
    theirs = factory.conversation(theirs_account)
    their_vip = Label(workspace_id=other.id, name="vip")
    db.session.add(their_vip)
    db.session.commit()
    _tag(theirs, their_vip)
    with signed_in(app, shop.admin):
        rows, _ = conversation_page(ConversationFilters(label="vip"), shop.admin)
    assert rows == []


def test_the_url_round_trips():
    listing = InboxListQuery.from_args({"label": "Hot Lead", "view": "mine"})
    assert listing.label == "hot-lead" and listing.params() == {"view": "mine", "label": "hot-lead"}
    assert listing.conversation_filters().label == "hot-lead"
    assert InboxListQuery.from_args({"label": "x" * 41}).label is None


def test_the_filter_reads_the_label_index(app, shop):
    """On PostgreSQL the plan uses ix_conversation_labels_label or the primary key of
    conversation_labels for the label's conversations, never a scan of the whole table."""
    if db.engine.dialect.name != "postgresql":
        return
    shop.label("vip")
    with signed_in(app, shop.admin):
        query = _filtered_conversations(ConversationFilters(label="vip"), shop.admin)
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        db.session.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))
        db.session.execute(text("RESET enable_seqscan"))
    assert "Seq Scan on conversation_labels" not in plan, plan
