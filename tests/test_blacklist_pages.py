"""Blacklist pages: a repeat offender goes from the nightly rule to the public page through the
staff pages; bad steps are refused with a message and change nothing."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from blacklist.models import BlacklistEntry, EntryStatus
from core.base import local_today
from core.roles import Role
from tests.blacklist_support import decided_case, listed_entry, nominate_vehicle
from tests.conftest import csrf_token


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/blacklist/")})


def _step(client, entry, step, **data):
    token = csrf_token(client, f"/blacklist/{entry.id}")
    return client.post(f"/blacklist/{entry.id}/steps",
                       data={"csrf_token": token, "step": step, **data})


def test_repeat_offender_from_rule_to_public_page(db, tree, client, login_as):
    unit = tree["north_team"]
    decided_case(unit, plate="渝A71234", days_ago=200)
    decided_case(unit, plate="渝A71234", days_ago=10)
    login_as(Role.district_office, "north")
    token = csrf_token(client, "/blacklist/")
    assert client.post("/blacklist/rules/run", data={"csrf_token": token}).status_code == 302
    entry = db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.plate == "渝A71234",
                                                           BlacklistEntry.list_kind ==
                                                           "blacklist"))
    assert entry.status is EntryStatus.nominated
    # the office cannot approve before the leader
    _step(client, entry, "office_approve")
    db.session.refresh(entry)
    assert entry.office_approved_at is None
    _logout(client)
    login_as(Role.unit_leader, "north_team")
    assert "渝A71234" in client.get("/blacklist/?waiting=leader").get_data(as_text=True)
    _step(client, entry, "leader_approve", note="同意")
    _logout(client)
    login_as(Role.district_office, "north")
    _step(client, entry, "office_approve", note="同意")
    _step(client, entry, "notify",
          notified_on=(local_today() - dt.timedelta(days=20)).isoformat())
    _step(client, entry, "list")
    db.session.refresh(entry)
    assert entry.status is EntryStatus.listed
    page = client.get(f"/blacklist/{entry.id}").get_data(as_text=True)
    assert "data-testid=\"entry-history\"" in page and "同意" in page
    token = csrf_token(client, "/blacklist/batches")
    client.post("/blacklist/batches", data={"csrf_token": token, "period": "2026-11"})
    db.session.refresh(entry)
    assert entry.status is EntryStatus.published
    assert "渝A71234" in client.get("/blacklist/public").get_data(as_text=True)


def test_nomination_form(db, tree, client, login_as):
    case = decided_case(tree["north_team"], plate="渝A72345")
    login_as(Role.unit_leader, "north_team")
    token = csrf_token(client, "/blacklist/new")
    bad = client.post("/blacklist/new", data={"csrf_token": token, "list_kind": "blacklist",
                                              "subject_kind": "vehicle", "plate": "渝A72345",
                                              "case_numbers": case.number, "reason": ""})
    assert bad.status_code == 422
    assert db.session.scalar(select(BlacklistEntry).where(
        BlacklistEntry.plate == "渝A72345")) is None
    good = client.post("/blacklist/new", data={"csrf_token": token, "list_kind": "blacklist",
                                               "subject_kind": "vehicle", "plate": "渝a72345",
                                               "case_numbers": case.number,
                                               "reason": "一年内两次非法营运"})
    assert good.status_code == 302
    entry = db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.plate == "渝A72345"))
    assert entry.cases[0].case_id == case.id


def test_objection_and_review_through_the_pages(db, tree, client, login_as):
    from blacklist import services
    from tests.blacklist_support import users

    entry = nominate_vehicle(tree, plate="渝A73456")
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office)
    login_as(Role.district_office, "north")
    token = csrf_token(client, f"/blacklist/{entry.id}")
    client.post(f"/blacklist/{entry.id}/objections", data={"csrf_token": token,
                                                           "grounds": "车辆已过户"})
    db.session.refresh(entry)
    objection = entry.objections[0]
    client.post(f"/blacklist/objections/{objection.id}/review",
                data={"csrf_token": token, "decision": "upheld", "reason": "核实已过户"})
    db.session.refresh(entry)
    assert entry.status is EntryStatus.removed


def test_listing_in_objection_period_shows_an_error(db, tree, client, login_as):
    from blacklist import services
    from tests.blacklist_support import users

    entry = nominate_vehicle(tree, plate="渝A74567")
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office)
    login_as(Role.district_office, "north")
    response = _step(client, entry, "list")
    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.status is EntryStatus.notified
    page = client.get(f"/blacklist/{entry.id}").get_data(as_text=True)
    assert "alert-danger" in page


def test_other_district_sees_published_but_cannot_act(db, tree, client, login_as):
    from tests.blacklist_support import published_entry

    entry, _ = published_entry(tree, plate="渝A75678")
    hidden = listed_entry(tree, plate="渝A75679")
    login_as(Role.district_office, "centre")
    assert client.get(f"/blacklist/{entry.id}").status_code == 200
    assert client.get(f"/blacklist/{hidden.id}").status_code == 404
    token = csrf_token(client, "/blacklist/")
    response = client.post(f"/blacklist/{entry.id}/steps", data={
        "csrf_token": token, "step": "revoke", "note": "x"})
    assert response.status_code == 404
    db.session.refresh(entry)
    assert entry.status is EntryStatus.published


def test_list_pages_render(db, tree, client, login_as):
    listed_entry(tree, plate="渝A76789")
    login_as(Role.officer, "north_team")
    for url in ("/blacklist/", "/blacklist/?status=listed&list=blacklist&subject=vehicle&q=渝A76789",
                "/blacklist/batches", "/blacklist/monitoring", "/blacklist/check"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "渝A76789" in client.get("/blacklist/?q=渝a76789").get_data(as_text=True)


def test_xlsx_export_is_scoped(db, tree, client, login_as):
    import io

    import openpyxl

    listed_entry(tree, plate="渝A77001")
    listed_entry(tree, plate="渝A77002", unit_key="centre_team", office_key="centre")
    login_as(Role.unit_leader, "north_team")
    response = client.get("/blacklist/?format=xlsx&status=listed")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    plates = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert plates == ["渝A77001"]


def test_notice_to_the_party_pdf(db, tree, client, login_as):
    import io

    import pypdf

    from blacklist import services
    from tests.blacklist_support import users

    entry = nominate_vehicle(tree, plate="渝A78901")
    login_as(Role.district_office, "north")
    assert client.get(f"/blacklist/{entry.id}/notice.pdf").status_code == 409
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    response = client.get(f"/blacklist/{entry.id}/notice.pdf")
    text = pypdf.PdfReader(io.BytesIO(response.get_data())).pages[0].extract_text()
    assert "列入黑名单事先告知书" in text and "渝A78901" in text
