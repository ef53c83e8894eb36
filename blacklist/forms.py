"""Blacklist forms: nomination, the steps of the fair process, objections, publication, checks.
The rules themselves live in ``services``; the forms only carry input."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from blacklist.models import EntryStatus, ListKind, ObjectionStatus, SubjectKind

STATUS_LABELS = {
    EntryStatus.nominated: _l("Nominated"), EntryStatus.notified: _l("Party notified"),
    EntryStatus.listed: _l("Listed"), EntryStatus.published: _l("Published"),
    EntryStatus.expired: _l("Expired"), EntryStatus.removed: _l("Removed"),
}
LIST_LABELS = {ListKind.blacklist: _l("Blacklist"),
               ListKind.attention: _l("Focused-attention list")}
SUBJECT_LABELS = {SubjectKind.vehicle: _l("Vehicle"), SubjectKind.person: _l("Person"),
                  SubjectKind.area: _l("Key area")}
OBJECTION_LABELS = {ObjectionStatus.pending: _l("Waiting for review"),
                    ObjectionStatus.upheld: _l("Upheld"),
                    ObjectionStatus.rejected: _l("Rejected")}
EVENT_LABELS = {
    "nominated": _l("Nominated"), "leader_approved": _l("Approved by the unit leader"),
    "office_approved": _l("Approved by the supervision office"),
    "notified": _l("Party notified"), "objection_filed": _l("Objection received"),
    "objection_rejected": _l("Objection rejected"), "listed": _l("Listed"),
    "published": _l("Published"), "updated": _l("Updated"), "expired": _l("Expired"),
    "removed": _l("Removed"),
}
STEPS = {
    "leader_approve": _l("Approve (unit leader)"),
    "office_approve": _l("Approve (supervision office)"),
    "reject": _l("Reject the nomination"),
    "notify": _l("Record the notice to the party"),
    "list": _l("List now"),
    "revoke": _l("Revoke (decision revoked)"),
    "remove_early": _l("Remove early (credit repair)"),
}


class NominationForm(FlaskForm):
    list_kind = SelectField(_l("List"), choices=[SelectChoice(k.value, v) for k, v in LIST_LABELS.items()])
    subject_kind = SelectField(_l("Subject"),
                               choices=[SelectChoice(k.value, v) for k, v in SUBJECT_LABELS.items()])
    plate = StringField(_l("Plate number"), validators=[Length(max=40)],
                        render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    plate_colour = StringField(_l("Plate colour"), validators=[Length(max=16)])
    name = StringField(_l("Full name"), validators=[Length(max=60)])
    id_number = StringField(_l("ID number"), validators=[Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    area_name = StringField(_l("Key area"), validators=[Length(max=120)])
    lat = FloatField(_l("Latitude"), validators=[Optional()])
    lng = FloatField(_l("Longitude"), validators=[Optional()])
    case_numbers = StringField(_l("Case numbers (reasons), separated by commas"),
                               validators=[Length(max=1000)])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])
    is_serious = BooleanField(_l("Serious case (longer listing period)"))


class StepForm(FlaskForm):
    step = HiddenField()
    note = TextAreaField(_l("Note or reasons"), validators=[Length(max=2000)])
    notified_on = DateField(_l("Notice served on"), validators=[Optional()])


class ObjectionForm(FlaskForm):
    grounds = TextAreaField(_l("Grounds of the objection"), validators=[Length(max=2000)])
    received_on = DateField(_l("Received on"), validators=[Optional()])


class ReviewForm(FlaskForm):
    decision = SelectField(_l("Your decision"), choices=[
        SelectChoice("rejected", _l("Reject the objection")),
        SelectChoice("upheld", _l("Uphold the objection"))])
    reason = TextAreaField(_l("Reasons"), validators=[Length(max=2000)])


class PublishForm(FlaskForm):
    period = StringField(_l("Period (YYYY-MM)"), validators=[Length(max=7)])


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""
