"""Test fixtures: an app on a fresh database per test, clients, an auth helper, factories and Meta
mocked at the HTTP boundary (`meta`, `meta_strict`).

With DATABASE_URL set the suite runs on that (PostgreSQL) database, whose schema it rebuilds from
the migrations once per run and empties after every test; without it, on a SQLite file. With
REDIS_URL set, queued-mode tests use that Redis and a real RQ worker; without it, fakeredis.
"""
from __future__ import annotations

import gc
import os
import re
import time

os.environ["APP_ENV"] = "test"
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 32)

import pytest
import responses
from cryptography.fernet import Fernet
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db
from tests import fast_app
from tests.meta_kit import API_URL, AUTHORIZE_URL, GRAPH_URL, GRAPH_VERSION, HX

TEST_APP_SECRET = "test-app-secret"
TEST_VERIFY_TOKEN = "test-verify-token-0123456789abcdef0123"
TEST_FERNET_KEY = Fernet.generate_key().decode()
TEST_PASSWORD_HASH = "scrypt:1024:8:1"

from tests.factories import Factory  # noqa: E402


class ServerLikeClient(FlaskClient):
    """Reads each response to its end and closes it, as a WSGI server does once the last byte is
    sent: what the app runs on close (inline jobs, see app.jobs.run_request_jobs) has run when a
    test's request returns, as it has on a server before the next request on that thread."""

    def open(self, *args, buffered: bool = True, **kwargs):
        # The `app` fixture keeps one app context open for the whole test, and Flask reuses it for
        # each request, so `g` would carry one request's signed-in user (Flask-Login) and CSRF
        # token (Flask-WTF) into the next, even from another client. A server starts each request
        # afresh: so does this.
        if has_app_context():
            for key in REQUEST_SCOPED_G:
                g.pop(key, None)
        return super().open(*args, buffered=buffered, **kwargs)


REQUEST_SCOPED_G = ("_login_user", "csrf_token", "page_counts")


Flask.test_client_class = ServerLikeClient  # every app the tests make, fixtures or not
fast_app.install()  # an app per test, without compiling its routes and templates again


