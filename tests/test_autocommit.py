"""app.autocommit.run_alone: one statement committed by itself, on PostgreSQL in autocommit
mode when the session holds no transaction, else inside the session's, which it commits."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from app.autocommit import run_alone
from app.extensions import db
from app.models import Label, Workspace
from tests.sql_log import sql_sent


def _rename():
    labels = Label.__table__
    return (update(labels).where(labels.c.id == bindparam("label_id")).values(name=bindparam("name"))
            .returning(labels.c.id, labels.c.name))


def _name_seen_by_another_connection(label_id: int) -> str:
    with db.engine.connect() as other:
        return other.scalar(select(Label.name).where(Label.id == label_id))


@pytest.fixture
def labels(factory):
    workspace = factory.workspace()
    vip, lead = Label(workspace_id=workspace.id, name="vip"), Label(workspace_id=workspace.id, name="lead")
    db.session.add_all([vip, lead])
    db.session.flush()
    ids = vip.id, lead.id
    db.session.commit()  # and nothing read after it: the session holds no transaction
    return ids


def test_outside_a_transaction_the_statement_is_committed_and_returns_its_rows(labels):
    vip, _ = labels

    with sql_sent() as sent:
        outcome = run_alone(_rename(), {"label_id": vip, "name": "gold"})

    assert (outcome.rowcount, [tuple(row) for row in outcome.rows]) == (1, [(vip, "gold")])
    assert _name_seen_by_another_connection(vip) == "gold"
    assert not db.session().in_transaction()
    if db.engine.dialect.name == "postgresql":
        # One round trip that commits itself, not BEGIN, the statement and COMMIT.
        assert [statement.isolation_level for statement in sent] == ["AUTOCOMMIT"]


def test_inside_a_transaction_the_statement_joins_it_and_commits_the_callers_work(labels):
    vip, lead = labels
    db.session.get(Label, lead).name = "hot lead"
    db.session.flush()  # the caller's write holds the row's lock in the session's transaction

    with sql_sent() as sent:
        assert run_alone(_rename(), {"label_id": vip, "name": "gold"}).rowcount == 1
    assert [statement.isolation_level for statement in sent] == [None]  # in the session's transaction

    assert not db.session().in_transaction()
    assert (_name_seen_by_another_connection(vip), _name_seen_by_another_connection(lead)) == ("gold", "hot lead")


@pytest.mark.parametrize("in_transaction", [False, True])
def test_a_failing_statement_commits_nothing_and_leaves_the_session_usable(factory, in_transaction):
    first, second = factory.workspace("First"), factory.workspace("Second")
    vip, lead = Label(workspace_id=first.id, name="vip"), Label(workspace_id=first.id, name="lead")
    db.session.add_all([vip, lead])
    db.session.flush()
    lead_id, second_id = lead.id, second.id
    db.session.commit()  # and nothing read after it: the session holds no transaction
    if in_transaction:
        db.session.get(Workspace, second_id).name = "Renamed, then rolled back"
        db.session.flush()

    with sql_sent() as sent, pytest.raises(IntegrityError):  # (workspace, name) is unique
        run_alone(_rename(), {"label_id": lead_id, "name": "vip"})

    if db.engine.dialect.name == "postgresql":
        assert [statement.isolation_level for statement in sent] == [None if in_transaction else "AUTOCOMMIT"]
    assert _name_seen_by_another_connection(lead_id) == "lead"
    assert db.session.get(Workspace, second_id).name == "Second"


def test_the_connection_goes_back_to_the_pool_transactional(app, database_url, labels):
    """An autocommit connection returned as it was would make a later session's rollback undo
    nothing. With a pool of one connection, the session gets the very one run_alone used."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the autocommit connection is PostgreSQL's path")
    from app import create_app
    from tests.conftest import base_config

    vip, _ = labels
    one = create_app({**base_config(database_url),
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 1, "max_overflow": 0}})
    with one.app_context():
        try:
            run_alone(_rename(), {"label_id": vip, "name": "gold"})
            db.session.execute(update(Label).where(Label.id == vip).values(name="silver"))
            db.session.rollback()
            assert db.session.scalar(select(Label.name).where(Label.id == vip)) == "gold"
            db.session.remove()
        finally:
            db.engine.dispose()
