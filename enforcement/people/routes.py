"""Vehicle and person pages (whole history in scope) and the plate look-up used by the form."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from sqlalchemy import select

from core import identity, plates
from core.permissions import current_actor, guard
from enforcement.cases import queries
from enforcement.people.models import Person, Vehicle
from extensions import db

bp = Blueprint("people", __name__)


@bp.route("/vehicles/<int:id>")
@guard(model=Vehicle)
def show_vehicle(vehicle: Vehicle):
    """A vehicle and every case in scope that names it."""
    cases = db.session.scalars(queries.cases_of_vehicle(current_actor(), vehicle.id)).all()
    return render_template("enforcement/vehicle_detail.html", vehicle=vehicle, cases=cases)


@bp.route("/persons/<int:id>")
@guard(model=Person)
def show_person(person: Person):
    """A person and every case in scope that names them."""
    cases = db.session.scalars(queries.cases_of_person(current_actor(), person.id)).all()
    return render_template("enforcement/person_detail.html", person=person, cases=cases)


@bp.route("/vehicles/lookup")
@guard()
def lookup_plate():
    """For the case form: the normalised plate, its earlier cases in scope and near matches."""
    raw = request.args.get("plate", "")
    plate = plates.normalise_plate(raw)
    valid = plates.is_valid_plate(plate)
    actor = current_actor()
    history = []
    vehicles = db.session.scalars(select(Vehicle).where(Vehicle.plate == plate)).all()
    for vehicle in vehicles:
        for case in db.session.scalars(queries.cases_of_vehicle(actor, vehicle.id).limit(20)):
            history.append({"number": case.number, "status": case.status.value,
                            "occurred_at": case.occurred_at.isoformat()})
    near = [v.plate for v in db.session.scalars(queries.near_plate_vehicles(plate))] \
        if plate else []
    return jsonify({"plate": plate, "valid": valid, "earlier_cases": history,
                    "near_matches": sorted(set(near))})


@bp.route("/persons/lookup")
@guard()
def lookup_person():
    """For the case form: whether an ID number is valid, and the person's earlier cases."""
    raw = request.args.get("id_number", "")
    try:
        number = identity.validate_id_number(raw).number
    except identity.IdNumberError as exc:
        return jsonify({"id_number": identity.normalise_id_number(raw), "valid": False,
                        "message": str(exc), "earlier_cases": []})
    actor = current_actor()
    history = []
    person = db.session.scalar(select(Person).where(Person.id_number == number))
    if person is not None:
        for case in db.session.scalars(queries.cases_of_person(actor, person.id).limit(20)):
            history.append({"number": case.number, "status": case.status.value,
                            "occurred_at": case.occurred_at.isoformat()})
    return jsonify({"id_number": number, "valid": True, "message": "",
                    "earlier_cases": history})


def init_app(app) -> None:
    app.register_blueprint(bp)
