"""Organisation and identity: units, users, sessions, API tokens, settings and bookkeeping rows."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import UTCDateTime, utcnow
from core.roles import Role
from extensions import db


class UnitKind(str, enum.Enum):
    city = "city"
    district = "district"
    county = "county"
    town = "town"
    street = "street"
    department = "department"


UNIT_KIND_LABELS = {
    UnitKind.city: _l("City"),
    UnitKind.district: _l("District"),
    UnitKind.county: _l("County"),
    UnitKind.town: _l("Town"),
    UnitKind.street: _l("Street"),
    UnitKind.department: _l("Departmental unit"),
}


class Department(str, enum.Enum):
    transport = "transport"
    police = "police"
    city_management = "city_management"
    market_regulation = "market_regulation"
    government = "government"


DEPARTMENT_LABELS = {
    Department.transport: _l("Transport"),
    Department.police: _l("Public security"),
    Department.city_management: _l("City management"),
    Department.market_regulation: _l("Market regulation"),
    Department.government: _l("Government"),
}


def str_enum(enum_cls, name: str | None = None) -> Enum:
    """A string enum column stored as its value (portable, no native enum type). ``name`` names
    its CHECK constraint; give one when a table has two columns of the same enum."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=True,
        name=name or enum_cls.__name__.lower(),
    )


class Unit(db.Model):
    """A node of the organisation tree; ``path`` is the materialised path ``/1/5/23/``."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint(
            "(kind = 'department') = (department <> 'government')", name="department_matches_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind))
    department: Mapped[Department] = mapped_column(
        str_enum(Department), default=Department.government
    )
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    boundary_geojson: Mapped[Optional[dict]] = mapped_column(JSON(none_as_null=True))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Optional[Unit]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")

    def is_within(self, other: Unit) -> bool:
        """True when this unit is ``other`` or below it."""
        return self.path.startswith(other.path)

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class User(db.Model):
    """A staff account. The role decides what it may do; the unit decides where."""

    __tablename__ = "users"
    __unit_column__ = "unit_id"
    __table_args__ = (
        CheckConstraint(
            "(is_active AND disabled_at IS NULL) OR (NOT is_active AND disabled_at IS NOT NULL)",
            name="disabled_at_iff_inactive",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    cert_no: Mapped[Optional[str]] = mapped_column(String(32))
    cert_expires_on: Mapped[Optional[dt.date]]
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    totp_secret_enc: Mapped[Optional[str]] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_login_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()

    # Set by the session loader: the server-side session this request runs under.
    current_session = None
    current_token = None

    # Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The Flask session carries the server-side session key, never the user id, so that a
        # log-out or a disabled account ends the session on the server.
        return self._session_key

    _session_key: str = ""

    @property
    def has_totp(self) -> bool:
        return self.totp_secret_enc is not None

    def has_valid_certificate(self, on: dt.date) -> bool:
        return bool(self.cert_no) and self.cert_expires_on is not None and self.cert_expires_on >= on

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class UserSession(db.Model):
    """A server-side log-in session; the cookie holds only the random key, stored here hashed."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    end_reason: Mapped[Optional[str]] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A bearer token for the API, stored as a SHA-256 hash; scoped exactly like its user."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """A failed log-in, keyed by a hash of the normalised user name (existing or not)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "username_key", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(db.Model):
    """A rule of the domain stored as data (amounts, days, caps, thresholds, masks)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict | list | str | int | float | bool] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class SchedulerLease(db.Model):
    """The single-scheduler lease on databases without advisory locks (SQLite)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IdempotencyRecord(db.Model):
    """The first response to a creating POST sent with an ``Idempotency-Key`` header."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
