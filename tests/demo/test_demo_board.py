"""`flask demo` fills the pipeline board: leads in every column, the heads' totals in the demo
shop's currency (EUR, its deals') where a column holds euros, other currencies noted beside them."""
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
    totals = [re.sub(r"<[^>]+>", "", t).split() for t in re.findall(r"data-total>(.*?)</p>", html, re.S)]
    # Each head leads with euros whenever the column holds any (a column of only other currencies
    # leads with the largest of them, never a bold "0 EUR"); other currencies are noted beside.
    assert sum(t[1] == "EUR" for t in totals) >= 4, totals
    assert all(t[1] == "EUR" or t[0] != "0" for t in totals), totals
    assert "GBP" in html  # the wholesale quote
    # A second run keeps the currency someone may have chosen since.
    db.session.get(Workspace, admin.workspace_id).currency = "USD"
    db.session.commit()
    run_demo(runner)
    assert db.session.get(Workspace, admin.workspace_id).currency == "USD"
