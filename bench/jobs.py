"""Job functions for the worker benchmark only (never enqueued by the app).

`noop` is RQ's floor: a job that does nothing, run by the same worker class as the real jobs, so
a ratio against it measures everything our jobs add to RQ's own per-job cost (Redis bookkeeping,
app context) — including the Graph call, which no implementation can avoid.

`graph_profile` and `graph_send` are the references the worker's targets are measured against:
the same Graph HTTP call as a profile lookup and a reply send (the app's own client and
connection pool, the token decrypted as the real jobs do), to the same stand-in, on the same
worker, with no database work. A ratio against them measures what our jobs add around the call:
their queries and commits."""
from __future__ import annotations


def noop(n: int) -> int:
    return n


def graph_profile(token_encrypted: str, igsid: str) -> None:
    from app.instagram.client import graph_client
    from app.token_crypto import token_cipher

    graph_client().get_profile(token_cipher().decrypt(token_encrypted), igsid)


def graph_send(token_encrypted: str, ig_user_id: str, igsid: str, text: str) -> None:
    from app.instagram.client import graph_client
    from app.token_crypto import token_cipher

    graph_client().send_message(token_cipher().decrypt(token_encrypted), ig_user_id, igsid, text=text)
