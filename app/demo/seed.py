"""The demo data behind `flask demo`: a workspace, two staff logins, a demo Instagram account
connected to the stand-in, and a set of conversations that looks lived-in.

Every conversation is made the way a real one is: by webhook deliveries, signed and POSTed to our
own /webhooks/instagram (`app.demo.delivery`), so ingestion creates the contacts, messages and
leads and its follow-up jobs fetch the profiles from the stand-in. Only what no webhook can say
is set directly afterwards: lead statuses and owners, assignments, conversation status and what
staff have read.

Idempotent: message ids are fixed, and timestamps count back from the moment the demo account
was created, so every delivery is byte-for-byte the same on a later run and is skipped when its
bytes are already in the webhook log. The account's older conversations come in by the history
import from the stand-in's Conversations API, as on Connect (app.accounts.history_import).
"""
from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from app.accounts.history_import import start_import
from app.cli import create_user, get_or_create_workspace
from app.demo.comments import comment_deliveries, deliver_comment
from app.demo.delivery import already_delivered, deliver_webhook
from app.demo.drafts import seed_drafts
from app.demo.labels import seed_labels
from app.demo.mentions import seed_mentions
from app.demo.pipeline import seed_lead
from app.demo.timeline import as_it_happened
from app.demo.needs_reply import queue_automated_reply, readers
from app.demo.reports import seed_month
from app.demo.saved_replies import seed_saved_replies
from app.errors import ActionRefused
from app.demo.simulator import REACTIONS
from app.extensions import db
from app.messages import first_times
from app.inbox.actions import assign, mark_read, set_status
from app.instagram import payloads
from app.leads.actions import update_lead
from app.models import AccountImport, Contact, Conversation, InstagramAccount, Lead, User, Workspace, utcnow
from app.standin import DEFAULT_SCOPES, Signer, business_account, customer_igsid
from app.token_crypto import token_cipher
from app.urls import own_base_url

log = logging.getLogger(__name__)

DEMO_WORKSPACE = "Demo Shop"
DEMO_EMAIL = "demo@example.com"
DEMO_AGENT_EMAIL = "sam@example.com"
DEMO_PASSWORD = "demo-inbox"
DEMO_ACCOUNT = "demo.boutique"
# Demo tokens are never refreshed (the refresh job skips demo accounts), so they outlive the demo.
DEMO_TOKEN_LIFETIME = timedelta(days=5 * 365)

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


# --- the story -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One thing that happened in a conversation, `ago` milliseconds before the anchor."""

    ago: int
    # in, photo, story, ad, quick (a quick-reply tap, payload in extra), unsupported (a message Instagram does
    # not share with apps), app (an echo of a message typed in the Instagram app), bot (the echo of an
    # automated reply, app.demo.needs_reply), react, read, edit, unsend
    action: str
    key: str = ""  # names the message this step creates (its mid derives from it)
    text: str | None = None
    target: str = ""  # key of the message a react/read/edit/unsend points at
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Story:
    username: str
    steps: tuple[Step, ...]
    lead_status: str = "new"
    status: str = "open"
    assignee: str | None = None  # "admin" or "agent"
    staff_read: bool = False


