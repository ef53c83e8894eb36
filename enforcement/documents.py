"""Official case documents (行政处罚文书) rendered to PDF: pure rendering, no database.

Two documents of the general procedure (一般程序) exist:

=========  ==========================  ================================  ========
kind       title                       template                          文号代字
=========  ==========================  ================================  ========
notice     行政处罚事先告知书          enforcement/doc_notice.html       罚告
decision   行政处罚决定书              enforcement/doc_decision.html     罚决
=========  ==========================  ================================  ========

``render_pdf(kind, context)`` renders the template with Flask's ``render_template`` (so it needs an
application context; the app's Jinja environment is used; outside a request, e.g. in a scheduled
job, the template is rendered from that environment without the app's context processors) and
turns the HTML into PDF bytes with WeasyPrint. The PDF embeds the system's Noto CJK font (Debian's ``fonts-noto-cjk``), is A4 with
page numbers in the footer, and loads nothing from outside: the URL fetcher given to WeasyPrint
accepts only ``data:`` URLs and ``file:`` URLs inside the app's static folder and stops the
render (:class:`ExternalResourceError`) on anything else.

The context
-----------
A plain ``dict``; every key below is required unless marked optional. Strings are shown as given
(HTML-escaped), so they must already be formal Chinese.

``case_number`` (str)
    案号, e.g. ``"渝北交-2026-000123"``: an abbreviation of the unit (简称), the year and a serial
    number, separated by ``-``; ``"渝北交〔2026〕123号"`` is accepted too. The document number
    (文号) is built from it: ``渝北交罚告〔2026〕123号`` / ``渝北交罚决〔2026〕123号``.
``document_number`` (str, optional)
    The 文号 to print instead of the one built from ``case_number``; needed when the case
    number does not follow the pattern above (otherwise :class:`DocumentContextError`).
``unit_name`` (str)
    The issuing unit in full, e.g. ``"重庆市渝北区交通运输综合行政执法支队"``.
``issued_on`` (``datetime.date``)
    The date of the document. An aware ``datetime`` is accepted and taken in Asia/Shanghai.
``party`` (dict)
    The party (当事人): ``name``, ``id_number`` (身份证件号码), ``address`` (住址), ``phone``
    (联系电话; optional, may be empty).
``vehicle`` (dict)
    ``plate`` (号牌号码, e.g. ``"渝A12345"``), ``colour`` (车身颜色, e.g. ``"白色"``; optional),
    ``kind`` (车辆类型, e.g. ``"小型轿车"``; optional, defaults to ``"机动车"`` in sentences).
``facts`` (str)
    What happened, as a clause continuing "…驾驶号牌为渝A12345的小型轿车，": e.g.
    ``"未取得道路运输经营许可，擅自从事道路旅客运输经营，搭载乘客2名，约定收取车费80元"``.
``occurred_at`` (aware ``datetime.datetime``)
    When it happened; printed in Asia/Shanghai time, e.g. ``2026年3月1日14时30分``.
``address`` (str)
    Where it happened (违法地点).
``violation`` (dict)
    ``name`` (违法行为, e.g. ``"未取得道路运输经营许可擅自从事道路旅客运输经营"``),
    ``legal_basis`` (the provision violated, e.g. ``"《中华人民共和国道路运输条例》第十条"``),
    ``penalty_basis`` (the provision the penalty rests on, e.g.
    ``"《中华人民共和国道路运输条例》第六十三条"``). Citations only, without "的规定".
``fine`` (``Decimal``)
    The fine in yuan (≥ 0, at most two decimals), printed as ``¥10,000.00`` and ``壹万元整``.
``confiscated`` (``Decimal`` or ``None``)
    Illegal gains confiscated (没收违法所得) in yuan; ``None`` (or 0) when there are none.
``evidence`` (list of str, optional; decision only)
    The evidence listed in the decision, e.g. ``["现场笔录", "询问笔录", "现场照片"]``; when
    absent a general sentence is printed.
``statement_days`` (int)
    Working days to state and defend (陈述、申辩), counted from receipt of the notice.
``hearing_days`` (int)
    Working days to request a hearing (听证), counted from receipt of the notice.
``payment_days`` (int)
    Days to pay the fine, counted from receipt of the decision (行政处罚法 art. 67: 15).
``surcharge_rate_percent`` (``Decimal`` or int)
    Late-payment surcharge per day, in percent of the fine (行政处罚法 art. 72: 3).
``payment_account`` (str)
    Where to pay, as one phrase, e.g. ``"中国工商银行重庆渝北支行（户名：……，账号：……）"``.
``reconsideration_days`` (int)
    Days to apply for administrative reconsideration (行政复议法: 60).
``lawsuit_months`` (int)
    Months to sue before a people's court (行政诉讼法: 6).
``officers`` (list of dict)
    The officers in charge, at least one: ``name`` and ``cert_no`` (执法证号).
``version`` (int)
    The version of this document for the case (1 for the first issue), printed in the footer.

Everything is checked before rendering; a missing key or a value of the wrong type raises
:class:`DocumentContextError` (a ``ValueError``) naming the key.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, render_template

__all__ = [
    "DOCUMENT_KINDS",
    "DocumentContextError",
    "DocumentKind",
    "ExternalResourceError",
    "document_number",
    "format_date",
    "format_datetime",
    "format_yuan",
    "render_html",
    "render_pdf",
    "url_fetcher",
    "yuan_in_words",
]

TIMEZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document: its template, its title and the code (代字) in its number."""

    template: str
    title: str
    number_code: str


