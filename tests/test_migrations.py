"""The migrations produce exactly the models' schema, and their file names show the order they run in."""
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db
from app.models.types import exists_on


def test_no_drift_between_models_and_migrations(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": exists_on(conn.dialect.name)})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migration_file_names_follow_the_revision_chain():
    """`ls migrations/versions` is the order they run in: the n-th revision from the base is
    `000n_<slug>.py` (the ids stay as deployed databases know them; only file names carry order)."""
    scripts = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations"))
    assert len(scripts.get_heads()) == 1, "the revisions must form one chain (merge or re-point the new one)"
    chain = list(reversed(list(scripts.walk_revisions())))
    names = [Path(revision.path).name for revision in chain]
    expected = [f"{n:04d}_" for n in range(1, len(chain) + 1)]
    wrong = [f"{name} should start with {prefix}" for name, prefix in zip(names, expected) if not name.startswith(prefix)]
    assert not wrong, "rename with git mv (keep the revision ids):\n  " + "\n  ".join(wrong)
    on_disk = sorted(p.name for p in Path(scripts.versions).glob("*.py"))
    assert on_disk == names


def test_sqlite_upgrades_keep_rows_that_point_at_a_rebuilt_table(tmp_path):
    """SQLite changes a constraint by copying a table and dropping the old one. The app turns
    foreign keys on, under which that drop cascades: 0011 rebuilds `conversations` and `users`,
    and used to delete every message and token of a development database on upgrade."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from tests.conftest import base_config

    app = create_app(base_config(f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        upgrade(revision="profile_0008")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO workspaces (id, name, human_agent_enabled, mark_seen_enabled, timezone, created_at)"
                " VALUES (1, 'w', false, true, 'UTC', '2026-01-01')",
                *(f"INSERT INTO users (id, workspace_id, email, password_hash, role, active, created_at,"
                  f" session_generation) VALUES ({i}, 1, 'u{i}@example.com', 'x', 'agent', {active}, '2026-01-01', 0)"
                  for i, active in ((1, "true"), (2, "true"), (3, "false"))),
                "INSERT INTO instagram_accounts (id, workspace_id, ig_user_id, status, webhook_subscribed, is_demo,"
                " created_at, updated_at) VALUES (1, 1, 'ig1', 'active', false, false, '2026-01-01', '2026-01-01')",
                "INSERT INTO contacts (id, workspace_id, account_id, igsid, created_at) VALUES (1, 1, 1, 'c1', '2026-01-01')",
                "INSERT INTO conversations (id, workspace_id, account_id, contact_id, status, unread_count,"
                " last_message_at, created_at, updated_at) VALUES (1, 1, 1, 1, 'open', 2, '2026-01-02', '2026-01-01', '2026-01-01')",
                *(f"INSERT INTO messages (id, account_id, conversation_id, mid, direction, kind, attachments, status,"
                  f" source, is_deleted, edited, reactions, meta, human_agent, send_attempts, created_at, received_at,"
                  f" updated_at) VALUES ({i}, 1, 1, 'm{i}', '{direction}', 'message', '[]', 'sent', '{source}', false,"
                  f" false, '[]', '{{}}', false, 0, '2026-01-0{i}', '2026-01-01', '2026-01-01')"
                  for i, direction, source in ((1, "in", "instagram"), (2, "out", "automation"))),
            ):
                conn.execute(text(statement))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM messages")).scalar() == 2
            # The shared unread became each active member's own; who spoke last came from the newest message.
            assert sorted(conn.execute(text("SELECT user_id, count FROM conversation_unreads"))) == [(1, 2), (2, 2)]
            assert conn.execute(text("SELECT last_speaker FROM conversations")).scalar() == "automation"
        db.engine.dispose()


def test_0028_gives_ownerless_leads_of_assigned_conversations_their_assignee(tmp_path):
    """Leads made before owners followed assignees (app.leads.ownership) take their conversation's
    assignee once; an owner someone set, and a lead of an unassigned conversation, stay."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from app import create_app
    from app.models import Lead
    from tests.conftest import base_config
    from tests.factories import Factory

    app = create_app(base_config(f"sqlite:///{tmp_path / 'owners.db'}"))
    with app.app_context():
        upgrade()
        make = Factory()
        ws = make.workspace("Owners")
        sam, ada = make.user(ws, role="agent"), make.user(ws)
        account = make.account(ws)
        nobodys = make.lead(make.conversation(account, assignee_id=sam.id))
        chosen = make.lead(make.conversation(account, assignee_id=sam.id), owner_id=ada.id)
        unassigned = make.lead(make.conversation(account))
        db.session.commit()
        ids = {"nobodys": nobodys.id, "chosen": chosen.id, "unassigned": unassigned.id, "sam": sam.id, "ada": ada.id}
        db.session.remove()
        downgrade(revision="0027")
        upgrade()
        owners = dict(db.session.execute(select(Lead.id, Lead.owner_id)).all())
        assert owners == {ids["nobodys"]: ids["sam"], ids["chosen"]: ids["ada"], ids["unassigned"]: None}
        db.session.remove()
        db.engine.dispose()
