"""In a real browser: a district office draws a strict-control zone on the map (the drawing script
under the strict CSP, no request outside the server) and opens last month's report page."""
from __future__ import annotations

import re

import pytest

from tests.test_browser import (  # noqa: F401
    CHROMIUM,  # noqa: F401  (skips the module without chromium)
    _fill_login,
    _wait,
    browser,
    live_server,
    session,
)

pytestmark = pytest.mark.browser


def test_district_office_draws_a_zone(session, live_server):  # noqa: F811
    page, watch = session
    page.goto("/login")
    _fill_login(page, "yubei", live_server.passwords["yubei"])
    _wait(page, live_server.url + "/")
    page.goto("/joint/zones/new")
    page.fill("input[name=name]", "重庆北站北广场")
    page.fill("input[name=windows]", "1-5 17:00-20:00")
    box = page.locator("#joint-map").bounding_box()
    for dx, dy in ((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    drawn = page.locator("#geojson").input_value()
    assert '"type":"Polygon"' in drawn and drawn.count("[") == 7  # 4 corners + closing
    page.get_by_role("button", name="保存严管区域").click()
    page.wait_for_url(re.compile(r".*/joint/zones/\d+$"))
    assert page.locator("h1").inner_text() == "重庆北站北广场"
    assert page.get_by_test_id("zone-month-count").count() == 12
    page.goto("/reports/")
    page.get_by_test_id("last-month").click()
    page.wait_for_url(re.compile(r".*/reports/monthly/\d{4}-\d{2}\.html$"))
    assert page.locator("h1").inner_text() == "月度联合执法报告"
    assert page.locator("svg").count() >= 3
    watch.check()
