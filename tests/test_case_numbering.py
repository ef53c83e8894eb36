"""Case numbers stay gap-free and unique when many officers create cases at the same moment."""
from __future__ import annotations

import threading

from sqlalchemy import select

from core import services as core_services
from core.models import Department, Unit, UnitKind
from core.roles import Role
from enforcement.cases import services
from enforcement.cases.models import Case, CaseCounter
from extensions import db as _db
from tests.factories import PASSWORD


def north_team() -> Unit:
    """The city, the north district and its transport team, in a fresh database."""
    city = core_services.create_unit(actor=None, code="500000", name="重庆市",
                                     kind=UnitKind.city, parent=None)
    district = core_services.create_unit(actor=None, code="500112", name="渝北区",
                                         kind=UnitKind.district, parent=city)
    return core_services.create_unit(actor=None, code="500112-JT01", name="渝北执法支队",
                                     kind=UnitKind.department, parent=district,
                                     department=Department.transport)


def test_twenty_concurrent_creations_get_numbers_one_to_twenty(fresh_app):
    with fresh_app.app_context():
        team = north_team()
        officer = core_services.create_user(actor=None, username="zhao", full_name="赵",
                                            role=Role.officer, unit=team, password=PASSWORD)
        _db.session.commit()
        team_id, officer_id = team.id, officer.id
        _db.session.remove()
    barrier = threading.Barrier(20, timeout=60)
    errors: list[str] = []

    def create():
        try:
            # Start together, before any transaction: a SQLite transaction holds the write lock.
            barrier.wait()
            with fresh_app.app_context():
                actor = _db.session.get(type(officer), officer_id)
                unit = _db.session.get(Unit, team_id)
                services.create_case(actor=actor, unit=unit, data=services.CaseInput(
                    origin="patrol", occurred_at=services.utcnow(), address="重庆北站",
                    vehicles=[services.VehicleInput(plate="渝A12345")]))
                _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=create) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with fresh_app.app_context():
        seqs = sorted(_db.session.scalars(select(Case.seq).where(Case.unit_id == team_id)))
        assert seqs == list(range(1, 21))
        counter = _db.session.scalar(select(CaseCounter.last_seq).where(
            CaseCounter.unit_id == team_id))
        assert counter == 20
        _db.session.remove()
