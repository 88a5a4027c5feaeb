"""Fixtures for demo mode: the app in demo mode with the stand-in mounted, a stand-in of Meta on
a real local port for the calls the app makes (profile lookups), and a demo account whose token
that stand-in accepts."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from app import create_app
from app.accounts import history_pacing
from app.extensions import db
from app.models import InstagramAccount, User, Workspace, utcnow
from app.standin import DEFAULT_SCOPES, Signer, StandinServer, business_account
from app.token_crypto import token_cipher
from tests.accounts.history_kit import FakeClock
from tests.conftest import TEST_APP_SECRET, _clean_database, base_config

SIGNING_KEY = "test-standin-signing-key"


def demo_config(database_url: str, **overrides) -> dict:
    config = base_config(database_url)
    config.update(DEMO_MODE=True, APP_ENV="test", INSTAGRAM_APP_ID="demo-app", STANDIN_SIGNING_KEY=SIGNING_KEY,
                  PORT=5000)
    config.update(overrides)
    return config


@pytest.fixture(autouse=True)
def paced_by_a_fake_clock():
    """`flask demo` imports the demo account's history, paced at Meta's ~2 calls a second: on the
    real clock that slept over 3 s in every test that seeds the demo. The fake clock moves when
    the import waits (tests/accounts/test_history_import.py checks the pacing itself)."""
    previous = FakeClock().install()
    yield
    history_pacing.use_clock(previous)


@pytest.fixture
def standin_meta():
    """Meta's stand-in on 127.0.0.1; it signs and verifies tokens with the demo app's key."""
    with StandinServer(app_secret=TEST_APP_SECRET, signing_key=SIGNING_KEY) as server:
        yield server


@pytest.fixture
def app(database_url, standin_meta):
    """Overrides the suite's `app`: demo mode, Graph calls going to the stand-in over HTTP."""
    app = create_app(demo_config(database_url, INSTAGRAM_GRAPH_URL=standin_meta.graph_url,
                                 INSTAGRAM_API_URL=standin_meta.api_url,
                                 INSTAGRAM_AUTHORIZE_URL=standin_meta.authorize_url))
    with app.app_context():
        yield app
        db.session.remove()
        _clean_database()
        db.engine.dispose()  # every app has its own pool; a shared PostgreSQL counts connections


@pytest.fixture
def other_app():
    """Builds more apps (other environments) on the same database; closes their pools after."""
    made = []

    def build(config: dict):
        made.append(create_app(config))
        return made[-1]

    yield build
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


def stand_in_token(username: str) -> str:
    identity = business_account(username)
    return Signer(SIGNING_KEY).mint_token(ig_user_id=identity.ig_user_id, app_user_id=identity.app_user_id,
                                          username=username, scopes=list(DEFAULT_SCOPES), client_id="demo-app")


@dataclass
class DemoSetup:
    workspace: Workspace
    admin: User
    account: InstagramAccount


@pytest.fixture
def demo(factory) -> DemoSetup:
    """A workspace with an admin and an account as `flask demo` makes it (a stand-in token)."""
    workspace = factory.workspace("Simulated Shop")
    admin = factory.user(workspace, role="admin")
    identity = business_account("demo.boutique")
    account = InstagramAccount(workspace_id=workspace.id, ig_user_id=identity.ig_user_id, username="demo.boutique",
                               name=identity.name, token_encrypted=token_cipher().encrypt(stand_in_token("demo.boutique")),
                               status="active", webhook_subscribed=True, is_demo=True, token_refreshed_at=utcnow())
    db.session.add(account)
    db.session.commit()
    return DemoSetup(workspace=workspace, admin=admin, account=account)
