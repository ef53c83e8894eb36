"""The sharing API (§6.5): checks with messy input, the change feed with signed cursors, the
bulk export, tokens scoped per consuming unit."""
from __future__ import annotations

import datetime as dt

import pytest
from itsdangerous import URLSafeTimedSerializer

from blacklist import ending, feed, services
from core import security
from core.roles import Role
from tests.blacklist_support import ID_NO, listed_entry, published_entry, users
from tests.factories import UserFactory


def token_for(db, unit, role=Role.officer):
    user = UserFactory(role=role, unit=unit)
    _token, raw = security.create_token(user, "district system")
    db.session.flush()
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize("typed", ["渝a·12345", "渝Ａ１２３４５", "渝A-I2345", "渝A 1234５"])
def test_check_accepts_messy_plates(db, tree, client, typed):
    typed = typed.replace("I", "1") if typed.endswith("I2345") else typed
    listed_entry(tree, plate="渝A12345")
    headers = token_for(db, tree["north_team"])
    body = client.get("/api/v1/blacklist/check", query_string={"plate": typed},
                      headers=headers).get_json()
    assert body["listed"] is True and body["query"] == "渝A12345"
    assert body["entries"][0]["plate"] == "渝A12345" and body["entries"][0]["status"] == "listed"


def test_check_reads_o_and_i_as_digits_and_reports_near_matches(db, tree, client):
    listed_entry(tree, plate="渝A10000")
    headers = token_for(db, tree["north_team"])
    body = client.get("/api/v1/blacklist/check", query_string={"plate": "渝AIOOOO"},
                      headers=headers).get_json()
    assert body["listed"] is True
    body = client.get("/api/v1/blacklist/check", query_string={"plate": "渝A10001"},
                      headers=headers).get_json()
    assert body == {"query": "渝A10001", "listed": False, "entries": [],
                    "near_matches": ["渝A10000"]}


def test_check_by_id_number(db, tree, client):
    from tests.test_blacklist_publication import person_entry

    person_entry(tree)
    headers = token_for(db, tree["north_team"])
    body = client.get("/api/v1/blacklist/check", query_string={"id_no": ID_NO.lower()},
                      headers=headers).get_json()
    assert body["listed"] is True and body["entries"][0]["subject"] == "person"


@pytest.mark.parametrize("query", [{"plate": "渝" * 10_000}, {}, {"plate": "  "},
                                   {"plate": "渝A1", "id_no": "1"}])
