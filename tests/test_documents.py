"""Official case documents (enforcement/documents.py): amounts in words, the context checks, the
HTML, and the PDFs read back with pypdf (text, pages, embedded Noto CJK font, no fetching)."""
from __future__ import annotations

import datetime as dt
import io
import logging
import re
from decimal import Decimal

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enforcement import documents
from enforcement.documents import (
    DOCUMENT_KINDS,
    DocumentContextError,
    ExternalResourceError,
    document_number,
    format_date,
    format_datetime,
    format_yuan,
    render_html,
    render_pdf,
    yuan_in_words,
)

UTC = dt.timezone.utc


def make_context(**overrides) -> dict:
    """A complete context for a 非法营运 case in 渝北区; keyword arguments replace keys."""
    context = {
        "case_number": "渝北交-2026-000123",
        "unit_name": "重庆市渝北区交通运输综合行政执法支队",
        "issued_on": dt.date(2026, 3, 5),
        "party": {"name": "张小明", "id_number": "500112199001011234",
                  "address": "重庆市渝北区双龙湖街道双龙大道1号", "phone": "13800000000"},
        "vehicle": {"plate": "渝A12345", "colour": "白色", "kind": "小型轿车"},
        "facts": "未取得道路运输经营许可，擅自从事道路旅客运输经营，搭载乘客2名从江北国际机场"
                 "至解放碑，约定收取车费80元。",
        # 06:30 UTC is 14:30 in Chongqing.
        "occurred_at": dt.datetime(2026, 3, 1, 6, 30, tzinfo=UTC),
        "address": "重庆江北国际机场T3航站楼到达层",
        "violation": {"name": "未取得道路运输经营许可擅自从事道路旅客运输经营",
                      "legal_basis": "《中华人民共和国道路运输条例》第十条",
                      "penalty_basis": "《中华人民共和国道路运输条例》第六十三条"},
        "fine": Decimal("10000"),
        "confiscated": Decimal("80"),
        "statement_days": 3,
        "hearing_days": 5,
        "payment_days": 15,
        "surcharge_rate_percent": Decimal("3"),
        "payment_account": "中国工商银行重庆渝北支行（户名：重庆市渝北区财政局，账号：3100021209000123456）",
        "reconsideration_days": 60,
        "lawsuit_months": 6,
        "officers": [{"name": "李明", "cert_no": "50011200001"},
                     {"name": "王强", "cert_no": "50011200002"}],
        "version": 1,
    }
    context.update(overrides)
    return context


def flat(text: str) -> str:
    """Text without whitespace: lines in a PDF break anywhere in Chinese text."""
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------------
# Amounts in words

