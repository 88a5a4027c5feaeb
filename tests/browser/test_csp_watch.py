"""The CSP watcher itself: a page that breaks its policy (an inline script, an inline style
attribute, eval) is reported, so a browser test would fail on it."""
from __future__ import annotations

import pytest

from tests.browser.conftest import browser_available
from tests.browser.csp_watch import CSP_WATCH

_reason = browser_available()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.browser

POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"
PAGE = """<!doctype html><title>watched</title><script src="/ok.js"></script>
<p style="color: red">styled</p><script>document.title = 'inline ran';</script>"""
OK_JS = "try { eval('1 + 1'); } catch (e) {}"


def test_a_page_that_breaks_its_csp_is_reported(browser):
    start = len(CSP_WATCH.violations)
    context = browser.new_context()  # watched, like every context a browser test makes
    page = context.new_page()
    page.route("http://csp.test/", lambda route: route.fulfill(
        body=PAGE, headers={"Content-Type": "text/html", "Content-Security-Policy": POLICY}))
    page.route("http://csp.test/ok.js", lambda route: route.fulfill(
        body=OK_JS, headers={"Content-Type": "text/javascript"}))
    page.goto("http://csp.test/")
    page.wait_for_load_state("load")
    title = page.title()
    context.close()  # as the fixtures do before the check: the last console events are in by then
    seen = "\n".join(CSP_WATCH.since(start))
    del CSP_WATCH.violations[start:]  # expected here: this test's own teardown check stays clean
    assert title == "watched"  # the inline script was refused
    for reported in ("CSP violation: script-src-elem refused inline", "CSP violation: style-src-attr refused inline",
                     "CSP violation: script-src refused eval", "Content Security Policy directive"):
        assert reported in seen, seen