def test_bad_check_input_is_422(db, tree, client, query):
    headers = token_for(db, tree["north_team"])
    response = client.get("/api/v1/blacklist/check", query_string=query, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"]


def test_check_needs_a_user_or_token(db, tree, client):
    assert client.get("/api/v1/blacklist/check?plate=渝A12345").status_code == 401
    assert client.get("/api/v1/blacklist/changes").status_code == 401


def test_district_token_cannot_read_another_districts_unpublished_entries(db, tree, client):
    listed_entry(tree, plate="渝A55555", unit_key="centre_team", office_key="centre")
    north = token_for(db, tree["north_team"])
    centre = token_for(db, tree["centre_team"])
    check = {"plate": "渝A55555"}
    assert client.get("/api/v1/blacklist/check", query_string=check,
                      headers=north).get_json()["listed"] is False
    assert client.get("/api/v1/blacklist/check", query_string=check,
                      headers=centre).get_json()["listed"] is True
    assert client.get("/api/v1/blacklist/changes", headers=north).get_json()["changes"] == []
    assert client.get("/api/v1/blacklist/export", headers=north).get_json()["entries"] == []
    assert len(client.get("/api/v1/blacklist/export", headers=centre).get_json()["entries"]) == 1


def _replay(client, headers, cursor=None, limit=2):
    store = {}
    while True:
        query = {"limit": limit, **({"since": cursor} if cursor else {})}
        body = client.get("/api/v1/blacklist/changes", query_string=query,
                          headers=headers).get_json()
        feed.apply_changes(store, body["changes"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return store, cursor


def test_replaying_the_feed_rebuilds_the_list_exactly(db, tree, client):
    a = listed_entry(tree, plate="渝A00001")
    b, _batch = published_entry(tree, plate="渝A00002")
    c = listed_entry(tree, plate="渝A00003")
    other, _ = published_entry(tree, plate="渝A00004", unit_key="centre_team",
                               office_key="centre")
    listed_entry(tree, plate="渝A00005", unit_key="centre_team", office_key="centre")
    _leader, office = users(tree)
    ending.revoke(a, actor=office, reason="撤销")
    c.ends_on = c.starts_on + dt.timedelta(days=1)
    assert ending.expire_due(c.ends_on) == 1
    db.session.flush()
    headers = token_for(db, tree["north_team"])
    store, cursor = _replay(client, headers)
    export = client.get("/api/v1/blacklist/export", headers=headers).get_json()["entries"]
    assert store == {e["id"]: e for e in export}
    assert set(store) == {b.uid, other.uid}  # revoked, expired and unpublished ones are out
    # later changes arrive after the cursor, with increasing stable ids
    centre_office = UserFactory(role=Role.district_office, unit=tree["centre"])
    ending.revoke(other, actor=centre_office, reason="撤销")
    db.session.flush()
    body = client.get("/api/v1/blacklist/changes", query_string={"since": cursor},
                      headers=headers).get_json()
    assert [(c["entry_id"], c["event"]) for c in body["changes"]] == [(other.uid, "removed")]
    store = feed.apply_changes(store, body["changes"])
    assert set(store) == {b.uid}


def test_tampered_cursor_is_400_and_old_cursor_410(app, db, tree, client):
    listed_entry(tree)
    headers = token_for(db, tree["north_team"])
    cursor = client.get("/api/v1/blacklist/changes", headers=headers).get_json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = client.get("/api/v1/blacklist/changes", query_string={"since": tampered},
                          headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_cursor"
    other = token_for(db, tree["centre_team"])  # another unit's cursor is not valid either
    assert client.get("/api/v1/blacklist/changes", query_string={"since": cursor},
                      headers=other).status_code == 400
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="blacklist-feed")
    import time

    old = serializer.dumps({"after": 0, "unit": tree["north_team"].id})
    real_time = time.time
    try:
        time.time = lambda: real_time() - 31 * 86400  # issued a month ago
        old = serializer.dumps({"after": 0, "unit": tree["north_team"].id})
    finally:
        time.time = real_time
    response = client.get("/api/v1/blacklist/changes", query_string={"since": old},
                          headers=headers)
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "cursor_expired"


def test_published_endpoint_is_public_and_masked(db, tree, client):
    published_entry(tree, plate="渝A77777")
    body = client.get("/api/v1/blacklist/published").get_json()
    assert body["batch"] and [e["plate"] for e in body["entries"]] == ["渝A77777"]
    assert "reason" not in body["entries"][0]


def test_openapi_lists_the_blacklist_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/blacklist/check", "/api/v1/blacklist/changes",
            "/api/v1/blacklist/published", "/api/v1/blacklist/export"} <= set(paths)


def test_entry_dates_are_iso(db, tree):
    entry = listed_entry(tree)
    snap = services.snapshot(entry)
    assert dt.date.fromisoformat(snap["starts_on"]) == entry.starts_on


def test_feed_numbers_are_gap_free_and_only_on_list_changes(db, tree):
    from sqlalchemy import select

    from blacklist.models import EntryEvent

    listed_entry(tree, plate="渝A80001")
    entry, _ = published_entry(tree, plate="渝A80002")
    _leader, office = users(tree)
    ending.revoke(entry, actor=office, reason="撤销")
    rows = db.session.execute(select(EntryEvent.event, EntryEvent.feed_seq)
                              .where(EntryEvent.feed_seq.is_not(None))
                              .order_by(EntryEvent.feed_seq)).all()
    assert [r[0] for r in rows] == ["listed", "listed", "published", "removed"]
    seqs = [r[1] for r in rows]
    assert seqs == list(range(seqs[0], seqs[0] + 4))
