"""Tip forms: the public form (works on a phone), the status look-up, the reviewers' steps.

Field rules (lengths, plates, the point, the time) live in ``services``; the forms only carry
input, so the page and the API give the same answers.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from enforcement.tips.models import TipChannel, TipStatus, TipVerdict

STATUS_LABELS = {
    TipStatus.received: _l("Received"), TipStatus.accepted: _l("Accepted"),
    TipStatus.investigating: _l("Under investigation"), TipStatus.verified: _l("Verified"),
    TipStatus.partly_verified: _l("Partly verified"), TipStatus.unfounded: _l("Unfounded"),
    TipStatus.unverifiable: _l("Cannot be verified"), TipStatus.closed: _l("Closed"),
}
VERDICT_LABELS = {TipVerdict(k.value): v for k, v in STATUS_LABELS.items()
                  if k.value in TipVerdict._value2member_map_}
CHANNEL_LABELS = {TipChannel.web: _l("Web form"), TipChannel.hotline_12328: _l("Hotline 12328"),
                  TipChannel.hotline_12345: _l("Hotline 12345"),
                  TipChannel.transfer: _l("Transferred")}


def _now_local() -> dt.datetime:
    """Most informants report what they see now: the form starts at the current minute."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, second=0,
                                                               microsecond=0)


class TipForm(FlaskForm):
    what = StringField(_l("What happened (in a few words)"),
                       render_kw={"placeholder": _l("e.g. unlicensed taxi touting at the station"),
                                  "maxlength": 200})
    occurred_at = DateTimeLocalField(_l("When"), validators=[InputRequired()],
                                     default=_now_local)
    address = StringField(_l("Where (address or landmark)"), render_kw={"maxlength": 200})
    lat = FloatField(_l("Latitude"), validators=[Optional()],
                     render_kw={"inputmode": "decimal", "autocomplete": "off"})
    lng = FloatField(_l("Longitude"), validators=[Optional()],
                     render_kw={"inputmode": "decimal", "autocomplete": "off"})
    plates = StringField(_l("Plate number(s), separated by commas"),
                         render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    description = TextAreaField(_l("Description"), render_kw={"rows": 5, "maxlength": 2000})
    photos = MultipleFileField(_l("Photos (JPEG, PNG or WebP)"),
                               render_kw={"accept": "image/jpeg,image/png,image/webp"})
    name = StringField(_l("Your name (optional)"), render_kw={"autocomplete": "name"})
    phone = StringField(_l("Your phone (optional)"), render_kw={"autocomplete": "tel"})
    wants_reward = BooleanField(_l("I would like a reward if the tip is true (needs name and "
                                   "phone)"))


class HotlineTipForm(TipForm):
    channel = SelectField(_l("Channel"), choices=[
        SelectChoice(c.value, CHANNEL_LABELS[c]) for c in TipChannel if c is not TipChannel.web])


class StatusForm(FlaskForm):
    code = StringField(_l("Receipt code"), validators=[DataRequired(), Length(max=60)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false"})


class ReplyForm(FlaskForm):
    code = HiddenField(validators=[DataRequired(), Length(max=60)])
    body = TextAreaField(_l("Your message"), render_kw={"rows": 3, "maxlength": 2000})


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (accept, close, reveal)."""


class AssignForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validate_choice=False)


class LinkCaseForm(FlaskForm):
    case_number = StringField(_l("Case number"), validators=[DataRequired(), Length(max=40)])


class ConcludeForm(FlaskForm):
    verdict = SelectField(_l("Verdict"), choices=[SelectChoice("", "—")] + [
        SelectChoice(v.value, label) for v, label in VERDICT_LABELS.items()])
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3})


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message to the informant"), render_kw={"rows": 3})


class MergeForm(FlaskForm):
    other_id = IntegerField(_l("Duplicate tip no."), validators=[InputRequired()])
