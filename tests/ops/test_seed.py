from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, Conversation, Lead, Message


def test_seed_creates_consistent_rows(runner):
    result = runner.invoke(args=["seed", "--conversations", "40", "--messages", "200", "--accounts", "3"])
    assert result.exit_code == 0, result.output
    assert "40 conversations" in result.output and "200 messages" in result.output
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 40
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == 40
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 40
    assert db.session.scalar(select(func.count()).select_from(Message)) == 200
    assert db.session.scalar(select(func.count(func.distinct(Conversation.account_id)))) == 3
    # The newest message of each conversation is at its last activity, never after it.
    conversation = db.session.scalars(select(Conversation).limit(1)).one()
    newest = db.session.scalar(select(func.max(Message.created_at)).where(Message.conversation_id == conversation.id))
    if newest.tzinfo is None:  # SQLite returns aggregate timestamps without our type
        from datetime import timezone
        newest = newest.replace(tzinfo=timezone.utc)
    assert newest == conversation.last_message_at


def test_seed_twice_coexists(runner):
    assert runner.invoke(args=["seed", "--conversations", "5", "--messages", "10"]).exit_code == 0
    assert runner.invoke(args=["seed", "--conversations", "5", "--messages", "10"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Message)) == 20


def test_seed_leaves_planner_statistics_current(runner):
    """Without fresh statistics PostgreSQL reads a whole long thread to find its newest page."""
    from sqlalchemy import text

    assert runner.invoke(args=["seed", "--conversations", "3", "--messages", "300"]).exit_code == 0
    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'messages'")) >= 300
    else:
        assert db.session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'messages'")) > 0
