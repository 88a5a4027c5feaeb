"""Background job throughput: profile lookups and reply sends against a local stand-in of the
Graph API (`python -m app.standin`, no injected latency), all run by the Procfile's worker
(`python worker.py --burst`: InboxWorker, jobs in the worker's process), against references on
the same worker (bench/jobs.py):

- `graph profile` / `graph send`: a job making the same Graph HTTP call (same client, same
  stand-in, token decrypted) with no database work. Target: profile and send each >= 0.7 of
  their call's rate, so what our jobs add around the unavoidable call is what is measured;
- `noop`: RQ's own floor (information: it hides what the HTTP call itself costs).

The rate is jobs / (last job's end - first job's start) from RQ's own timestamps, so the
worker's start-up is not counted.
With --compare-fork the same jobs also run on RQ's forking worker (`worker.py --fork`, a work
horse per job, what the Procfile ran before), and each kind's rate is compared across the two.
Run: python bench/bench_worker.py [--compare-fork]
"""
from __future__ import annotations

import sys
from datetime import timedelta

from harness import (Standin, app_context, bench_env, flush_redis, machine_line, median, psql, ratio_line,
                     reset_database, worker_burst)

JOBS = 200  # per round and kind
ROUNDS = 5
TARGET = 0.7
ACCOUNT = "bench.shop"


def setup(standin: Standin) -> list[int]:
    """One workspace, one connected account (its token minted by the stand-in's key), JOBS
    customers whose last message was a minute ago (so replies are allowed); returns conversation ids."""
    from app.extensions import db
    from app.models import Contact, Conversation, InstagramAccount, Workspace, utcnow
    from app.standin.profiles import business_account
    from app.token_crypto import token_cipher

    now = utcnow()
    workspace = Workspace(name="Bench")
    db.session.add(workspace)
    db.session.flush()
    shop = business_account(ACCOUNT)
    account = InstagramAccount(workspace_id=workspace.id, ig_user_id=shop.ig_user_id, username=shop.username,
                               status="active", webhook_subscribed=True,
                               token_encrypted=token_cipher().encrypt(standin.issue_token(ACCOUNT)),
                               token_expires_at=now + timedelta(days=59))
    db.session.add(account)
    db.session.flush()
    ids = []
    for i in range(JOBS):
        contact = Contact(workspace_id=workspace.id, account_id=account.id, igsid=str(6_100_000_000_000_000 + i))
        db.session.add(contact)
        db.session.flush()
        conversation = Conversation(workspace_id=workspace.id, account_id=account.id, contact_id=contact.id,
                                    last_message_at=now, last_inbound_at=now - timedelta(minutes=1))
        db.session.add(conversation)
        db.session.flush()
        ids.append(conversation.id)
    db.session.commit()
    return ids


def enqueue_noop(conversation_ids: list[int]) -> None:
    from bench.jobs import noop

    from app.jobs import enqueue

    for i in range(len(conversation_ids)):
        enqueue(noop, i)


def _token_and_customers(conversation_ids: list[int]) -> tuple[str, str, list[str]]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Contact, Conversation, InstagramAccount

    rows = db.session.execute(
        select(InstagramAccount.token_encrypted, InstagramAccount.ig_user_id, Contact.igsid)
        .join(Conversation, Conversation.account_id == InstagramAccount.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.id.in_(conversation_ids)).order_by(Conversation.id)).all()
    db.session.remove()
    return rows[0][0], rows[0][1], [row[2] for row in rows]


def enqueue_graph_profiles(conversation_ids: list[int]) -> None:
    """The profile lookup's Graph call alone, once per customer."""
    from bench.jobs import graph_profile

    from app.jobs import QUEUE_DEFAULT, enqueue

    token, _, igsids = _token_and_customers(conversation_ids)
    for igsid in igsids:
        enqueue(graph_profile, token, igsid, queue=QUEUE_DEFAULT)


def enqueue_graph_sends(conversation_ids: list[int]) -> None:
    """The send's Graph call alone, once per customer, on the sends' queue."""
    from bench.jobs import graph_send

    from app.jobs import QUEUE_HIGH, enqueue

    token, ig_user_id, igsids = _token_and_customers(conversation_ids)
    for n, igsid in enumerate(igsids):
        enqueue(graph_send, token, ig_user_id, igsid, f"Yes, it ships tomorrow ({n})", queue=QUEUE_HIGH)


def enqueue_profiles(conversation_ids: list[int]) -> None:
    """A lookup for each conversation's customer, whose profile is first forgotten (the job skips
    a profile fetched within the week)."""
    from sqlalchemy import select, update

    from app.extensions import db
    from app.models import Contact, Conversation
    from app.webhooks.followups import enqueue_profile_fetch

    contact_ids = list(db.session.scalars(select(Conversation.contact_id).where(Conversation.id.in_(conversation_ids))))
    db.session.execute(update(Contact).where(Contact.id.in_(contact_ids))
                       .values(profile_fetched_at=None, name=None, username=None))
    db.session.commit()
    for contact_id in contact_ids:
        enqueue_profile_fetch(contact_id)


