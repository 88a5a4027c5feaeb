"""The inbox's live-update poll when nothing changed (`GET /inbox/changes`, answered 204), vs the
bare `/bench/ref/ping` view in the same gunicorn server.

Every open tab polls every 2 s, so this request is most of the web tier's traffic: when nothing
changed it must cost little more than the framework's own floor (session, login, one indexed
query). Two variants: the list only, and the list with a conversation open (the thread's token
too), which is what a working agent's tab sends.

Target: each variant >= 0.5 of the ping's throughput.
With a thread open, app.inbox.live reads the list's changes and the thread's last message in one
round trip (UNION ALL): as a second query, the last message was about an eighth of a poll's cost.
Run: python bench/bench_poll.py
"""
from __future__ import annotations

import http.client
import re
import sys
from urllib.parse import urlencode

from harness import (BENCH_PASSWORD, Server, alternating, bench_env, load, login_cookie, machine_line, psql,
                     ratio_line, reset_database, seeded_user)

REQUESTS = 3000
ROUNDS = 5
TARGET = 0.5


def page_state(port: int, cookie: str, path: str) -> dict[str, str]:
    """The poll parameters a freshly rendered page carries (its hidden inputs)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    html = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")
    state = {}
    for field, element in (("since", "live-since"), ("thread", "thread-state")):
        match = re.search(rf'id="{element}"[^>]*value="([^"]*)"', html)
        if match:
            state[field] = match.group(1)
    return state


def poll_status(port: int, cookie: str, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie, "HX-Request": "true"})
    response = conn.getresponse()
    response.read()
    return response.status


def main() -> int:
    env = bench_env()
    reset_database(env)
    email = seeded_user(env, "Poll", 1_000, 10_000, accounts=3)
    conversation = int(psql(env, "SELECT id FROM conversations ORDER BY last_message_at DESC, id DESC LIMIT 1"))
    with Server(env) as server:
        cookie = login_cookie(server.port, email, BENCH_PASSWORD)
        list_state = page_state(server.port, cookie, "/")
        thread_state = page_state(server.port, cookie, f"/conversations/{conversation}")
        paths = {"list": "/inbox/changes?" + urlencode({"since": list_state["since"]}),
                 "thread": "/inbox/changes?" + urlencode({**thread_state, "open": conversation})}
        for name, path in paths.items():
            status = poll_status(server.port, cookie, path)
            if status != 204:
                raise RuntimeError(f"the {name} poll answered {status}, not 204 'nothing changed': {path}")
        headers = {"Cookie": cookie, "HX-Request": "true"}
        runs = {"ping": lambda: load("ref ping (bare view)", server.port,
                                     lambda w, i: ("GET", "/bench/ref/ping", None, headers), REQUESTS, connections=8)}
        for name, path in paths.items():
            runs[name] = (lambda p=path, n=name: load(f"poll nothing changed ({n})", server.port,
                                                      lambda w, i: ("GET", p, None, headers), REQUESTS, connections=8))
        for run in runs.values():
            run()  # warm-up
        results = alternating(ROUNDS, runs)
    print(machine_line())
    ok = True
    for name in paths:
        ratio = results.ratio(name, "ping")
        print(ratio_line(f"poll ({name}) / ping throughput", ratio, target=f">= {TARGET}"))
        statuses = results[name].statuses
        ok &= ratio >= TARGET and set(statuses) == {204}
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
