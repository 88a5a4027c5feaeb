"""The API's lists walked through next_cursor with tied sort keys (the cursors are the row-value
seeks of app.inbox.queries and app.leads.queries): every row once, in order; a search pages too."""
from datetime import timedelta

from app.models import utcnow


def _walk(api, path: str, param: str = "cursor") -> list:
    rows, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        body = api.get(path + (f"{sep}{param}={cursor}" if cursor else "")).get_json()
        rows.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_conversations_leads_and_a_search_page_without_gaps(api, factory):
    base = utcnow()
    made = []
    for i in range(9):
        conversation = factory.conversation(api.account, last_message_at=base - timedelta(minutes=i % 2))
        factory.message(conversation, text="a red scarf" if i % 2 else "hello")
        factory.lead(conversation, created_at=base - timedelta(minutes=i % 3))
        made.append(conversation)
    newest_first = sorted(made, key=lambda c: (c.last_message_at, c.id), reverse=True)
    assert [c["id"] for c in _walk(api, "/conversations?limit=2")] == [c.id for c in newest_first]
    scarves = [c.id for c in newest_first if made.index(c) % 2]
    assert [c["id"] for c in _walk(api, "/conversations?limit=2&q=SCARF")] == scarves
    leads = _walk(api, "/leads?limit=4")
    assert len(leads) == 9 and len({lead["id"] for lead in leads}) == 9


def test_messages_page_back_through_ties(api, factory):
    conversation = factory.conversation(api.account)
    base = utcnow() - timedelta(hours=1)
    made = [factory.message(conversation, text=f"m{i}", created_at=base + timedelta(seconds=i // 3)) for i in range(10)]
    pages = []
    cursor = None
    while True:
        body = api.get(f"/conversations/{conversation.id}/messages?limit=3"
                       + (f"&before={cursor}" if cursor else "")).get_json()
        pages.append([m["id"] for m in body["data"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [i for page in reversed(pages) for i in page] == [m.id for m in made]