DOCUMENT_KINDS: Mapping[str, DocumentKind] = MappingProxyType({
    "notice": DocumentKind("enforcement/doc_notice.html", "行政处罚事先告知书", "罚告"),
    "decision": DocumentKind("enforcement/doc_decision.html", "行政处罚决定书", "罚决"),
})


class DocumentContextError(ValueError):
    """The context given to :func:`render_pdf` lacks a key or has a value of the wrong type."""


# ---------------------------------------------------------------------------------------------
# Money in words (人民币大写金额)

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")  # within a group of four digits
_GROUP_UNITS = ("", "万", "亿")  # groups of four digits, from the lowest
_CENT = Decimal("0.01")
_LIMIT = Decimal(10) ** (4 * len(_GROUP_UNITS))  # 1 万亿: larger amounts are refused


def _group_in_words(value: int) -> str:
    """0 < value < 10000 in capital numerals, e.g. 1005 → 壹仟零伍, 10 → 壹拾."""
    digits = f"{value:04d}"
    out: list[str] = []
    zero_pending = False
    for position, char in enumerate(digits):
        digit = int(char)
        if digit == 0:
            zero_pending = bool(out)  # a zero only between non-zero digits of the group
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[3 - position])
    return "".join(out)


def yuan_in_words(amount: Decimal | int) -> str:
    """An amount of yuan in Chinese capital numerals (大写), as written on financial documents.

    The rules are those of the People's Bank of China for writing amounts (《支付结算办法》附件
    《正确填写票据和结算凭证的基本规定》):

    * digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿 and 元角分; ``10`` is 壹拾, never bare 拾;
    * an amount with no 角 and no 分 ends in 元整 (``0`` is 零元整); after 角 or 分 no 整;
    * one 零 stands for a run of zeros between non-zero digits (1005 → 壹仟零伍元整,
      10500 → 壹万零伍佰元整, 100000001 → 壹亿零壹元整); no 零 is written when the zeros end a
      group before 万 or 亿 and the next group begins with a non-zero digit
      (107000 → 壹拾万柒仟元整);
    * 角 is 0 and 分 is not: 元 is followed by 零 (1.05 → 壹元零伍分); when 元位 is 0 and 角 is
      not, no 零 (10.50 → 壹拾元伍角);
    * under one yuan there is no 元 (0.50 → 伍角, 0.05 → 伍分).

    ``amount`` is a ``Decimal`` (or an ``int``) of at most two decimals, ≥ 0 and below one 万亿;
    anything else raises ``ValueError`` (``TypeError`` for floats, whose binary value is not the
    amount written).
    """
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"amount must be a Decimal or an int, not {type(amount).__name__}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"amount must be finite, not {amount}")
    if amount < 0:
        raise ValueError(f"amount must not be negative: {amount}")
    if amount >= _LIMIT:
        raise ValueError(f"amount too large: {amount}")
    try:
        cents_value = amount.quantize(_CENT)
    except InvalidOperation as exc:  # pragma: no cover - bounded by _LIMIT above
        raise ValueError(f"amount cannot be quantized: {amount}") from exc
    if cents_value != amount:
        raise ValueError(f"amount has more than two decimals: {amount}")

    total_cents = int(cents_value * 100)
    yuan, cents = divmod(total_cents, 100)
    jiao, fen = divmod(cents, 10)

    parts: list[str] = []
    if yuan:
        groups: list[int] = []
        rest = yuan
        while rest:
            rest, group = divmod(rest, 10000)
            groups.append(group)
        # From the highest group down.
        zero_pending = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                zero_pending = True  # a whole group of zeros below a non-zero one
                continue
            higher_written = bool(parts)
            if higher_written and (zero_pending or group < 1000):
                parts.append("零")
            parts.append(_group_in_words(group) + _GROUP_UNITS[index])
            zero_pending = False
        parts.append("元")
    if not cents:
        return ("".join(parts) or "零元") + "整"
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif yuan:
        parts.append("零")
    if fen:
        parts.append(_DIGITS[fen] + "分")
    return "".join(parts)


