"""`flask demo` fills the pipeline board: leads in every column, the heads' totals in the demo
shop's currency (EUR, its deals'), other currencies noted beside them."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import User, Workspace
from tests.demo.test_demo_seed import run_demo


def test_the_demo_board_has_every_column_in_the_shops_currency(runner, client, auth):
    run_demo(runner)
    admin = db.session.scalar(select(User).where(User.email == "demo@example.com"))
    assert db.session.get(Workspace, admin.workspace_id).currency == "EUR"
    auth.login(admin, password="demo-inbox")
    html = client.get("/leads/board").get_data(as_text=True)
    counts = dict(re.findall(r'id="board-head-(\w+)".*?data-count="(\d+)"', html, re.S))
    assert set(counts) == {"new", "contacted", "qualified", "won", "lost"}
    assert all(int(n) >= 1 for n in counts.values()), counts
    totals = re.findall(r"data-total>(.*?)</p>", html, re.S)
    assert all(re.sub(r"<[^>]+>", "", t).split()[1] == "EUR" for t in totals), totals
    assert "GBP" in html  # the wholesale quote, noted beside the euros
    # A second run keeps the currency someone may have chosen since.
    db.session.get(Workspace, admin.workspace_id).currency = "USD"
    db.session.commit()
    run_demo(runner)
    assert db.session.get(Workspace, admin.workspace_id).currency == "USD"
