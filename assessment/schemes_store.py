"""Schemes in the database: seeding the three schemes of assessment.md, which scheme applies to
whom, the version in force for a period, and new versions made by the city office."""
from __future__ import annotations

import copy
import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from assessment import engine, schemes
from assessment.models import AssessmentScheme, SchemeAssignment, SchemeVersion
from core import audit
from core.database import insert_ignore
from core.errors import DomainError
from extensions import db

SEED_VALID_FROM = dt.date(2000, 1, 1)
# Which scheme applies to whom, seeded as data (editable rows).
DEFAULT_ASSIGNMENTS = {"district": "unit_default", "county": "unit_default",
                       "department": "unit_default", "town": "town", "street": "town",
                       "officer": "officer"}


def seed_schemes() -> int:
    """Add the seeded schemes (version 1) and assignments that are missing; idempotent."""
    added = 0
    for data in schemes.SEEDED:
        insert_ignore(AssessmentScheme, code=data["code"], name=data["name"],
                      subject=data["subject"])
        scheme = db.session.scalar(select(AssessmentScheme).where(
            AssessmentScheme.code == data["code"]))
        if not db.session.scalar(select(func.count()).where(
                SchemeVersion.scheme_id == scheme.id)):
            insert_ignore(SchemeVersion, scheme_id=scheme.id, version=1,
                          valid_from=SEED_VALID_FROM, data=copy.deepcopy(data),
                          note="seeded (assessment.md)")
            added += 1
    codes = dict(db.session.execute(select(AssessmentScheme.code, AssessmentScheme.id)).all())
    for subject, code in DEFAULT_ASSIGNMENTS.items():
        insert_ignore(SchemeAssignment, subject=subject, scheme_id=codes[code])
    db.session.flush()
    return added


def ensure_seeded() -> None:
    if db.session.scalar(select(func.count(SchemeVersion.id))) == 0:
        seed_schemes()


def assignments() -> dict[str, AssessmentScheme]:
    """subject (unit kind or 'officer') → scheme."""
    rows = db.session.execute(select(SchemeAssignment.subject, AssessmentScheme).join(
        AssessmentScheme, AssessmentScheme.id == SchemeAssignment.scheme_id))
    return {subject: scheme for subject, scheme in rows}


def version_in_force(scheme: AssessmentScheme, on: dt.date) -> SchemeVersion:
    """The latest version valid from ``on`` or earlier (the first version if none is)."""
    version = db.session.scalar(
        select(SchemeVersion).where(SchemeVersion.scheme_id == scheme.id,
                                    SchemeVersion.valid_from <= on)
        .order_by(SchemeVersion.valid_from.desc(), SchemeVersion.version.desc()).limit(1))
    if version is None:
        version = db.session.scalar(select(SchemeVersion).where(
            SchemeVersion.scheme_id == scheme.id).order_by(SchemeVersion.version).limit(1))
    if version is None:
        raise DomainError(_l("Scheme %(code)s has no version.", code=scheme.code), field="scheme")
    return version


def check(data) -> None:
    """A scheme that ``schemes.validate`` accepts and the engine can score."""
    errors = schemes.validate(data)
    if not errors:
        try:
            engine.score(data, engine.Inputs())
        except (engine.SchemeError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            errors = [f"scheme cannot be scored: {exc}"]
    if errors:
        raise DomainError("; ".join(errors), field="data")


def new_version(*, actor, scheme: AssessmentScheme, data, valid_from: Optional[dt.date],
                note: str = "") -> SchemeVersion:
    """An edit of a scheme: a new version (the old ones stay, periods before ``valid_from``
    keep being scored with them)."""
    check(data)
    if valid_from is None:
        raise DomainError(_l("Give the first day the new version applies to."),
                          field="valid_from")
    if data.get("subject") not in (None, scheme.subject):
        raise DomainError(_l("The scheme assesses %(subject)s.", subject=scheme.subject),
                          field="data")
    number = (db.session.scalar(select(func.max(SchemeVersion.version)).where(
        SchemeVersion.scheme_id == scheme.id)) or 0) + 1
    version = SchemeVersion(scheme_id=scheme.id, version=number, valid_from=valid_from,
                            data=data, note=note, created_by_id=actor.id)
    db.session.add(version)
    db.session.flush()
    audit.record("assessment.scheme_version", actor=actor, object_type="assessment_scheme",
                 object_id=scheme.id, detail={"version": number,
                                              "valid_from": valid_from.isoformat()})
    return version


def indicator(data: dict, code: str) -> Optional[dict]:
    for category in data["categories"]:
        for spec in category.get("indicators", []):
            if spec["code"] == code:
                return spec
        for spec in category.get("items", []):
            if spec["code"] == code:
                return spec
    return None


def assign(*, actor, subject: str, scheme_code: str) -> SchemeAssignment:
    """Let a scheme apply to a unit kind (or 'officer'); the scheme must assess that subject."""
    from core.models import UnitKind

    kinds = {k.value for k in UnitKind} | {"officer"}
    if subject not in kinds:
        raise DomainError(_l("Subject: one of %(kinds)s.", kinds=", ".join(sorted(kinds))),
                          field="subject")
    scheme = db.session.scalar(select(AssessmentScheme).where(
        AssessmentScheme.code == scheme_code))
    if scheme is None:
        raise DomainError(_l("No scheme %(code)s.", code=scheme_code), field="scheme")
    if (scheme.subject == "officer") != (subject == "officer"):
        raise DomainError(_l("%(code)s assesses %(subject)s.", code=scheme.code,
                             subject=scheme.subject), field="scheme")
    row = db.session.scalar(select(SchemeAssignment).where(SchemeAssignment.subject == subject))
    if row is None:
        row = SchemeAssignment(subject=subject, scheme_id=scheme.id)
        db.session.add(row)
    row.scheme_id = scheme.id
    db.session.flush()
    audit.record("assessment.assignment", actor=actor, object_type="assessment_scheme",
                 object_id=scheme.id, detail={"subject": subject})
    return row
