"""End-to-end tests in a real browser: Debian's chromium driven by Playwright.

One live server per module (werkzeug on 127.0.0.1, a random port) on its own new, migrated
database loaded with the Chongqing demo structure; one chromium per module; a new browser context
(fresh cookies) per test. Every test also checks that the page asked nothing of any host but the
loopback server and that the console showed no errors (a CSP violation is reported there).
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium (/usr/bin/chromium) is not installed",
                allow_module_level=True)

import pyotp  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from core import demo  # noqa: E402
from extensions import db  # noqa: E402
from tests.conftest import create_database, drop_database, make_app  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT_MS = 10_000
FULL_NAMES = {username: full_name for username, _r, _c, full_name, _h in demo.DEMO_USERS}
# Every page declares its icon (static/favicon.svg), so no console error is expected.
ALLOWED_CONSOLE_ERRORS = ()
# What the demo structure puts under 渝北区 (500112), in tree order (ordered by path).
YUBEI_UNITS = [
    ("500112", "渝北区"),
    ("500112001", "双龙湖街道"),
    ("500112006", "龙塔街道"),
    ("500112011", "回兴街道"),
    ("500112-JT01", "渝北区交通运输综合行政执法支队"),
    ("500112-GA01", "渝北区公安分局"),
    ("500112-CG01", "渝北区城市管理局"),
]


@dataclass
class LiveServer:
    url: str
    passwords: dict[str, str]


@dataclass
class Watch:
    """What a page did that a test checks at the end: requests and console errors."""

    base_url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (url, text)
    page_errors: list[str] = field(default_factory=list)

    def check(self, allowed: tuple[tuple[str, str], ...] = ()) -> None:
        """``allowed``: (path, text) pairs of console errors to ignore (expected HTTP errors)."""
        assert self.requests, "the page made no request at all"
        foreign = [u for u in self.requests if not u.startswith(self.base_url + "/")]
        assert not foreign, f"requests outside the loopback server: {foreign}"
        allowed = ALLOWED_CONSOLE_ERRORS + allowed
        errors = [(url, text) for url, text in self.console_errors
                  if not any(url == self.base_url + path and fragment in text
                             for path, fragment in allowed)]
        assert not errors, f"console errors: {errors}"
        assert not self.page_errors, f"uncaught page errors: {self.page_errors}"


@pytest.fixture(scope="module")
def live_server(base_database_url):
    """The app served on 127.0.0.1 from a background thread, on a new demo database."""
    url = create_database(base_database_url)
    app = make_app(url)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        logins = demo.load_structure()
        from enforcement.cases.calendar import seed_holidays
        from enforcement.violations.seed import seed_violation_types

        seed_violation_types()
        seed_holidays([2025, 2026, 2027])
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}",
                         passwords={username: password for username, password, _r, _c in logins})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        drop_database(url)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, live_server, **context_options):
    context = browser.new_context(base_url=live_server.url, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    watch = Watch(base_url=live_server.url)
    page = context.new_page()
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on("console", lambda msg: watch.console_errors.append(
        (msg.location.get("url", ""), msg.text)) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
    return context, page, watch


@pytest.fixture
def session(browser, live_server):
    """A new browser context (no cookies) at desktop size: (page, watch)."""
    context, page, watch = _open(browser, live_server, viewport={"width": 1280, "height": 900})
    try:
        yield page, watch
    finally:
        context.close()


@pytest.fixture
def phone(browser, live_server):
    """A new browser context at the size of a phone: (page, watch)."""
    context, page, watch = _open(browser, live_server, viewport={"width": 390, "height": 844},
                                 device_scale_factor=3, is_mobile=True, has_touch=True)
    try:
        yield page, watch
    finally:
        context.close()


def _wait(page, url) -> None:
    """Wait for the navigation to ``url`` and for the web fonts (no layout shift after)."""
    page.wait_for_url(url)
    page.evaluate("document.fonts.ready.then(() => true)")


def _path(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def _fill_login(page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_test_id("login-submit").click()


def _unit_rows(page) -> list[tuple[str, str]]:
    rows = page.get_by_test_id("unit-table").locator("tbody tr")
    return [(row.locator("td").nth(0).inner_text().strip(),
             row.locator("td").nth(1).inner_text().strip().strip("\u3000"))
            for row in rows.all()]


def test_officer_logs_in_in_chinese_sees_own_unit_and_logs_out(session, live_server):
    page, watch = session
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("登录")
    expect(page.get_by_test_id("login-submit")).to_have_text("登录")
    expect(page.get_by_test_id("lang-en")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_have_count(0)

    _fill_login(page, "officer1", live_server.passwords["officer1"])
    _wait(page, live_server.url + "/")
    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text("渝北执法支队 刘洋")
    expect(whoami).to_contain_text("渝北区交通运输综合行政执法支队")
    expect(page.locator("h1")).to_have_text("欢迎，渝北执法支队 刘洋")

    page.get_by_role("link", name="单位", exact=True).first.click()
    _wait(page, "**/units")
    table = page.get_by_test_id("unit-table")
    expect(table.locator("thead th")).to_have_text(["编码", "名称", "类型", "部门", "辖区边界"])
    # An officer sees only its own unit (a leaf): no district, no streets, no other district.
    assert _unit_rows(page) == [("500112-JT01", "渝北区交通运输综合行政执法支队")]
    expect(table).not_to_contain_text("双龙湖街道")
    expect(table).not_to_contain_text("渝中区")

    page.get_by_test_id("logout").click()
    _wait(page, "**/login")
    expect(page.get_by_role("alert")).to_contain_text("您已安全退出。")
    expect(page.get_by_test_id("whoami")).to_have_count(0)

    page.goto("/units")
    url = urlsplit(page.url)
    assert url.path == "/login"
    assert parse_qs(url.query)["next"][0].startswith("/units")
    expect(page.get_by_role("alert")).to_contain_text("请先登录。")
    expect(page.get_by_test_id("unit-table")).to_have_count(0)
    watch.check()


def test_language_switch_and_district_office_sees_its_district(session, live_server):
    page, watch = session
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("登录")
    page.get_by_test_id("lang-en").click()
    expect(page.locator("h1")).to_have_text("Log in")
    assert _path(page).startswith("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("login-submit")).to_have_text("Log in")
    expect(page.get_by_test_id("lang-en")).to_have_count(0)
    expect(page.get_by_test_id("lang-zh_Hans_CN")).to_have_text("简体中文")

    _fill_login(page, "yubei", live_server.passwords["yubei"])
    expect(page.get_by_test_id("whoami")).to_contain_text("渝北区督导办 陈静")
    expect(page.get_by_test_id("logout")).to_have_text("Log out")
    expect(page.locator("h1")).to_have_text("Welcome, 渝北区督导办 陈静")

    page.goto("/units")
    table = page.get_by_test_id("unit-table")
    expect(page.locator("h1")).to_have_text("Units")
    expect(table.locator("thead th")).to_have_text(["Code", "Name", "Kind", "Department",
                                                    "Boundary"])
    # The district office sees its district and everything below it, and nothing else.
    assert _unit_rows(page) == YUBEI_UNITS
    expect(table).not_to_contain_text("重庆市")
    expect(table).not_to_contain_text("渝中区")
    expect(table.locator("tbody tr").first).to_contain_text("District")

    page.get_by_test_id("lang-zh_Hans_CN").click()
    expect(page.locator("h1")).to_have_text("单位")
    assert _path(page).startswith("/units")
    expect(table.locator("thead th")).to_have_text(["编码", "名称", "类型", "部门", "辖区边界"])
    expect(page.get_by_test_id("logout")).to_have_text("退出")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert len(_unit_rows(page)) == len(YUBEI_UNITS)
    watch.check()


def test_wrong_password_stays_on_login_page(session, live_server):
    page, watch = session
    page.goto("/login")
    page.fill("input[name=username]", "leader")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_test_id("login-submit").click()
    assert answer.value.status == 401
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    assert _path(page) == "/login"
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    expect(page.locator("input[name=username]")).to_have_value("leader")
    expect(page.locator("input[name=password]")).to_have_value("")

    # In English, too; and the right password still works afterwards.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("h1")).to_have_text("Log in")
    _fill_login(page, "leader", "still-not-it")
    expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
    assert _path(page) == "/login"
    _fill_login(page, "leader", live_server.passwords["leader"])
    expect(page.get_by_test_id("whoami")).to_contain_text(FULL_NAMES["leader"])
    assert _path(page) == "/"
    # Chromium reports the 401 answers to the form posts on the console.
    watch.check(allowed=(("/login", "status of 401"),))


def test_admin_enrols_totp_at_first_login(session, live_server):
    page, watch = session
    page.goto("/login")
    _fill_login(page, "admin", live_server.passwords["admin"])
    _wait(page, "**/login/2fa")
    expect(page.locator("h1")).to_have_text("二次验证")
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret

    # Nothing behind the log-in is reachable before the second factor.
    page.goto("/units")
    assert _path(page).startswith("/login")
    page.goto("/login/2fa")
    assert page.get_by_test_id("totp-secret").inner_text().strip() == secret

    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + step) for step in (-60, -30, 0, 30, 60)}
    page.fill("input[name=code]", next(c for c in ("000000", "111111", "222222", "333333",
                                                    "444444", "555555") if c not in near))
    page.get_by_test_id("totp-submit").click()
    expect(page.get_by_text("验证码不正确")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_have_count(0)

    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.get_by_test_id("totp-submit").click()
    # The log-in then goes on to the page asked for before the second factor (/units).
    _wait(page, "**/units")
    expect(page.get_by_test_id("whoami")).to_contain_text("系统管理员")
    expect(page.get_by_test_id("unit-table")).to_contain_text("重庆市")  # the whole city
    page.locator("a.navbar-brand").click()
    _wait(page, live_server.url + "/")
    expect(page.locator("h1")).to_have_text("欢迎，系统管理员")
    expect(page.get_by_role("link", name="用户", exact=True)).to_be_visible()
    watch.check(allowed=(("/login/2fa", "status of 400"),))  # the wrong code's answer


def test_phone_viewport_collapses_navbar_and_logs_in(phone, live_server):
    page, watch = phone
    page.goto("/login")
    toggler = page.locator("button.navbar-toggler")
    expect(toggler).to_be_visible()
    expect(page.get_by_test_id("lang-en")).to_be_hidden()
    # The form fits the screen: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    submit = page.get_by_test_id("login-submit")
    expect(submit).to_be_visible()
    assert submit.bounding_box()["width"] > 300  # full width on a phone

    _fill_login(page, "officer1", live_server.passwords["officer1"])
    _wait(page, live_server.url + "/")
    expect(page.locator("h1")).to_have_text("欢迎，渝北执法支队 刘洋")
    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_be_hidden()
    expect(toggler).to_have_attribute("aria-expanded", "false")

    toggler.click()  # Bootstrap's collapse (its script must run under the CSP)
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(whoami).to_be_visible()
    expect(whoami).to_contain_text("渝北执法支队 刘洋")
    expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_role("link", name="单位", exact=True).click()
    _wait(page, "**/units")
    assert _unit_rows(page) == [("500112-JT01", "渝北区交通运输综合行政执法支队")]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    toggler.click()
    # Wait for Bootstrap's collapse to finish opening before clicking inside it.
    expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    _wait(page, "**/login")
    expect(toggler).to_be_visible()
    watch.check()


def test_officer_logs_a_case_on_a_phone_and_registers_it(phone, live_server):
    """The roadside flow on a phone: fill the form, save the draft, register it."""
    page, watch = phone
    page.goto("/login")
    _fill_login(page, "officer1", live_server.passwords["officer1"])
    _wait(page, f"{live_server.url}/")
    page.goto("/cases/new")
    page.fill("input[name=address]", "重庆北站南广场出租车候客区")
    page.select_option("select[name=violation_code]", "FY-KY")
    page.fill("input[name='vehicles-0-plate']", "渝ａ·b1234")
    page.select_option("select[name='vehicles-0-plate_colour']", "blue")
    page.fill("input[name='parties-0-name']", "陈某")
    page.fill("input[name='parties-0-address']", "重庆市渝北区龙塔街道")
    page.fill("textarea[name=facts]", "驾驶员在北站南广场招揽乘客，约定车费80元前往江北机场")
    options = page.locator("select[name=officer_ids] option")
    page.select_option("select[name=officer_ids]",
                       [options.nth(i).get_attribute("value") for i in range(options.count())])
    page.get_by_test_id("save-case").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    heading = page.locator("h1").inner_text()
    assert "500112-JT01-" in heading
    assert "渝AB1234" in page.content()  # normalised on the server
    page.locator("button[data-step=registered]").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert page.locator("h1 [data-status]").get_attribute("data-status") == "registered"
    assert page.locator("[data-clock=decision]").count() == 1
    watch.check()


def test_informant_files_a_tip_on_a_phone_by_tapping_the_map(phone, live_server):
    """The public form on a phone: tap the place on the map, send, get the receipt code, and
    follow the tip with it."""
    page, watch = phone
    page.goto("/tips/new")
    page.fill("input[name=what]", "黑车拉客")
    page.fill("input[name=address]", "重庆北站北广场")
    page.fill("input[name=plates]", "渝a·12345")
    page.fill("textarea[name=description]", "出站口有人以每人40元拉客去机场")
    the_map = page.get_by_test_id("tip-map")
    expect(the_map).to_have_class(re.compile(r"\bleaflet-container\b"))  # the script has run
    box = the_map.bounding_box()
    the_map.click(position={"x": box["width"] / 2 + 5, "y": box["height"] / 2 + 5})
    expect(page.locator("#lat")).not_to_have_value("")
    lat, lng = float(page.input_value("#lat")), float(page.input_value("#lng"))
    assert 29.3 < lat < 29.8 and 106.3 < lng < 106.8  # near the configured centre
    assert page.locator(".leaflet-marker-icon").count() == 1
    page.get_by_test_id("send-tip").click()
    page.wait_for_load_state()
    errors = page.locator(".invalid-feedback").all_inner_texts()
    assert not errors, errors
    code = page.get_by_test_id("receipt-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){6}", code)
    page.goto("/tips/status")
    page.fill("input[name=code]", code.lower())
    page.get_by_test_id("check-status").click()
    expect(page.get_by_test_id("tip-status")).to_have_attribute("data-status", "received")
    watch.check()