STORIES: tuple[Story, ...] = (
    Story("lena.bakes", (
        Step(4 * DAY + 3 * HOUR, "in", "lena1", "Hi! Do you ship to Berlin?"),
        Step(4 * DAY + 2 * HOUR, "app", "lena2", "Hi Lena! Yes, we ship across the EU in 2–4 days 📦"),
        Step(4 * DAY + 2 * HOUR - 20 * MINUTE, "in", "lena3", "Perfect, then I'll take the linen tote"),
        Step(4 * DAY + HOUR, "app", "lena4", "Wonderful! Here's the link: https://demo-boutique.example/tote"),
        Step(4 * DAY + HOUR - 5 * MINUTE, "react", target="lena4", extra={"reaction": "love"}),
        Step(4 * DAY + 50 * MINUTE, "read", target="lena4"),
        Step(4 * DAY + 30 * MINUTE, "in", "lena5", "Ordered! Thanks so much 🙏"),
    ), lead_status="won", status="resolved", staff_read=True),
    Story("marco_fit", (
        # Inside the 24-hour reply window: a fresh ad lead someone should answer.
        Step(20 * HOUR, "ad", "marco1", "Hi, I saw your ad — is the blue shirt still available in L?",
             extra={"ad_title": "Summer collection — 20% off"}),
        Step(19 * HOUR + 50 * MINUTE, "in", "marco2", "And do you ship to Milan?"),
    )),
    Story("sofia.draws", (
        Step(3 * DAY + 5 * HOUR, "story", "sofia1"),
        Step(3 * DAY + 5 * HOUR - 2 * MINUTE, "in", "sofia2", "Tagged you in my story! Love the earrings 💛"),
        Step(3 * DAY + 4 * HOUR, "app", "sofia3", "Thank you Sofia, that made our day! 💛"),
        Step(3 * DAY + 3 * HOUR, "read", target="sofia3"),
    ), lead_status="contacted", staff_read=True),
    Story("jonas.outdoors", (
        Step(5 * HOUR, "photo", "jonas1", "Is this one in stock in size 44?", extra={"photo": "sneakers.svg"}),
        Step(5 * HOUR - 3 * MINUTE, "in", "jonas2", "Need them before the weekend 🏃"),
    ), lead_status="qualified", assignee="agent"),
    Story("amira.styles", (
        Step(2 * DAY + 6 * HOUR, "in", "amira1", "How much is the blue dres?"),
        Step(2 * DAY + 6 * HOUR - MINUTE, "edit", target="amira1", text="How much is the blue dress?"),
        Step(2 * DAY + 5 * HOUR, "photo", "amira2", None, extra={"photo": "dress.svg"}),
    ), assignee="admin"),
    Story("theo.k", (
        Step(3 * DAY + 8 * HOUR, "in", "theo1", "send me the invoice pls"),
        Step(3 * DAY + 8 * HOUR - 2 * MINUTE, "unsend", target="theo1"),
        Step(3 * DAY + 8 * HOUR - 3 * MINUTE, "in", "theo2", "Sorry, wrong chat 😅"),
        Step(3 * DAY + 7 * HOUR, "app", "theo3", "No worries Theo! Let us know if you need anything."),
        Step(3 * DAY + 6 * HOUR, "react", target="theo3", extra={"reaction": "like"}),
    ), lead_status="lost", staff_read=True),
    Story("noor.home", (
        Step(6 * DAY + 4 * HOUR, "in", "noor1", "Hello! Can I still change the address for order #1042?"),
        Step(6 * DAY + 3 * HOUR, "app", "noor2", "Hi Noor, done — it ships to the new address today."),
        Step(2 * DAY + 9 * HOUR, "app", "noor3", "Your order #1042 is on its way! Tracking: DHL 00340434"),
        Step(2 * DAY + 8 * HOUR, "read", target="noor3"),
        Step(2 * DAY + 7 * HOUR, "in", "noor4", "Great, thank you!"),
    ), lead_status="won", staff_read=True),
    Story("priya.m", (
        Step(30 * HOUR, "in", "priya1", "Hi, do you do wholesale for small shops?"),
        Step(29 * HOUR, "app", "priya2", "Hi Priya! We do — how many pieces are you thinking of?"),
        Step(28 * HOUR, "in", "priya3", "About 40 totes to start, mixed colours"),
        # A link in a customer's text: the thread shows it clickable (app/messages/links.py).
        Step(28 * HOUR - 2 * MINUTE, "in", "priya3b", "Like the canvas ones on www.demo-boutique.example/totes (the natural colour)."),
        # An address and a number in a DM: the lead panel offers to save them (app/leads/contact_facts.py).
        Step(28 * HOUR - 4 * MINUTE, "in", "priya3c", "You can send the quote to priya@shopfront.example or call me on +44 20 7946 0958"),
        Step(27 * HOUR, "app", "priya4", "Let me check with our supplier and come back to you tomorrow."),
        Step(26 * HOUR, "react", target="priya4", extra={"reaction": "like"}),
    ), lead_status="contacted", status="pending", assignee="admin", staff_read=True),
    Story("ella.rose", (
        Step(50 * MINUTE, "photo", "ella1", "Do you have this in green?", extra={"photo": "tote.svg"}),
        Step(49 * MINUTE, "bot", "ella2", "Thanks for your message! We're helping other customers right now; "
                                          "a person will answer you soon."),
    )),
    Story("maya.ceramics", (
        Step(9 * HOUR, "in", "maya1", "Hi! Do the speckled mugs come in other colours?"),
        Step(8 * HOUR + 50 * MINUTE, "app", "maya2", "Hi Maya! Blue, sand or white — which one would you like?"),
        Step(8 * HOUR + 45 * MINUTE, "quick", "maya3", "Blue", extra={"payload": "MUG_COLOUR_BLUE"}),
        Step(8 * HOUR + 44 * MINUTE, "unsupported", "maya4"),
    )),
    Story("leo.vintage", (
        Step(12 * MINUTE, "in", "leo1", "Do you sell gift cards? 🎁"),
    )),
)


