"""Forms of joint enforcement. Lists (participants, phases) are typed one per line so that a
phone works; the services validate everything and name the field on an error."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from core.errors import DomainError
from core.models import Unit
from enforcement.joint import services, zones
from enforcement.joint.labels import KIND_LABELS
from extensions import db

LOCAL = ZoneInfo("Asia/Shanghai")


class ActionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, v)
                                            for k, v in KIND_LABELS.items()])
    name = StringField(_l("Name"), render_kw={"maxlength": 200})
    planned_start = DateTimeLocalField(_l("Planned start"), validators=[InputRequired()])
    planned_end = DateTimeLocalField(_l("Planned end"), validators=[InputRequired()])
    host_unit_id = SelectField(_l("District worked in (cross-region action)"), coerce=int,
                               choices=[], validate_choice=False)
    participants = TextAreaField(
        _l("Participating units, one per line: unit code, headcount, department (optional)"),
        render_kw={"rows": 4, "placeholder": "500112-JT01 12\n500112-GA01 4 police"})
    phases = TextAreaField(
        _l("Phases of a special campaign, one per line: phase, first day, last day"),
        render_kw={"rows": 4, "placeholder": "survey 2026-03-01 2026-03-31"})
    zone_ids = SelectMultipleField(_l("Target zones"), coerce=int, choices=[],
                                   validate_choice=False)
    drawn_area = HiddenField(_l("Area drawn on the map"))
    description = TextAreaField(_l("Plan"), render_kw={"rows": 3})


class ResultsForm(FlaskForm):
    actual_start = DateTimeLocalField(_l("Actual start"), validators=[InputRequired()])
    actual_end = DateTimeLocalField(_l("Actual end"), validators=[InputRequired()])
    vehicles_checked = IntegerField(_l("Vehicles checked"), default=0,
                                    validators=[Optional(), NumberRange(min=0)])
    vehicles_detained = IntegerField(_l("Vehicles detained"), default=0,
                                     validators=[Optional(), NumberRange(min=0)])
    fines = DecimalField(_l("Fines (yuan)"), default=0, places=2,
                         validators=[Optional(), NumberRange(min=0)])
    violent_incidents = IntegerField(_l("Violent-resistance incidents"), default=0,
                                     validators=[Optional(), NumberRange(min=0)])
    media_reports = IntegerField(_l("Media reports"), default=0,
                                 validators=[Optional(), NumberRange(min=0)])
    case_numbers = TextAreaField(_l("Linked case numbers, one per line"), render_kw={"rows": 3})
    note = TextAreaField(_l("Note"), render_kw={"rows": 2})


class PlainForm(FlaskForm):
    """A button that only needs the CSRF token (approve, cancel)."""


class ZoneForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"maxlength": 120})
    unit_id = SelectField(_l("Responsible unit"), coerce=int, choices=[], validate_choice=False)
    responsible_department = StringField(_l("Responsible department or post"),
                                         render_kw={"maxlength": 120})
    windows = StringField(_l("Hours (1 = Monday … 7 = Sunday)"),
                          render_kw={"placeholder": "1-5 17:00-20:00; 6,7 09:00-21:00"})
    geojson = HiddenField(_l("Polygon"))
    is_active = BooleanField(_l("In force"), default=True)


class MeetingForm(FlaskForm):
    held_on = DateField(_l("Held on"), validators=[InputRequired()])
    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    attendees = SelectMultipleField(_l("Units present"), coerce=int, choices=[],
                                    validate_choice=False)
    topics = TextAreaField(_l("Topics"), render_kw={"rows": 3})
    decisions = TextAreaField(_l("Decisions"), render_kw={"rows": 3})
    tasks = TextAreaField(
        _l("Follow-up tasks, one per line: owner unit code, due date, title"),
        render_kw={"rows": 4, "placeholder": "500112-JT01 2026-04-30 北站夜间巡查"})


class NewTaskForm(FlaskForm):
    unit_id = SelectField(_l("Owner unit"), coerce=int, choices=[], validate_choice=False)
    due_on = DateField(_l("Due"), validators=[InputRequired()])
    title = StringField(_l("Task"), render_kw={"maxlength": 200})
    decision = TextAreaField(_l("Decision it follows"), render_kw={"rows": 2})


class TaskForm(FlaskForm):
    to = HiddenField()
    note = StringField(_l("Note (required when sending back)"))


def local_dt(value):
    return value.replace(tzinfo=LOCAL) if value is not None and value.tzinfo is None else value


def _unit(code: str, field: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))
    if unit is None:
        raise DomainError(_l("No unit with code %(code)s.", code=code), field=field)
    return unit


def parse_participants(text: str) -> list[services.ParticipantInput]:
    out = []
    for line in (text or "").splitlines():
        parts = line.replace(",", " ").replace("，", " ").split()
        if not parts:
            continue
        if len(parts) < 2:
            raise DomainError(_l("Write each participant as: unit code, headcount."),
                              field="participants")
        try:
            headcount = int(parts[1])
        except ValueError:
            raise DomainError(_l("Headcounts must be whole numbers of zero or more."),
                              field="participants") from None
        out.append(services.ParticipantInput(_unit(parts[0], "participants").id, headcount,
                                             parts[2] if len(parts) > 2 else None))
    return out


def parse_phases(text: str) -> list[services.PhaseInput]:
    out = []
    for line in (text or "").splitlines():
        parts = line.split()
        if not parts:
            continue
        try:
            kind, first, last = parts
            out.append(services.PhaseInput(kind, dt.date.fromisoformat(first),
                                           dt.date.fromisoformat(last)))
        except ValueError:
            raise DomainError(_l("Write each phase as: phase, first day, last day."),
                              field="phases") from None
    return out


def parse_geojson(text: str, field: str):
    """A drawn geometry from the page, converted to WGS-84 for storage."""
    from enforcement.joint.mapping import geometry_from_display

    if not (text or "").strip():
        return None
    try:
        return geometry_from_display(json.loads(text))
    except ValueError:
        raise DomainError(_l("The area is not a GeoJSON object."), field=field) from None


def action_input(form: ActionForm) -> services.ActionInput:
    areas = [services.AreaInput(zone_id=z) for z in (form.zone_ids.data or [])]
    drawn = parse_geojson(form.drawn_area.data, "drawn_area")
    if drawn is not None:
        areas.append(services.AreaInput(geojson=drawn, name=""))
    return services.ActionInput(
        kind=form.kind.data or "", name=form.name.data or "",
        planned_start=local_dt(form.planned_start.data),
        planned_end=local_dt(form.planned_end.data), description=form.description.data or "",
        host_unit_id=form.host_unit_id.data or None,
        participants=parse_participants(form.participants.data),
        phases=parse_phases(form.phases.data), areas=areas)


def results_input(form: ResultsForm) -> services.ResultsInput:
    return services.ResultsInput(
        actual_start=local_dt(form.actual_start.data), actual_end=local_dt(form.actual_end.data),
        vehicles_checked=form.vehicles_checked.data or 0,
        vehicles_detained=form.vehicles_detained.data or 0, fines=form.fines.data or 0,
        violent_incidents=form.violent_incidents.data or 0,
        media_reports=form.media_reports.data or 0, note=form.note.data or "",
        case_numbers=(form.case_numbers.data or "").split())


def zone_input(form: ZoneForm) -> zones.ZoneInput:
    return zones.ZoneInput(name=form.name.data or "", is_active=bool(form.is_active.data),
                           geojson=parse_geojson(form.geojson.data, "geojson"),
                           windows=zones.parse_windows(form.windows.data or ""),
                           responsible_department=form.responsible_department.data or "")


def meeting_input(form: MeetingForm):
    from enforcement.joint import meetings

    tasks = []
    for line in (form.tasks.data or "").splitlines():
        parts = line.split(maxsplit=2)
        if not parts:
            continue
        try:
            code, due, title = parts
            due_on = dt.date.fromisoformat(due)
        except ValueError:
            raise DomainError(_l("Write each task as: owner unit code, due date, title."),
                              field="tasks") from None
        tasks.append(meetings.TaskInput(title=title, unit_id=_unit(code, "tasks").id,
                                        due_on=due_on))
    return meetings.MeetingInput(held_on=form.held_on.data, title=form.title.data or "",
                                 topics=form.topics.data or "",
                                 decisions=form.decisions.data or "",
                                 attendee_unit_ids=list(form.attendees.data or []), tasks=tasks)
