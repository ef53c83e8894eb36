"""Bulk import of cases: the form's rules row by row, a report of what failed, idempotent."""
from __future__ import annotations

import csv
import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.roles import Role
from enforcement.cases import importer, services
from enforcement.cases.cli import import_cli
from enforcement.cases.models import Case, CaseCounter, CaseOrigin, CaseStatus
from enforcement.violations.seed import seed_violation_types
from tests.factories import UserFactory

ZH = ["外部编号", "单位编码", "发生时间", "地点", "纬度", "经度", "违法类型", "车牌", "车牌颜色",
      "当事人", "身份证号", "电话", "事实", "执法人员"]
EN = ["external_ref", "unit", "occurred_at", "address", "lat", "lng", "violation", "plate",
      "plate_colour", "party_name", "id_number", "phone", "facts", "officers"]


def _id(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


GOOD_ID = _id("50011219850312123")
OTHER_ID = _id("51010419920705456")
BAD_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")


@pytest.fixture
def world(db, tree):
    seed_violation_types()
    team = tree["north_team"]
    a = UserFactory(username="liu.yang", role=Role.officer, unit=team)
    b = UserFactory(username="yang.fan", role=Role.officer, unit=team)
    c = UserFactory(username="zheng.hao", role=Role.officer, unit=tree["centre_team"])
    d = UserFactory(username="wu.ting", role=Role.officer, unit=tree["centre_team"])
    return {"team": team, "officers": [a, b, c, d], "tree": tree}


def _when(days_ago: int = 2) -> dt.datetime:
    return (dt.datetime.now() - dt.timedelta(days=days_ago)).replace(microsecond=0, second=0)


def _rows():
    """Two good rows, then one bad row per rule (row numbers 2 … 9 in the sheet)."""
    good = [
        ["R-001", "500112-JT01", _when(3), "重庆北站南广场", 29.6106, 106.5513, "FY-KY",
         "渝a·12345", "蓝", "张三", GOOD_ID, "13800138000", "揽客前往江北机场",
         "liu.yang、yang.fan"],
        ["R-002", "500103-JT01", _when(1), "解放碑步行街", None, None,
         "未取得出租汽车经营许可擅自从事出租汽车经营", "渝B7K123", "blue", "李四", OTHER_ID,
         "023-63891234", "巡游揽客", "zheng.hao,wu.ting"],
    ]
    bad = [
        ("plate", ["R-003", "500112-JT01", _when(), "龙头寺", None, None, "FY-KY", "XX123", "",
                   "王五", "", "", "", "liu.yang,yang.fan"]),
        ("id_number", ["R-004", "500112-JT01", _when(), "龙头寺", None, None, "FY-KY",
                       "渝A54321", "", "赵六", BAD_ID, "", "", "liu.yang,yang.fan"]),
        ("occurred_at", ["R-005", "500112-JT01", _when(-2), "龙头寺", None, None, "FY-KY",
                         "渝A54322", "", "孙七", "", "", "", "liu.yang,yang.fan"]),
        ("violation", ["R-006", "500112-JT01", _when(), "龙头寺", None, None, "XX-99",
                       "渝A54323", "", "周八", "", "", "", "liu.yang,yang.fan"]),
        ("unit", ["R-007", "509999-JT01", _when(), "龙头寺", None, None, "FY-KY", "渝A54324",
                  "", "吴九", "", "", "", "liu.yang,yang.fan"]),
        ("officers", ["R-008", "500112-JT01", _when(), "龙头寺", None, None, "FY-KY",
                      "渝A54325", "", "郑十", "", "", "", "liu.yang,nobody"]),
    ]
    return good, bad


def write_xlsx(path, header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path, header, rows, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else
                             v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else v
                             for v in row])
    return path


def _imported(db):
    return db.session.scalars(select(Case).where(Case.origin_ref.like("import:%"))
                              .order_by(Case.id)).all()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_good_rows_created_bad_rows_reported_rerun_changes_nothing(world, db, tmp_path, kind):
    good, bad = _rows()
    rows = good + [row for _field, row in bad]
    path = (write_xlsx(tmp_path / "cases.xlsx", ZH, rows) if kind == "xlsx" else
            write_csv(tmp_path / "cases.csv", EN, rows))

    report = importer.import_cases(path)

    assert (report.rows, report.created, report.skipped, report.error_rows) == (8, 2, 0, 6)
    assert not report.ok
    reported = {(e.row, e.field) for e in report.errors}
    assert reported == {(4 + i, field) for i, (field, _row) in enumerate(bad)}
    assert all(e.message for e in report.errors)
    cases = _imported(db)
    assert [c.origin_ref for c in cases] == ["import:R-001", "import:R-002"]
    first, second = cases
    assert first.status is CaseStatus.draft and first.origin is CaseOrigin.transfer
    assert first.unit.code == "500112-JT01" and second.unit.code == "500103-JT01"
    assert first.vehicles[0].vehicle.plate == "渝A12345"
    assert first.parties[0].person.id_number == GOOD_ID
    assert first.violation_type.code == "FY-KY" and second.violation_type.code == "FY-CZ"
    assert [o.user.username for o in first.officers] == ["liu.yang", "yang.fan"]
    assert first.created_by.username == "liu.yang"
    assert (first.lat, first.lng) == (29.6106, 106.5513) and second.lat is None
    # a refused row leaves no number behind: the two numbers issued are 1 in each unit
    year = services.today_local().year
    assert first.number.endswith(f"-{year}-000001") and second.number.endswith("-000001")
    assert db.session.scalar(select(func.sum(CaseCounter.last_seq))) == 2
    # the error report beside the file
    assert report.error_report == path.with_suffix(".errors.csv")
    with report.error_report.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert len(lines) == 1 + 6 and lines[1][0] == "4" and lines[1][1] == "plate"

    again = importer.import_cases(path)

    assert (again.created, again.skipped, again.error_rows) == (0, 2, 6)
    assert len(_imported(db)) == 2
    assert db.session.scalar(select(func.sum(CaseCounter.last_seq))) == 2


