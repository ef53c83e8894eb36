"""为举报人保密: identity encrypted at rest, read only by tip reviewers and audited each time,
never in the queue, the export, the API or the public pages."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from core import crypto
from core.audit import AuditLog
from core.errors import ForbiddenError
from core.roles import Role
from enforcement.tips import services
from enforcement.tips.models import Tip
from extensions import db as _db
from tests.conftest import csrf_token
from tests.factories import UserFactory

NAME, PHONE = "王秘密", "13912345678"


@pytest.fixture
def named_tip(db, tree):
    tip, code = services.submit_tip(services.TipInput(
        what="黑车拉客", description="北站拉客", occurred_at=services.utcnow() -
        dt.timedelta(hours=1), address="重庆北站", lat=29.61, lng=106.55, plates=["渝A12345"],
        name=NAME, phone=PHONE, wants_reward=True), channel="web")
    tip.unit_id = tree["north"].id
    _db.session.flush()
    return tip, code


def _identity_reads(tip) -> int:
    return _db.session.scalar(select(_db.func.count(AuditLog.id)).where(
        AuditLog.action == "tip.identity_read", AuditLog.object_id == str(tip.id)))


def test_identity_not_stored_in_clear(named_tip):
    tip, _code = named_tip
    for table in ("tips", "tip_plates", "tip_messages", "audit_log"):
        for row in _db.session.execute(_db.text(f"SELECT * FROM {table}")).mappings():
            text = " ".join(str(v) for v in row.values())
            assert NAME not in text and PHONE not in text
    row = _db.session.execute(_db.text("SELECT name_enc, phone_enc FROM tips WHERE id = :i"),
                              {"i": tip.id}).one()
    assert row.name_enc and row.phone_enc
    # The ciphertext is bound to this tip: moved to another tip it does not decrypt.
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(row.name_enc, context="tip-identity:other:name")


def test_reviewer_reveals_identity_and_each_read_is_audited(client, login_as, named_tip):
    tip, _code = named_tip
    reviewer = login_as(Role.tip_reviewer, "north")
    page = client.get(f"/tips/{tip.id}").get_data(as_text=True)
    assert NAME not in page and PHONE not in page and 'data-testid="reveal-identity"' in page
    token = csrf_token(client, f"/tips/{tip.id}")
    for n in (1, 2):
        response = client.post(f"/tips/{tip.id}/reveal", data={"csrf_token": token})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert NAME in body and PHONE in body
        assert _identity_reads(tip) == n
    entry = _db.session.scalar(select(AuditLog).where(AuditLog.action == "tip.identity_read"))
    assert entry.actor_id == reviewer.id
    assert NAME not in entry.detail and PHONE not in entry.detail
    # Shown once: the next ordinary view does not carry it.
    assert NAME not in client.get(f"/tips/{tip.id}").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.unit_leader, Role.officer, Role.auditor,
                                  Role.district_office])
def test_other_roles_cannot_reveal(client, login_as, named_tip, role):
    tip, _code = named_tip
    login_as(role, "north")
    token = csrf_token(client, "/account")
    response = client.post(f"/tips/{tip.id}/reveal", data={"csrf_token": token})
    assert response.status_code == 403
    assert _identity_reads(tip) == 0
    with pytest.raises(ForbiddenError):
        services.reveal_identity(tip, UserFactory(role=role, unit=tip.unit))


def test_no_identity_in_queue_export_or_detail(client, login_as, named_tip):
    tip, _code = named_tip
    login_as(Role.tip_reviewer, "north")
    queue = client.get("/tips").get_data(as_text=True)
    assert "黑车拉客" in queue and NAME not in queue and PHONE not in queue
    export = client.get("/tips?format=xlsx")
    assert export.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(export.data))
    cells = [str(c) for row in wb.active.iter_rows(values_only=True) for c in row if c]
    assert any("黑车拉客" in c for c in cells)
    assert not any(NAME in c or PHONE in c or PHONE[-4:] in c for c in cells)
    assert _identity_reads(tip) == 0


def test_no_identity_in_api_or_public_status(client, named_tip):
    tip, code = named_tip
    response = client.get(f"/api/v1/tips/status/{code}")
    assert response.get_json() == {"status": "received"}
    created = client.post("/api/v1/tips", json={
        "what": "x", "description": "y", "address": "重庆北站", "lat": 29.6, "lng": 106.5,
        "occurred_at": services.utcnow().isoformat(), "name": NAME, "phone": PHONE,
        "wants_reward": True})
    assert created.status_code == 201 and NAME not in created.get_data(as_text=True)
    token = csrf_token(client, "/tips/status")
    page = client.post("/tips/status", data={"csrf_token": token, "code": code})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and NAME not in text and PHONE not in text


def test_no_client_address_stored(client, tree):
    response = client.post("/api/v1/tips", json={
        "what": "x", "description": "y", "address": "重庆北站", "lat": 29.6, "lng": 106.5,
        "occurred_at": services.utcnow().isoformat()},
        environ_overrides={"REMOTE_ADDR": "203.0.113.77"},
        headers={"User-Agent": "SecretBrowser/1.0"})
    assert response.status_code == 201
    for table in ("tips", "audit_log"):
        for row in _db.session.execute(_db.text(f"SELECT * FROM {table}")).mappings():
            text = " ".join(str(v) for v in row.values())
            assert "203.0.113.77" not in text and "SecretBrowser" not in text
    assert _db.session.scalar(select(Tip).order_by(Tip.id.desc())).created_by_id is None


def test_access_log_carries_no_address_agent_or_receipt_code():
    """The gunicorn access log line of a status look-up, formatted as in production."""
    import datetime as _dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from core.gunicorn_logging import PrivateAccessLogger

    logger = PrivateAccessLogger(Config())
    environ = {"REMOTE_ADDR": "203.0.113.7", "REQUEST_METHOD": "GET",
               "RAW_URI": "/api/v1/tips/status/ABCD-EFGH-JKMN", "PATH_INFO":
               "/api/v1/tips/status/ABCD-EFGH-JKMN", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_USER_AGENT": "Mozilla/5.0 informant-phone"}
    req = SimpleNamespace(headers=[("USER-AGENT", "Mozilla/5.0 informant-phone"),
                                   ("X-FORWARDED-FOR", "198.51.100.9")])
    resp = SimpleNamespace(status="200 OK", sent=12, headers=[],
                           response_length=12)
    atoms = logger.atoms(resp, req, environ, _dt.timedelta(milliseconds=5))
    line = logger.cfg.access_log_format % atoms
    assert "203.0.113.7" not in line and "informant-phone" not in line
    assert "198.51.100.9" not in str(atoms) and "ABCD-EFGH-JKMN" not in line
    assert "/api/v1/tips/status/[redacted]" in line
