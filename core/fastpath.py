"""WSGI fast paths: the hottest token-authenticated GET endpoints answered without the request
machinery (Flask-Login, webargs, marshmallow, the ORM), for the officer at the roadside.

A fast path answers only the plain case — a GET with a bearer token that is live and recently
used, whose role the Flask view's own :func:`~core.permissions.guard` admits, and arguments its
handler accepts — and hands every other request to Flask unchanged: errors, 401s, cookie
sessions, bad input (the handler raises the same :class:`DomainError` as the view, and Flask
then answers it in the caller's language). A handler calls the same rule and query functions
as its view; ``tests/test_fastpath.py`` runs both over the same inputs and compares the answers.

    fastpath.register("/api/v1/blacklist/check", "blacklist_api.check_subject", handler)

``handler(conn, actor, args)`` gets the connection of its thread (reads take no lock on SQLite;
its first write starts the transaction, committed after the handler, rolled back when it hands
over), the :class:`TokenActor` and the query arguments (``{name: [values]}``); it returns the
JSON body, or None to hand over.

Each server thread keeps its own connection for the fast paths between requests, as the bare
reference keeps its ``sqlite3`` connection: checking one out of the pool and back cost about
40 µs a request, a third of a plate check. A database error drops the thread's connection and
hands the request to Flask, whose pool checks a connection before use; the next fast request
opens a new one.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional
from urllib.parse import parse_qs

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from core import database, headers, security
from core.base import utcnow
from core.errors import DomainError
from core.permissions import access_of
from extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FastPath:
    path: str
    endpoint: str
    handler: Callable[..., Optional[dict]]


_PATHS: dict[str, FastPath] = {}


def register(path: str, endpoint: str, handler: Callable[..., Optional[dict]]) -> None:
    _PATHS[path] = FastPath(path, endpoint, handler)


class Dispatcher:
    """The WSGI middleware in front of Flask's ``wsgi_app`` (see :func:`init_app`)."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.fixed = headers.api_headers(app.config) + headers.NO_STORE
        self.cookie = app.config.get("SESSION_COOKIE_NAME", "session") + "="
        self.roles: dict[str, frozenset] = {}
        self.local = threading.local()  # .conn: the thread's connection
        self.held: set = set()  # every thread's, closed when the engine is disposed
        self.lock = threading.Lock()

    def _roles(self, endpoint: str) -> frozenset:
        if endpoint not in self.roles:
            access = access_of(self.app.view_functions[endpoint])
            self.roles[endpoint] = frozenset() if access is None or access.public or \
                access.write else access.roles
        return self.roles[endpoint]

    def __call__(self, environ, start_response):
        fast = _PATHS.get(environ.get("PATH_INFO", ""))
        if fast is not None and environ.get("REQUEST_METHOD") == "GET":
            body = self._answer(fast, environ)
            if body is not None:
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(body))), *self.fixed])
                return [body]
        return self.wsgi_app(environ, start_response)

    def _answer(self, fast: FastPath, environ) -> Optional[bytes]:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth.startswith("Bearer ") or self.cookie in environ.get("HTTP_COOKIE", ""):
            return None  # Flask-Login's order: a session cookie wins over the token
        # as Werkzeug reads it: the server's latin-1 text back to bytes, UTF-8 with replacement
        query = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8", "replace")
        args = parse_qs(query, keep_blank_values=True, errors="replace")
        try:
            with self.app.app_context(), database.reading(), \
                    self._transaction() as (conn, work):
                return self._run(fast, conn, work, auth[7:].strip(), args)
        except DBAPIError:
            log.warning("fast path %s: database error; handed to Flask", fast.path, exc_info=True)
            self._drop()
            return None

    def _run(self, fast: FastPath, conn, work, token: str, args: dict) -> Optional[bytes]:
        actor = security.token_actor(conn, token, utcnow())
        result = None
        if actor is not None and actor.role in self._roles(fast.endpoint):
            try:
                result = fast.handler(conn, actor, args)
            except DomainError:
                pass  # the view raises it again and answers it
            except DBAPIError:
                raise
            except Exception:  # noqa: BLE001 - Flask then answers (or logs its own 500)
                log.exception("fast path %s failed; handed to Flask", fast.path)
        if result is None:
            work.rollback()  # Flask answers it from the start
            return None
        work.commit()
        return (self.app.json.dumps(result, separators=(",", ":")) + "\n").encode()

    @contextlib.contextmanager
    def _transaction(self):
        """The thread's connection and a transaction on it (committed or rolled back by
        :meth:`_run`; rolled back on an error); in the test suite, whose engine is one shared
        connection, a savepoint of its transaction."""
        bind = db.engine
        if not isinstance(bind, Engine):
            with bind.begin_nested() as work:
                yield bind, work
            return
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.closed or conn.invalidated or conn.engine is not bind:
            conn = self.local.conn = self._connect(bind)
        with conn.begin() as work:
            yield conn, work

    def _connect(self, engine: Engine):
        conn = engine.connect()
        with self.lock:
            if not event.contains(engine, "engine_disposed", self._close_all):
                event.listen(engine, "engine_disposed", self._close_all)
            self.held.add(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self.local, "conn", None)
        self.local.conn = None
        if conn is not None:
            with self.lock:
                self.held.discard(conn)
            try:
                conn.invalidate()
                conn.close()
            except DBAPIError:
                log.warning("fast path: the dropped connection did not close", exc_info=True)

    def _close_all(self, engine: Engine) -> None:
        """The engine is disposed (shutdown, tests): close its threads' connections (their
        pool is gone, so they are closed outright rather than returned)."""
        with self.lock:
            closing = [conn for conn in self.held if conn.engine is engine]
            self.held.difference_update(closing)
        for conn in closing:
            conn.invalidate()
            conn.close()


def init_app(app) -> None:
    """Install the dispatcher (after every blueprint has registered its paths)."""
    if app.config.get("FAST_PATHS", True):
        app.wsgi_app = Dispatcher(app, app.wsgi_app)
