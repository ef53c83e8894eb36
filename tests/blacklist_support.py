"""Helpers of the blacklist tests: decided cases, entries walked through the fair process."""
from __future__ import annotations

import datetime as dt

from blacklist import publication, services
from blacklist.models import BlacklistEntry
from core.base import local_today, utcnow
from core.roles import Role
from enforcement.cases import services as case_services
from enforcement.cases.models import CaseStatus
from enforcement.violations.seed import seed_violation_types
from extensions import db
from tests.factories import UserFactory

ID_NO = "500112198506123311"  # check digit valid


def decided_case(unit, *, plate="渝A12345", person=None, id_number=None, code="FY-KY",
                 days_ago=30, fake=False, role="driver", paid=True, lat=None, lng=None):
    """A case decided ``days_ago`` days ago in ``unit`` naming the plate (and a person)."""
    seed_violation_types()
    officer = UserFactory(role=Role.officer, unit=unit)
    parties = [case_services.PartyInput(name=person, id_number=id_number, role=role)] \
        if person else []
    case = case_services.create_case(actor=officer, unit=unit, data=case_services.CaseInput(
        origin="patrol", occurred_at=utcnow() - dt.timedelta(days=days_ago + 5),
        address="重庆北站", violation_code=code, lat=lat, lng=lng,
        vehicles=[case_services.VehicleInput(plate=plate, is_fake_plate=fake)] if plate else [],
        parties=parties))
    decided = local_today() - dt.timedelta(days=days_ago)
    case.status, case.decided_on = CaseStatus.decided, decided
    if paid:
        case.status, case.paid_on, case.executed_on = CaseStatus.executed, decided, decided
    db.session.flush()
    return case


def users(tree, unit_key="north_team", office_key="north"):
    leader = UserFactory(role=Role.unit_leader, unit=tree[unit_key])
    office = UserFactory(role=Role.district_office, unit=tree[office_key])
    return leader, office


def nominate_vehicle(tree, plate="渝A12345", unit_key="north_team", serious=False,
                     cases=None) -> BlacklistEntry:
    leader = UserFactory(role=Role.unit_leader, unit=tree[unit_key])
    cases = cases if cases is not None else [decided_case(tree[unit_key], plate=plate)]
    return services.nominate(services.NominationInput(
        subject=services.SubjectInput(kind="vehicle", plate=plate), reason="多次非法营运",
        case_ids=[c.id for c in cases], is_serious=serious), actor=leader, unit=tree[unit_key])


def listed_entry(tree, plate="渝A12345", unit_key="north_team", office_key="north",
                 notified_days_ago=20, **kw) -> BlacklistEntry:
    """An entry nominated, approved by leader and office, notified long ago, then listed."""
    entry = nominate_vehicle(tree, plate=plate, unit_key=unit_key, **kw)
    leader, office = users(tree, unit_key, office_key)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office,
                    notified_on=local_today() - dt.timedelta(days=notified_days_ago))
    services.list_entry(entry, actor=office)
    return entry


def published_entry(tree, plate="渝A12345", unit_key="north_team", office_key="north", **kw):
    entry = listed_entry(tree, plate=plate, unit_key=unit_key, office_key=office_key, **kw)
    office = UserFactory(role=Role.district_office, unit=tree[office_key])
    batch = publication.publish_batch(actor=office, period=local_today().strftime("%Y-%m"),
                                      entry_ids=[entry.id])
    return entry, batch


def make_tree() -> dict:
    """The conftest ``tree`` for apps outside the per-test transaction (fresh databases)."""
    from core.models import Department, UnitKind
    from tests.factories import UnitFactory

    city = UnitFactory(code="500000", name="重庆市", kind=UnitKind.city)
    north = UnitFactory(code="500112", name="渝北区", parent=city)
    centre = UnitFactory(code="500103", name="渝中区", parent=city)
    north_team = UnitFactory(code="500112-JT01", name="渝北执法支队", kind=UnitKind.department,
                             department=Department.transport, parent=north)
    centre_team = UnitFactory(code="500103-JT01", name="渝中执法支队",
                              kind=UnitKind.department, department=Department.transport,
                              parent=centre)
    return {"city": city, "north": north, "centre": centre, "north_team": north_team,
            "centre_team": centre_team}
