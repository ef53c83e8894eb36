"""The WSGI fast path of the plate check (core/fastpath.py): it answers exactly what the Flask
view answers, records the same sightings, and hands every other request to Flask."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from blacklist.models import Sighting, SightingSource
from core import fastpath
from core.models import ApiToken
from core.roles import Role
from tests.blacklist_support import listed_entry, published_entry
from tests.test_blacklist_api import token_for

CHECK = "/api/v1/blacklist/check"


@pytest.fixture
def answered(monkeypatch):
    """The paths the fast path answered itself (a list that grows as requests run)."""
    seen = []
    original = fastpath.Dispatcher._answer

    def spy(self, fast, environ):
        body = original(self, fast, environ)
        seen.append(body is not None)
        return body

    monkeypatch.setattr(fastpath.Dispatcher, "_answer", spy)
    return seen


def flask_only(app, client, *args, **kwargs):
    """The same request through Flask alone (the dispatcher taken out for one request)."""
    dispatcher = app.wsgi_app
    app.wsgi_app = dispatcher.wsgi_app
    try:
        return client.get(*args, **kwargs)
    finally:
        app.wsgi_app = dispatcher


def warm(client, headers):
    """A first request records the token's use (through Flask); later ones are fresh."""
    client.get(CHECK, query_string={"plate": "渝A00000"}, headers=headers)


@pytest.mark.parametrize("typed", ["渝A12345", "渝a·12345", "渝A12346", "渝A1234", "渝B99999",
                                   "%E6%B8%9DA12345", "渝Ａ１２３４５"])
@pytest.mark.parametrize("who", ["north_team", "centre_team", "auditor"])
def test_fast_answers_equal_the_views(app, db, tree, client, answered, typed, who):
    listed_entry(tree, plate="渝A12345")
    published_entry(tree, plate="渝A12347", unit_key="centre_team", office_key="centre")
    listed_entry(tree, plate="渝A12348", unit_key="centre_team", office_key="centre")
    headers = token_for(db, tree["city" if who == "auditor" else who],
                        role=Role.auditor if who == "auditor" else Role.officer)
    warm(client, headers)
    url = f"{CHECK}?plate={typed}" if typed.startswith("%") else CHECK
    query = None if typed.startswith("%") else {"plate": typed}
    fast = client.get(url, query_string=query, headers=headers)
    assert answered[-1] is True
    slow = flask_only(app, client, url, query_string=query, headers=headers)
    assert fast.status_code == slow.status_code == 200
    assert fast.get_json() == slow.get_json()
    assert fast.mimetype == "application/json"
    # the same headers (Flask-Login's session look-up adds "Vary: Cookie"; the fast path
    # answers only requests without a session cookie)
    assert sorted(fast.headers.items()) == sorted(h for h in slow.headers.items()
                                                  if h[0] != "Vary")
    assert fast.headers["Cache-Control"] == "no-store"


def test_scoping_and_near_matches_on_the_fast_path(db, tree, client, answered):
    listed_entry(tree, plate="渝A55555", unit_key="centre_team", office_key="centre")
    listed_entry(tree, plate="渝A55556")
    north = token_for(db, tree["north_team"])
    warm(client, north)
    body = client.get(CHECK, query_string={"plate": "渝A55555"}, headers=north).get_json()
    assert answered[-1] is True
    assert body == {"query": "渝A55555", "listed": False, "entries": [],
                    "near_matches": ["渝A55556"]}  # the centre's unpublished entry stays hidden


def test_a_listed_plate_is_recorded_as_a_sighting_on_the_fast_path(db, tree, client, answered):
    entry = listed_entry(tree, plate="渝A12345")
    headers = token_for(db, tree["north_team"])
    warm(client, headers)
    body = client.get(CHECK, query_string={"plate": "渝a12345"}, headers=headers).get_json()
    assert answered[-1] is True and body["listed"] is True
    sightings = db.session.scalars(select(Sighting).where(Sighting.entry_id == entry.id)).all()
    assert len(sightings) == 1
    assert sightings[0].source == SightingSource.api_check
    assert sightings[0].unit_id == tree["north_team"].id and sightings[0].plate == "渝A12345"


@pytest.mark.parametrize("query,status", [({"plate": ""}, 422), ({"plate": "渝" * 100}, 422),
                                          ({}, 422), ({"plate": "渝A1", "id_no": "1"}, 422),
                                          ({"plate": ["渝A12345", "渝A12346"]}, 200)])
def test_what_the_fast_path_does_not_answer_goes_to_flask(db, tree, client, answered, query,
                                                          status):
    headers = token_for(db, tree["north_team"])
    warm(client, headers)
    response = client.get(CHECK, query_string=query, headers=headers)
    assert answered[-1] is False
    assert response.status_code == status
    if status == 422:
        assert response.get_json()["error"]["code"]


def test_no_token_a_revoked_token_and_a_stale_token_go_to_flask(db, tree, client, answered):
    assert client.get(CHECK, query_string={"plate": "渝A12345"}).status_code == 401
    headers = token_for(db, tree["north_team"])
    warm(client, headers)
    token = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    token.last_used_at = token.last_used_at - dt.timedelta(minutes=6)
    db.session.flush()
    stale = token.last_used_at
    assert client.get(CHECK, query_string={"plate": "渝A12345"}, headers=headers).status_code \
        == 200
    assert answered[-1] is False  # Flask records the use ...
    db.session.refresh(token)
    assert token.last_used_at > stale
    client.get(CHECK, query_string={"plate": "渝A12345"}, headers=headers)
    assert answered[-1] is True  # ... and the next check is fast again
    token.revoked_at = token.last_used_at
    db.session.flush()
    response = client.get(CHECK, query_string={"plate": "渝A12345"}, headers=headers)
    assert response.status_code == 401 and answered[-1] is False
    bogus = {"Authorization": "Bearer ecs_not-a-token"}
    assert client.get(CHECK, query_string={"plate": "渝A1"}, headers=bogus).status_code == 401


