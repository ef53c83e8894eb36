"""The fast paths' connections (core/fastpath.py) on a real engine: each server thread keeps
its own between requests, a database error drops it and Flask answers, and a request handed
over to Flask keeps nothing its handler wrote."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, func, select

from blacklist.models import Sighting, SightingSource
from blacklist.monitoring import record_sighting
from core import fastpath, security
from core.roles import Role
from extensions import db as _db
from tests.blacklist_support import listed_entry, make_tree
from tests.factories import UserFactory

CHECK = "/api/v1/blacklist/check"


@pytest.fixture
def served(fresh_app):
    """The app on its own database with a listed plate, and a token whose use is recorded."""
    with fresh_app.app_context():
        tree = make_tree()
        listed_entry(tree, plate="渝A12345")
        user = UserFactory(role=Role.officer, unit=tree["north_team"])
        _token, raw = security.create_token(user, "district system")
        _db.session.commit()
        _db.session.remove()
    headers = {"Authorization": f"Bearer {raw}"}
    client = fresh_app.test_client()
    assert client.get(CHECK, query_string={"plate": "渝A00000"}, headers=headers).status_code \
        == 200  # through Flask: it records the token's first use
    return fresh_app, client, headers


def _check(client, headers, plate="渝A12345"):
    response = client.get(CHECK, query_string={"plate": plate}, headers=headers)
    assert response.status_code == 200
    return response.get_json()


def _sightings(app) -> int:
    with app.app_context():
        count = _db.session.scalar(select(func.count()).select_from(Sighting))
        _db.session.remove()
    return count


def test_a_thread_keeps_its_connection(served):
    app, client, headers = served
    dispatcher = app.wsgi_app
    held = dispatcher.local.conn
    with app.app_context():
        engine = _db.engine
    checkouts = []

    def count(*_args):
        checkouts.append(1)

    event.listen(engine, "checkout", count)
    try:
        for _ in range(3):
            assert _check(client, headers)["listed"] is True
    finally:
        event.remove(engine, "checkout", count)
    assert held is not None and dispatcher.local.conn is held
    assert checkouts == []  # neither the fast path nor Flask took one from the pool


def test_a_broken_connection_is_dropped_and_flask_answers(served, caplog):
    app, client, headers = served
    dispatcher = app.wsgi_app
    broken = dispatcher.local.conn
    broken.connection.dbapi_connection.close()  # the database went away under it
    with caplog.at_level(logging.WARNING, logger="core.fastpath"):
        assert _check(client, headers)["listed"] is True  # Flask's answer
    assert "database error; handed to Flask" in caplog.text
    assert dispatcher.local.conn is None
    assert _check(client, headers)["listed"] is True  # a new connection for the fast path
    assert dispatcher.local.conn is not None and dispatcher.local.conn is not broken


def test_a_handed_over_request_keeps_nothing_its_handler_wrote(served, monkeypatch):
    app, client, headers = served

    def writes_then_hands_over(conn, actor, _args):
        record_sighting(plate="渝A12345", source=SightingSource.api_check,
                        unit_id=actor.unit_id, user_id=actor.id, connection=conn)
        return None

    monkeypatch.setitem(fastpath._PATHS, CHECK, fastpath.FastPath(
        CHECK, "blacklist_api.check_subject", writes_then_hands_over))
    before = _sightings(app)
    assert _check(client, headers)["listed"] is True
    assert _sightings(app) == before + 1  # the view's sighting alone