# --- running it ------------------------------------------------------------------------------

@dataclass
class DemoSeedResult:
    workspace: Workspace
    admin: User
    agent: User
    account: InstagramAccount | None
    delivered: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    conversations_set_up: int = 0


def seed_demo(app: Flask) -> DemoSeedResult:
    """Create (or find) everything `flask demo` promises; safe to run any number of times."""
    workspace, _ = get_or_create_workspace(DEMO_WORKSPACE)
    admin = _user(DEMO_EMAIL, "Demo Admin", "admin", workspace)
    agent = _user(DEMO_AGENT_EMAIL, "Sam Rivera", "agent", workspace)
    db.session.commit()
    result = DemoSeedResult(workspace=workspace, admin=admin, agent=agent, account=None)
    seed_saved_replies(workspace, admin, agent)
    if not app.config.get("DEMO_MODE"):
        # With a real Meta app configured, a stand-in account's token would be sent to Meta.
        seed_labels(workspace, admin, agent)
        seed_team(result, DEMO_WORKSPACE, DEMO_PASSWORD)
        return result
    result.account = _demo_account(app, workspace)
    request_log = logging.getLogger("app.request")
    level = request_log.level
    request_log.setLevel(logging.WARNING)  # a line per delivery would bury the login the command prints
    try:
        with _standin_reachable(app):
            for story in _play(app, result):
                if _set_up_staff_state(story, result):
                    result.conversations_set_up += 1
            _import_history(result.account)
    finally:
        request_log.setLevel(level)
    seed_labels(workspace, admin, agent)  # after the stories: the keyword rule must not answer them
    seed_comment_rule(workspace)  # after the stories too: "comment PRICE" answers simulated comments
    seed_drafts(workspace, admin, agent)
    seed_mentions(workspace, admin, agent)
    seed_team(result, DEMO_WORKSPACE, DEMO_PASSWORD)
    seed_month(workspace, result.account, [admin, agent])  # a month of history for /reports (app.demo.reports)
    seed_assignment(result)  # last: the stories and the team above are assigned as they say
    # The reports' first message and answer: the month above (and a few steps of the stories) write
    # messages directly, so the times are worked out once from all of them, as the writers keep them.
    first_times.refresh(workspace_id=workspace.id)
    db.session.commit()
    return result


from app.demo.team import seed_team  # noqa: E402  (after DemoSeedResult, which it takes)
from app.demo.assignment import seed_assignment  # noqa: E402
from app.demo.comment_rules import seed_comment_rule  # noqa: E402


class DemoSeedError(Exception):
    """The database holds something the demo cannot be built on; the text says what."""


def _user(email: str, name: str, role: str, workspace: Workspace) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        return create_user(email, DEMO_PASSWORD, DEMO_WORKSPACE, role=role, name=name)
    if user.workspace_id != workspace.id:
        raise DemoSeedError(f"{email} already belongs to another workspace; the demo needs it in {DEMO_WORKSPACE!r}.")
    return user