def format_yuan(amount: Decimal | int) -> str:
    """An amount in figures: ``Decimal("1000")`` → ``¥1,000.00``."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"amount must be a Decimal or an int, not {type(amount).__name__}")
    return f"¥{Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"


def _format_percent(value: Decimal | int) -> str:
    """``Decimal("3")`` → ``3%``, ``Decimal("1.50")`` → ``1.5%``."""
    text = format(Decimal(value).normalize(), "f")
    return f"{text}%"


# ---------------------------------------------------------------------------------------------
# Dates and times

def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a naive datetime cannot be placed in Asia/Shanghai time")
    return value.astimezone(TIMEZONE)


def format_date(value: dt.date) -> str:
    """``date(2026, 3, 5)`` → ``2026年3月5日`` (an aware datetime is taken in Asia/Shanghai)."""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def format_datetime(value: dt.datetime) -> str:
    """An aware datetime in Asia/Shanghai time: ``2026年3月1日14时30分``."""
    local = _local(value)
    return f"{format_date(local.date())}{local.hour}时{local.minute:02d}分"


# ---------------------------------------------------------------------------------------------
# Document number (文号)

_CASE_NUMBER_RE = re.compile(
    r"^\s*(?P<prefix>[^\d\s\-〔〕\[\]()（）]+?)\s*[-〔\[(（]\s*(?P<year>\d{4})\s*[-〕\])）]\s*"
    r"(?P<serial>\d{1,8})\s*号?\s*$"
)


def document_number(kind: str, case_number: str) -> str:
    """The document number built from a case number.

    ``document_number("notice", "渝北交-2026-000123")`` → ``渝北交罚告〔2026〕123号``;
    ``"渝北交〔2026〕123号"`` gives the same. Raises :class:`DocumentContextError` when the case
    number does not have the form 简称-年份-序号.
    """
    spec = _kind(kind)
    match = _CASE_NUMBER_RE.match(case_number or "")
    if not match:
        raise DocumentContextError(
            f"case_number {case_number!r} is not of the form 简称-年份-序号 (e.g. 渝北交-2026-000123);"
            " give document_number in the context"
        )
    return (f"{match['prefix']}{spec.number_code}〔{match['year']}〕"
            f"{int(match['serial'])}号")


# ---------------------------------------------------------------------------------------------
# Context checks

def _kind(kind: str) -> DocumentKind:
    try:
        return DOCUMENT_KINDS[kind]
    except KeyError:
        raise ValueError(
            f"unknown document kind {kind!r}; expected one of {sorted(DOCUMENT_KINDS)}"
        ) from None


def _require(mapping: Mapping[str, Any], key: str, types: type | tuple[type, ...], where: str = "",
             *, optional: bool = False, non_empty: bool = True) -> Any:
    name = f"{where}{key}"
    if not isinstance(mapping, Mapping):
        raise DocumentContextError(f"{where.rstrip('.')} must be a mapping")
    if key not in mapping or mapping[key] is None:
        if optional:
            return None
        raise DocumentContextError(f"context is missing {name}")
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, types):
        expected = types.__name__ if isinstance(types, type) else " or ".join(
            t.__name__ for t in types)
        raise DocumentContextError(f"{name} must be {expected}, not {type(value).__name__}")
    if non_empty and isinstance(value, str) and not value.strip():
        if optional:
            return None
        raise DocumentContextError(f"{name} must not be empty")
    return value


def _require_amount(context: Mapping[str, Any], key: str, *, optional: bool = False):
    value = _require(context, key, (Decimal, int), optional=optional)
    if value is None:
        return None
    if not Decimal(value).is_finite() or value < 0:
        raise DocumentContextError(f"{key} must be a non-negative amount, not {value}")
    try:
        yuan_in_words(value)
    except ValueError as exc:
        raise DocumentContextError(f"{key}: {exc}") from None
    return Decimal(value)


def _require_count(context: Mapping[str, Any], key: str) -> int:
    value = _require(context, key, int)
    if value <= 0:
        raise DocumentContextError(f"{key} must be a positive number, not {value}")
    return value


def _prepare(kind: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Check the context and return the values the templates print, already formatted."""
    spec = _kind(kind)
    if not isinstance(context, Mapping):
        raise DocumentContextError("context must be a mapping")

    case_number = _require(context, "case_number", str)
    number = _require(context, "document_number", str, optional=True)
    unit_name = _require(context, "unit_name", str)
    issued_on = _require(context, "issued_on", dt.date)
    if isinstance(issued_on, dt.datetime) and issued_on.utcoffset() is None:
        raise DocumentContextError("issued_on must be a date (or an aware datetime)")

    party_in = _require(context, "party", Mapping)
    party = {
        "name": _require(party_in, "name", str, "party."),
        "id_number": _require(party_in, "id_number", str, "party."),
        "address": _require(party_in, "address", str, "party."),
        "phone": _require(party_in, "phone", str, "party.", optional=True) or "",
    }
    vehicle_in = _require(context, "vehicle", Mapping)
    vehicle = {
        "plate": _require(vehicle_in, "plate", str, "vehicle."),
        "colour": _require(vehicle_in, "colour", str, "vehicle.", optional=True) or "",
        "kind": _require(vehicle_in, "kind", str, "vehicle.", optional=True) or "",
    }
    facts = _require(context, "facts", str).strip().rstrip("。；;，,")
    occurred_at = _require(context, "occurred_at", dt.datetime)
    if occurred_at.utcoffset() is None:
        raise DocumentContextError("occurred_at must be an aware datetime")
    address = _require(context, "address", str)
    violation_in = _require(context, "violation", Mapping)
    violation = {key: _require(violation_in, key, str, "violation.")
                 for key in ("name", "legal_basis", "penalty_basis")}

    fine = _require_amount(context, "fine")
    confiscated = _require_amount(context, "confiscated", optional=True)
    if confiscated is not None and confiscated == 0:
        confiscated = None
    evidence = _require(context, "evidence", (list, tuple), optional=True) or []
    if not all(isinstance(item, str) and item.strip() for item in evidence):
        raise DocumentContextError("evidence must be a list of non-empty strings")

    counts = {key: _require_count(context, key) for key in (
        "statement_days", "hearing_days", "payment_days", "reconsideration_days",
        "lawsuit_months")}
    rate = _require(context, "surcharge_rate_percent", (Decimal, int))
    if not Decimal(rate).is_finite() or not 0 < rate <= 100:
        raise DocumentContextError(f"surcharge_rate_percent must be in (0, 100], not {rate}")
    payment_account = _require(context, "payment_account", str)

    officers_in = _require(context, "officers", (list, tuple))
    if not officers_in:
        raise DocumentContextError("officers must name at least one officer")
    officers = [{"name": _require(officer, "name", str, f"officers[{i}]."),
                 "cert_no": _require(officer, "cert_no", str, f"officers[{i}].")}
                for i, officer in enumerate(officers_in)]
    version = _require_count(context, "version")

    return {
        "kind": kind,
        "title": spec.title,
        "number": number or document_number(kind, case_number),
        "case_number": case_number,
        "unit_name": unit_name,
        "issued_on": format_date(issued_on),
        "issued_on_iso": (issued_on.date() if isinstance(issued_on, dt.datetime)
                          else issued_on).isoformat(),
        "party": party,
        "vehicle": vehicle,
        "facts": facts,
        "occurred_at": format_datetime(occurred_at),
        "address": address,
        "violation": violation,
        "fine": fine,
        "fine_figures": format_yuan(fine),
        "fine_words": yuan_in_words(fine),
        "confiscated": confiscated,
        "confiscated_figures": format_yuan(confiscated) if confiscated is not None else "",
        "confiscated_words": yuan_in_words(confiscated) if confiscated is not None else "",
        "evidence": list(evidence),
        **counts,
        "surcharge_rate": _format_percent(rate),
        "payment_account": payment_account,
        "officers": officers,
        "version": version,
    }


