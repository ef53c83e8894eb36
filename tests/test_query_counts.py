"""A list page costs a fixed number of SQL statements however many rows it shows (no N+1):
the case list API page and the case list HTML page, with 3 and with 12 cases."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from core import prepared
from core import services as core_services
from core.roles import Role
from enforcement.cases import services
from enforcement.cases.calendar import seed_holidays
from enforcement.violations.seed import seed_violation_types
from extensions import db as _db
from tests.factories import UserFactory


@contextmanager
def counted():
    """Count the statements the app sends (savepoints and the like excluded)."""
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", before)
    prepared.OBSERVERS.append(seen.append)  # the statements run on the driver's cursor
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        prepared.OBSERVERS.remove(seen.append)


@pytest.fixture
def team(db, tree):
    seed_violation_types()
    seed_holidays(range(2024, 2028))
    unit = tree["north_team"]
    officer = UserFactory(role=Role.officer, unit=unit)
    partner = UserFactory(role=Role.officer, unit=unit)
    return {"unit": unit, "officer": officer, "partner": partner}


def _add_cases(team, n: int, start: int) -> None:
    for i in range(start, start + n):
        services.create_case(actor=team["officer"], unit=team["unit"], data=services.CaseInput(
            origin="patrol", occurred_at=services.utcnow() - dt.timedelta(hours=2 + i),
            address="重庆北站南广场", lat=29.61, lng=106.55, violation_code="FY-KY",
            officer_ids=[team["officer"].id, team["partner"].id], facts="揽客",
            vehicles=[services.VehicleInput(plate=f"渝A{10000 + i}")],
            parties=[services.PartyInput(name=f"张{i}")]))
    _db.session.flush()


def _api_page_statements(client, token) -> tuple[int, int]:
    _db.session.expire_all()
    with counted() as seen:
        response = client.get("/api/v1/cases?limit=50",
                              headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return len(response.get_json()["items"]), len(seen)


def test_case_list_api_page_statements_do_not_grow_with_rows(client, team):
    token = core_services.issue_token(team["officer"], actor=None, name="t")
    _add_cases(team, 3, 0)
    _api_page_statements(client, token)  # the token's first use records when it was used
    rows_small, small = _api_page_statements(client, token)
    _add_cases(team, 9, 3)
    rows_big, big = _api_page_statements(client, token)
    assert (rows_small, rows_big) == (3, 12)
    assert big == small
    assert big <= 12


def _html_page_statements(client) -> tuple[int, int]:
    _db.session.expire_all()
    with counted() as seen:
        response = client.get("/cases")
    assert response.status_code == 200
    return response.get_data(as_text=True).count("/cases/"), len(seen)


def test_case_list_html_page_statements_do_not_grow_with_rows(client, team, login_as):
    login_as(Role.officer, "north_team")
    _add_cases(team, 3, 0)
    _html_page_statements(client)  # the session's first use does its bookkeeping
    links_small, small = _html_page_statements(client)
    _add_cases(team, 9, 3)
    links_big, big = _html_page_statements(client)
    assert links_big > links_small
    assert big == small

