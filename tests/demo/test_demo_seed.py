"""`flask demo`: a lived-in inbox made by signed webhook deliveries through ingestion, the same
after any number of runs."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.demo.comments import COMMENTS
from app.demo.seed import DEMO_ACCOUNT, STORIES, demo_mid
from app.messages.content import content_of, kind_of
from app.extensions import db
from app.leads.actions import update_lead
from app.models import (
    LEAD_STATUSES,
    Contact,
    Conversation,
    InstagramAccount,
    Lead,
    Message,
    User,
    WebhookEvent,
    Workspace,
    utcnow,
)
from app.standin import Signer, business_account, customer_igsid, customer_profile
from app.token_crypto import token_cipher
from tests.conftest import base_config
from tests.demo.conftest import SIGNING_KEY

TABLES = (Workspace, User, InstagramAccount, Contact, Conversation, Message, Lead, WebhookEvent)


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def run_demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def test_flask_demo_prints_the_login_and_connects_a_demo_account(runner):
    output = run_demo(runner).output
    assert "demo@example.com" in output and "demo-inbox" in output

    account = db.session.scalar(select(InstagramAccount))
    assert (account.username, account.status, account.is_demo, account.webhook_subscribed) == (
        DEMO_ACCOUNT, "active", True, True)
    assert account.ig_user_id == business_account(DEMO_ACCOUNT).ig_user_id
    # The token is the stand-in's own, so every Graph call the inbox makes with it is accepted.
    claims = Signer(SIGNING_KEY).read_token(token_cipher().decrypt(account.token_encrypted))
    assert claims.ig_user_id == account.ig_user_id
    assert account.token_expires_at > utcnow() + timedelta(days=365)
    assert {u.email: (u.role, u.active) for u in db.session.scalars(select(User))} == {
        "demo@example.com": ("admin", True), "sam@example.com": ("agent", True),
        "alex@example.com": ("agent", False)}  # a rep who left (app/demo/team.py)


def test_every_demo_row_comes_from_a_signed_delivery_through_ingestion(runner, app):
    run_demo(runner)
    events = db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert len(events) == sum(len(story.steps) for story in STORIES) + len(COMMENTS)
    assert {event.status for event in events} == {"applied"}
    # Stored exactly as Meta encodes (escaped slashes), i.e. the raw signed bytes were posted.
    assert any(b"https:\\/\\/" in event.body for event in events)

    account = db.session.scalar(select(InstagramAccount))
    # The month of history for /reports is written directly, as an import would (app.demo.reports).
    history = Message.mid.like("demo-history-%")
    # The older conversations the history import brought from the stand-in are the import's own
    # (test_the_demo_account_shows_an_imported_history).
    imported = select(Lead.id).where(Lead.conversation_id == Conversation.id, Lead.source == "import").exists()
    conversations = db.session.scalars(select(Conversation).where(
        ~select(Message.id).where(Message.conversation_id == Conversation.id, history).exists(), ~imported)).all()
    assert len(conversations) == len(STORIES) + 3  # and three people's comments on posts (app.demo.comments)
    comments = [c for c in conversations if c.kind == "comments"]
    assert sorted(c.contact.username for c in comments) == ["kai.runs", "lena.bakes", "noor.home"]
    assert all(c.media.caption for c in comments)  # the stand-in's posts, fetched by the follow-up job
    from_import = select(Conversation.id).where(imported)
    messages = db.session.scalars(select(Message).where(~history, Message.conversation_id.not_in(from_import))).all()
    mids = {m.mid for m in messages}
    assert demo_mid(account.ig_user_id, "lena1") in mids

    kinds = {kind_of(m) for m in messages}
    assert {"story_mention", "quick_reply", "unsupported", "comment"} <= kinds
    ads = [content_of(m).referral for m in messages if content_of(m).referral]
    assert any(ad.is_ad and ad.ad_title and ad.photo_url for ad in ads)  # the thread shows its title and image
    assert any(a.get("type") == "image" for m in messages for a in m.attachments)
    # Typed in the Instagram app, and one automated reply (its echo matched to it: app.demo.needs_reply).
    assert {m.source for m in messages if m.direction == "out"} == {"app", "automation"}
    assert all(m.mid and m.status in ("sent", "read") for m in messages if m.direction == "out")
    assert any(m.reactions for m in messages)
    assert any(m.is_deleted for m in messages) and any(m.edited for m in messages)
    assert any(m.status == "read" for m in messages if m.direction == "out")


def test_the_demo_account_shows_an_imported_history(runner):
    from app.models import AccountImport
    from app.standin.history import BUILT_IN

    run_demo(runner)
    run_demo(runner)  # imported once: a later run leaves it as it is
    (state,) = db.session.scalars(select(AccountImport)).all()
    assert (state.status, state.done, state.total, state.run) == ("done", 6, 6, 1)
    imported = {lead.contact.username for lead in db.session.scalars(select(Lead).where(Lead.source == "import"))}
    in_window = {"lena.voss", "omar.haddad", "grace.okoye", "tomas.rivera", "yuki.sato", "noah.berg"}
    assert imported == in_window and in_window < {username for username, _ in BUILT_IN}
    waiting = db.session.scalar(select(Conversation).join(Contact).where(Contact.username == "lena.voss"))
    assert waiting.waiting_since is not None and waiting.unread_count == 0


def test_profiles_come_from_the_stand_ins_lookup(runner):
    run_demo(runner)
    contacts = {c.igsid: c for c in db.session.scalars(select(Contact))}
    for story in STORIES:
        contact = contacts[customer_igsid(story.username)]
        assert contact.username == story.username
        assert contact.name == customer_profile(contact.igsid).name
        assert contact.profile_fetched_at is not None
        assert contact.profile_pic_url.startswith("http://inbox.test/_meta/graph/_standin/avatar/customer/")


def test_the_demo_inbox_looks_lived_in(runner):
    run_demo(runner)
    conversations = db.session.scalars(select(Conversation)).all()
    leads = db.session.scalars(select(Lead)).all()
    assert {lead.status for lead in leads} == set(LEAD_STATUSES)
    assert any(lead.source == "ad" for lead in leads)
    assert {c.status for c in conversations} >= {"open", "pending", "resolved"}
    assert any(c.assignee_id for c in conversations)
    assert any(c.unread_count for c in conversations) and any(not c.unread_count for c in conversations)
    newest = max(c.last_message_at for c in conversations)
    oldest = min(c.last_message_at for c in conversations)
    assert utcnow() - newest < timedelta(hours=1)
    assert utcnow() - oldest > timedelta(days=2)


def test_the_demo_team_has_a_former_rep_and_a_pending_invite(runner):
    from app.demo.team import FORMER_EMAIL, INVITED_EMAIL
    from app.models import AuditEntry, Invite, User

    run_demo(runner)
    run_demo(runner)  # the team, too, is made once
    former = db.session.scalar(select(User).where(User.email == FORMER_EMAIL))
    sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
    assert former is not None and not former.active
    assigned = db.session.scalars(select(Conversation).where(Conversation.assignee_id == former.id)).all()
    assert [c.status for c in assigned] == ["resolved"]  # open work went to Sam; history keeps Alex
    assert db.session.scalar(select(Conversation.id).where(Conversation.assignee_id == sam.id)) is not None
    (invite,) = db.session.scalars(select(Invite).where(Invite.email == INVITED_EMAIL)).all()
    assert invite.pending
    # The team's entries (the demo's labels and saved replies have their own, tested with them).
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)) if e.action.startswith("team.")]
    assert actions == ["team.deactivate", "team.reassign", "team.invite"]


def test_running_it_twice_changes_nothing(runner):
    run_demo(runner)
    before = counts()
    snapshot = sorted(db.session.execute(select(Conversation.id, Conversation.status, Conversation.unread_count,
                                                Conversation.assignee_id, Conversation.last_message_at)).all())
    output = run_demo(runner).output
    assert counts() == before
    assert sorted(db.session.execute(select(Conversation.id, Conversation.status, Conversation.unread_count,
                                            Conversation.assignee_id, Conversation.last_message_at)).all()) == snapshot
    assert "0 webhook deliveries made" in output


def test_a_second_run_leaves_what_staff_changed_alone(runner):
    run_demo(runner)
    lead = db.session.scalar(select(Lead).join(Contact).where(Contact.igsid == customer_igsid("marco_fit")))
    update_lead(lead, status="won")
    run_demo(runner)
    assert db.session.get(Lead, lead.id).status == "won"


def test_with_a_real_meta_app_only_the_logins_are_made(app, database_url, other_app):
    real = other_app({**base_config(database_url), "APP_ENV": "development"})  # INSTAGRAM_APP_ID set
    with real.app_context():  # the command runs in the current app context, so push this one
        result = real.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "created the logins only" in result.output
    db.session.expire_all()
    assert counts()["InstagramAccount"] == 0 and counts()["WebhookEvent"] == 0
    assert counts()["User"] == 3  # the two logins and the former rep of the demo team


def test_a_demo_login_taken_by_another_workspace_is_refused_clearly(runner, factory):
    factory.user(factory.workspace("Someone Else"), email="demo@example.com")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "demo@example.com already belongs to another workspace" in result.output
    assert counts()["WebhookEvent"] == 0
