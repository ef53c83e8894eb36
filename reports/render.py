"""The monthly report's three files from the same collected sections: HTML (the archived page,
styled by static/css/report.css), PDF (WeasyPrint, CJK fonts, local resources only) and XLSX
(one sheet per section)."""
from __future__ import annotations

import base64
import datetime as dt
import io

from flask import current_app
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font

from core.exports import neutralise
from enforcement import documents
from reports.monthly import LOCAL, Period

TEMPLATE = "reports/monthly_report.html"


def html(period: Period, sections: list[dict], *, built_at: dt.datetime, for_print: bool) -> str:
    """The report page; the print variant links the stylesheet relative to the static folder
    (WeasyPrint's base), the page variant by its URL path."""
    template = current_app.jinja_env.get_template(TEMPLATE)
    chart = _chart_image if for_print else _inline_chart
    return template.render(
        period=period, sections=[dict(s, charts=[chart(c) for c in s["charts"]])
                                 for s in sections],
        built_at=built_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M"), for_print=for_print,
        css="css/report.css" if for_print else "/static/css/report.css")


def _inline_chart(svg: str) -> Markup:
    # the charts are SVG built by reports.charts, every text in them escaped there
    return Markup(svg)  # noqa: S704


def _chart_image(svg: str) -> Markup:
    """The chart as an ``<img>`` of a ``data:`` URL for the print variant: WeasyPrint reads an
    SVG image with its XML parser, an inline one with its much slower HTML5 parser (about a
    second for the hotspot map of a busy month); the picture is the same."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img src="data:image/svg+xml;base64,{}" alt="">'
                  ).format(data)


def pdf(page: str) -> bytes:
    """The print variant rendered by WeasyPrint with the documents' local-only URL fetcher."""
    weasyprint, _fetcher, refused = documents._weasyprint()
    static_root = documents._static_root()
    try:
        return weasyprint.HTML(string=page, base_url=static_root.as_uri() + "/",
                               url_fetcher=documents.url_fetcher([static_root])).write_pdf()
    except refused as exc:
        raise documents.ExternalResourceError(str(exc)) from None


def xlsx(period: Period, sections: list[dict], *, built_at: dt.datetime) -> bytes:
    """One sheet per section: its tables one under the other, each with a bold title."""
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for sec in sections:
        ws = wb.create_sheet(title=sec["title"][:31])
        ws.append([neutralise(f"{period.month} {sec['title']}")])
        ws.cell(row=1, column=1).font = bold
        for table in sec["tables"]:
            ws.append([])
            ws.append([neutralise(table["title"])])
            ws.cell(row=ws.max_row, column=1).font = bold
            ws.append([neutralise(h) for h in table["headers"]])
            for cell in ws[ws.max_row]:
                cell.font = bold
            for row in table["rows"]:
                ws.append([neutralise(v) for v in row])
        for note in sec["notes"]:
            ws.append([neutralise(note)])
    wb.properties.created = built_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
