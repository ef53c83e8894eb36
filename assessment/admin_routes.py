"""The city office's pages: manual entries with evidence, scheme editing (a new version per
edit), objections to decide, and running an assessment now."""
from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from assessment import queries, schemes_store, scoring, services
from assessment.models import AssessmentScheme, ScoreObjection
from assessment.routes import period_arg
from core import scoping
from core.errors import DomainError
from core.models import Unit, User
from core.permissions import current_actor, guard
from core.roles import ALL_ROLES, MANAGERS, Role
from extensions import db

bp = Blueprint("assessment_admin", __name__, url_prefix="/assessment")

ENTERERS = MANAGERS
DECIDERS = frozenset({Role.city_office, Role.admin})
KIND_LABELS = {"score": _l("Manual score"), "survey": _l("Survey counts"),
               "bonus": _l("Commendation (bonus)"), "deduction": _l("Criticism (deduction)"),
               "veto": _l("One-vote veto event"), "override": _l("Correction (objection)")}


def _date(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise DomainError(_("Not a date: %(value)s", value=text), field="document_date") from None


def _counts(text: str) -> dict:
    """``satisfied=20, basic=20`` → {"satisfied": 20, "basic": 20}."""
    out = {}
    for part in (text or "").replace("，", ",").split(","):
        if part.strip():
            name, _sep, number = part.partition("=")
            out[name.strip()] = number.strip()
    return out


def _subject(actor, form):
    code = (form.get("unit_code") or "").strip()
    username = (form.get("officer") or "").strip()
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or not scoping.in_scope(actor, user):
            raise DomainError(_("No officer %(name)s in your scope.", name=username),
                              field="officer")
        return None, user
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or not scoping.can_see_unit(actor, unit):
        raise DomainError(_("No unit with code %(code)s in your scope.", code=code),
                          field="unit_code")
    return unit, None


@bp.route("/entries", methods=["GET", "POST"])
@guard(ENTERERS)
def entries():
    """Manual inputs (scores, surveys, commendations, criticisms, vetoes) with evidence."""
    actor = current_actor()
    period = period_arg()
    if request.method == "POST":
        form = request.form
        try:
            unit, user = _subject(actor, form)
            services.add_entry(actor=actor, unit=unit, user=user, data=services.EntryInput(
                period=period.text, kind=form.get("kind", ""), item=form.get("item", "").strip(),
                level=form.get("level") or None, value=form.get("value") or None,
                counts=_counts(form.get("counts", "")), work=form.get("work") or None,
                document_no=form.get("document_no", ""),
                document_date=_date(form.get("document_date")),
                reason=form.get("reason", "")))
            db.session.commit()
            flash(_("Entry recorded; it counts from the next scoring run."), "success")
            return redirect(url_for(".entries", period=period.text))
        except DomainError:
            db.session.rollback()
            raise
    rows = list(db.session.scalars(queries.entries(actor, period.text).limit(500)))
    return render_template("assessment/entries.html", period=period, rows=rows,
                           kind_labels=KIND_LABELS)


@bp.route("/schemes")
@guard(ALL_ROLES)
def list_schemes():
    """The schemes, their versions and which subjects each applies to."""
    schemes = list(db.session.scalars(select(AssessmentScheme).order_by(AssessmentScheme.id)))
    return render_template("assessment/schemes.html", schemes=schemes,
                           assignments=schemes_store.assignments(),
                           can_edit=current_actor().role in DECIDERS)


@bp.route("/schemes/<int:id>", methods=["GET", "POST"])
@guard(DECIDERS, model=AssessmentScheme, arg="scheme", write=True)
def edit_scheme(scheme: AssessmentScheme):
    """Edit a scheme as JSON: validated, and saved as a new version from a given day."""
    latest = scheme.versions[-1] if scheme.versions else None
    text = json.dumps(latest.data if latest else {}, ensure_ascii=False, indent=2)
    if request.method == "POST":
        text = request.form.get("data", "")
        try:
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise DomainError(_("Not valid JSON: %(error)s", error=str(exc)),
                                  field="data") from None
            version = schemes_store.new_version(
                actor=current_actor(), scheme=scheme, data=data,
                valid_from=_date(request.form.get("valid_from")),
                note=request.form.get("note", ""))
            db.session.commit()
            flash(_("Version %(n)s saved.", n=version.version), "success")
            return redirect(url_for(".list_schemes"))
        except DomainError as exc:
            db.session.rollback()
            return render_template("assessment/scheme_form.html", scheme=scheme, text=text,
                                   error=str(exc)), 422
    return render_template("assessment/scheme_form.html", scheme=scheme, text=text, error=None)


@bp.route("/objections")
@guard(ALL_ROLES)
def list_objections():
    rows = list(db.session.scalars(queries.objections(current_actor()).limit(300)))
    return render_template("assessment/objections.html", rows=rows,
                           can_decide=current_actor().role in DECIDERS)


@bp.route("/objections/<int:id>/decide", methods=["POST"])
@guard(DECIDERS, model=ScoreObjection, arg="objection", write=True)
def decide_objection(objection: ScoreObjection):
    """Accept (correcting the input; the result is recomputed) or reject with a reason."""
    services.decide_objection(actor=current_actor(), objection=objection,
                              accept=request.form.get("decision") == "accept",
                              reason=request.form.get("reason", ""),
                              corrected_value=request.form.get("corrected_value"))
    db.session.commit()
    flash(_("Decision recorded."), "success")
    return redirect(url_for(".list_objections"))


@bp.route("/run", methods=["POST"])
@guard(DECIDERS, write=True)
def run():
    """Score a period now (provisional, or published once it has ended)."""
    period = period_arg()
    summary = scoring.assess(period.text, actor=current_actor())
    db.session.commit()
    flash(_("%(n)s results computed for %(period)s.", n=summary.scored, period=period.text),
          "success")
    return redirect(url_for("assessment.ranking", period=period.text))


@bp.route("/units/<unit_code>/targets", methods=["POST"])
@guard(ENTERERS, model=Unit, param="unit_code", by="code", write=True)
def set_target(unit: Unit):
    """The unit's own target for a pro-rata indicator (the scheme's default otherwise)."""
    services.set_target(actor=current_actor(), unit=unit,
                        indicator_code=request.form.get("indicator", ""),
                        target=request.form.get("target", ""))
    db.session.commit()
    flash(_("Target saved; it counts from the next scoring run."), "success")
    return redirect(url_for("assessment.show_unit", unit_code=unit.code))


@bp.route("/schemes/assignments", methods=["POST"])
@guard(DECIDERS, write=True)
def assign_scheme():
    """Which scheme applies to a unit kind (or to the officers)."""
    schemes_store.assign(actor=current_actor(), subject=request.form.get("subject", ""),
                         scheme_code=request.form.get("scheme", ""))
    db.session.commit()
    flash(_("Assignment saved."), "success")
    return redirect(url_for(".list_schemes"))