def _demo_account(app: Flask, workspace: Workspace) -> InstagramAccount:
    identity = business_account(DEMO_ACCOUNT)
    account = db.session.scalar(select(InstagramAccount).where(InstagramAccount.ig_user_id == identity.ig_user_id))
    if account is not None:
        if account.workspace_id != workspace.id:
            raise DemoSeedError(f"@{DEMO_ACCOUNT} is connected to another workspace; the demo needs it in "
                                f"{DEMO_WORKSPACE!r}.")
        return account
    now = utcnow()
    token = Signer(app.config["STANDIN_SIGNING_KEY"]).mint_token(
        ig_user_id=identity.ig_user_id, app_user_id=identity.app_user_id, username=identity.username,
        kind="long", scopes=list(DEFAULT_SCOPES), client_id=app.config["INSTAGRAM_APP_ID"],
        issued_at=now.timestamp(), lifetime=int(DEMO_TOKEN_LIFETIME.total_seconds()),
    )
    with app.test_request_context(base_url=own_base_url(app)):
        picture = url_for("standin.graph.avatar", kind="account", seed=identity.username, _external=True)
    account = InstagramAccount(
        workspace_id=workspace.id, ig_user_id=identity.ig_user_id, username=identity.username,
        name=identity.name, profile_picture_url=picture, token_encrypted=token_cipher().encrypt(token),
        token_expires_at=now + DEMO_TOKEN_LIFETIME, token_refreshed_at=now, status="active",
        webhook_subscribed=True, is_demo=True, granted_scopes=list(DEFAULT_SCOPES),
    )
    db.session.add(account)
    db.session.commit()
    return account


def demo_mid(ig_user_id: str, key: str) -> str:
    """A fixed message id shaped like Meta's (base64 of "ig_message_item:..."), so reruns match."""
    raw = f"ig_message_item:1:IGMessageThread:{ig_user_id}:demo-{key}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def story_deliveries(app: Flask, account: InstagramAccount, story: Story) -> list[tuple[int, Step, dict]]:
    """(when in ms, the step, its webhook body) for each step of one story, one delivery per step,
    as Meta sends them."""
    ig, igsid = account.ig_user_id, customer_igsid(story.username)
    anchor_ms = int(account.created_at.timestamp() // 60 * 60_000)  # whole minutes: stable across runs
    media = own_base_url(app) + "/static/demo/"
    bodies = []
    for step in story.steps:
        at = anchor_ms - step.ago
        mid = demo_mid(ig, step.key) if step.key else ""
        target = demo_mid(ig, step.target) if step.target else ""
        if step.action == "in":
            item = payloads.text_message(ig, igsid, mid, step.text, at)
        elif step.action == "photo":
            item = payloads.attachment_message(ig, igsid, mid, "image", media + step.extra["photo"], at, text=step.text)
        elif step.action == "story":
            item = payloads.story_mention(ig, igsid, mid, media + "story.svg", at)
        elif step.action == "ad":
            item = payloads.ad_referral_message(ig, igsid, mid, step.text, "120210000000000042", at,
                                                ad_title=step.extra["ad_title"], ref="summer-sale",
                                                photo_url=media + "dress.svg")
        elif step.action == "quick":
            item = payloads.text_message(ig, igsid, mid, step.text, at, quick_reply_payload=step.extra["payload"])
        elif step.action == "unsupported":
            item = payloads.unsupported_message(ig, igsid, mid, at)
        elif step.action in ("app", "bot"):
            item = payloads.echo(ig, igsid, mid, step.text, at)
        elif step.action == "react":
            reaction = step.extra["reaction"]
            item = payloads.reaction(ig, igsid, target, reaction, REACTIONS[reaction], at)
        elif step.action == "read":
            item = payloads.read(ig, igsid, target, at)
        elif step.action == "edit":
            item = payloads.edit(ig, igsid, target, step.text, 1, at)
        elif step.action == "unsend":
            item = payloads.unsend(ig, igsid, target, at)
        else:
            raise ValueError(f"unknown demo step {step.action!r}")
        bodies.append((at, step, payloads.delivery(payloads.entry(ig, [item], time_ms=at))))
    return bodies


def _play(app: Flask, result: DemoSeedResult) -> list[Story]:
    """Deliver every story's steps and the comments not delivered before, in the order they
    happened across customers (a week of DMs and comments as Meta would have sent them), so what
    ingestion makes of them (notifications above all) comes in that order too, the bell listing
    the newest first. Returns the stories that got a delivery now: their staff-side state is set
    once, when the conversation was made, so that a later run never undoes what someone has since
    done in the inbox."""
    account = result.account
    items = [(at, "story", (story, step), body) for story in STORIES
             for at, step, body in story_deliveries(app, account, story)]
    items += [(at, "comment", comment, body) for at, comment, body in comment_deliveries(account)]
    items.sort(key=lambda item: item[0])  # stable: a story's steps at the same moment keep their order
    played: list[Story] = []
    for _, kind, what, body in items:
        if already_delivered(body):
            result.skipped += 1
            continue
        result.delivered += 1
        if kind == "comment":
            problem = deliver_comment(app, account, what, body)
            if problem:
                result.failed.append(problem)
            continue
        story, step = what
        if step.action == "bot":
            queue_automated_reply(account, story.username, step.text, body)
        problem = deliver_webhook(body, app).problem(f"@{story.username}")
        if problem:
            result.failed.append(problem)
        if story not in played:
            played.append(story)
    return [story for story in STORIES if story in played]


def _set_up_staff_state(story: Story, result: DemoSeedResult) -> bool:
    account = result.account
    conversation = db.session.scalar(
        select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.account_id == account.id, Contact.igsid == customer_igsid(story.username),
               Conversation.kind == "dm")
    )
    if conversation is None:
        return False
    as_it_happened(conversation)  # before anything below is stamped now, as it should be
    owner = {"admin": result.admin, "agent": result.agent}.get(story.assignee or "")
    if owner is not None:
        assign(conversation, owner.id, result.admin)  # the agent is told; the admin assigning themselves is not
    if story.status != "open":
        set_status(conversation, story.status)
    for reader in readers(story.username, story.staff_read, result.admin, result.agent):
        mark_read(conversation, reader)  # each person's own unread
    lead = db.session.scalar(select(Lead).where(Lead.contact_id == conversation.contact_id))
    if lead is not None:
        if owner is not None:
            update_lead(lead, owner_id=owner.id)
        # Its stages (a timeline in the panel), value and follow-up: app.demo.pipeline.
        seed_lead(lead, story.username, story.lead_status, owner or result.admin)
    return True


