"""The JSON API base (flask-smorest, OpenAPI at /api/v1/openapi.json) and the units endpoints."""
from __future__ import annotations

import functools

from flask_smorest import Api, Blueprint
from sqlalchemy import select

from core import queries, scoping, services
from core.errors import DomainError
from core.idempotency import idempotent
from core.models import Unit
from core.pagination import keyset_page
from core.permissions import current_actor, guard, public
from core.roles import MANAGERS
from core.schemas import UnitIn, UnitOut, UnitPage, UnitQueryArgs
from extensions import csrf, db


class ApiV1(Api):
    """flask-smorest's Api, with errors left to the app-wide handler (one error format)."""

    def _register_error_handlers(self):
        pass


api = ApiV1()
blp = Blueprint("units_api", __name__, url_prefix="/api/v1/units",
                description="Units of the organisation tree, in the caller's scope")


@blp.route("", methods=["GET"])
@guard()
@blp.arguments(UnitQueryArgs, location="query", as_kwargs=True)
@blp.response(200, UnitPage)
def list_units(limit=None, cursor=None, kind=None, q=None):
    """Units in scope, ordered by id, keyset-paginated."""
    stmt = queries.units_in_scope(current_actor(), q=q, kind=kind.value if kind else None)
    items, next_cursor = keyset_page(stmt.order_by(None), Unit.id, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<code>", methods=["GET"])
@guard(model=Unit, param="code", by="code")
@blp.response(200, UnitOut)
def get_unit(unit: Unit):
    """One unit in scope, by code."""
    return unit


@blp.route("", methods=["POST"])
@guard(MANAGERS, write=True)
@idempotent
@blp.arguments(UnitIn)
@blp.response(201, UnitOut)
def create_unit(data):
    """Create a unit under a parent in scope (honours Idempotency-Key)."""
    actor = current_actor()
    parent = db.session.scalar(select(Unit).where(Unit.code == data["parent_code"].upper()))
    if parent is None or not scoping.can_see_unit(actor, parent):
        raise DomainError("parent_code: unknown unit or outside your area", field="parent_code")
    return services.create_unit(actor=actor, code=data["code"], name=data["name"],
                                kind=data["kind"], parent=parent,
                                department=data["department"],
                                boundary_geojson=data["boundary_geojson"])


def _plain(view):
    """A plain function around a bound method, so that it can carry an access record."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    return wrapper


def init_app(app) -> None:
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearerAuth": []}]})
    api.register_blueprint(blp)
    csrf.exempt(blp)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("api-docs."):  # the OpenAPI document is public
            app.view_functions[endpoint] = public(_plain(view))
