"""Content-Security-Policy violations seen by a browser test, so that the test fails on any.

`CspWatch.attach(context)` adds, to every page of a Playwright browser context, an init script
that reports each `securitypolicyviolation` event as a console error, and records every console
error that is a CSP report: ours, and Chromium's own ("Refused to ... because it violates the
following Content Security Policy directive ..."). Init scripts run through the DevTools
protocol, so the page's CSP does not block the watcher itself."""
from __future__ import annotations

CSP_WATCH_SCRIPT = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.effectiveDirective + ' refused ' + (e.blockedURI || '(inline)') +
    ' in ' + (e.sourceFile || document.location.href) + ':' + e.lineNumber +
    (e.sample ? ' sample: ' + e.sample : '') +
    (e.target && e.target.outerHTML ? ' element: ' + e.target.outerHTML.slice(0, 400) : ''));
}, true);
"""

MARKERS = ("CSP violation", "Content Security Policy", "Content-Security-Policy")


class CspWatch:
    def __init__(self):
        self.violations: list[str] = []

    def attach(self, context):
        context.add_init_script(CSP_WATCH_SCRIPT)
        context.on("console", self._console)
        return context

    def _console(self, message):
        if message.type in ("error", "warning") and any(marker in message.text for marker in MARKERS):
            where = message.page.url if message.page else ""
            self.violations.append(f"{message.text} (page {where})")

    def since(self, start: int) -> list[str]:
        return self.violations[start:]

    def report(self, violations: list[str]) -> str:
        return "Content-Security-Policy violations:\n" + "\n".join(violations)


# The one watch of the browser tests under tests/browser (conftest.py attaches it). Here rather
# than in conftest.py: pytest imports a conftest under its own module name, so a test importing
# tests.browser.conftest would get a second instance.
CSP_WATCH = CspWatch()


def watch_every_browser(monkeypatch, watch: CspWatch) -> None:
    """For one test: every Playwright browser context (and page) it makes is watched, whichever
    fixture launched the browser (tests/browser/test_demo_flow.py launches its own)."""
    from playwright.sync_api import Browser

    new_context, new_page = Browser.new_context, Browser.new_page

    def watched_context(self, *args, **kwargs):
        return watch.attach(new_context(self, *args, **kwargs))

    def watched_page(self, *args, **kwargs):
        page = new_page(self, *args, **kwargs)  # about:blank: the init script applies from the first goto
        watch.attach(page.context)
        return page

    monkeypatch.setattr(Browser, "new_context", watched_context)
    monkeypatch.setattr(Browser, "new_page", watched_page)