def pytest_collection_finish(session):
    """What collection built (modules, thousands of test items) lives until the run ends: set it
    aside from the garbage collector, whose full passes otherwise walk all of it again and again
    while each test builds its app."""
    gc.freeze()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        from app.config import normalize_database_url

        return normalize_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def base_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "INSTAGRAM_APP_ID": "test-app-id",
        "INSTAGRAM_APP_SECRET": TEST_APP_SECRET,
        "INSTAGRAM_VERIFY_TOKEN": TEST_VERIFY_TOKEN,
        "TOKEN_ENCRYPTION_KEYS": [TEST_FERNET_KEY],
        "INSTAGRAM_GRAPH_URL": GRAPH_URL,
        "INSTAGRAM_API_URL": API_URL,
        "INSTAGRAM_AUTHORIZE_URL": AUTHORIZE_URL,
        "INSTAGRAM_GRAPH_VERSION": GRAPH_VERSION,
        "PUBLIC_URL": "http://inbox.test",
        "DEMO_MODE": False,
        "REDIS_URL": None,
        "JOBS_INLINE": True,
        "JOBS_INLINE_RETRY_DELAYS": False,
        # Off unless a test is about it: a connect would otherwise call the Conversations API.
        "HISTORY_IMPORT_ON_CONNECT": False,
        "SERVER_NAME": None,
        # scrypt at N=2^10 instead of werkzeug's 2^15: the suite hashes thousands of passwords.
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    app = create_app(base_config(url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()  # the schema comes from the migrations, as in production
        db.engine.dispose()
    return url


def _clean_database():
    """Empty every table and start every id again at 1, as a fresh database would.

    On PostgreSQL this DELETEs (children first) and resets the sequences rather than TRUNCATE:
    TRUNCATE gives each of the forty-odd tables, and each of their indexes, a new file, about
    160-250 ms per test (more than most tests take), where deleting a test's few rows costs a
    few milliseconds."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # A browser test's live server may still be answering the last request of a page the
        # test has closed, and its transaction can lock rows against ours in the other order.
        # PostgreSQL then aborts one of the two: when it is ours, the request has finished by the
        # time we try again.
        for attempt in range(5):
            try:
                with db.engine.begin() as conn:
                    # One round trip: statements without parameters may go together.
                    conn.exec_driver_sql("; ".join([*(f'DELETE FROM "{name}"' for name in tables), RESTART_SEQUENCES]))
                return
            except OperationalError as exc:
                if attempt == 4 or "deadlock detected" not in str(exc):
                    raise
                time.sleep(0.2 * (attempt + 1))
    else:
        with db.engine.begin() as conn:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


# Every sequence that has handed out an id starts again at 1 (TRUNCATE's RESTART IDENTITY).
RESTART_SEQUENCES = """
    SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, 1, false)
    FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL
"""


@pytest.fixture
def app(database_url):
    app = create_app(base_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        _clean_database()
        # Each test's app has its own pool; close it now rather than whenever the garbage
        # collector frees the app, or a long run exhausts the server's connection slots.
        db.engine.dispose()


@pytest.fixture
def redis_conn():
    """Real Redis when REDIS_URL is set (keys of this app cleared), else fakeredis."""
    url = os.environ.get("REDIS_URL")
    if url:
        from redis import Redis

        conn = Redis.from_url(url)
        _flush_app_keys(conn)
        yield conn
        _flush_app_keys(conn)
        conn.close()
    else:
        import fakeredis

        yield fakeredis.FakeRedis()


def _flush_app_keys(conn):
    for pattern in ("rq:*", "igdm:*"):
        keys = list(conn.scan_iter(pattern, count=1000))
        if keys:
            conn.delete(*keys)


@pytest.fixture
def queued(app, redis_conn):
    """Switch the app to queued mode on a real (or fake) Redis; `.work()` runs a real RQ worker
    in burst mode until the queues are empty."""
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://fake"
    app.extensions["redis"] = redis_conn

    class Queued:
        connection = redis_conn

        @staticmethod
        def work():
            from app.jobs.worker import make_worker

            db.session.remove()  # the worker's jobs must see committed data, and so must we after
            worker = make_worker(app)
            worker.work(burst=True, with_scheduler=False)
            db.session.remove()
            return worker

        @staticmethod
        def depth():
            from rq import Queue

            from app.jobs import QUEUES

            return sum(Queue(name, connection=redis_conn).count for name in QUEUES)

    return Queued()


@pytest.fixture
def meta():
    """Meta at the HTTP boundary (`responses`, answers from tests/meta_kit.py): a test registers
    the answers it needs, a call it did not register raises ConnectionError, and an answer the app
    never asked for is fine."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def meta_strict():
    """As `meta`, and every answer a test registers must have been asked for by the end."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factory(app):
    return Factory()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client, factory):
        self.client = client
        self.factory = factory
        self.user = None

    def csrf_token(self, path: str = "/login") -> str:
        response = self.client.get(path)
        return csrf_token_from(response.get_data(as_text=True))

    def login(self, user=None, password: str = "correct-horse-battery"):
        if user is None:
            user = self.factory.user(password=password)
        token = self.csrf_token("/login")
        response = self.client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.user = user
        return user

    def post(self, path: str, data: dict | None = None, htmx: bool = False, **kwargs):
        """A state-changing request as the browser sends it: form field or htmx header token."""
        token = self.csrf_token("/settings")
        headers = kwargs.pop("headers", {})
        data = dict(data or {})
        if htmx:
            headers.update({**HX, "X-CSRFToken": token})
        else:
            data.setdefault("csrf_token", token)
        return self.client.post(path, data=data, headers=headers, **kwargs)


@pytest.fixture
def auth(client, factory):
    return AuthActions(client, factory)
