"""Publication (§6.4): frozen batches, one masking policy everywhere public, ended entries leave
every public output at once; a scan of every public page and file finds no personal data."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pypdf
import pytest

from blacklist import ending, masking, publication, services
from blacklist.models import EntryStatus
from core.base import local_today
from core.errors import ConflictError
from core.permissions import access_of
from core.roles import Role
from tests.blacklist_support import ID_NO, decided_case, listed_entry, published_entry, users
from tests.factories import UserFactory

NAME, PHONE = "欧阳建国", "13812345678"
# digit runs inside hexadecimal ids (entry ids are random hex) are not personal data
ID_RE = re.compile(r"(?<![0-9a-f])[1-9][0-9]{16}[0-9X](?![0-9a-f])")
PHONE_RE = re.compile(r"(?<![0-9a-f])1[3-9][0-9]{9}(?![0-9a-f])")


def person_entry(tree):
    unit = tree["north_team"]
    case = decided_case(unit, plate="渝A88888", person=NAME, id_number=ID_NO)
    leader, office = users(tree)
    entry = services.nominate(services.NominationInput(
        subject=services.SubjectInput(kind="person", name=NAME, id_number=ID_NO, phone=PHONE),
        reason=f"{NAME} 组织非法营运", case_ids=[case.id]), actor=leader, unit=unit)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office, notified_on=local_today() - dt.timedelta(days=20))
    services.list_entry(entry, actor=office)
    return entry


def test_mask_policy_defaults():
    out = masking.mask_values({"name": NAME, "id_no": ID_NO, "phone": PHONE, "plate": "渝A1"},
                              masking.DEFAULT_POLICY)
    assert out["name"] == "欧阳**" and out["id_no"] == "500112********3311"
    assert out["phone"] == "" and out["plate"] == "渝A1"
    assert set(out) == set(masking.PUBLIC_FIELDS)


def test_batch_freezes_listed_entries_and_publishes_them(db, tree):
    vehicle = listed_entry(tree, plate="渝A10001")
    person = person_entry(tree)
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    batch = publication.publish_batch(actor=office, period="2026-11")
    assert {i.entry_id for i in batch.items} == {vehicle.id, person.id}
    assert vehicle.status is EntryStatus.published and vehicle.first_published_at
    rows = publication.public_rows(batch)
    assert {r["plate"] for r in rows} >= {"渝A10001"}
    assert [r["name"] for r in rows if r["subject"] == "person"] == ["欧阳**"]


def test_entry_in_objection_period_cannot_be_published(db, tree):
    from tests.blacklist_support import nominate_vehicle

    entry = nominate_vehicle(tree, plate="渝A20002")
    leader, office = users(tree)
    services.approve_by_leader(entry, actor=leader)
    services.approve_by_office(entry, actor=office)
    services.notify(entry, actor=office)
    with pytest.raises(ConflictError):
        publication.publish_batch(actor=office, period="2026-11", entry_ids=[entry.id])
    assert entry.status is EntryStatus.notified


def test_bad_period_and_wrong_role(db, tree):
    from core.errors import DomainError

    listed_entry(tree)
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    with pytest.raises(DomainError):
        publication.publish_batch(actor=office, period="2026-13")
    leader = UserFactory(role=Role.unit_leader, unit=tree["north_team"])
    with pytest.raises(DomainError):
        publication.publish_batch(actor=leader, period="2026-11")


def test_ended_entry_leaves_every_public_output_at_once(db, tree, client):
    entry, batch = published_entry(tree, plate="渝A30003")
    assert "渝A30003" in client.get("/blacklist/public").get_data(as_text=True)
    _leader, office = users(tree)
    ending.revoke(entry, actor=office, reason="决定被撤销")
    db.session.flush()
    assert "渝A30003" not in client.get("/blacklist/public").get_data(as_text=True)
    assert "渝A30003" not in client.get(
        f"/blacklist/public/{batch.number}/csv").get_data(as_text=True)
    assert client.get("/api/v1/blacklist/published").get_json()["entries"] == []


def _public_urls(app, batch_number):
    urls = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        access = access_of(view)
        if not access or not access.public or "GET" not in rule.methods:
            continue
        if not (rule.rule.startswith("/blacklist") or rule.rule.startswith("/api/v1/blacklist")):
            continue
        urls.append(rule.build({"number": batch_number} if "number" in rule.arguments else {},
                               append_unknown=False)[1])
    return urls


def _text(response) -> str:
    if response.mimetype == "application/pdf":
        reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
        return "\n".join(page.extract_text() for page in reader.pages)
    if response.is_json:  # compare the characters, not their \\u escapes
        import json

        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def test_no_public_page_or_file_contains_personal_data(app, db, tree, client):
    person_entry(tree)
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    batch = publication.publish_batch(actor=office, period="2026-11")
    urls = _public_urls(app, batch.number)
    assert len(urls) >= 5, urls
    seen_masked = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text(response)
        assert NAME not in text and ID_NO not in text and PHONE not in text, url
        assert not ID_RE.search(text) and not PHONE_RE.search(text), url
        assert "组织非法营运" not in text, url  # free-text reasons are never public
        seen_masked += "500112********3311" in text
    assert seen_masked >= 4


def test_csv_is_readable_and_masked(db, tree, client):
    person_entry(tree)
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    batch = publication.publish_batch(actor=office, period="2026-11")
    response = client.get(f"/blacklist/public/{batch.number}/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "批次" and rows[1][0] == batch.number
    assert "欧阳**" in rows[1]


def test_pdf_embeds_cjk_text(db, tree, client):
    _entry, batch = published_entry(tree, plate="渝A40004")
    response = client.get(f"/blacklist/public/{batch.number}/pdf")
    assert response.mimetype == "application/pdf"
    text = _text(response)
    assert "渝A40004" in text and "非法营运黑名单" in text


def test_unknown_batch_is_404(db, tree, client):
    assert client.get("/blacklist/public/nope/pdf").status_code == 404


def test_concurrent_publications_get_distinct_numbers(fresh_app):
    """Two offices publish at once: both batches exist with different numbers, no error."""
    import threading

    from sqlalchemy import select

    from blacklist.models import PublicationBatch
    from core.models import Unit, UnitKind
    from extensions import db
    from tests.blacklist_support import listed_entry as make_listed

    with fresh_app.app_context():
        city = Unit(code="500000", name="重庆市", kind=UnitKind.city, path="/", depth=0)
        db.session.add(city)
        db.session.flush()
        city.path = f"/{city.id}/"
        north = Unit(code="500112", name="渝北区", kind=UnitKind.district, parent=city, depth=1)
        team = Unit(code="500112-JT01", name="渝北执法支队", kind=UnitKind.department,
                    department="transport", parent=north, depth=2)
        db.session.add_all([north, team])
        db.session.flush()
        north.path, team.path = f"{city.path}{north.id}/", f"{city.path}{north.id}/{team.id}/"
        tree = {"north": north, "north_team": team}
        make_listed(tree, plate="渝A90001")
        make_listed(tree, plate="渝A90002")
        offices = [UserFactory(role=Role.district_office, unit=north).id for _ in range(2)]
        db.session.commit()
        db.session.remove()
    errors, barrier = [], threading.Barrier(2, timeout=30)

    def publish(user_id):
        try:
            barrier.wait()  # before any query: SQLite's first query takes the write lock
            with fresh_app.app_context():
                from core.models import User

                actor = db.session.get(User, user_id)
                publication.publish_batch(actor=actor, period="2026-11")
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(u,)) for u in offices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with fresh_app.app_context():
        numbers = db.session.scalars(select(PublicationBatch.number)).all()
        assert sorted(numbers) == ["500112-2026-11-01", "500112-2026-11-02"]
        db.session.remove()
