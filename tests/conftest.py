"""Fixtures: app, db with per-test rollback, client, runner, login_as(role, unit), a fresh database.

The schema is built by running the migrations (never ``create_all``), once per test session, on
SQLite by default or on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""
from __future__ import annotations

import contextvars
import os
import re
import secrets
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from config import TestConfig
from core.models import Department, UnitKind
from core.roles import Role
from extensions import db as _db
from tests.factories import PASSWORD, UnitFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _pg_admin_url(url: str):
    return make_url(url).set(database="postgres")


def create_database(base_url: str | None) -> str:
    """A new empty database: a temp SQLite file, or a new PostgreSQL database beside the test one."""
    if not base_url or base_url.startswith("sqlite"):
        fd, path = tempfile.mkstemp(prefix="ecs-test-", suffix=".sqlite3")
        os.close(fd)
        return f"sqlite:///{path}"
    name = f"ecs_test_{secrets.token_hex(4)}"
    engine = create_engine(_pg_admin_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = make_url(url).database
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    name = make_url(url).database
    engine = create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def make_app(database_url: str, **overrides):
    config = TestConfig(database_url)
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


@pytest.fixture(scope="session")
def base_database_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return url


@pytest.fixture(scope="session")
def database_url(base_database_url):
    url = create_database(base_database_url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def app(database_url):
    application = make_app(database_url)
    with application.app_context():
        upgrade()
        _db.session.remove()
    yield application
    with application.app_context():
        for engine in _db.engines.values():
            engine.dispose()


@pytest.fixture
def fresh_app(base_database_url):
    """An app on its own new, migrated database, for tests that must really commit."""
    url = create_database(base_database_url)
    application = make_app(url)
    with application.app_context():
        upgrade()
        _db.session.remove()
    yield application
    with application.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()
    drop_database(url)


@pytest.fixture
def db(app):
    """The database session, inside a transaction rolled back after the test."""
    with app.app_context():
        engine = _db.engine
        connection = engine.connect()
        outer = connection.begin()
        engines = _db._app_engines[app]
        engines[None] = connection  # every session bind now goes through this connection
        _db.session.remove()
        _db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield _db
        finally:
            _db.session.remove()
            engines[None] = engine
            outer.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in an empty context: each request pushes its own app
    context (its own ``g`` and database session), as in production, instead of borrowing the
    test's. The database connection, and so the test's transaction, is shared."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # streamed bodies are produced inside the context
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app, db):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture
def tree(db):
    """A small organisation: city → two districts → a street and a departmental unit each."""
    city = UnitFactory(code="500000", name="重庆市", kind=UnitKind.city)
    north = UnitFactory(code="500112", name="渝北区", parent=city)
    centre = UnitFactory(code="500103", name="渝中区", parent=city)
    north_street = UnitFactory(code="500112001", name="双龙湖街道", kind=UnitKind.street,
                               parent=north)
    north_team = UnitFactory(code="500112-JT01", name="渝北执法支队", kind=UnitKind.department,
                             department=Department.transport, parent=north)
    centre_team = UnitFactory(code="500103-JT01", name="渝中执法支队",
                              kind=UnitKind.department, department=Department.transport,
                              parent=centre)
    return {"city": city, "north": north, "centre": centre, "north_street": north_street,
            "north_team": north_team, "centre_team": centre_team}


def csrf_token(client, path: str = "/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password})


@pytest.fixture
def login_as(client, tree):
    """``login_as(role, unit_key_or_unit)`` creates a user there and logs the client in."""

    def _login(role: Role | str, unit="north"):
        role = Role(role)
        unit = tree[unit] if isinstance(unit, str) else unit
        user = UserFactory(role=role, unit=unit)
        if role.value in ("city_office", "finance", "admin"):
            # These roles need a second factor; tests enrol one with a known secret.
            import pyotp

            from core import security

            secret = pyotp.random_base32()
            user.totp_secret_enc = security.crypto.encrypt_text(secret,
                                                                context=f"totp:{user.id}")
            _db.session.flush()
            response = login(client, user.username)
            assert response.status_code == 302 and "/login/2fa" in response.location
            token = csrf_token(client, "/login/2fa")
            response = client.post("/login/2fa", data={"csrf_token": token,
                                                       "code": pyotp.TOTP(secret).now()})
        else:
            response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


@pytest.fixture
def english(db):
    """Messages in English inside the test's app context (for ``match=`` on service errors)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield
