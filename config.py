"""Configuration classes, read from the environment.

Secrets (``SECRET_KEY``, ``ENCRYPTION_KEY``) come from the environment or are generated once into
``instance/`` on first run; they are never committed.
"""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(name: str, factory, instance_dir: Path = INSTANCE_DIR) -> str:
    """Return the secret ``name`` from the environment, or from ``instance/<name>`` (created once)."""
    if os.environ.get(name):
        return os.environ[name]
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / name.lower()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(factory())
    return path.read_text().strip()


def _new_encryption_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


class Config:
    """Production-safe defaults; every value can be overridden from the environment."""

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'enforcement.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000"))

    DEBUG = _env_bool("FLASK_DEBUG", False)
    TESTING = False
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(20 * 1024 * 1024)))

    SESSION_COOKIE_NAME = "ecs_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_DURATION = 0
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))

    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
    TOTP_REQUIRED_ROLES = ("city_office", "finance", "admin")
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "非法营运治理系统")

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own limits

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    API_TITLE = "Illegal passenger transport enforcement API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_PAGE_DEFAULT = 50
    API_PAGE_MAX = 500

    # Token-authenticated hot GET endpoints answered before Flask (core/fastpath.py).
    FAST_PATHS = _env_bool("FAST_PATHS", True)
    # How old the settings the hot paths read may be (seconds; a change made in the same
    # process applies at once). 0 reads them on every request.
    SETTINGS_CACHE_SECONDS = float(os.environ.get("SETTINGS_CACHE_SECONDS", "5"))
    # API plate checks queue their sightings; one thread per process writes them this often
    # (seconds) in one transaction (blacklist/sighting_writer.py). 0 writes each in its check.
    SIGHTING_BATCH_SECONDS = float(os.environ.get("SIGHTING_BATCH_SECONDS", "0.5"))
    SIGHTING_QUEUE_MAX = int(os.environ.get("SIGHTING_QUEUE_MAX", "100000"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per minute")

    STORAGE_PATH = os.environ.get("STORAGE_PATH", "")  # default: instance/files
    TIP_RATE_LIMIT = os.environ.get("TIP_RATE_LIMIT", "10 per minute")
    MAP_POINT_LIMIT = int(os.environ.get("MAP_POINT_LIMIT", "2000"))
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")  # e.g. http://tiles.intranet/{z}/{x}/{y}.png
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
    MAP_TILE_CRS = os.environ.get("MAP_TILE_CRS", "WGS84")  # or GCJ02 for Chinese tile providers

    SCHEDULER_LEASE_SECONDS = int(os.environ.get("SCHEDULER_LEASE_SECONDS", "60"))
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    def __init__(self) -> None:
        self.SECRET_KEY = instance_secret("SECRET_KEY", lambda: secrets.token_hex(32))
        self.ENCRYPTION_KEY = instance_secret("ENCRYPTION_KEY", _new_encryption_key)


class TestConfig(Config):
    """Configuration for the test suite: SQLite in a temp file unless TEST_DATABASE_URL is set."""

    TESTING = True
    SESSION_COOKIE_SECURE = False
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = True
    SETTINGS_CACHE_SECONDS = 0.0  # tests roll settings back: nothing may outlive a test
    SIGHTING_BATCH_SECONDS = 0.0  # a check's sighting is in its own transaction
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    def __init__(self, database_url: str | None = None) -> None:
        import tempfile

        self.STORAGE_PATH = tempfile.mkdtemp(prefix="ecs-files-")
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
        self.ENCRYPTION_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
        self.SQLALCHEMY_DATABASE_URI = database_url or os.environ.get(
            "TEST_DATABASE_URL", "sqlite://"
        )
