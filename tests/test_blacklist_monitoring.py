"""Monitoring: listed plates entered in a case, a tip or a check raise alerts; the monitoring
page, its map data and the officers' quick check; the sync command pulls a feed."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from blacklist import feed
from blacklist.models import RemoteEntry, Sighting, SightingSource
from core import security
from core.base import utcnow
from core.roles import Role
from enforcement.tips import services as tip_services
from tests.blacklist_support import decided_case, listed_entry, published_entry
from tests.factories import UserFactory


def _sightings(plate):
    return [(s.source, s.plate) for s in
            __import__("extensions").db.session.scalars(
                select(Sighting).where(Sighting.plate == plate).order_by(Sighting.id))]


def test_case_vehicle_with_a_listed_plate_raises_an_alert(db, tree):
    entry = listed_entry(tree, plate="渝A61234")
    before = len(_sightings("渝A61234"))
    case = decided_case(tree["north_team"], plate="渝a·61234", lat=29.6, lng=106.5)
    rows = db.session.scalars(select(Sighting).where(Sighting.source == SightingSource.case,
                                                     Sighting.source_id == case.id)).all()
    assert len(_sightings("渝A61234")) == before + 1
    assert [(r.entry_id, r.unit_id, r.lat) for r in rows] == [(entry.id, case.unit_id, 29.6)]


def test_unlisted_plate_raises_nothing(db, tree):
    decided_case(tree["north_team"], plate="渝A69999")
    assert _sightings("渝A69999") == []


def test_tip_plate_with_a_listed_plate_raises_an_alert(db, tree):
    listed_entry(tree, plate="渝A62345")
    reviewer = UserFactory(role=Role.tip_reviewer, unit=tree["north"])
    tip, _code = tip_services.submit_tip(tip_services.TipInput(
        what="黑车拉客", description="火车站", occurred_at=utcnow(), address="重庆北站",
        plates=["渝A62345"]), channel="hotline_12328", actor=reviewer)
    db.session.flush()
    assert (SightingSource.tip, "渝A62345") in _sightings("渝A62345")


def test_quick_check_page_answers_and_records(db, tree, client, login_as):
    listed_entry(tree, plate="渝A63456")
    login_as(Role.officer, "north_team")
    page = client.get("/blacklist/check", query_string={"plate": "渝a 63456"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="check-listed"' in html
    assert (SightingSource.quick_check, "渝A63456") in _sightings("渝A63456")
    near = client.get("/blacklist/check", query_string={"plate": "渝A63457"})
    assert 'data-testid="check-near"' in near.get_data(as_text=True)
    clear = client.get("/blacklist/check", query_string={"plate": "渝B00000"})
    assert 'data-testid="check-clear"' in clear.get_data(as_text=True)
    bad = client.get("/blacklist/check", query_string={"plate": "x" * 10_000})
    assert bad.status_code == 422


def test_monitoring_page_and_map_data(db, tree, client, login_as):
    listed_entry(tree, plate="渝A64567")
    decided_case(tree["north_team"], plate="渝A64567", lat=29.61, lng=106.52)
    login_as(Role.district_office, "north")
    page = client.get("/blacklist/monitoring")
    assert page.status_code == 200 and "渝A64567" in page.get_data(as_text=True)
    points = client.get("/blacklist/monitoring/data").get_json()["points"]
    assert [p[2] for p in points] == ["渝A64567"]


def test_other_district_does_not_see_alerts_of_unpublished_entries(db, tree, client, login_as):
    listed_entry(tree, plate="渝A65678")
    decided_case(tree["north_team"], plate="渝A65678", lat=29.61, lng=106.52)
    login_as(Role.district_office, "centre")
    assert client.get("/blacklist/monitoring/data").get_json()["points"] == []


def _client_fetch(client):
    def fetch(url, headers):
        parts = urlsplit(url)
        response = client.get(f"{parts.path}?{parts.query}", headers=headers)
        return response.status_code, response.get_json()

    return fetch


def test_sync_command_pulls_another_instances_feed(db, tree, client, runner, monkeypatch):
    entry, _batch = published_entry(tree, plate="渝A66789", unit_key="centre_team",
                                    office_key="centre")
    listed_entry(tree, plate="渝A66790", unit_key="centre_team", office_key="centre")
    consumer = UserFactory(role=Role.officer, unit=tree["north_team"])
    _token, raw = security.create_token(consumer, "north system")
    db.session.flush()
    monkeypatch.setattr(feed, "http_fetch", _client_fetch(client))
    result = runner.invoke(args=["blacklist", "sync", "--from", "http://city.example/",
                                 "--token", raw])
    assert result.exit_code == 0, result.output
    assert "1 entries listed" in result.output
    mirrored = feed.remote_list("http://city.example")
    assert set(mirrored) == {entry.uid} and mirrored[entry.uid]["plate"] == "渝A66789"
    # nothing new: a second sync applies nothing and keeps the list
    result = runner.invoke(args=["blacklist", "sync", "--from", "http://city.example",
                                 "--token", raw])
    assert "0 changes applied" in result.output
    assert len(db.session.scalars(select(RemoteEntry)).all()) == 1


def test_sync_with_a_bad_token_fails_clearly(db, tree, client, runner, monkeypatch):
    monkeypatch.setattr(feed, "http_fetch", _client_fetch(client))
    result = runner.invoke(args=["blacklist", "sync", "--from", "http://city.example",
                                 "--token", "wrong"])
    assert result.exit_code == 1 and "401" in result.output


def test_alert_of_another_districts_unpublished_entry_stays_with_its_owner(db, tree, client,
                                                                           login_as):
    listed_entry(tree, plate="渝A67890", unit_key="centre_team", office_key="centre")
    decided_case(tree["north_team"], plate="渝A67890", lat=29.6, lng=106.5)  # seen in the north
    login_as(Role.district_office, "north")
    assert "渝A67890" not in client.get("/blacklist/monitoring").get_data(as_text=True)


def test_owner_sees_where_its_listed_vehicle_was_seen(db, tree, client, login_as):
    listed_entry(tree, plate="渝A67891", unit_key="centre_team", office_key="centre")
    decided_case(tree["north_team"], plate="渝A67891", lat=29.6, lng=106.5)
    login_as(Role.district_office, "centre")
    points = client.get("/blacklist/monitoring/data").get_json()["points"]
    assert [p[2] for p in points] == ["渝A67891"]
