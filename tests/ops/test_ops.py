import logging

from sqlalchemy.exc import OperationalError

from app.ops import health


def test_healthz_touches_nothing(client, monkeypatch):
    monkeypatch.setattr(health, "database_status", lambda: (_ for _ in ()).throw(AssertionError("touched db")))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_inline_mode(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["services"]["db"]["ok"] is True
    assert body["services"]["queue"] == {"enabled": False, "mode": "inline", "depth": 0}
    assert body["services"]["worker"]["running"] is True


def test_health_queued_mode_reports_depth_and_workers(client, queued):
    from app.jobs import enqueue
    from app.jobs.upkeep import purge_expired_uploads

    enqueue(purge_expired_uploads)
    body = client.get("/health").get_json()
    assert body["services"]["queue"]["enabled"] is True
    assert body["services"]["queue"]["depth"] == 1
    assert body["services"]["worker"] == {"running": False, "count": 0}
    assert body["status"] == "degraded"


def test_health_database_down_is_503(app, client, monkeypatch):
    from app.extensions import db

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.get_json()["services"]["db"] == {"ok": False, "error": "OperationalError"}


def test_one_log_line_per_request_without_query(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.request"):
        client.get("/webhooks/instagram?hub.mode=subscribe&hub.verify_token=SECRETVALUE&hub.challenge=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "app.request"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /webhooks/instagram 403")
    assert "SECRETVALUE" not in lines[0]
