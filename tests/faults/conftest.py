"""Fault tests: real PostgreSQL and Redis, broken on purpose (docs/architecture.md#invariants).

They run as part of the normal suite when DATABASE_URL and REDIS_URL are set (as `.ci/run` does)
and skip otherwise, or when `redis-server` is not installed. Nothing shared is ever stopped: Redis
is a private `redis-server` of each test, and "PostgreSQL is down" is a TCP proxy in front of the
shared cluster cutting its connections.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.standin import StandinServer
from tests.conftest import TEST_APP_SECRET, base_config
from tests.faults.services import PrivateRedis, TcpProxy


def _unavailable(reason: str):
    # CI sets FAULT_TESTS_REQUIRED so that missing services fail the run instead of skipping.
    if os.environ.get("FAULT_TESTS_REQUIRED"):
        pytest.fail(f"fault tests are required here but cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture
def real_services(database_url):
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        _unavailable("fault tests need real services: set DATABASE_URL (PostgreSQL) and REDIS_URL")
    if make_url(database_url).get_backend_name() != "postgresql":
        _unavailable("fault tests need PostgreSQL")
    return database_url


@pytest.fixture
def private_redis(real_services):
    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed, so a private Redis cannot be started and killed")
    server = PrivateRedis().start()
    yield server
    server.stop()


def use_queue(app, redis_url: str) -> None:
    """Queued mode (jobs go to RQ) on the given Redis."""
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = redis_url
    app.extensions.pop("redis", None)


def use_meta(app, meta: StandinServer) -> None:
    """Every Graph call of this app goes to the stand-in, over real HTTP."""
    app.config.update(INSTAGRAM_GRAPH_URL=meta.graph_url, INSTAGRAM_API_URL=meta.api_url,
                      INSTAGRAM_AUTHORIZE_URL=meta.authorize_url)
    app.extensions.pop("graph_client", None)


@pytest.fixture
def standin_meta(app):
    """The Graph stand-in on a real local port, for this test's app; no echo webhooks."""
    with StandinServer(app_secret=TEST_APP_SECRET, config={"STANDIN_ECHO": "off"}) as server:
        use_meta(app, server)
        yield server


@pytest.fixture
def queued_app(app, private_redis):
    use_queue(app, private_redis.url)
    yield app
    conn = app.extensions.get("redis")
    if conn is not None:
        conn.close()


@pytest.fixture
def shop(factory, standin_meta):
    """A connected account whose token the stand-in accepts."""
    account = standin_meta.account("fault.shop")
    return factory.account(ig_user_id=account.ig_user_id, username=account.username,
                           token=standin_meta.issue_token("fault.shop"))


class AppServer:
    """The test's app on a real local port, so the stand-in can post its echo webhooks to it."""

    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/webhooks/instagram"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def app_server(app):
    server = AppServer(app)
    yield server
    server.stop()


@pytest.fixture
def pg_proxy(real_services):
    url = make_url(real_services)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).up()
    yield proxy
    proxy.down()


@pytest.fixture
def proxied_app(app, pg_proxy):
    """A second app on the same database, reached through the proxy (the `app` fixture's own
    connection stays direct, to look at the rows and clean up)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(host="127.0.0.1", port=pg_proxy.port)
    proxied = create_app({**base_config(url.render_as_string(hide_password=False))})
    yield proxied
    pg_proxy.up()
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()
