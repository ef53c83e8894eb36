"""The import's own .xlsx row reader gives exactly what openpyxl's read-only ``iter_rows`` gives:
on generated workbooks of every kind of cell (shared and inline strings, numbers, dates, times,
durations, booleans, errors, formulas, gaps) and on hand-written sheet XML (rows and cells
without positions, rows out of the stated dimension, rich and phonetic text, 1904 dates)."""
from __future__ import annotations

import datetime as dt
import re
import tempfile
import warnings
import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from enforcement.cases.import_xlsx import open_workbook, sheet_values


def _both(path: Path) -> tuple[list, list]:
    """(openpyxl's rows and warnings, ours) of the first worksheet; the sheets' stated
    dimensions, titles and states alike."""
    out = []
    for reader in ("openpyxl", "ours"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="openpyxl")
            workbook = (load_workbook(path, read_only=True, data_only=True)
                        if reader == "openpyxl" else open_workbook(path))
        out.append([(s.title, s.sheet_state, s.min_row, s.min_column, s.max_row, s.max_column)
                    for s in workbook.worksheets])
        sheet = workbook.worksheets[0]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = list(sheet.iter_rows(values_only=True) if reader == "openpyxl" else
                        sheet_values(workbook, sheet))
        out.append((rows, [str(w.message) for w in caught]))
        workbook.close()
    assert out[0] == out[2]
    return out[1], out[3]


SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
INLINE = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', re.S)


def _rewrite(path: Path, sheet_xml=None, shared: bool = False) -> None:
    """Replace the first sheet's XML, and/or move its inline strings to a shared-strings part
    (as Excel saves them; openpyxl writes inline strings only)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = sheet_xml or parts["xl/worksheets/sheet1.xml"].decode()
    if shared:
        strings: list[str] = []

        def to_shared(match):
            strings.append(match.group(3))
            return f'<c {match.group(1)}t="s"{match.group(2)}><v>{len(strings) - 1}</v></c>'

        sheet = INLINE.sub(to_shared, sheet)
        namespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        parts["xl/sharedStrings.xml"] = (
            f'<sst xmlns="{namespace}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si>{s}</si>" for s in strings) + "</sst>").encode()
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                         f'ContentType="{SHARED_TYPE}"/></Types>'.encode())
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", f'<Relationship Id="rIdShared" Type="{SHARED_REL}" '
                                 f'Target="sharedStrings.xml"/></Relationships>'.encode())
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "time": "hh:mm:ss",
           "duration": "[h]:mm:ss", "money": "#,##0.00", "percent": "0%"}
moments = st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2099, 12, 31))
values = st.one_of(
    st.none(), st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12), st.sampled_from(["渝A12345", " 张三 ", "", "=1+2", "#N/A"]),
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.booleans(),
    moments.map(lambda m: m.replace(microsecond=0)), st.dates(min_value=dt.date(1900, 3, 1)),
    st.sampled_from([dt.time(18, 30), dt.timedelta(hours=30, minutes=5)]))
sheets = st.lists(st.lists(st.tuples(values, st.sampled_from([None, *FORMATS])), max_size=8),
                  max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=sheets, write_only=st.booleans(), shared=st.booleans())
def test_generated_workbooks_read_alike(rows, write_only, shared):
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    if write_only:
        from openpyxl.cell import WriteOnlyCell

        for row in rows:
            cells = []
            for value, fmt in row:
                cell = WriteOnlyCell(sheet, value=value)
                if fmt:
                    cell.number_format = FORMATS[fmt]
                cells.append(cell)
            sheet.append(cells)
    else:
        for r, row in enumerate(rows, start=1):
            for c, (value, fmt) in enumerate(row, start=1):
                if value is None and fmt is None:
                    continue  # a real gap
                cell = sheet.cell(row=r, column=c, value=value)
                if fmt:
                    cell.number_format = FORMATS[fmt]
    second = workbook.create_sheet("第二")  # its dimension is read alike too
    second.append(["x", 1])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.xlsx"
        workbook.save(path)
        if shared:
            _rewrite(path, shared=True)
        theirs, ours = _both(path)
    assert ours == theirs


SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}
<sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>外部编号</t></is></c><c r="C1" t="inlineStr"><is>
  <r><t>共</t></r><r><t>享</t></r><rPh sb="0" eb="1"><t>x</t></rPh></is></c></row>
<row><c t="inlineStr"><is><t xml:space="preserve"> R-1 </t></is></c><c><v>12345</v></c>
  <c t="b"><v>1</v></c><c t="e"><v>#DIV/0!</v></c><c t="str"><v>文本</v></c></row>
<row r="5"><c r="B5" t="inlineStr"><is><r><t>渝A</t></r><r><rPr><b/></rPr><t>12345</t></r>
  <rPh sb="0" eb="1"><t>ユ</t></rPh></is></c><c r="D5" t="d"><v>2024-05-01T18:30:00</v></c>
  <c r="E5" s="1"><v>45413.5</v></c><c r="F5"><v>1.5E3</v></c><c r="G5" t="inlineStr"/>
  <c r="H5" t="s"/></row>
<row r="4"><c r="A4"><v>7</v></c></row>
<row r="7"/>
<row r="9"><c r="A9" t="inlineStr"><is><t>beyond?</t></is></c></row>
</sheetData></worksheet>"""


