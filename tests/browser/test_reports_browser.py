"""/reports in Chromium: the fixed data set of tests/reports (New York time, business hours) read on
a desktop and a phone: figures, the two SVG charts with their title and description, each chart's
table behind its disclosure, the filters in the URL, the CSV links, no horizontal scroll at 390 px,
44 px targets, axe and the CSP watch (no inline script)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import browser_available

if browser_available():
    pytest.skip(browser_available(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.reports.conftest import build  # noqa: E402

pytestmark = pytest.mark.browser
PERIOD = "/reports?from=2026-01-05&to=2026-01-07"


def test_reports_page_on_desktop_and_phone(browsing, factory):
    data = build(factory)
    browsing.login(data.ada)
    page = browsing.go(PERIOD)
    expect(page.locator('[data-figure="conversations"]')).to_have_text("5")
    expect(page.locator('[data-figure="first_response_median"]')).to_have_text("7 h 55 min")
    chart = page.get_by_role("img", name="New conversations per day")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() == 3
    assert "the most, 2, on Jan 5" in page.locator("#chart-conversations-desc").text_content()
    page.get_by_text("Messages per day as a table").click()
    expect(page.get_by_role("table", name="Messages per day").locator("tbody tr").first).to_contain_text("5")
    expect(page.get_by_role("row", name="Sam Rivera 3 3 7 h 50 min")).to_be_visible()
    browsing.check_page("reports")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for link in page.locator(".reports__csv").all():
        box = link.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    browsing.screenshot("reports-phone")

    # The filters are a plain GET form: choosing the label and submitting puts it in the URL.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.select_option("#report-label", "vip")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(browsing.url + "/reports?from=2026-01-05&to=2026-01-07&account_id=&label=vip")
    expect(page.locator('[data-figure="conversations"]')).to_have_text("1")

    # Over 30 days every axis label stays inside its chart: the last day's, centred under its
    # narrow slot, ran past the right edge ("Dec 6" cut).
    browsing.go("/reports?from=2025-11-07&to=2025-12-06")
    for svg in page.locator("svg.reports__svg").all():
        frame = svg.bounding_box()
        for label in svg.locator("text.reports__axis").all():
            b = label.bounding_box()
            assert frame["x"] <= b["x"] and b["x"] + b["width"] <= frame["x"] + frame["width"], label.text_content()


def test_a_refused_range_says_why(browsing, factory):
    data = build(factory)
    browsing.login(data.sam)
    browsing.allowed_errors.append("status of 422")  # the page itself answers 422, on purpose
    page = browsing.go("/reports?from=2026-01-08&to=2026-01-07")
    expect(page.get_by_role("alert")).to_have_text("The start date (from) must be on or before the end date (to).")
    expect(page.locator("#report-from")).to_have_attribute("aria-invalid", "true")
