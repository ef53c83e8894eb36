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
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"):
        assert fast.headers[name] == slow.headers[name]
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
