"""The migrations produce exactly the models' schema, and their file names show the order they run in."""
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db


def test_no_drift_between_models_and_migrations(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
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
