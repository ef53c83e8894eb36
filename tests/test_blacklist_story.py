"""The issue's 'done when', end to end: a repeat offender is nominated by the nightly rule,
approved, notified, listed, published masked, seen by another unit's system through the change
feed, flagged when an officer types the plate, and expires on time."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from blacklist import ending, feed, jobs, publication, services
from blacklist.models import BlacklistEntry, EntryStatus, Sighting
from core import security
from core.base import local_today
from core.roles import Role
from tests.blacklist_support import ID_NO, decided_case, users
from tests.factories import UserFactory


def test_repeat_offender_story(db, tree, client, login_as):
    north = tree["north_team"]
    decided_case(north, plate="渝A90909", person="钱多多", id_number=ID_NO, days_ago=150)
    decided_case(north, plate="渝A90909", person="钱多多", id_number=ID_NO, days_ago=40)
    # the nightly job nominates the vehicle and the person
    jobs.nightly_rules_and_expiry()
    entry = db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.plate == "渝A90909"))
    assert entry.status is EntryStatus.nominated and entry.rule_code == "repeat_decisions"
    # approved by the unit leader, then the district office; notified; listed after 5 working days
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office, notified_on=local_today() - dt.timedelta(days=10))
    services.list_entry(entry, actor=office)
    # published masked
    batch = publication.publish_batch(actor=office, period=local_today().strftime("%Y-%m"))
    person = db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.id_number == ID_NO))
    assert person.status is EntryStatus.nominated  # not approved: not published
    public = client.get("/api/v1/blacklist/published").get_json()
    assert public["batch"] == batch.number
    assert [e["plate"] for e in public["entries"]] == ["渝A90909"]
    assert "钱多多" not in client.get("/blacklist/public").get_data(as_text=True)
    # another district's system sees it through the change feed
    centre_user = UserFactory(role=Role.officer, unit=tree["centre_team"])
    _t, raw = security.create_token(centre_user, "渝中区系统")
    db.session.flush()
    headers = {"Authorization": f"Bearer {raw}"}
    body = client.get("/api/v1/blacklist/changes", headers=headers).get_json()
    rebuilt = feed.apply_changes({}, body["changes"])
    assert [e["plate"] for e in rebuilt.values()] == ["渝A90909"]
    # an officer types the plate, messy: flagged, and the sighting is recorded
    login_as(Role.officer, "centre_team")
    page = client.get("/blacklist/check", query_string={"plate": "渝a９０９０９"})
    assert 'data-testid="check-listed"' in page.get_data(as_text=True)
    assert db.session.scalar(select(Sighting).where(Sighting.entry_id == entry.id)) is not None
    # it expires on time and leaves the public list and the feed's rebuilt list
    assert ending.expire_due(entry.ends_on - dt.timedelta(days=1)) == 0
    assert ending.expire_due(entry.ends_on) >= 1
    assert entry.status is EntryStatus.expired
    assert client.get("/api/v1/blacklist/published").get_json()["entries"] == []
    later = client.get("/api/v1/blacklist/changes", query_string={"since": body["next_cursor"]},
                       headers=headers).get_json()
    assert feed.apply_changes(rebuilt, later["changes"]) == {}
