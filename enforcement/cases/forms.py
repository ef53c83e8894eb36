"""Case forms: the roadside form (works on a phone), steps, measures, evidence."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from enforcement.cases.models import CaseOrigin, PartyRole
from enforcement.people.models import PlateColour, VehicleKind

ORIGIN_LABELS = {
    CaseOrigin.patrol: _l("Patrol"), CaseOrigin.tip: _l("Public tip"),
    CaseOrigin.joint_action: _l("Joint action"), CaseOrigin.video: _l("Video surveillance"),
    CaseOrigin.transfer: _l("Transfer from another department"),
    CaseOrigin.hotline: _l("Hotline 12328/12345"),
}
PARTY_ROLE_LABELS = {PartyRole.driver: _l("Driver"), PartyRole.owner: _l("Owner"),
                     PartyRole.organiser: _l("Organiser"), PartyRole.company: _l("Company")}
COLOUR_LABELS = {PlateColour.blue: _l("Blue"), PlateColour.yellow: _l("Yellow"),
                 PlateColour.green: _l("Green (new energy)"),
                 PlateColour.yellow_green: _l("Yellow-green (new energy)"),
                 PlateColour.white: _l("White"), PlateColour.black: _l("Black"),
                 PlateColour.none: _l("No plate")}
KIND_LABELS = {VehicleKind.car: _l("Car"), VehicleKind.motorcycle: _l("Motorcycle"),
               VehicleKind.mobility_vehicle: _l("Mobility vehicle for the disabled"),
               VehicleKind.rental_car: _l("Rental car"),
               VehicleKind.tourist_coach: _l("Tourist coach"), VehicleKind.other: _l("Other")}


def _choices(labels, blank=False):
    out = [SelectChoice("", "—")] if blank else []
    return out + [SelectChoice(k.value, v) for k, v in labels.items()]


class VehicleEntry(Form):
    plate = StringField(_l("Plate"), validators=[Optional(), Length(max=20)],
                        render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    # Validated by the registry service (an empty row has no colour at all).
    plate_colour = SelectField(_l("Plate colour"), choices=_choices(COLOUR_LABELS, blank=True),
                               validate_choice=False)
    kind = SelectField(_l("Vehicle kind"), choices=_choices(KIND_LABELS))
    make_model = StringField(_l("Make and model"), validators=[Optional(), Length(max=60)])
    colour = StringField(_l("Colour"), validators=[Optional(), Length(max=20)])
    vin = StringField(_l("VIN"), validators=[Optional(), Length(max=17)])
    is_fake_plate = BooleanField(_l("Fake or cloned plate"))


class PartyEntry(Form):
    name = StringField(_l("Full name"), validators=[Optional(), Length(max=60)])
    role = SelectField(_l("Role in the case"), choices=_choices(PARTY_ROLE_LABELS))
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=24)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=24)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])


class CaseForm(FlaskForm):
    origin = SelectField(_l("How it was found"), choices=_choices(ORIGIN_LABELS))
    origin_ref = StringField(_l("Reference (tip, ticket, action)"),
                             validators=[Optional(), Length(max=60)])
    occurred_at = DateTimeLocalField(_l("When it happened"), format="%Y-%m-%dT%H:%M",
                                     validators=[DataRequired()])
    address = StringField(_l("Where"), validators=[DataRequired(), Length(max=200)])
    lat = DecimalField(_l("Latitude"), places=6, validators=[Optional(), NumberRange(-90, 90)])
    lng = DecimalField(_l("Longitude"), places=6,
                       validators=[Optional(), NumberRange(-180, 180)])
    violation_code = SelectField(_l("Violation"), validate_choice=True)
    facts = TextAreaField(_l("Facts found"), validators=[Optional(), Length(max=4000)])
    officer_ids = SelectMultipleField(_l("Officers (at least two)"), coerce=int)
    documents_detained = StringField(_l("Documents detained"),
                                     validators=[Optional(), Length(max=200)])
    vehicles = FieldList(FormField(VehicleEntry), min_entries=2, max_entries=5)
    parties = FieldList(FormField(PartyEntry), min_entries=2, max_entries=5)


class TransitionForm(FlaskForm):
    to = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    proposed_fine = StringField(_l("Proposed fine (yuan)"), validators=[Optional()])
    confiscated_amount = StringField(_l("Illegal income confiscated (yuan)"),
                                     validators=[Optional()])
    penalty_justification = TextAreaField(_l("Justification (penalty outside the range)"),
                                          validators=[Optional(), Length(max=2000)])
    fine_amount = StringField(_l("Fine decided (yuan)"), validators=[Optional()])
    statement_waived = BooleanField(_l("The party waived the statement period in writing"))
    paid_on = DateField(_l("Paid on"), validators=[Optional()])
    receipt_no = StringField(_l("Receipt number"), validators=[Optional(), Length(max=60)])
    court_enforcement_on = DateField(_l("Court enforcement applied on"),
                                     validators=[Optional()])
    transferred_to = StringField(_l("Transferred to"), validators=[Optional(), Length(max=120)])


class CorrectionForm(FlaskForm):
    address = StringField(_l("Where"), validators=[Optional(), Length(max=200)])
    facts = TextAreaField(_l("Facts found"), validators=[Optional(), Length(max=4000)])
    note = TextAreaField(_l("Reason for the correction"), validators=[DataRequired(),
                                                                       Length(max=2000)])


class DetentionForm(FlaskForm):
    vehicle_id = SelectField(_l("Vehicle"), coerce=int)
    detained_on = DateField(_l("Detained on"), validators=[DataRequired()])
    storage_lot = StringField(_l("Storage lot"), validators=[DataRequired(), Length(max=120)])


class ReleaseForm(FlaskForm):
    released_on = DateField(_l("Released on"), validators=[DataRequired()])


class SuspensionForm(FlaskForm):
    reason = StringField(_l("Reason (e.g. hearing)"), validators=[DataRequired(),
                                                                   Length(max=200)])
    start_on = DateField(_l("From"), validators=[DataRequired()])


class ResumeForm(FlaskForm):
    end_on = DateField(_l("Last suspended day"), validators=[DataRequired()])


class EvidenceForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
