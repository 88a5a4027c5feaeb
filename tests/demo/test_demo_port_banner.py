"""Demo mode served on another port than the one its own links use (`flask run --port 8001`
while PORT says 5000): every page says so, with the fix, instead of broken pictures and a
Connect button that goes nowhere (app.urls.links_elsewhere). Not said where it does not apply."""
from __future__ import annotations

import pytest

from app.urls import links_elsewhere


@pytest.fixture(autouse=True)
def no_public_url(app):
    """As `flask --app app run` starts the demo: no PUBLIC_URL (the suite's config has one)."""
    app.config["PUBLIC_URL"] = None


@pytest.mark.parametrize(("host", "warned"), [
    ("127.0.0.1:8001", True),
    ("localhost:5000", False),       # the port the links use, whatever the name
    ("127.0.0.1:5000", False),
    ("inbox.example.com", False),    # no port in the address (a proxy in front): nothing to compare
    ("[::1]:8001", True),
    ("[::1]", False),
])
def test_pages_say_when_the_demo_is_served_elsewhere(app, client, host, warned):
    # The sign-in page too: the first one a demo's visitor sees.
    page = client.get("/login", base_url=f"http://{host}").get_data(as_text=True)

    assert ('id="demo-links-elsewhere"' in page) is warned
    if warned:
        assert "builds its links for http://127.0.0.1:5000" in page
        assert f"you reached it on {host}" in page and "PORT=8001 flask --app app run" in page


def test_not_with_a_public_url_or_outside_demo_mode(app):
    with app.test_request_context("/", base_url="http://127.0.0.1:8001"):
        assert links_elsewhere() == "http://127.0.0.1:5000"
        app.config["PUBLIC_URL"] = "https://inbox.example.com"
        assert links_elsewhere() is None
        app.config["PUBLIC_URL"] = None
        app.config["DEMO_MODE"] = False
        assert links_elsewhere() is None
        app.config["DEMO_MODE"] = True
