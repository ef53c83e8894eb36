"""Sightings of API plate checks, queued and written in batches (blacklist/sighting_writer.py):
the answer is unchanged, the sighting lands at the next flush with the check's own time, a
failed write keeps it, and a stopping server writes what is left."""
from __future__ import annotations

import http.client
import logging
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from blacklist import sighting_writer
from blacklist.models import Sighting, SightingSource
from core import security
from core.base import utcnow
from core.models import ApiToken
from core.roles import Role
from extensions import db as _db
from tests.blacklist_support import listed_entry, make_tree
from tests.factories import UserFactory
from tests.test_blacklist_api import token_for
from tests.test_fastpath import CHECK, flask_only
from tests.test_gunicorn import gunicorn


@pytest.fixture
def writer(app, db):
    """A writer whose thread would wait an hour: the tests flush it themselves."""
    queue = sighting_writer.SightingWriter(app, 3600, 100)
    app.extensions["sighting_writer"] = queue
    yield queue
    app.extensions.pop("sighting_writer")
    queue.close()


def _rows(entry_id):
    return _db.session.execute(
        select(Sighting.source, Sighting.unit_id, Sighting.user_id, Sighting.plate,
               Sighting.seen_at).where(Sighting.entry_id == entry_id)).all()


@pytest.mark.parametrize("through", ["fast path", "flask"])
def test_a_checks_sighting_is_written_at_the_flush(app, db, tree, client, writer, through):
    entry = listed_entry(tree, plate="渝A12345")
    headers = token_for(db, tree["north_team"])
    raw = headers["Authorization"][7:]
    user_id = db.session.scalar(select(ApiToken.user_id).where(ApiToken.prefix == raw[:10]))
    before = utcnow()
    get = client.get if through == "fast path" else lambda *a, **k: flask_only(app, client,
                                                                              *a, **k)
    body = get(CHECK, query_string={"plate": "渝a·12345"}, headers=headers).get_json()
    assert body["listed"] is True and [e["plate"] for e in body["entries"]] == ["渝A12345"]
    assert _rows(entry.id) == [] and writer.pending() == 1
    checked = utcnow()
    assert writer.flush() == 1
    [(source, unit_id, by, plate, seen_at)] = _rows(entry.id)
    assert (source, unit_id, by, plate) == (SightingSource.api_check, tree["north_team"].id,
                                            user_id, "渝A12345")
    assert before <= seen_at <= checked  # the check's time, not the flush's
    assert writer.pending() == 0 and writer.flush() == 0


def test_an_unlisted_plate_queues_nothing(db, tree, client, writer):
    listed_entry(tree, plate="渝A12345")
    headers = token_for(db, tree["north_team"])
    body = client.get(CHECK, query_string={"plate": "渝A12346"}, headers=headers).get_json()
    assert body["listed"] is False and body["near_matches"] == ["渝A12345"]
    assert writer.pending() == 0


def test_a_failed_write_keeps_the_sightings(db, tree, client, writer, monkeypatch, caplog):
    entry = listed_entry(tree, plate="渝A12345")
    headers = token_for(db, tree["north_team"])
    for _ in range(2):
        client.get(CHECK, query_string={"plate": "渝A12345"}, headers=headers)

    def locked(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(sighting_writer.database, "insert_many", locked)
    with caplog.at_level(logging.ERROR, logger="blacklist.sighting_writer"):
        assert writer.flush() == 0
    assert "could not write 2 queued sightings" in caplog.text
    assert writer.pending() == 2 and _rows(entry.id) == []
    monkeypatch.undo()
    assert writer.flush() == 2 and len(_rows(entry.id)) == 2


def test_a_full_queue_drops_the_oldest(app, db, tree, caplog):
    queue = sighting_writer.SightingWriter(app, 3600, 2)
    try:
        with caplog.at_level(logging.ERROR, logger="blacklist.sighting_writer"):
            for n in range(3):
                queue.add({"plate": f"渝A1234{n}", "source": SightingSource.api_check,
                           "unit_id": None, "seen_at": utcnow()})
        assert queue.pending() == 2 and "1 oldest sightings dropped" in caplog.text
        assert [item["plate"] for item in queue._pending] == ["渝A12341", "渝A12342"]
    finally:
        queue._pending.clear()
        queue.close()


def test_the_thread_writes_on_its_own(app, db, tree, client):
    entry = listed_entry(tree, plate="渝A12345")
    headers = token_for(db, tree["north_team"])
    queue = sighting_writer.SightingWriter(app, 0.05, 100)
    app.extensions["sighting_writer"] = queue
    try:
        client.get(CHECK, query_string={"plate": "渝A12345"}, headers=headers)
        deadline = time.monotonic() + 10
        while queue.pending() and time.monotonic() < deadline:
            time.sleep(0.05)  # the test's connection is idle while the thread writes
    finally:
        app.extensions.pop("sighting_writer")
        queue.close()  # waits for the thread's flush; nothing is left for its own
    assert len(_rows(entry.id)) == 1


def test_configuration_chooses_the_writer(app):
    assert app.config["SIGHTING_BATCH_SECONDS"] == 0  # the suite writes in the check
    assert "sighting_writer" not in app.extensions
    from config import Config

    assert Config.SIGHTING_BATCH_SECONDS > 0


def test_a_stopping_server_writes_what_is_queued(fresh_app, tmp_path):
    """A real gunicorn whose writer would wait an hour: its graceful stop writes the check."""
    with fresh_app.app_context():
        tree = make_tree()
        entry_id = listed_entry(tree, plate="渝A77777").id
        user = UserFactory(role=Role.officer, unit=tree["north_team"])
        _token, raw = security.create_token(user, "district system")
        _db.session.commit()
        _db.session.remove()
    with gunicorn(tmp_path, DATABASE_URL=fresh_app.config["SQLALCHEMY_DATABASE_URI"],
                  SIGHTING_BATCH_SECONDS="3600") as (port, _log):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/v1/blacklist/check?plate=%E6%B8%9DA77777",
                     headers={"Authorization": f"Bearer {raw}"})
        response = conn.getresponse()
        assert response.status == 200 and b'"listed":true' in response.read()
        conn.close()
        with fresh_app.app_context():
            assert _rows(entry_id) == []  # queued, not written
            _db.session.remove()
    output = (tmp_path / "gunicorn.log").read_text()  # the stopped server's log, if it failed
    with fresh_app.app_context():
        assert [r.source for r in _rows(entry_id)] == [SightingSource.api_check], output
        _db.session.remove()