def test_a_session_cookie_wins_over_the_fast_path(db, tree, client, login_as, answered):
    listed_entry(tree, plate="渝A55555", unit_key="centre_team", office_key="centre")
    headers = token_for(db, tree["north_team"])
    warm(client, headers)
    login_as("officer", "centre_team")
    body = client.get(CHECK, query_string={"plate": "渝A55555"}, headers=headers).get_json()
    assert answered[-1] is False
    assert body["listed"] is True  # as the logged-in centre officer, as Flask-Login decides


# -- the case list ----------------------------------------------------------------------------

CASES = "/api/v1/cases"


@pytest.fixture
def cases(db, tree):
    """Five cases in the north team (vehicles, parties, two officers), two in the centre."""
    from enforcement.cases.calendar import seed_holidays
    from enforcement.violations.seed import seed_violation_types
    from tests.factories import UserFactory
    from tests.test_query_counts import _add_cases

    seed_violation_types()
    seed_holidays(range(2024, 2028))
    made = {}
    for key, n, start in (("north_team", 5, 0), ("centre_team", 2, 20)):
        team = {"unit": tree[key], "officer": UserFactory(role=Role.officer, unit=tree[key]),
                "partner": UserFactory(role=Role.officer, unit=tree[key])}
        _add_cases(team, n, start)
        made[key] = team
    return made


@pytest.mark.parametrize("query", [
    {}, {"limit": "2"}, {"status": "draft"}, {"status": "closed"}, {"plate": "渝a·10001"},
    {"unit": "500112-JT01"}, {"violation": "FY-KY"}, {"from": "2020-01-01", "to": "2030-12-31"},
    {"limit": "3", "status": "draft", "unit": "500112"}])
@pytest.mark.parametrize("who", ["north_team", "auditor"])
def test_fast_case_pages_equal_the_views(app, db, tree, client, answered, cases, query, who):
    headers = token_for(db, tree["city" if who == "auditor" else who],
                        role=Role.auditor if who == "auditor" else Role.officer)
    client.get(CASES, headers=headers)  # records the token's use
    fast = client.get(CASES, query_string=query, headers=headers)
    assert answered[-1] is True
    slow = flask_only(app, client, CASES, query_string=query, headers=headers)
    assert fast.status_code == slow.status_code == 200
    assert fast.get_json() == slow.get_json()
    body = fast.get_json()
    if who == "north_team":
        assert {item["unit"] for item in body["items"]} <= {"500112-JT01"}
    if not query:
        assert len(body["items"]) == (5 if who == "north_team" else 7)
        first = body["items"][0]
        assert first["vehicles"][0]["plate"].startswith("渝A1") and len(first["officers"]) == 2
        assert first["parties"][0]["role"] == "driver"


def test_fast_case_pages_follow_the_cursor(app, db, tree, client, answered, cases):
    headers = token_for(db, tree["north_team"])
    client.get(CASES, headers=headers)
    seen, cursor = [], None
    while True:
        body = client.get(CASES, query_string={"limit": "2", **({"cursor": cursor} if cursor
                                                                 else {})},
                          headers=headers).get_json()
        assert answered[-1] is True
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)


@pytest.mark.parametrize("query,status", [
    ({"limit": "0"}, 422), ({"limit": "abc"}, 422), ({"limit": "100000"}, 422),
    ({"status": "bogus"}, 422), ({"cursor": "garbage"}, 400), ({"from": "2024-13-01"}, 422),
    ({"officer": "-1"}, 200), ({"limit": ["1", "2"]}, 200)])
def test_case_list_arguments_the_fast_path_leaves_to_flask(db, tree, client, answered, cases,
                                                           query, status):
    headers = token_for(db, tree["north_team"])
    client.get(CASES, headers=headers)
    response = client.get(CASES, query_string=query, headers=headers)
    assert answered[-1] is False
    assert response.status_code == status


def test_hot_path_settings_are_reused_briefly_and_a_change_applies_at_once(
        app, db, tree, client, answered, monkeypatch):
    from core import settings
    from core.models import Setting

    monkeypatch.setattr(settings, "_RECENT", {})
    monkeypatch.setitem(app.config, "SETTINGS_CACHE_SECONDS", 60.0)
    listed_entry(tree, plate="渝A12346")
    headers = token_for(db, tree["north_team"])
    warm(client, headers)
    check = {"plate": "渝A12345"}
    assert client.get(CHECK, query_string=check, headers=headers).get_json()["near_matches"] \
        == ["渝A12346"]
    admin = tree["city"]
    from tests.factories import UserFactory

    settings.set_value("blacklist.check_near_match_limit", 0,
                       actor=UserFactory(role=Role.admin, unit=admin))
    assert client.get(CHECK, query_string=check, headers=headers).get_json()["near_matches"] \
        == []  # changed here: applies at once
    db.session.get(Setting, "blacklist.check_near_match_limit").value = 5
    db.session.flush()  # as another process would change it: seen within the minute
    assert client.get(CHECK, query_string=check, headers=headers).get_json()["near_matches"] \
        == []
    assert answered[-1] is True
    settings._RECENT.clear()
    assert client.get(CHECK, query_string=check, headers=headers).get_json()["near_matches"] \
        == ["渝A12346"]
