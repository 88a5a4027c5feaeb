"""Meta's Conversations API for the history import's tests, at the HTTP boundary (`responses`), and a
fake clock for the pacing.

`FakeHistory` answers what the import asks (the conversations list, each conversation's messages
and their later pages, customers' profiles) from plain lists, with real `paging.next` /
`cursors.after`, and records every call with the fake clock's time. `fail(...)` makes chosen calls
answer an error instead.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import responses

from app.accounts import history_pacing
from tests.meta_kit import GRAPH_URL, GRAPH_VERSION, graph_error_body

IG = "17841400000000777"
TOKEN = "IGQWRtestTOKENvalue"


class FakeClock:
    """Milliseconds that only move when the code sleeps (or the test says so)."""

    def __init__(self, start_ms: int = 1_800_000_000_000) -> None:
        self.ms = start_ms
        self.slept: list[float] = []

    def now_ms(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.ms += int(round(seconds * 1000))

    def install(self) -> history_pacing.Clock:
        return history_pacing.use_clock(history_pacing.Clock(self.now_ms, self.sleep))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def ago(**delta) -> datetime:
    return datetime.now(timezone.utc) - timedelta(**delta)


def gmsg(mid: str, customer: str, text: str | None, at: datetime, *, ours: bool = False,
         attachments: list | None = None) -> dict:
    """A message as the Conversations API gives it."""
    business, person = {"id": IG, "username": "acme"}, {"id": customer, "username": f"u{customer[-4:]}"}
    sender, recipient = (business, person) if ours else (person, business)
    body = {"id": mid, "created_time": iso(at), "from": sender, "to": {"data": [recipient]}, "message": text or ""}
    if attachments is not None:
        body["attachments"] = {"data": attachments}
    return body


@dataclass
class Call:
    kind: str  # "list", "messages", "profile"
    target: str
    after: str | None
    at_ms: int


@dataclass
class FakeHistory:
    """`threads`: conversation id -> (customer igsid, messages newest first)."""

    clock: FakeClock
    threads: dict[str, tuple[str, list[dict]]] = field(default_factory=dict)
    conversations_page: int = 2
    messages_page: int = 2
    calls: list[Call] = field(default_factory=list)
    failures: list[tuple[str, int, dict]] = field(default_factory=list)  # (kind, on call n of it, error body)
    before_answer: list = field(default_factory=list)  # callables(call) run before answering

    def add(self, conversation_id: str, customer: str, messages: list[dict]) -> None:
        self.threads[conversation_id] = (customer, sorted(messages, key=lambda m: m["created_time"], reverse=True))

    def fail(self, kind: str, nth: int, code: int, subcode: int | None = None, message: str = "An error occurred") -> None:
        self.failures.append((kind, nth, graph_error_body(code, subcode, message)))

    def register(self, mock: responses.RequestsMock) -> None:
        base = re.escape(f"{GRAPH_URL}/{GRAPH_VERSION}/")
        mock.add_callback(responses.GET, re.compile(base + rf"{IG}/conversations(\?.*)?$"), self._list)
        mock.add_callback(responses.GET, re.compile(base + r"[^/?]+/messages(\?.*)?$"), self._messages_edge)
        mock.add_callback(responses.GET, re.compile(base + r"(?!me[/?]|me$)[^/?]+(\?.*)?$"), self._node)

    # -- answers
    def _record(self, kind: str, target: str, after: str | None):
        call = Call(kind, target, after, self.clock.now_ms())
        self.calls.append(call)
        for hook in self.before_answer:
            hook(call)
        n = sum(1 for c in self.calls if c.kind == kind)
        for failure in self.failures:
            if failure[0] == kind and failure[1] == n:
                return (400, {}, json.dumps(failure[2]))
        return None

    def _page(self, items: list, after: str | None, size: int, next_base: str) -> dict:
        start = int(after or 0)
        chosen = items[start:start + size]
        paging = {"cursors": {"before": str(start), "after": str(start + len(chosen))}}
        if start + len(chosen) < len(items):
            paging["next"] = f"{next_base}&after={start + len(chosen)}&access_token=SHOULD-NOT-BE-FOLLOWED"
        return {"data": chosen, "paging": paging}

    def _list(self, request):
        query = parse_qs(urlsplit(request.url).query)
        assert query.get("platform") == ["instagram"]
        after = query.get("after", [None])[0]
        error = self._record("list", IG, after)
        if error:
            return error
        listed = sorted(self.threads.items(), key=lambda item: item[1][1][0]["created_time"] if item[1][1] else "",
                        reverse=True)
        items = [{"id": cid, "updated_time": msgs[0]["created_time"] if msgs else iso(ago(days=400))}
                 for cid, (_, msgs) in listed]
        body = self._page(items, after, self.conversations_page, "https://evil.example/next?platform=instagram")
        return (200, {}, json.dumps(body))

    def _messages_edge(self, request):
        cid = urlsplit(request.url).path.split("/")[-2]
        after = parse_qs(urlsplit(request.url).query).get("after", [None])[0]
        error = self._record("messages", cid, after)
        if error:
            return error
        body = self._page(self.threads[cid][1], after, self.messages_page, f"{GRAPH_URL}/x/{cid}/messages?f=1")
        return (200, {}, json.dumps(body))

    def _node(self, request):
        node = urlsplit(request.url).path.split("/")[-1]
        if node in self.threads:
            assert "messages{" in parse_qs(urlsplit(request.url).query)["fields"][0]
            error = self._record("messages", node, None)
            if error:
                return error
            page = self._page(self.threads[node][1], None, self.messages_page, f"{GRAPH_URL}/x/{node}/messages?f=1")
            return (200, {}, json.dumps({"id": node, "messages": page}))
        self._record("profile", node, None)
        return (200, {}, json.dumps({"id": node, "name": f"Customer {node[-4:]}", "username": f"u{node[-4:]}"}))

    def count(self, kind: str) -> int:
        return sum(1 for call in self.calls if call.kind == kind)

    def meta_calls(self) -> list[Call]:
        """The Conversations API calls (the paced ones), without profile lookups."""
        return [call for call in self.calls if call.kind != "profile"]
