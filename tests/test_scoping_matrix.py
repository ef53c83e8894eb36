"""Every route × every role × an object in scope and one out of scope, built from app.url_map.

A new route without a guard (or a ``public`` mark) fails ``test_every_route_declares_access``;
a guarded route whose model has no in/out-of-scope sample fails the matrix with a clear message.
"""
from __future__ import annotations

import pytest

from core import security
from core.models import Unit, User
from core.permissions import access_of
from core.roles import CITYWIDE, READ_ONLY, Role
from extensions import db
from tests.factories import UserFactory

SKIP_ENDPOINTS = {"static"}
# Sample values for URL arguments that are not the guarded object.
PLAIN_ARGS = {"code": "en"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, app.view_functions[rule.endpoint]


def test_every_route_declares_access(app):
    missing = [rule.rule for rule, _m, view in _routes(app) if access_of(view) is None]
    assert not missing, f"routes without guard() or public(): {missing}"


def _samples(tree):
    """For each guarded model: (object in the actor's scope, object outside it)."""
    inside = UserFactory(role=Role.officer, unit=tree["north_street"])
    outside = UserFactory(role=Role.officer, unit=tree["centre_team"])
    return {Unit: (tree["north_street"], tree["centre"]), User: (inside, outside)}


def _url(rule, access, obj):
    values = {}
    for name in rule.arguments:
        if access.model is not None and name == access.param:
            values[name] = getattr(obj, access.by) if access.by else obj.id
        else:
            values[name] = PLAIN_ARGS[name]
    return rule.build(values, append_unknown=False)[1]


def _sign_in(client, user):
    key = security.start_session(user)
    db.session.flush()
    with client.session_transaction() as sess:
        sess["_user_id"] = key
        sess["_fresh"] = True


def _call(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={} if not url.startswith("/api/") else None,
                       json={} if url.startswith("/api/") else None)


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


@pytest.mark.parametrize("role", list(Role))
def test_role_scope_matrix(app, client, tree, db, role, no_csrf):
    samples = _samples(tree)
    actor = UserFactory(role=role, unit=tree["north"])
    problems = []
    for rule, method, view in _routes(app):
        access = access_of(view)
        if access.public:
            continue
        cases = [("none", None)]
        if access.model is not None:
            if access.model not in samples:
                problems.append(f"{rule.rule}: no scope samples for {access.model.__name__}")
                continue
            cases = [("in", samples[access.model][0]), ("out", samples[access.model][1])]
        for scope, obj in cases:
            _sign_in(client, actor)
            url = _url(rule, access, obj)
            status = _call(client, method, url).status_code
            allowed = role in access.roles and not (access.write and role in READ_ONLY)
            if not allowed:
                expected = {403}
            elif scope == "out" and role not in CITYWIDE:
                expected = {404}
            else:
                expected = {200, 201, 302, 400, 409, 422}
            if status not in expected:
                problems.append(f"{method} {url} as {role.value} ({scope}): {status}, "
                                f"expected {sorted(expected)}")
    assert not problems, "\n".join(problems)


def test_anonymous_gets_login_or_401(app, client, tree, db):
    samples = _samples(tree)
    problems = []
    for rule, method, view in _routes(app):
        access = access_of(view)
        if access.public:
            continue
        obj = samples[access.model][0] if access.model else None
        url = _url(rule, access, obj)
        response = _call(client, method, url)
        api = url.startswith("/api/")
        ok = (response.status_code == 401) if api else (
            response.status_code in (302, 400) and (
                response.status_code == 400 or "/login" in response.location))
        if not ok:
            problems.append(f"{method} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)