def _import_history(account: InstagramAccount) -> None:
    """The account's past from the stand-in's Conversations API (its built-in history: a few
    customers over the last weeks), imported as Connect does it, once: a later run leaves the
    import as it is (an admin may have run it again since)."""
    if db.session.scalar(select(AccountImport.id).where(AccountImport.account_id == account.id)) is not None:
        return
    try:
        start_import(account)
    except ActionRefused as refused:
        log.warning("demo: history import not started: %s", refused.message)


# --- the stand-in during the command ---------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


@contextmanager
def _standin_reachable(app: Flask) -> Iterator[str]:
    """Serve this app on a free local port while the command runs.

    Ingestion's follow-up jobs (inline mode) look customers' profiles up over HTTP at
    INSTAGRAM_GRAPH_URL, which in demo mode is this app's own stand-in, but `flask demo` runs
    before `flask run`: nothing listens there yet. Avatar URLs the stand-in hands out still name
    the address the app will be served at, so they keep working afterwards.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="demo-standin", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    overrides = {
        "INSTAGRAM_GRAPH_URL": base + "/_meta/graph",
        "INSTAGRAM_API_URL": base + "/_meta/api",
        "STANDIN_WEBHOOK_URL": base + "/webhooks/instagram",
        "STANDIN_PUBLIC_URL": own_base_url(app),
    }
    saved = {key: app.config.get(key) for key in overrides}
    app.config.update(overrides)
    app.extensions.pop("graph_client", None)  # built from the URLs above
    try:
        yield base
    finally:
        app.config.update(saved)
        app.extensions.pop("graph_client", None)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
