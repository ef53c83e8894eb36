"""Case endpoints of the API: create, list, detail, transitions (the pages' services)."""
from __future__ import annotations

from typing import Optional

from flask_smorest import Blueprint

from core import fastpath
from core.idempotency import idempotent
from core.permissions import current_actor, guard
from core.roles import Role
from enforcement.cases import listing, queries, services
from enforcement.cases.models import Case
from enforcement.cases.schemas import (
    CaseDetailOut,
    CaseIn,
    CasePage,
    CaseQueryArgs,
    StepOut,
    TransitionIn,
)
from extensions import csrf, db

blp = Blueprint("cases_api", __name__, url_prefix="/api/v1/cases",
                description="Enforcement cases, scoped to the caller's units")
OFFICERS = (Role.officer, Role.unit_leader)


def _input(data: dict) -> services.CaseInput:
    return services.CaseInput(
        origin=data["origin"].value, origin_ref=data["origin_ref"],
        occurred_at=data["occurred_at"], address=data["address"], lat=data["lat"],
        lng=data["lng"], violation_code=data["violation_code"], facts=data["facts"],
        officer_ids=data["officer_ids"], documents_detained=data["documents_detained"],
        vehicles=[services.VehicleInput(**v) for v in data["vehicles"]],
        parties=[services.PartyInput(**{**p, "role": p["role"].value})
                 for p in data["parties"]])


@blp.route("", methods=["POST"])
@guard(OFFICERS, write=True)
@idempotent
@blp.arguments(CaseIn)
@blp.response(201, CaseDetailOut)
def create_case(data):
    """Create a draft case in the officer's unit (honours Idempotency-Key)."""
    actor = current_actor()
    return services.create_case(actor=actor, unit=actor.unit, data=_input(data))


@blp.route("", methods=["GET"])
@guard()
@blp.arguments(CaseQueryArgs, location="query", as_kwargs=True)
@blp.response(200, CasePage)
def list_cases(limit=None, cursor=None, unit=None, status=None, plate=None, violation=None,
               officer=None, date_from=None, date_to=None):
    """Cases in scope with filters, keyset-paginated by id."""
    f = queries.CaseFilter(unit=unit, status=status.value if status else None, plate=plate,
                           violation=violation, officer_id=officer, date_from=date_from,
                           date_to=date_to)
    return listing.api_page(db.session.connection(), current_actor(), f, cursor, limit)


def _fast_list(conn, actor, args: dict) -> Optional[dict]:
    """Plainly valid arguments only: the fast path's answer (core/fastpath.py)."""
    plain = listing.plain_filter(args)
    if plain is None:
        return None
    f, cursor, limit = plain
    return listing.api_page(conn, actor, f, cursor, limit)


@blp.route("/<int:id>", methods=["GET"])
@guard(model=Case)
@blp.response(200, CaseDetailOut)
def get_case(case: Case):
    """One case with parties, vehicles, clocks and history."""
    return case


@blp.route("/<int:id>/transitions", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
@blp.arguments(TransitionIn)
@blp.response(201, StepOut)
def post_transition(data, case: Case):
    """Take a workflow step: {"to": "registered", ...}; 409 with reasons when not allowed."""
    to, note = data.pop("to"), data.pop("note")
    step = services.transition(case, actor=current_actor(), to=to, note=note, payload=data)
    db.session.commit()
    return step


def init_app(api) -> None:
    api.register_blueprint(blp)
    csrf.exempt(blp)
    fastpath.register("/api/v1/cases", "cases_api.list_cases", _fast_list)
