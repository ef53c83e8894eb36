"""Route guards: authentication, role check and scoped object loading in one decorator.

Every view is wrapped in :func:`guard` or marked :func:`public`; both leave an :class:`Access`
record on the view function, which the test suite reads for every rule in ``app.url_map`` to build
its role × scope matrix. A view with neither makes that test fail.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from flask import abort, request
from flask_login import current_user

from core import scoping
from core.roles import ALL_ROLES, READ_ONLY, Role
from extensions import csrf, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Access:
    public: bool = False
    roles: frozenset = field(default_factory=frozenset)
    model: Optional[type] = None
    param: Optional[str] = None
    by: Optional[str] = None
    write: bool = False


def current_actor():
    """The logged-in user (session or bearer token), or None."""
    return current_user if current_user.is_authenticated else None


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone (log-in page, health check, public pages)."""
    view.access = Access(public=True)
    return view


def guard(
    roles=ALL_ROLES,
    *,
    model: Optional[type] = None,
    param: str = "id",
    by: Optional[str] = None,
    arg: Optional[str] = None,
    write: bool = False,
) -> Callable:
    """Require a log-in and one of ``roles``; load ``model`` by URL ``param`` inside the scope.

    The object is looked up by primary key, or by the column ``by`` (e.g. a unit's code), and
    passed to the view as ``arg`` (default: the model's name in lower case). ``write`` views are
    refused to read-only roles (the auditor).
    """
    roles = frozenset(Role(r) for r in roles)
    arg = arg or (model.__name__.lower() if model else None)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                return login_manager.unauthorized()
            if actor.role not in roles or (write and actor.role in READ_ONLY):
                abort(403)
            if model is not None:
                kwargs[arg] = scoping.get_or_404(model, kwargs.pop(param), actor, by=by)
            if (
                request.path.startswith("/api/")
                and request.method not in SAFE_METHODS
                and actor.current_token is None
            ):
                csrf.protect()  # cookie-authenticated API writes need the CSRF header
            return view(*args, **kwargs)

        wrapper.access = Access(roles=roles, model=model, param=param if model else None,
                                by=by, write=write)
        return wrapper

    return decorator


def access_of(view: Callable) -> Optional[Access]:
    """The access record of a view, looking through flask-smorest's wrappers."""
    seen = set()
    while view is not None and id(view) not in seen:
        seen.add(id(view))
        if hasattr(view, "access"):
            return view.access
        view = getattr(view, "__wrapped__", None)
    return None