def test_fixed_file_imports_the_rest_and_drops_the_old_report(world, db, tmp_path):
    good, bad = _rows()
    path = write_xlsx(tmp_path / "batch.xlsx", ZH, good + [bad[0][1]])
    assert importer.import_cases(path).error_rows == 1
    assert path.with_suffix(".errors.csv").exists()
    fixed = bad[0][1][:7] + ["渝A99999"] + bad[0][1][8:]
    write_xlsx(path, ZH, good + [fixed])

    report = importer.import_cases(path)

    assert (report.created, report.skipped, report.error_rows) == (1, 2, 0)
    assert report.ok and report.error_report is None
    assert not path.with_suffix(".errors.csv").exists()


def test_headers_in_either_language_gbk_csv_and_blank_lines(world, db, tmp_path):
    good, _bad = _rows()
    header = [f"{zh}/{en}" for zh, en in zip(ZH, EN)]
    path = write_csv(tmp_path / "gbk.csv", header, [good[0], [""] * len(header), good[1]],
                     encoding="gb18030")

    report = importer.import_cases(path)

    assert (report.rows, report.created, report.error_rows) == (2, 2, 0)


def test_duplicate_reference_in_one_file_is_imported_once(world, db, tmp_path):
    good, _bad = _rows()
    path = write_xlsx(tmp_path / "dup.xlsx", EN, [good[0], good[0]])
    report = importer.import_cases(path)
    assert (report.created, report.skipped) == (1, 1)


def test_unit_outside_the_importing_users_area_is_unknown(world, db, tmp_path):
    good, _bad = _rows()
    path = write_xlsx(tmp_path / "scope.xlsx", EN, good)
    north_office = UserFactory(role=Role.district_office, unit=world["tree"]["north"])

    report = importer.import_cases(path, actor=north_office)

    assert (report.created, report.error_rows) == (1, 1)
    assert [(e.row, e.field) for e in report.errors] == [(3, "unit")]


def test_custom_unit_column(world, db, tmp_path):
    good, _bad = _rows()
    header = [("办案单位" if h == "unit" else h) for h in EN]
    path = write_xlsx(tmp_path / "custom.xlsx", header, good)
    with pytest.raises(importer.ImportFileError):
        importer.import_cases(path)
    assert importer.import_cases(path, unit_code_column="办案单位").created == 2


def test_cli_exit_codes(world, db, runner, tmp_path):
    good, bad = _rows()
    clean = write_xlsx(tmp_path / "clean.xlsx", ZH, good)
    result = runner.invoke(import_cli, ["cases", str(clean)])
    assert result.exit_code == 0, result.output
    assert "created 2" in result.output and "with errors 0" in result.output

    again = runner.invoke(import_cli, ["cases", str(clean)])
    assert again.exit_code == 0 and "skipped as already imported 2" in again.output

    mixed = write_csv(tmp_path / "mixed.csv", EN, [bad[0][1], bad[4][1], good[0]])
    result = runner.invoke(import_cli, ["cases", str(mixed)])
    assert result.exit_code == 1
    assert "created 0" in result.output and "with errors 2" in result.output
    assert str(mixed.with_suffix(".errors.csv")) in result.output
    assert "row 2" in result.output and "row 3" in result.output


# What the message names (in English or Chinese): the file, its type or the missing columns.
@pytest.mark.parametrize("name, content, message", [
    ("renamed.csv", None, "renamed.csv"),
    ("garbage.xlsx", b"\x00\x01 this is not a workbook \xff" * 50, "garbage.xlsx"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
    ("cases.txt", b"external_ref,unit\n", ".txt"),
    ("empty.csv", b"", "empty.csv"),
    ("noheader.csv", "车牌,当事人\n渝A12345,张三\n".encode(), "external_ref"),
    ("binary.csv", bytes(range(256)) * 20, "binary.csv"),
])
def test_unreadable_files_exit_2_with_a_clear_message(world, db, runner, tmp_path, name,
                                                      content, message):
    path = tmp_path / name
    if content is None:  # an .xlsx workbook renamed .csv
        good, _bad = _rows()
        write_xlsx(tmp_path / "real.xlsx", ZH, good).rename(path)
    else:
        path.write_bytes(content)

    result = runner.invoke(import_cli, ["cases", str(path)])

    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and message in result.output
    assert not _imported(db)


def test_missing_file_exits_2(world, runner, tmp_path):
    result = runner.invoke(import_cli, ["cases", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "Error" in result.output


def test_xlsx_with_broken_cells_exits_2(world, db, runner, tmp_path):
    """A sheet whose XML breaks after some rows (no stated dimension: the workbook opens, the
    break is met while reading) is refused with the file's name like any unreadable file."""
    good, _bad = _rows()
    path = tmp_path / "broken.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in [ZH, *good]:
        sheet.append(row)
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet_name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet_name] = parts[sheet_name].replace(b"</sheetData>", b"<row r=4></sheetData>")
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)

    result = runner.invoke(import_cli, ["cases", str(path)])

    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and "broken.xlsx" in result.output
