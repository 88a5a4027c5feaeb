"""Settings → Workspace: admins choose how long alerts wait before they are mailed
(alert_email_after_minutes, 1 to 1440); anything else is refused and changes nothing; agents 403."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Workspace

FORM = {"name": "Shop", "timezone": "UTC"}


def delay(workspace_id) -> int:
    db.session.expire_all()
    return db.session.get(Workspace, workspace_id).alert_email_after_minutes


def test_admins_set_the_delay_and_the_page_shows_it(auth, factory):
    admin = auth.login(factory.user(factory.workspace("Shop")))
    page = auth.client.get("/settings/workspace").get_data(as_text=True)
    assert 'name="alert_email_after_minutes"' in page and 'value="10"' in page
    assert auth.post("/settings/workspace", {**FORM, "alert_email_after_minutes": "45"}).status_code == 302
    assert delay(admin.workspace_id) == 45
    assert 'value="45"' in auth.client.get("/settings/workspace").get_data(as_text=True)
    for edge in ("1", "1440"):
        assert auth.post("/settings/workspace", {**FORM, "alert_email_after_minutes": edge}).status_code == 302
        assert delay(admin.workspace_id) == int(edge)
    # A form without the field (sent before it existed) leaves the delay as it is.
    assert auth.post("/settings/workspace", FORM).status_code == 302
    assert delay(admin.workspace_id) == 1440


@pytest.mark.parametrize("value", ["0", "1441", "-5", "ten", "", "2.5", "١٠", "9" * 5000])
def test_anything_outside_a_minute_to_a_day_is_refused(auth, factory, value):
    admin = auth.login(factory.user(factory.workspace("Shop")))
    response = auth.post("/settings/workspace", {**FORM, "alert_email_after_minutes": value})
    assert response.status_code == 422
    assert "whole number of minutes from 1 to 1440" in response.get_data(as_text=True)
    assert delay(admin.workspace_id) == 10


def test_agents_cannot_change_it(auth, factory):
    workspace = factory.workspace("Shop")
    factory.user(workspace)
    auth.login(factory.user(workspace, role="agent"))
    assert auth.post("/settings/workspace", {**FORM, "alert_email_after_minutes": "5"}).status_code == 403
    assert delay(workspace.id) == 10