# ---------------------------------------------------------------------------------------------
# Rendering

class ExternalResourceError(RuntimeError):
    """A document referred to a resource outside the allowed ones (an http URL, a file elsewhere)."""


@functools.cache
def _weasyprint():
    """WeasyPrint and the local-only URL fetcher class, imported on first use: importing
    WeasyPrint loads Pango and takes about a second, which app start-up should not pay."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class RefusedURL(FatalURLFetchingError):
        """Stops the render (WeasyPrint would log and skip an ordinary exception);
        :func:`render_pdf` turns it into :class:`ExternalResourceError`."""

    class LocalOnlyURLFetcher(URLFetcher):
        """Fetches ``data:`` URLs and ``file:`` URLs under the given folders; refuses anything
        else (http, https, ftp, other files) by stopping the render. ``fetched`` lists the URLs
        it was asked for."""

        def __init__(self, roots):
            super().__init__(allowed_protocols=("data", "file"), fail_on_errors=True)
            self._roots = [Path(root).resolve() for root in roots]
            self.fetched: list[str] = []

        def allowed(self, url: str) -> bool:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return True
            if scheme != "file" or parts.netloc not in ("", "localhost"):
                return False
            path = Path(unquote(parts.path)).resolve()
            return any(path.is_relative_to(root) for root in self._roots)

        def fetch(self, url, headers=None):
            self.fetched.append(url)
            if not self.allowed(url):
                raise RefusedURL(f"document resource refused: {url[:200]}")
            return super().fetch(url, headers)

    return weasyprint, LocalOnlyURLFetcher, RefusedURL


def url_fetcher(roots: list[Path]):
    """A WeasyPrint URL fetcher that allows only ``data:`` URLs and files under ``roots``."""
    return _weasyprint()[1](roots)


def _static_root() -> Path:
    return Path(current_app.static_folder or Path(current_app.root_path) / "static")


def render_html(kind: str, context: Mapping[str, Any]) -> str:
    """The document's HTML (the same that :func:`render_pdf` prints). Needs an app context.

    In a request, Flask's ``render_template`` renders it (template signals and all). Without a
    request (a scheduled job, a CLI command) the app's context processors cannot run — they read
    the logged-in user — so the template is rendered straight from the app's Jinja environment;
    the documents use none of the processors' variables, so the output is the same.
    """
    doc = _prepare(kind, context)
    template = DOCUMENT_KINDS[kind].template
    if has_request_context():
        return render_template(template, doc=doc)
    return current_app.jinja_env.get_template(template).render(doc=doc)


def render_pdf(kind: str, context: Mapping[str, Any]) -> bytes:
    """Render the document ``kind`` (``"notice"`` or ``"decision"``) for ``context`` to PDF bytes.

    Needs a Flask application context. Raises ``ValueError`` for an unknown kind,
    :class:`DocumentContextError` for a bad context and :class:`ExternalResourceError` when the
    template refers to anything outside ``data:`` URLs and the app's static folder.
    """
    html = render_html(kind, context)
    weasyprint, _, refused = _weasyprint()
    static_root = _static_root()
    try:
        document = weasyprint.HTML(string=html, base_url=static_root.as_uri() + "/",
                                   url_fetcher=url_fetcher([static_root]))
        return document.write_pdf()
    except refused as exc:
        raise ExternalResourceError(str(exc)) from None
