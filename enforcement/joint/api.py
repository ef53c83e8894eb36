"""Joint actions in the API: ``GET, POST /api/v1/actions`` (interfaces.md)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from sqlalchemy import select

from core.errors import DomainError
from core.idempotency import idempotent
from core.models import Unit
from core.pagination import keyset_page
from core.permissions import current_actor, guard
from enforcement.joint import queries, services
from enforcement.joint.models import JointAction
from enforcement.joint.routes import PLANNERS
from enforcement.joint.schemas import ActionIn, ActionOut, ActionPage, ActionQueryArgs
from extensions import csrf, db

blp = Blueprint("actions_api", __name__, url_prefix="/api/v1/actions",
                description="Joint actions led by the caller's units")


@blp.route("", methods=["GET"])
@guard()
@blp.arguments(ActionQueryArgs, location="query", as_kwargs=True)
@blp.response(200, ActionPage)
def list_actions(limit=None, cursor=None, month=None, kind=None, status=None):
    """Actions in scope; ?month=YYYY-MM keeps those running in that month."""
    f = queries.ActionFilter(month=month, kind=kind.value if kind else None,
                             status=status.value if status else None)
    items, next_cursor = keyset_page(queries.actions_in_scope(current_actor(), f),
                                     JointAction.id, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


def _unit_id(code, field: str = "host_unit_code"):
    if not code:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))
    if unit is None:
        raise DomainError(_l("No unit with code %(code)s.", code=code), field=field)
    return unit.id


@blp.route("", methods=["POST"])
@guard(PLANNERS, write=True)
@idempotent
@blp.arguments(ActionIn)
@blp.response(201, ActionOut)
def create_action(data):
    """Plan an action led by the caller's unit; the response lists the rules it breaks."""
    participants = []
    for p in data["participants"]:
        unit_id = _unit_id(p["unit_code"], "participants")
        participants.append(services.ParticipantInput(unit_id, p["headcount"], p["department"]))
    actor = current_actor()
    return services.plan_action(actor=actor, unit=actor.unit, data=services.ActionInput(
        kind=data["kind"], name=data["name"], planned_start=data["planned_start"],
        planned_end=data["planned_end"], description=data["description"],
        host_unit_id=_unit_id(data["host_unit_code"]), participants=participants,
        phases=[services.PhaseInput(**p) for p in data["phases"]],
        areas=[services.AreaInput(**a) for a in data["areas"]]))


def init_app(api) -> None:
    api.register_blueprint(blp)
    csrf.exempt(blp)
