"""The violation catalogue: everyone reads it; the city office edits ranges and tiers."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.errors import DomainError
from core.permissions import current_actor, guard
from core.roles import Role
from enforcement.cases.services import parse_money
from enforcement.violations.models import Tier, ViolationType
from extensions import db

bp = Blueprint("violations", __name__, url_prefix="/violations")
EDITORS = (Role.city_office, Role.admin)


@bp.route("")
@guard()
def list_violations():
    """The catalogue with legal bases, ranges and discretion tiers."""
    items = db.session.scalars(select(ViolationType).order_by(ViolationType.code)).all()
    return render_template("enforcement/violation_list.html", items=items, tiers=list(Tier),
                           can_edit=current_actor().role in EDITORS)


def _amount(name: str) -> Decimal:
    """A required yuan amount from the form, checked by the one money rule of the cases."""
    value = parse_money(request.form.get(name), name)
    if value is None:
        raise DomainError(_("Enter an amount in yuan."), field=name)
    return value


def update_ranges(vt: ViolationType, *, actor) -> None:
    """Set the overall range and each tier's range from the form; tiers must fit and be ordered."""
    low, high = _amount("min_fine"), _amount("max_fine")
    if high < low:
        raise DomainError(_("The maximum is below the minimum."), field="max_fine")
    previous_max = None
    before = {"min": str(vt.min_fine), "max": str(vt.max_fine)}
    for tier in Tier:
        band = vt.tier(tier)
        if band is None:
            continue
        a, b = _amount(f"{tier.value}_min"), _amount(f"{tier.value}_max")
        if b < a or a < low or b > high:
            raise DomainError(_("Each tier must lie within the overall range."),
                              field=f"{tier.value}_min")
        if previous_max is not None and a < previous_max:
            raise DomainError(_("Tiers must not overlap and must rise with severity."),
                              field=f"{tier.value}_min")
        band.min_fine, band.max_fine, previous_max = a, b, b
    vt.min_fine, vt.max_fine = low, high
    vt.is_active = request.form.get("is_active") == "1"
    audit.record("violation.update", actor=actor, object_type="violation_type",
                 object_id=vt.id, unit_id=actor.unit_id,
                 detail={"code": vt.code, "before": before,
                         "after": {"min": str(low), "max": str(high)}})


@bp.route("/<int:id>", methods=["POST"])
@guard(EDITORS, model=ViolationType, arg="vt", write=True)
def edit_violation(vt: ViolationType):
    """Change a violation type's fine range and discretion tiers."""
    try:
        update_ranges(vt, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("violations.list_violations"))


def init_app(app) -> None:
    app.register_blueprint(bp)
