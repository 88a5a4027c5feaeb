"""Inline mode answers first, then runs the request's jobs (SECURITY_REVIEW F-19): the whole
response is out before a job starts, so Meta's webhook never waits on profile lookups."""
from __future__ import annotations

import threading

import requests
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

from app.jobs import enqueue

ran: list[str] = []
release = threading.Event()


def record_job(name: str) -> None:
    ran.append(name)


def blocking_job(name: str) -> None:
    release.wait(timeout=30)
    ran.append(name)


def _add_route(app, job):
    def view():
        enqueue(job, "after-response")
        return "answered"

    app.add_url_rule("/_test/enqueue", "test_enqueue", view, methods=["GET"])


def test_jobs_run_when_the_server_closes_the_response(app):
    ran.clear()
    _add_route(app, record_job)
    environ = EnvironBuilder(path="/_test/enqueue").get_environ()
    body_iter = app.wsgi_app(environ, lambda status, headers, exc_info=None: None)
    assert b"".join(body_iter) == b"answered"
    assert ran == []  # the whole body is written, and still nothing ran
    body_iter.close()  # what the server does after the last byte
    assert ran == ["after-response"]


def test_a_slow_job_does_not_hold_the_answer(app):
    """Over a real socket: the client has its 200 while the job is still blocked."""
    ran.clear()
    release.clear()
    _add_route(app, blocking_job)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = requests.get(f"http://127.0.0.1:{server.server_port}/_test/enqueue", timeout=10)
        assert answer.status_code == 200 and answer.text == "answered"
        assert ran == []
        release.set()
        deadline = threading.Event()
        for _ in range(300):
            if ran:
                break
            deadline.wait(0.05)
        assert ran == ["after-response"]
    finally:
        release.set()
        server.shutdown()