def enqueue_sends(conversation_ids: list[int]) -> None:
    """Replies through the product's own path: queue_reply commits `pending` and enqueues the job."""
    from app.extensions import db
    from app.models import Conversation
    from app.outbound.replies import queue_reply

    for n, conversation_id in enumerate(conversation_ids):
        queue_reply(db.session.get(Conversation, conversation_id), text=f"Yes, it ships tomorrow ({n})")
    db.session.remove()


def measure(env: dict, kind: str, *flags: str) -> tuple[float, int, int]:
    """Run the worker until the queues are empty; jobs per second by RQ's timestamps, done, failed."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from app.jobs import QUEUES, redis_connection

    conn = redis_connection()
    worker_burst(env, *flags)
    ids = [job_id for name in QUEUES for job_id in FinishedJobRegistry(name, connection=conn).get_job_ids()]
    failed = sum(FailedJobRegistry(name, connection=conn).count for name in QUEUES)
    jobs = [job for job in Job.fetch_many(ids, connection=conn) if job is not None]
    left = sum(Queue(name, connection=conn).count for name in QUEUES)
    if not jobs or left:
        raise RuntimeError(f"{kind}: {len(jobs)} jobs finished, {left} still queued")
    span = (max(j.ended_at for j in jobs) - min(j.started_at for j in jobs)).total_seconds()
    return len(jobs) / span, len(jobs), failed


def main(argv: list[str]) -> int:
    compare_fork = "--compare-fork" in argv
    env = bench_env()
    reset_database(env)
    with Standin(env) as standin:
        env.update(INSTAGRAM_GRAPH_URL=standin.graph_url, INSTAGRAM_API_URL=standin.api_url)
        with app_context(env):
            conversation_ids = setup(standin)
            enqueues = {"noop": lambda: enqueue_noop(conversation_ids),
                        "graph profile": lambda: enqueue_graph_profiles(conversation_ids),
                        "profile": lambda: enqueue_profiles(conversation_ids),
                        "graph send": lambda: enqueue_graph_sends(conversation_ids),
                        "send": lambda: enqueue_sends(conversation_ids)}
            # (label, enqueue, worker.py flags): the Procfile's worker, and optionally the forking one.
            runs = [(kind, enqueue, ()) for kind, enqueue in enqueues.items()]
            if compare_fork:
                runs += [(f"{kind} fork", enqueue, ("--fork",)) for kind, enqueue in enqueues.items()]
            rates: dict[str, list[float]] = {label: [] for label, _, _ in runs}
            problems = []
            for n in range(ROUNDS):
                for label, enqueue, flags in (runs if n % 2 == 0 else runs[::-1]):
                    flush_redis(env)
                    enqueue()
                    rate, done, failed = measure(env, label, *flags)
                    rates[label].append(rate)
                    print(f"round {n + 1} {label:<18} {rate:7.1f} jobs/s  ({done} done, {failed} failed)", flush=True)
                    if failed or done != len(conversation_ids):
                        problems.append(f"{label} round {n + 1}: {done} done, {failed} failed")
            sends = sum(1 for label, _, _ in runs if label.startswith("send")) * ROUNDS * JOBS
            sent = int(psql(env, "SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'sent'"))
            fetched = int(psql(env, "SELECT count(*) FROM contacts WHERE profile_fetched_at IS NOT NULL"))
    print(machine_line())
    for label, values in rates.items():
        print(f"{label:<18} median {median(values):7.1f} jobs/s (rounds: {', '.join(f'{v:.0f}' for v in values)})")
    print(f"replies sent {sent} of {sends}; profiles filled {fetched} of {JOBS}")
    ok = not problems and sent == sends and fetched == JOBS

    def paired(measured: str, reference: str) -> float:
        # Per round: each run against the reference run next to it.
        return median(m / r for m, r in zip(rates[measured], rates[reference]))

    for kind in ("profile", "send"):
        ratio = paired(kind, f"graph {kind}")
        print(ratio_line(f"worker {kind}/graph {kind} (the same call, no database) jobs per second", ratio,
                         target=f">= {TARGET}"))
        ok &= ratio >= TARGET
    for kind in ("graph profile", "profile", "graph send", "send"):
        print(ratio_line(f"worker {kind}/noop jobs per second", paired(kind, "noop"), target="information"))
    if compare_fork:
        for kind in enqueues:
            print(ratio_line(f"worker {kind}: in-process/forking jobs per second", paired(kind, f"{kind} fork"),
                             target="> 1, information"))
    for problem in problems:
        print("PROBLEM", problem)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
