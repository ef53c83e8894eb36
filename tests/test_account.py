"""The user's own account: password change and optional second factor."""
from __future__ import annotations

import pyotp
from sqlalchemy import select

from core import security
from core.models import UserSession
from core.roles import Role
from extensions import db as _db
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

NEW = "Jialing-River-Cable-Car-7"


def test_change_password_needs_the_current_one(client, login_as):
    user = login_as(Role.officer, "north_team")
    token = csrf_token(client, "/account")
    wrong = client.post("/account/password", data={"csrf_token": token, "current": "nope",
                                                   "password": NEW, "confirm": NEW})
    assert wrong.status_code == 422
    _db.session.refresh(user)
    assert security.verify_password(user, PASSWORD)


def test_change_password_applies_the_rule_and_ends_other_sessions(client, app, login_as):
    user = login_as(Role.officer, "north_team")
    other = app.test_client()
    login(other, user.username)
    token = csrf_token(client, "/account")
    weak = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                  "password": "12345678901",
                                                  "confirm": "12345678901"})
    assert weak.status_code == 422
    ok = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                "password": NEW, "confirm": NEW})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one has ended
    _db.session.expire_all()
    assert security.verify_password(_db.session.get(type(user), user.id), NEW)
    live = _db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))).all()
    assert len(live) == 1


def test_optional_second_factor_for_an_officer(client, login_as):
    user = login_as(Role.officer, "north_team")
    page = client.get("/account")
    assert page.status_code == 200
    with client.session_transaction() as sess:
        secret = sess["account_totp_secret"]
    assert secret in page.get_data(as_text=True)
    token = csrf_token(client, "/account")
    bad = client.post("/account/totp", data={"csrf_token": token, "code": "000000"})
    assert bad.status_code == 422
    good = client.post("/account/totp", data={"csrf_token": token,
                                              "code": pyotp.TOTP(secret).now()})
    assert good.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    response = login(client, user.username)
    assert response.location.endswith("/login/2fa")  # now asked at every log-in