def _hand_written(path: Path, dimension: str, date1904: bool, shared: bool) -> Path:
    """An openpyxl workbook (with a date style) with its sheet XML replaced."""
    workbook = Workbook()
    sheet = workbook.active
    sheet["A2"] = dt.datetime(2024, 5, 1)
    sheet["A2"].number_format = "yyyy-mm-dd hh:mm"
    if date1904:
        workbook.epoch = dt.datetime(1904, 1, 1)
    workbook.save(path)
    _rewrite(path, SHEET.format(dimension=dimension), shared=shared)
    return path


def test_hand_written_sheet_xml_reads_alike(tmp_path):
    cases = [("", False, False), ('<dimension ref="A1:H7"/>', False, True),
             ('<dimension ref="B2:C3"/>', True, False), ('<dimension ref="A1:Z20"/>', False, True)]
    for n, (dimension, date1904, shared) in enumerate(cases):
        path = _hand_written(tmp_path / f"hand{n}.xlsx", dimension, date1904, shared)

        theirs, ours = _both(path)

        assert ours == theirs, dimension
        rows = ours[0]
        assert rows[0][:3] == ("外部编号", None, "共享")
        if dimension != '<dimension ref="B2:C3"/>':
            assert rows[1][0] == " R-1 " and "渝A12345" in rows[4]


def test_dimension_after_the_cells_is_not_stated_either(tmp_path):
    xml = SHEET.format(dimension="").replace("</sheetData>",
                                             '</sheetData><dimension ref="A1:B2"/>')
    path = tmp_path / "late.xlsx"
    Workbook().save(path)
    _rewrite(path, xml)

    theirs, ours = _both(path)

    assert ours == theirs and len(ours[0]) == 9  # not cut at row 2


def test_open_workbook_reads_only_the_head_of_a_sheet(tmp_path):
    """A sheet that states no dimension is not parsed through when the workbook opens (openpyxl
    does, and so refuses broken cells before the first row); they fail when read."""
    path = tmp_path / "broken.xlsx"
    Workbook().save(path)
    _rewrite(path, SHEET.format(dimension="").replace("</row>\n<row r=\"4\">", "<row r=4>"))

    workbook = open_workbook(path)

    sheet = workbook.worksheets[0]
    assert (sheet.max_row, sheet.max_column) == (None, None)
    rows = sheet_values(workbook, sheet)
    assert next(rows)[0] == "外部编号"
    with pytest.raises(ParseError):
        list(rows)
    workbook.close()
