"""The bulk import path: batches mixing good and bad rows, the registry found once per batch,
numbers from blocks beside concurrent ``create_case``, and a row imported exactly as the
service would have created it."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select, text

from core import audit
from core import services as core_services
from core.audit import AuditLog
from core.models import Unit, User
from core.roles import Role
from enforcement.cases import importer, services
from enforcement.cases.models import (
    Case,
    CaseCounter,
    CaseOfficer,
    CaseParty,
    CaseStep,
    CaseVehicle,
)
from enforcement.people.models import Person, PlateColour, Vehicle, VehicleKind
from enforcement.violations.seed import seed_violation_types
from extensions import db as _db
from tests.factories import PASSWORD, UserFactory
from tests.test_case_import import (
    BAD_ID,
    EN,
    GOOD_ID,
    OTHER_ID,
    _id,
    write_csv,
    write_xlsx,
)
from tests.test_case_numbering import north_team

THIRD_ID = _id("50010319780815246")


@pytest.fixture
def world(db, tree):
    """As in test_case_import: two officers in the north team, two in the centre team."""
    seed_violation_types()
    team = tree["north_team"]
    officers = [UserFactory(username=name, role=Role.officer, unit=unit) for name, unit in (
        ("liu.yang", team), ("yang.fan", team), ("zheng.hao", tree["centre_team"]),
        ("wu.ting", tree["centre_team"]))]
    return {"team": team, "officers": officers, "tree": tree}


def _when(days_ago: int = 2) -> dt.datetime:
    return (dt.datetime.now() - dt.timedelta(days=days_ago)).replace(microsecond=0, second=0)


def _row(ref, plate="渝A10001", id_number="", name="张三", phone="", unit="500112-JT01",
         officers="liu.yang、yang.fan", when=None, violation="FY-KY"):
    return [ref, unit, when or _when(), "重庆北站南广场", 29.6106, 106.5513, violation, plate, "",
            name, id_number, phone, "站前揽客", officers]


def _count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 3)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_batches_mixing_good_and_bad_rows(world, db, tmp_path, small_batches, kind):
    rows = [
        _row("G-1", plate="渝A20001", id_number=GOOD_ID),
        _row("B-1", plate="渝A29991", id_number=BAD_ID, name="坏身份证"),  # bad ID, good plate
        _row("G-2", plate="渝A20002"),
        _row("B-2", plate="XX123", id_number=THIRD_ID, name="坏车牌"),  # bad plate, good ID
        _row("B-3", plate="渝A29993", officers="liu.yang,nobody", when=_when(-3)),  # two faults
        _row("G-3", plate="渝A20003", phone="13800138000"),
        _row("B-4", plate="渝A29994", violation="XX-99"),
    ]
    write = write_csv if kind == "csv" else write_xlsx
    path = write(tmp_path / f"mixed.{kind}", EN, rows)
    audit_before = _count(AuditLog)

    report = importer.import_cases(path)

    assert (report.rows, report.created, report.skipped, report.error_rows) == (7, 3, 0, 4)
    assert {(e.row, e.field) for e in report.errors} == {
        (3, "id_number"), (5, "plate"), (6, "officers"), (8, "violation")}
    assert all(e.message and e.column for e in report.errors)
    assert [e.external_ref for e in report.errors] == ["B-1", "B-2", "B-3", "B-4"]
    cases = _db.session.scalars(select(Case).where(Case.origin_ref.like("import:%"))
                                .order_by(Case.id)).all()
    assert [c.origin_ref for c in cases] == ["import:G-1", "import:G-2", "import:G-3"]
    assert [c.seq for c in cases] == [1, 2, 3]  # no number lost to a bad row
    assert report.created_numbers == [c.number for c in cases]
    assert _db.session.scalar(select(CaseCounter.last_seq)) == 3
    # nothing of the bad rows: neither their vehicles nor their persons
    assert _count(Vehicle, Vehicle.plate.like("渝A2999%")) == 0
    assert _count(Person, Person.id_number == THIRD_ID) == 0
    assert _count(Person, Person.name.in_(["坏身份证", "坏车牌"])) == 0
    assert [c.vehicles[0].vehicle.plate for c in cases] == ["渝A20001", "渝A20002", "渝A20003"]
    assert cases[0].parties[0].person.id_number == GOOD_ID
    assert cases[2].parties[0].person.phone == "13800138000"
    # each case has its officers, its create step and its audit row; one more for the import
    for case in cases:
        assert [o.user.username for o in case.officers] == ["liu.yang", "yang.fan"]
        assert [(s.action, s.data) for s in case.steps] == [("create", {"number": case.number})]
    assert _count(AuditLog) == audit_before + 3 + 1
    assert audit.verify().ok
    lines = report.error_report.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 4


def test_rerun_across_batches_skips_known_refs_and_repeats(world, db, tmp_path, small_batches):
    rows = [_row(f"R-{i}", plate=f"渝A3000{i}") for i in range(5)] + [_row("R-1"), _row("R-4")]
    path = write_csv(tmp_path / "again.csv", EN, rows)

    first = importer.import_cases(path)
    second = importer.import_cases(path)

    assert (first.created, first.skipped, first.error_rows) == (5, 2, 0)
    assert (second.created, second.skipped, second.error_rows) == (0, 7, 0)
    assert _count(Case, Case.origin_ref.like("import:R-%")) == 5
    assert _db.session.scalar(select(CaseCounter.last_seq)) == 5


def test_registry_records_are_found_once_per_batch(world, db, tmp_path):
    known = Vehicle(plate="渝A40001", plate_colour=PlateColour.blue, kind=VehicleKind.motorcycle)
    person = Person(name="旧名", id_number=OTHER_ID, phone="13900139000", address="旧地址")
    _db.session.add_all([known, person])
    _db.session.flush()
    rows = [_row("V-1", plate="渝a·40001", id_number=OTHER_ID, name="新名"),
            _row("V-2", plate="渝A40001", id_number=OTHER_ID, name="最新名"),
            _row("V-3", plate="渝A40002"), _row("V-4", plate="渝A 40002"),
            _row("V-5", plate="渝A40003", name="无证一"), _row("V-6", plate="渝A40004",
                                                             name="无证一")]
    path = write_xlsx(tmp_path / "registry.xlsx", EN, rows)

    report = importer.import_cases(path)

    assert report.created == 6 and report.ok
    assert _count(Vehicle, Vehicle.plate == "渝A40001") == 1
    assert _count(Vehicle, Vehicle.plate == "渝A40002") == 1
    _db.session.expire_all()
    assert _db.session.get(Vehicle, known.id).kind is VehicleKind.car  # the latest case's word
    cases = _db.session.scalars(select(Case).where(Case.origin_ref.like("import:V-%"))
                                .order_by(Case.id)).all()
    assert {c.vehicles[0].vehicle_id for c in cases[:2]} == {known.id}
    assert cases[2].vehicles[0].vehicle_id == cases[3].vehicles[0].vehicle_id
    # the known person: one record, the last name given, the phone and address kept
    assert _count(Person, Person.id_number == OTHER_ID) == 1
    again = _db.session.get(Person, person.id)
    assert (again.name, again.phone, again.address) == ("最新名", "13900139000", "旧地址")
    assert {c.parties[0].person_id for c in cases[:2]} == {person.id}
    # a party without an ID number is a record of its own, every time
    unnamed = [c.parties[0].person for c in cases[4:]]
    assert [p.name for p in unnamed] == ["无证一", "无证一"] and unnamed[0].id != unnamed[1].id


def _snapshot(case: Case) -> dict:
    """What a new case consists of, without ids and timestamps."""
    skip = {"id", "created_at", "updated_at", "unit_id", "created_by_id", "violation_type_id"}
    out = {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key not in skip}
    out["unit"] = case.unit.code
    out["created_by"] = case.created_by.username
    out["violation"] = case.violation_type.code if case.violation_type else None
    out["officers"] = [o.user.username for o in case.officers]
    out["vehicles"] = [(v.is_fake_plate, {c.key: getattr(v.vehicle, c.key) for c in
                                          Vehicle.__table__.columns
                                          if c.key not in ("id", "created_at")})
                       for v in case.vehicles]
    out["parties"] = [(p.role, {c.key: getattr(p.person, c.key) for c in Person.__table__.columns
                                if c.key not in ("id", "created_at")}) for p in case.parties]
    out["steps"] = [(s.action, s.from_status, s.to_status, s.actor.username, s.note, s.data)
                    for s in case.steps]
    out["clocks"] = [(c.name, c.start_on, c.due_on, c.done_on) for c in case.clocks]
    out["audit"] = [(a.action, a.actor_id, a.actor_name, a.object_type, a.unit_id, a.detail)
                    for a in _db.session.scalars(select(AuditLog).where(
                        AuditLog.object_type == "case", AuditLog.object_id == str(case.id)))]
    counts = {m.__name__: _count(m, m.case_id == case.id)
              for m in (CaseOfficer, CaseVehicle, CaseParty, CaseStep)}
    out["counts"] = counts
    return out


TIMES = ("created_at", "updated_at", "at")


def _stored(case_id: int) -> dict:
    """A new case's rows as the database stores them (no type conversion on the way out),
    without ids and hashes; timestamps of "now" as their shape (every digit 0)."""
    def rows(sql, **params):
        return [{k: re.sub(r"\d", "0", str(v)) if k in TIMES and v else v
                 for k, v in row.items() if k != "id" and not k.endswith("_id")
                 and k not in ("seq", "hash", "prev_hash")}
                for row in _db.session.execute(text(sql), params).mappings()]

    out = {"cases": rows("SELECT * FROM cases WHERE id = :i", i=case_id)}
    for table in ("case_officers", "case_vehicles", "case_parties", "case_steps"):
        out[table] = rows(f"SELECT * FROM {table} WHERE case_id = :i ORDER BY id", i=case_id)
    out["vehicles"] = rows("SELECT v.* FROM vehicles v JOIN case_vehicles l ON "
                           "l.vehicle_id = v.id WHERE l.case_id = :i", i=case_id)
    out["persons"] = rows("SELECT p.* FROM persons p JOIN case_parties l ON "
                          "l.person_id = p.id WHERE l.case_id = :i", i=case_id)
    out["audit"] = rows("SELECT * FROM audit_log WHERE object_type = 'case' AND "
                        "object_id = :i", i=str(case_id))
    return out


@pytest.mark.parametrize("party", ["with_id", "without_id"])
def test_an_imported_row_is_the_case_the_service_creates(world, db, tmp_path, party):
    when = _when(4)
    id_number = GOOD_ID if party == "with_id" else ""
    header = EN + ["vehicle_kind", "party_address", "party_role", "origin"]
    row = ["S-1", "500112-JT01", when, " 重庆北站南广场 ", 29.6106, 106.5513, "FY-KY", "渝a·12345",
           "黄", "张三", id_number, "023-63891234", "揽客前往江北机场", "yang.fan、liu.yang",
           "rental_car", "重庆市渝北区", "owner", "patrol"]
    a, b = world["officers"][:2]
    data = services.CaseInput(
        origin="patrol", occurred_at=when, address=" 重庆北站南广场 ", officer_ids=[b.id, a.id],
        violation_code="FY-KY", origin_ref="import:S-1", lat=29.6106, lng=106.5513,
        facts="揽客前往江北机场",
        vehicles=[services.VehicleInput(plate="渝a·12345", plate_colour="yellow",
                                        kind="rental_car")],
        parties=[services.PartyInput(name="张三", role="owner", id_number=id_number or None,
                                     phone="023-63891234", address="重庆市渝北区")])
    savepoint = _db.session.begin_nested()
    made = services.create_case(actor=b, unit=world["team"], data=data)
    expected = _snapshot(made)
    expected_raw = _stored(made.id)
    savepoint.rollback()
    _db.session.expire_all()
    assert _count(Case, Case.origin_ref == "import:S-1") == 0

    report = importer.import_cases(write_xlsx(tmp_path / "one.xlsx", header, [row]))

    assert report.created == 1 and report.ok
    imported = _db.session.scalar(select(Case).where(Case.origin_ref == "import:S-1"))
    got = _snapshot(imported)
    assert got == expected
    assert _stored(imported.id) == expected_raw  # to the stored text of times, enums, JSON
    assert got["number"].endswith("-000001") and got["vehicles"][0][1]["plate"] == "渝A12345"


def _team_with_officers():
    """The north team and its two officers, committed (for tests on a fresh database)."""
    seed_violation_types()
    team = north_team()
    for name in ("liu.yang", "yang.fan"):
        core_services.create_user(actor=None, username=name, full_name=name,
                                  role=Role.officer, unit=team, password=PASSWORD)
    _db.session.commit()
    return team


def test_numbers_stay_gap_free_beside_concurrent_create_case(fresh_app, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_ROWS", 7)
    with fresh_app.app_context():
        team = _team_with_officers()
        team_id = team.id
        _db.session.remove()
    path = write_csv(tmp_path / "many.csv", EN,
                     [_row(f"C-{i}", plate=f"渝A5{i:04d}") for i in range(60)])
    errors: list[str] = []
    reports = []
    start = threading.Barrier(5, timeout=60)

    def run_import():
        try:
            start.wait()
            with fresh_app.app_context():
                reports.append(importer.import_cases(path))
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    def create_cases():
        try:
            start.wait()
            for _ in range(5):
                with fresh_app.app_context():
                    actor = _db.session.scalar(select(User).where(User.username == "liu.yang"))
                    services.create_case(actor=actor, unit=_db.session.get(Unit, team_id),
                                         data=services.CaseInput(
                                             origin="patrol", occurred_at=services.utcnow(),
                                             address="重庆北站",
                                             vehicles=[services.VehicleInput(plate="渝A50001")]))
                    _db.session.commit()
                    _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run_import)] + \
        [threading.Thread(target=create_cases) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert reports[0].created == 60 and reports[0].ok
    with fresh_app.app_context():
        seqs = sorted(_db.session.scalars(select(Case.seq).where(Case.unit_id == team_id)))
        assert seqs == list(range(1, 81))
        assert _db.session.scalar(select(CaseCounter.last_seq)) == 80
        numbers = _db.session.scalars(select(Case.number)).all()
        assert len(set(numbers)) == 80
        assert _db.session.scalar(select(func.count(Vehicle.id))
                                  .where(Vehicle.plate == "渝A50001")) == 1
        assert audit.verify().ok
        # and the next case continues the sequence
        actor = _db.session.scalar(select(User).where(User.username == "yang.fan"))
        case = services.create_case(actor=actor, unit=_db.session.get(Unit, team_id),
                                    data=services.CaseInput(origin="patrol",
                                                            occurred_at=services.utcnow(),
                                                            address="重庆北站"))
        assert case.seq == 81
        _db.session.rollback()
        _db.session.remove()


def test_bulk_settings_while_importing_then_restored(fresh_app, tmp_path, monkeypatch):
    """On SQLite each batch runs with the import's page cache and checkpoint interval, and the
    garbage collector with the app's objects frozen; all back as they were afterwards, and
    the connection's settings back whenever it returns to the pool between batches (another
    thread may take it there)."""
    import gc

    from enforcement.cases import import_writer

    if fresh_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite's pragmas")
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    with fresh_app.app_context():
        _team_with_officers()
    seen = []
    write_batch = import_writer.write_batch

    def spying(rows, now):
        conn = _db.session.connection()
        seen.append((conn.exec_driver_sql("PRAGMA cache_size").scalar(),
                     conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar(),
                     gc.get_threshold()[0] >= 50_000, gc.get_freeze_count() > 0))
        return write_batch(rows, now)

    monkeypatch.setattr(import_writer, "write_batch", spying)
    between = []
    batch = importer._Importer.batch

    def then_released(self, rows):
        batch(self, rows)
        with _db.engine.connect() as conn:  # the pool's connection, back from the batch
            between.append([conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                            for name in import_writer.BULK_PRAGMAS])

    monkeypatch.setattr(importer._Importer, "batch", then_released)
    path = write_csv(tmp_path / "five.csv", EN, [_row(f"P-{i}", plate=f"渝A6{i:04d}")
                                                 for i in range(5)])
    threshold = gc.get_threshold()
    with fresh_app.app_context():
        before = [_db.session.connection().exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in import_writer.BULK_PRAGMAS]
        _db.session.rollback()

        report = importer.import_cases(path)

        assert report.created == 5
        assert seen == [tuple(import_writer.BULK_PRAGMAS.values()) + (True, True)] * 3
        after = [_db.session.connection().exec_driver_sql(f"PRAGMA {name}").scalar()
                 for name in import_writer.BULK_PRAGMAS]
        assert after == before == [-2000, 1000]
        assert between == [before] * 3  # not left on a pooled connection between batches
        _db.session.rollback()
        _db.session.remove()
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
