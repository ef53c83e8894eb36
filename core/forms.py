"""WTForms for the organisation pages; the services hold the rules, forms check the shape."""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from core.geo import boundary_error
from core.models import DEPARTMENT_LABELS, UNIT_KIND_LABELS
from core.roles import ROLE_LABELS


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


UNIT_CODE_RE = r"^[0-9]{6}([0-9]{3})?(-[A-Z0-9]{1,8})?$"


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class TotpForm(FlaskForm):
    code = StringField(_l("Six-digit code"), validators=[
        DataRequired(), Regexp(r"^\s*\d{6}\s*$", message=_l("Enter the six digits shown."))])


class GeoJSONField(TextAreaField):
    """A text area holding an optional GeoJSON polygon, parsed into a dict."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            return
        try:
            self.data = json.loads(raw)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("The boundary is not valid JSON.")) from exc

    def _value(self):
        return json.dumps(self.data, ensure_ascii=False) if self.data else ""

    def pre_validate(self, form):
        if self.data is not None and (msg := boundary_error(self.data)):
            raise ValidationError(msg)


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_upper], validators=[
        DataRequired(), Regexp(UNIT_CODE_RE, message=_l(
            "Use the 6-digit division code (9 digits for a town), plus -SUFFIX for a "
            "departmental unit, e.g. 500112-JT01."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, v) for k, v in UNIT_KIND_LABELS.items()])
    department = SelectField(_l("Department"),
                             choices=[SelectChoice(k.value, v) for k, v in DEPARTMENT_LABELS.items()])
    parent_id = SelectField(_l("Parent unit"), coerce=int, validate_choice=True)
    boundary_geojson = GeoJSONField(_l("Boundary (GeoJSON)"), validators=[Optional()])
    is_active = BooleanField(_l("Active"), default=True)


class UnitEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    boundary_geojson = GeoJSONField(_l("Boundary (GeoJSON)"), validators=[Optional()])
    is_active = BooleanField(_l("Active"))


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, '.', '_' or '-'."))])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()])
    unit_id = SelectField(_l("Unit"), coerce=int, validate_choice=True)
    phone = StringField(_l("Phone"), validators=[
        Optional(), Regexp(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
                           message=_l("Enter a mobile number (11 digits) or a landline."))])
    cert_no = StringField(_l("Enforcement certificate no."), validators=[
        Optional(), Length(max=32)])
    cert_expires_on = DateField(_l("Certificate valid until"), validators=[Optional()])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=256)])


class UserEditForm(UserForm):
    password = None
    username = None


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
