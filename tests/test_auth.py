"""Log-in, throttling, sessions, timeouts, log-out, second factor, CSRF."""
from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import func, select

from core import crypto, security
from core.models import ApiToken, LoginAttempt, UserSession
from core.roles import Role
from extensions import db as _db
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def officer(tree, db):
    return UserFactory(username="zhang", role=Role.officer, unit=tree["north_team"])


def test_login_page_is_chinese_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.get_data(as_text=True)


def test_good_login_starts_a_server_side_session(client, officer):
    response = login(client, "zhang")
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").status_code == 200
    assert _db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == officer.id, UserSession.ended_at.is_(None))) == 1


def test_user_name_is_case_insensitive(client, officer):
    assert login(client, "ZHANG").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(client, officer):
    wrong = login(client, "zhang", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


@pytest.mark.parametrize("username", ["zhang", "ghost"])
def test_throttled_after_repeated_failures_whether_or_not_user_exists(client, app, officer,
                                                                     username):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, username, "wrong-password").status_code == 401
    throttled = login(client, username, PASSWORD if username == "zhang" else "x")
    assert throttled.status_code == 429
    # Even the right password is refused while throttled.
    assert login(client, "zhang" if username == "zhang" else username, PASSWORD).status_code \
        == 429


def test_throttle_window_expires(client, app, officer):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "zhang", "wrong-password")
    old = security.utcnow() - dt.timedelta(
        minutes=app.config["LOGIN_FAILURE_WINDOW_MINUTES"] + 1)
    _db.session.execute(LoginAttempt.__table__.update().values(attempted_at=old))
    assert login(client, "zhang").status_code == 302


def test_successful_login_clears_failures(client, officer):
    login(client, "zhang", "wrong-password")
    login(client, "zhang")
    assert _db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_new_session_key_on_every_login(client, officer):
    login(client, "zhang")
    with client.session_transaction() as sess:
        first = sess["_user_id"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "zhang")
    with client.session_transaction() as sess:
        second = sess["_user_id"]
    assert first != second


def test_logout_invalidates_on_the_server(client, app, officer):
    login(client, "zhang")
    with client.session_transaction() as sess:
        stolen = dict(sess)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302 and "/login" in response.location
    # Replaying the old cookie content does not bring the session back.
    with client.session_transaction() as sess:
        sess.update(stolen)
    assert client.get("/").status_code == 302


def test_logout_needs_csrf(client, officer):
    login(client, "zhang")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_idle_timeout(client, app, officer):
    login(client, "zhang")
    idle = security.utcnow() - dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    _db.session.execute(UserSession.__table__.update().values(last_seen_at=idle))
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location
    row = _db.session.scalar(select(UserSession).where(UserSession.user_id == officer.id))
    _db.session.refresh(row)
    assert row.end_reason == "idle"


def test_absolute_timeout(client, app, officer):
    login(client, "zhang")
    born = security.utcnow() - dt.timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"] + 1)
    _db.session.execute(UserSession.__table__.update().values(created_at=born))
    assert client.get("/").status_code == 302


def test_disabling_a_user_ends_sessions_and_tokens_at_once(client, tree, db, officer):
    from core import services

    login(client, "zhang")
    raw = services.issue_token(officer, actor=None, name="t")
    _db.session.flush()
    api = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/units", headers=api).status_code == 200
    admin = UserFactory(role=Role.admin, unit=tree["city"])
    services.set_user_active(officer, actor=admin, active=False)
    _db.session.flush()
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/units", headers=api).status_code == 401
    assert _db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == officer.id, ApiToken.revoked_at.is_(None))) == 0


def test_missing_csrf_token_on_login_is_refused(client, officer):
    response = client.post("/login", data={"username": "zhang", "password": PASSWORD})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_open_redirect_is_refused(client, officer):
    client.get("/login?next=//evil.example/x")
    response = login(client, "zhang")
    assert response.location == "/"


def test_next_is_followed_inside_the_site(client, officer):
    client.get("/login?next=/units")
    assert login(client, "zhang").location.startswith("/units")


# Second factor ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.admin, Role.city_office, Role.finance])
def test_second_factor_required_and_enrolled_for_privileged_roles(client, tree, db, role):
    user = UserFactory(username="boss", role=role, unit=tree["city"])
    response = login(client, "boss")
    assert response.status_code == 302 and response.location.endswith("/login/2fa")
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/login/2fa").get_data(as_text=True)
    with client.session_transaction() as sess:
        secret = sess["totp_secret"]
    assert secret in page
    wrong = client.post("/login/2fa", data={"csrf_token": csrf_token(client, "/login/2fa"),
                                            "code": "000000"})
    assert wrong.status_code == 400
    good = client.post("/login/2fa", data={"csrf_token": csrf_token(client, "/login/2fa"),
                                           "code": pyotp.TOTP(secret).now()})
    assert good.status_code == 302 and good.location == "/"
    _db.session.refresh(user)
    assert user.totp_secret_enc and secret not in user.totp_secret_enc  # stored encrypted
    assert client.get("/").status_code == 200


def test_enrolled_user_must_give_the_current_code(client, tree, db):
    user = UserFactory(username="boss", role=Role.admin, unit=tree["city"])
    secret = pyotp.random_base32()
    user.totp_secret_enc = crypto.encrypt_text(secret, context=f"totp:{user.id}")
    _db.session.flush()
    login(client, "boss")
    assert "totp_secret" not in client.get("/login/2fa").get_data(as_text=True)
    bad = client.post("/login/2fa", data={"csrf_token": csrf_token(client, "/login/2fa"),
                                          "code": "12ab56"})
    assert bad.status_code == 400
    ok = client.post("/login/2fa", data={"csrf_token": csrf_token(client, "/login/2fa"),
                                         "code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302


def test_second_factor_page_without_password_step_goes_to_login(client):
    response = client.get("/login/2fa")
    assert response.status_code == 302 and response.location.endswith("/login")


def test_encrypted_secret_is_bound_to_its_user(app, db):
    with app.test_request_context():
        token = crypto.encrypt_text("SECRET", context="totp:1")
        assert crypto.decrypt_text(token, context="totp:1") == "SECRET"
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_text(token, context="totp:2")


# Password rule -----------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["short", "password1234", "qwertyuiop", "zhang-2024-pass"])
def test_password_rule_refuses(app, password):
    with app.app_context(), pytest.raises(security.PasswordRuleError):
        security.check_password_rule(password, username="zhang")


def test_password_rule_accepts_a_long_uncommon_password(app):
    with app.app_context():
        security.check_password_rule("Yellow-River-Bridge-42", username="zhang")


def test_hashes_are_argon2id(app):
    with app.app_context():
        assert security.hash_password("Yellow-River-Bridge-42").startswith("$argon2id$")