@pytest.mark.parametrize(("amount", "words"), [
    ("0", "零元整"),
    ("0.5", "伍角"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("100", "壹佰元整"),
    ("1005", "壹仟零伍元整"),
    ("10000", "壹万元整"),
    ("10500.50", "壹万零伍佰元伍角"),
    ("2000000", "贰佰万元整"),
    ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    # Under one yuan: no 元.
    ("0.05", "伍分"),
    ("0.55", "伍角伍分"),
    # 角 is 0 and 分 is not: 零 after 元.
    ("1.05", "壹元零伍分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    # 元位 is 0 and 角 is not: no 零 needed.
    ("10.50", "壹拾元伍角"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    # Zeros inside a group, between groups, and at the end of a group.
    ("1010", "壹仟零壹拾元整"),
    ("1100", "壹仟壹佰元整"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("110000", "壹拾壹万元整"),
    ("1000100", "壹佰万零壹佰元整"),
    ("10000001", "壹仟万零壹元整"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100001000", "壹亿零壹仟元整"),
    ("100010000", "壹亿零壹万元整"),
    ("200", "贰佰元整"),
    ("500", "伍佰元整"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    # Trailing zeros in the Decimal do not matter.
    ("10.000", "壹拾元整"),
    ("0.10", "壹角"),
])
def test_yuan_in_words(amount, words):
    assert yuan_in_words(Decimal(amount)) == words


def test_yuan_in_words_takes_ints():
    assert yuan_in_words(1000) == "壹仟元整"


@pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("-0.01"), Decimal("0.001"),
                                    Decimal("1.005"), Decimal("NaN"), Decimal("Infinity"),
                                    Decimal("1000000000000"), 10**13])
def test_yuan_in_words_refuses_bad_amounts(amount):
    with pytest.raises(ValueError):
        yuan_in_words(amount)


@pytest.mark.parametrize("amount", [1.5, "100", True, None])
def test_yuan_in_words_refuses_other_types(amount):
    with pytest.raises(TypeError):
        yuan_in_words(amount)


_DIGIT_VALUES = {char: value for value, char in enumerate("零壹贰叁肆伍陆柒捌玖")}


def _words_to_cents(words: str) -> int:
    """Read capital numerals back (the test's own parser) as a number of fen."""
    if words == "零元整":
        return 0
    yuan_words, has_yuan, cent_words = words.partition("元")
    if not has_yuan:
        yuan_words, cent_words = "", words
    result = section = digit = 0
    for char in yuan_words:
        if char in _DIGIT_VALUES:
            digit = _DIGIT_VALUES[char]
        elif char in "拾佰仟":
            section += digit * {"拾": 10, "佰": 100, "仟": 1000}[char]
            digit = 0
        elif char == "万":
            result += (section + digit) * 10**4
            section = digit = 0
        elif char == "亿":
            result = (result + section + digit) * 10**8
            section = digit = 0
        else:  # pragma: no cover - a failing test's message
            raise AssertionError(f"unexpected {char!r} in {words}")
    result += section + digit
    cents = 0
    for match in re.finditer(r"([壹贰叁肆伍陆柒捌玖])([角分])", cent_words):
        cents += _DIGIT_VALUES[match[1]] * (10 if match[2] == "角" else 1)
    return result * 100 + cents


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_yuan_in_words_reads_back_and_follows_the_rules(total_cents):
    amount = Decimal(total_cents) / 100
    words = yuan_in_words(amount)
    assert _words_to_cents(words) == total_cents
    assert "零零" not in words
    assert not re.search("零[万亿元角分整]", words.replace("零元整", ""))
    assert words == "零元整" or not words.startswith("零")
    # 整 exactly when there are neither 角 nor 分, and only after 元.
    assert words.endswith("整") == (total_cents % 100 == 0)
    assert "角整" not in words and "分整" not in words
    # Every unit 拾佰仟 is preceded by a digit: 壹拾, never a bare 拾.
    assert not re.search("(^|[^壹贰叁肆伍陆柒捌玖])[拾佰仟]", words)


def test_format_yuan():
    assert format_yuan(Decimal("1000")) == "¥1,000.00"
    assert format_yuan(Decimal("1234567.5")) == "¥1,234,567.50"
    assert format_yuan(Decimal("0")) == "¥0.00"
    assert format_yuan(80) == "¥80.00"


# ---------------------------------------------------------------------------------------------
# Dates, document numbers, context checks

def test_dates_and_times_are_in_shanghai():
    assert format_date(dt.date(2026, 3, 5)) == "2026年3月5日"
    assert format_datetime(dt.datetime(2026, 3, 1, 6, 30, tzinfo=UTC)) == "2026年3月1日14时30分"
    # 20:05 UTC on 4 March is already 5 March in Chongqing.
    late = dt.datetime(2026, 3, 4, 20, 5, tzinfo=UTC)
    assert format_datetime(late) == "2026年3月5日4时05分"
    assert format_date(late) == "2026年3月5日"
    with pytest.raises(ValueError):
        format_datetime(dt.datetime(2026, 3, 1, 14, 30))


@pytest.mark.parametrize(("case_number", "notice", "decision"), [
    ("渝北交-2026-000123", "渝北交罚告〔2026〕123号", "渝北交罚决〔2026〕123号"),
    ("渝北交〔2026〕123号", "渝北交罚告〔2026〕123号", "渝北交罚决〔2026〕123号"),
    ("渝中交-2025-7", "渝中交罚告〔2025〕7号", "渝中交罚决〔2025〕7号"),
])
def test_document_number(case_number, notice, decision):
    assert document_number("notice", case_number) == notice
    assert document_number("decision", case_number) == decision


@pytest.mark.parametrize("case_number", ["2026-000123", "渝北交-26-1", "渝北交2026", ""])
def test_document_number_needs_the_pattern(case_number):
    with pytest.raises(DocumentContextError, match="document_number"):
        document_number("notice", case_number)


def test_document_kinds():
    assert set(DOCUMENT_KINDS) == {"notice", "decision"}
    assert DOCUMENT_KINDS["notice"].title == "行政处罚事先告知书"
    assert DOCUMENT_KINDS["decision"].title == "行政处罚决定书"
    assert DOCUMENT_KINDS["notice"].template == "enforcement/doc_notice.html"
    assert DOCUMENT_KINDS["decision"].template == "enforcement/doc_decision.html"
    with pytest.raises(TypeError):
        DOCUMENT_KINDS["other"] = DOCUMENT_KINDS["notice"]  # type: ignore[index]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"case_number": None}, "case_number"),
    ({"party": {"name": "张小明", "address": "重庆"}}, "party.id_number"),
    ({"vehicle": {"plate": ""}}, "vehicle.plate"),
    ({"occurred_at": dt.datetime(2026, 3, 1, 14, 30)}, "occurred_at"),
    ({"issued_on": "2026-03-05"}, "issued_on"),
    ({"fine": 100.0}, "fine"),
    ({"fine": Decimal("-5")}, "fine"),
    ({"fine": Decimal("10.001")}, "fine"),
    ({"confiscated": "80"}, "confiscated"),
    ({"statement_days": 0}, "statement_days"),
    ({"hearing_days": "5"}, "hearing_days"),
    ({"surcharge_rate_percent": Decimal("0")}, "surcharge_rate_percent"),
    ({"officers": []}, "officers"),
    ({"officers": [{"name": "李明"}]}, r"officers\[0\].cert_no"),
    ({"version": True}, "version"),
    ({"case_number": "第123号"}, "document_number"),
])
def test_bad_contexts_are_refused(app, overrides, message):
    with app.test_request_context(), pytest.raises(DocumentContextError, match=message):
        render_html("notice", make_context(**overrides))


def test_missing_key_is_named(app):
    context = make_context()
    del context["payment_account"]
    with app.test_request_context(), pytest.raises(DocumentContextError, match="payment_account"):
        render_html("decision", context)


def test_unknown_kind(app):
    with app.test_request_context(), pytest.raises(ValueError, match="unknown document kind"):
        render_pdf("summons", make_context())


# ---------------------------------------------------------------------------------------------
# HTML: the context's values reach the documents

def test_notice_html_takes_its_values_from_the_context(app):
    context = make_context(statement_days=7, hearing_days=10, fine=Decimal("2500.50"),
                           confiscated=None, facts="非法营运。")
    with app.test_request_context():
        html = render_html("notice", context)
    assert "7个工作日内向本机关提出陈述、申辩意见" in html
    assert "10个工作日内向本机关提出听证申请" in html
    assert "罚款人民币<span class=\"amount\">贰仟伍佰元伍角（¥2,500.50）</span>。" in html
    assert "没收" not in html
    assert "非法营运。你的上述行为" in html  # the facts' own full stop is not doubled
    assert "2026年3月1日14时30分" in html


def test_decision_html_takes_its_values_from_the_context(app):
    context = make_context(payment_days=30, surcharge_rate_percent=Decimal("1.50"),
                           reconsideration_days=90, lawsuit_months=3, confiscated=None,
                           evidence=["现场笔录", "询问笔录", "现场照片"])
    with app.test_request_context():
        html = render_html("decision", context)
    assert "收到本决定书之日起30日内，将上述罚款缴至中国工商银行重庆渝北支行" in html
    assert "每日按罚款数额的1.5%加处罚款" in html
    assert "收到本决定书之日起90日内依法申请行政复议" in html
    assert "在3个月内依法向人民法院提起行政诉讼" in html
    assert "上述事实有现场笔录、询问笔录、现场照片等证据为证" in html
    assert "没收" not in html


def test_document_number_override(app):
    with app.test_request_context():
        html = render_html("notice", make_context(case_number="CQ-YB-0001",
                                                  document_number="渝北交罚告〔2026〕88号"))
    assert "渝北交罚告〔2026〕88号" in html and "CQ-YB-0001" in html


@pytest.mark.parametrize("in_request", [True, False])
def test_text_is_escaped(app, in_request):
    party = dict(make_context()["party"], name="<b>张</b>&小明")
    with app.test_request_context() if in_request else app.app_context():
        html = render_html("notice", make_context(party=party))
    assert "<b>张</b>" not in html
    assert "&lt;b&gt;张&lt;/b&gt;&amp;小明" in html


def test_html_is_the_same_without_a_request(app):
    """A scheduled job (app context, no request) gets the very same document."""
    with app.test_request_context():
        in_request = render_html("decision", make_context())
    with app.app_context():
        without = render_html("decision", make_context())
    assert in_request == without


def test_templates_load_nothing_from_outside(app):
    for kind in DOCUMENT_KINDS:
        with app.test_request_context():
            html = render_html(kind, make_context())
        assert not re.search(r"(src|href)\s*=|url\(|@import|https?:", html), kind


# ---------------------------------------------------------------------------------------------
# PDF

@pytest.fixture(scope="module")
def pdfs(app):
    """Both documents rendered once for the module, with the URLs the fetcher was asked for."""
    fetchers = []
    real = documents.url_fetcher

    def recording(roots):
        fetcher = real(roots)
        fetchers.append(fetcher)
        return fetcher

    documents.url_fetcher = recording
    try:
        with app.test_request_context():
            rendered = {kind: render_pdf(kind, make_context()) for kind in DOCUMENT_KINDS}
    finally:
        documents.url_fetcher = real
    return {"pdf": rendered, "fetched": [url for f in fetchers for url in f.fetched]}


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def pdf_text(pdf: bytes) -> str:
    return flat("".join(page.extract_text() for page in read(pdf).pages))


def font_names(pdf: bytes) -> set[str]:
    """The /BaseFont and /FontDescriptor /FontName of every font the pages use."""
    names = set()
    for page in read(pdf).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for descendant in descendants:
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is not None:
                    descriptor = descriptor.get_object()
                    names.add(str(descriptor["/FontName"]))
                    # Embedded, not merely named.
                    assert any(key in descriptor for key in
                               ("/FontFile", "/FontFile2", "/FontFile3")), descriptor
    return names


@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_pdf_holds_the_case(pdfs, kind):
    pdf = pdfs["pdf"][kind]
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in ("渝北交-2026-000123", "张小明", "500112199001011234", "渝A12345",
                     "¥10,000.00", "壹万元整", "¥80.00", "捌拾元整", "重庆江北国际机场T3航站楼到达层",
                     "2026年3月1日14时30分", "2026年3月5日", "重庆市渝北区交通运输综合行政执法支队",
                     "《中华人民共和国道路运输条例》第六十三条", "李明", "50011200002",
                     "（印章）", DOCUMENT_KINDS[kind].title.replace(" ", "")):
        assert expected in text, (kind, expected)


def test_notice_pdf(pdfs):
    text = pdf_text(pdfs["pdf"]["notice"])
    assert "渝北交罚告〔2026〕123号" in text
    assert "收到本告知书之日起3个工作日内向本机关提出陈述、申辩意见" in text
    assert "收到本告知书之日起5个工作日内向本机关提出听证申请" in text
    assert "特此告知" in text


def test_decision_pdf(pdfs):
    text = pdf_text(pdfs["pdf"]["decision"])
    assert "渝北交罚决〔2026〕123号" in text
    assert "收到本决定书之日起15日内" in text
    assert "账号：3100021209000123456" in text
    assert "每日按罚款数额的3%加处罚款" in text
    assert "60日内依法申请行政复议" in text
    assert "6个月内依法向人民法院提起行政诉讼" in text


@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_pdf_pages_are_a4_and_numbered(pdfs, kind):
    reader = read(pdfs["pdf"][kind])
    pages = reader.pages
    assert len(pages) >= 1
    for number, page in enumerate(pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
        assert f"第{number}页共{len(pages)}页" in flat(page.extract_text())
    assert reader.metadata.title == f"{DOCUMENT_KINDS[kind].title} " + document_number(
        kind, "渝北交-2026-000123")


@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_pdf_embeds_a_noto_cjk_font(pdfs, kind):
    names = font_names(pdfs["pdf"][kind])
    assert any(re.search(r"Noto.?(Serif|Sans).?CJK", name) for name in names), (
        f"no Noto CJK font in {names}: install Debian's fonts-noto-cjk")


def test_a_render_fetches_nothing(pdfs):
    assert pdfs["fetched"] == []


def test_render_is_deterministic_and_logs_no_warning(app, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"), app.test_request_context():
        first = render_pdf("notice", make_context())
        second = render_pdf("notice", make_context())
    assert first == second
    # e.g. "Using fontTools instead of HarfBuzz-Subset": without Debian's libharfbuzz-subset0 a
    # render takes ~14 s instead of ~0.3 s.
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert warnings == []


def test_pdf_without_confiscation(app):
    with app.app_context():
        text = pdf_text(render_pdf("decision", make_context(confiscated=None)))
    assert "没收" not in text
    assert "将上述罚款缴至" in text


# ---------------------------------------------------------------------------------------------
# No fetching from outside

@pytest.fixture
def network_guard(monkeypatch):
    """Fails the test if WeasyPrint's own fetching is reached for a URL that is not local."""
    from weasyprint.urls import URLFetcher

    reached = []
    real_fetch = URLFetcher.fetch

    def guarded(self, url, headers=None):
        reached.append(url)
        assert url.startswith(("data:", "file:")), f"WeasyPrint fetched {url}"
        return real_fetch(self, url, headers)

    monkeypatch.setattr(URLFetcher, "fetch", guarded)
    return reached


@pytest.mark.parametrize("url", [
    "http://example.invalid/seal.png",
    "https://example.invalid/style.css",
    "ftp://example.invalid/x.png",
    "//example.invalid/x.png",
    "file:///etc/passwd",
    "file://otherhost/static/favicon.svg",
])
def test_outside_resources_stop_the_render(app, monkeypatch, network_guard, url):
    html = f'<html><body><p>文书</p><img src="{url}"></body></html>'
    monkeypatch.setattr(documents, "render_html", lambda kind, context: html)
    with app.test_request_context(), pytest.raises(ExternalResourceError, match="refused"):
        render_pdf("notice", make_context())
    assert network_guard == []


def test_stylesheet_imports_are_refused_too(app, monkeypatch, network_guard):
    html = ('<html><head><style>@import url("https://example.invalid/a.css");</style></head>'
            "<body>文书</body></html>")
    monkeypatch.setattr(documents, "render_html", lambda kind, context: html)
    with app.test_request_context(), pytest.raises(ExternalResourceError):
        render_pdf("notice", make_context())
    assert network_guard == []


def test_data_urls_and_static_files_are_allowed(app, monkeypatch, network_guard):
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
             "nGNgYPj/HwADAgH/eLK0WQAAAABJRU5ErkJggg==")
    html = (f'<html><body><p>文书</p><img src="{pixel}"><img src="favicon.svg">'
            "</body></html>")
    monkeypatch.setattr(documents, "render_html", lambda kind, context: html)
    with app.test_request_context():
        pdf = render_pdf("notice", make_context())
    assert pdf.startswith(b"%PDF-")
    assert len(network_guard) == 2
    assert network_guard[1].endswith("/static/favicon.svg")
