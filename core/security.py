"""Passwords, log-in throttling, server-side sessions, API tokens and the TOTP second factor."""
from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import joinedload

from core import crypto
from core.base import utcnow
from core.errors import DomainError
from core.models import ApiToken, LoginAttempt, Unit, User, UserSession
from core.prepared import Prepared
from core.roles import Role
from extensions import db

DATA_DIR = Path(__file__).parent / "data"
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "ecs_"  # noqa: S105 - a public prefix, not a secret

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that both paths cost the same; made
    at the first use, not at import (an argon2 hash costs every command and worker start a
    quarter of a second)."""
    return _hasher.hash(secrets.token_hex(16))


class PasswordRuleError(DomainError):
    field = "password"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@functools.cache
def common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords plus common Chinese ones."""
    with gzip.open(DATA_DIR / "common-passwords.txt.gz", "rt", encoding="utf-8") as fh:
        words = {line.strip().lower() for line in fh if line.strip()}
    extra = (DATA_DIR / "common-passwords-extra.txt").read_text(encoding="utf-8").splitlines()
    words.update(w.strip().lower() for w in extra if w.strip() and not w.startswith("#"))
    return frozenset(words)


def check_password_rule(password: str, *, username: str = "") -> None:
    """Raise :class:`PasswordRuleError` unless the password is long enough and not common."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRuleError(
            _l("Password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH)
        )
    lowered = password.lower()
    if lowered in common_passwords() or (username and username.lower() in lowered):
        raise PasswordRuleError(_l("This password is too common or contains the user name."))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: Optional[User], password: str) -> bool:
    """Check a password in constant work whether or not the user exists; rehash when outdated."""
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return True


def set_password(user: User, password: str) -> None:
    check_password_rule(password, username=user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


# Throttling ------------------------------------------------------------------------------

def _username_key(username: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, username.strip().lower().encode(), "sha256").hexdigest()


def is_throttled(username: str, now: Optional[dt.datetime] = None) -> bool:
    """True after too many recent failures for this name (the same for unknown names)."""
    now = now or utcnow()
    window = dt.timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    failures = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username_key == _username_key(username),
            LoginAttempt.attempted_at > now - window,
        )
    )
    return failures >= current_app.config["LOGIN_MAX_FAILURES"]


def record_failure(username: str) -> None:
    db.session.add(LoginAttempt(username_key=_username_key(username)))


def clear_failures(username: str) -> None:
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.username_key == _username_key(username))
    )


# Server-side sessions ---------------------------------------------------------------------

def start_session(user: User) -> str:
    """Create a server-side session and return its key (goes into the signed cookie)."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(key_hash=sha256_hex(key), user_id=user.id))
    user.last_login_at = utcnow()
    user._session_key = key
    return key


def load_session(key: str, now: Optional[dt.datetime] = None) -> Optional[User]:
    """Return the user of a live session, ending it if idle or too old; None otherwise."""
    now = now or utcnow()
    row = db.session.scalar(select(UserSession).where(UserSession.key_hash == sha256_hex(key))
                            .options(joinedload(UserSession.user).joinedload(User.unit)))
    if row is None or row.ended_at is not None or not row.user.is_active:
        return None
    cfg = current_app.config
    if now - row.last_seen_at > dt.timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        end_session(row, "idle", now)
        return None
    if now - row.created_at > dt.timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]):
        end_session(row, "expired", now)
        return None
    # Touch at most once a minute so reads do not turn every request into a write.
    if now - row.last_seen_at > dt.timedelta(minutes=1):
        row.last_seen_at = now
    user = row.user
    user._session_key = key
    user.current_session = row
    return user


def end_session(row: UserSession, reason: str, now: Optional[dt.datetime] = None) -> None:
    row.ended_at = now or utcnow()
    row.end_reason = reason


def end_all_sessions(user: User, reason: str) -> None:
    """End every session and revoke every API token of ``user`` (used when disabling)."""
    now = utcnow()
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_other_sessions(user: User, reason: str) -> None:
    """End every session of ``user`` but the current one (after a password change)."""
    current = getattr(user.current_session, "id", None)
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
               UserSession.id != (current or 0))
        .values(ended_at=utcnow(), end_reason=reason)
    )


# API tokens -------------------------------------------------------------------------------

def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the clear value is returned once and only its hash is stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(token_hash=sha256_hex(raw), prefix=raw[:10], name=name, user_id=user.id)
    db.session.add(token)
    db.session.flush()
    return token, raw


TOKEN_TOUCH_EVERY = dt.timedelta(minutes=5)  # how stale a token's "last used" may get


def token_live(revoked_at, user_is_active: bool) -> bool:
    """A token acts while it is not revoked and its user is active (the one rule)."""
    return revoked_at is None and bool(user_is_active)


def token_needs_touch(last_used_at, now: dt.datetime) -> bool:
    return last_used_at is None or now - last_used_at > TOKEN_TOUCH_EVERY


def load_token(raw: str) -> Optional[User]:
    # the user and their unit (the scope of every query that follows) in the same statement
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(raw))
                              .options(joinedload(ApiToken.user).joinedload(User.unit)))
    if token is None or not token_live(token.revoked_at, token.user.is_active):
        return None
    now = utcnow()
    if token_needs_touch(token.last_used_at, now):
        token.last_used_at = now
    user = token.user
    user.current_token = token
    return user


@dataclass(frozen=True)
class TokenUnit:
    id: int
    parent_id: Optional[int]
    path: str


@dataclass(frozen=True)
class TokenActor:
    """Who a bearer token acts for, read in one Core statement by the WSGI fast paths
    (:mod:`core.fastpath`): the parts of a :class:`User` that scoping reads."""

    id: int
    role: Role
    unit_id: int
    unit: TokenUnit
    token_id: int


_TOKEN_ACTOR = Prepared.cached(lambda: (
    select(ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at, User.id, User.is_active,
           User.role, Unit.id, Unit.parent_id, Unit.path)
    .join(User, User.id == ApiToken.user_id).join(Unit, Unit.id == User.unit_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))))


def token_actor(conn, raw: str, now: dt.datetime) -> Optional[TokenActor]:
    """The actor of a live token whose "last used" time is fresh, else None (the caller then
    takes the full path, which answers 401 or records the use)."""
    found = _TOKEN_ACTOR.rows(conn, {"token_hash": sha256_hex(raw)})
    row = found[0] if found else None
    if row is None or not token_live(row[1], row[4]) or token_needs_touch(row[2], now):
        return None
    return TokenActor(id=row[3], role=row[5], unit_id=row[6],
                      unit=TokenUnit(id=row[6], parent_id=row[7], path=row[8]), token_id=row[0])


# Second factor ----------------------------------------------------------------------------

def totp_required(user: User) -> bool:
    return user.role.value in current_app.config["TOTP_REQUIRED_ROLES"]


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=current_app.config["TOTP_ISSUER"]
    )


def enable_totp(user: User, secret: str, code: str) -> bool:
    if not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        return False
    user.totp_secret_enc = crypto.encrypt_text(secret, context=f"totp:{user.id}")
    return True


def check_totp(user: User, code: str) -> bool:
    if user.totp_secret_enc is None:
        return False
    secret = crypto.decrypt_text(user.totp_secret_enc, context=f"totp:{user.id}")
    return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)
