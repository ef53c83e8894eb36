"""core.prepared: statements compiled once and run on the driver's cursor give the rows
SQLAlchemy would, on SQLite and PostgreSQL alike, and refuse what they cannot run."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, column, select, table
from sqlalchemy.exc import DBAPIError

from blacklist import queries
from blacklist.models import BlacklistEntry
from core import database, scoping, security
from core.models import ApiToken, Unit, User
from core.prepared import Prepared
from core.roles import Role
from extensions import db
from tests.blacklist_support import listed_entry
from tests.factories import UserFactory


def _both(stmt, params):
    conn = db.session.connection()
    expected = [tuple(r) for r in conn.execute(stmt, params)]
    return Prepared(stmt, conn.dialect).rows(conn, params), expected


@pytest.mark.parametrize("scope", [None, "north", "north_team", "centre"])
def test_the_plate_statement_gives_the_same_rows_in_every_scope(db, tree, scope):
    listed_entry(tree, plate="渝A12345")
    listed_entry(tree, plate="渝B12345", unit_key="centre_team", office_key="centre")
    key = None if scope is None else tree[scope].path
    dialect = db.session.get_bind().dialect.name
    stmt = queries.active_brief(key, database.in_array(BlacklistEntry.plate, "near", dialect))
    rows, expected = _both(stmt, {"near": database.array_value(
        dialect, ["渝A12345", "渝B12345", "渝C12345"])})
    assert rows == expected
    assert {r[5] for r in rows} == ({"渝A12345", "渝B12345"} if scope is None else
                                    {"渝A12345"} if scope.startswith("north") else {"渝B12345"})
    # the values are the processed ones: enum members, dates, booleans
    first = rows[0]
    assert first[4].value == "listed" and isinstance(first[10], dt.date)
    assert first[9] is False


def test_the_token_statement_gives_the_same_row(db, tree):
    user = UserFactory(role=Role.officer, unit=tree["north_team"])
    _token, raw = security.create_token(user, "district system")
    db.session.flush()
    stmt = (select(ApiToken.id, ApiToken.revoked_at, User.role, Unit.path, ApiToken.created_at)
            .join(User, User.id == ApiToken.user_id).join(Unit, Unit.id == User.unit_id)
            .where(ApiToken.token_hash == bindparam("h")))
    rows, expected = _both(stmt, {"h": security.sha256_hex(raw)})
    assert rows == expected and rows[0][2] is Role.officer
    assert rows[0][4].tzinfo is not None  # UTCDateTime's own processing
    assert Prepared(stmt, db.session.get_bind().dialect).rows(
        db.session.connection(), {"h": "no such token"}) == []


def test_token_actor_reads_through_it(db, tree):
    user = UserFactory(role=Role.officer, unit=tree["north_team"])
    token, raw = security.create_token(user, "district system")
    now = dt.datetime.now(dt.timezone.utc)
    token.last_used_at = now  # fresh: the fast path may answer
    db.session.flush()
    actor = security.token_actor(db.session.connection(), raw, now)
    assert (actor.id, actor.role, actor.unit.path, actor.token_id) == \
        (user.id, Role.officer, tree["north_team"].path, token.id)
    assert security.token_actor(db.session.connection(), raw + "x", now) is None


def test_a_scope_condition_is_bound_once(db, tree):
    stmt = select(Unit.code).where(scoping.condition_for(tree["north"].path, Unit.id))\
        .order_by(Unit.code)
    rows, expected = _both(stmt, {})
    assert rows == expected and ("500112",) in rows and ("500103",) not in rows


@pytest.mark.parametrize("build", [
    lambda: select(Unit.id).where(Unit.id.in_([1, 2])),   # an expanding list
    lambda: select(Unit.id).with_for_update(),           # asks for a lock
    lambda: Unit.__table__.delete(),                      # not a SELECT
])
def test_what_cannot_be_prepared_is_refused(db, build):
    with pytest.raises(ValueError):
        Prepared(build(), db.session.get_bind().dialect)


def test_a_missing_parameter_is_an_error_not_a_null(db):
    stmt = select(Unit.id).where(Unit.code == bindparam("code"))
    with pytest.raises(KeyError):
        Prepared(stmt, db.session.get_bind().dialect).rows(db.session.connection(), {})


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(db):
    conn = db.session.connection()
    savepoint = conn.begin_nested()  # PostgreSQL aborts the transaction of a failed statement
    with pytest.raises(DBAPIError) as raised:
        Prepared(select(column("id")).select_from(table("no_such_table")),
                 conn.dialect).rows(conn, {})
    savepoint.rollback()
    assert isinstance(raised.value.orig, conn.dialect.loaded_dbapi.Error)
    assert "no_such_table" in str(raised.value) and not raised.value.connection_invalidated
    assert conn.execute(select(1)).scalar() == 1  # the connection is still usable


def test_numbers_and_times_come_back_as_sqlalchemy_gives_them(db, tree):
    """Result processors follow the driver's column types (PostgreSQL's numeric needs them)."""
    from decimal import Decimal

    from sqlalchemy import Numeric, literal

    from core.base import UTCDateTime

    when = dt.datetime(2026, 12, 7, 10, 30, tzinfo=dt.timezone.utc)
    stmt = select(literal(Decimal("1500.50"), Numeric(10, 2)), literal(when, UTCDateTime),
                  Unit.id).limit(1)
    rows, expected = _both(stmt, {})
    assert rows == expected and rows[0][0] == Decimal("1500.50") and rows[0][1] == when
