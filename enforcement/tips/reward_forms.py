"""Forms of rewards, budgets and identity requests; the rules live in ``rewards``/``budgets``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from enforcement.tips.reward_models import (
    ContestOutcome,
    PaymentMethod,
    RevealStatus,
    RewardStatus,
    RewardTier,
)

TIER_LABELS = {
    RewardTier.case_registered: _l("Verified, case registered"),
    RewardTier.penalty_decision: _l("Led to a penalty decision"),
    RewardTier.major: _l("Blacklisting, several vehicles detained or a gang case"),
}
REWARD_STATUS_LABELS = {
    RewardStatus.proposed: _l("Proposed"),
    RewardStatus.approved: _l("Approved"),
    RewardStatus.paid: _l("Paid"),
    RewardStatus.rejected: _l("Not granted"),
    RewardStatus.expired: _l("Expired unclaimed"),
}
METHOD_LABELS = {
    PaymentMethod.bank_transfer: _l("Bank transfer"),
    PaymentMethod.cash: _l("Cash"),
    PaymentMethod.mobile: _l("Mobile payment"),
}
REVEAL_STATUS_LABELS = {
    RevealStatus.pending: _l("Waiting for the city office"),
    RevealStatus.approved: _l("Granted"),
    RevealStatus.refused: _l("Refused"),
}
OUTCOME_LABELS = {
    ContestOutcome.dismissed: _l("Keep the decision"),
    ContestOutcome.reopened: _l("Reopen the decision"),
}


class ProposeForm(FlaskForm):
    tier = SelectField(_l("Tier"), choices=[SelectChoice(t.value, label)
                                                  for t, label in TIER_LABELS.items()])
    amount = StringField(_l("Amount (yuan)"), validators=[DataRequired(), Length(max=20)])
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3, "maxlength": 2000})
    joint_tip_ids = StringField(_l("Joint informants: numbers of tips merged into this one, "
                                   "comma-separated (optional)"), validators=[Length(max=200)])
    funding_unit_id = SelectField(_l("Paid from the budget of"), coerce=int,
                                  validate_choice=False)


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note (required to reject)"),
                         render_kw={"rows": 2, "maxlength": 2000})


class PayForm(FlaskForm):
    method = SelectField(_l("Paid by"),
                         choices=[SelectChoice(m.value, label) for m, label in METHOD_LABELS.items()])
    payment_date = DateField(_l("Payment date"), validators=[Optional()])
    voucher_no = StringField(_l("Voucher number"), validators=[Length(max=60)])


class ContestAnswerForm(FlaskForm):
    outcome = SelectField(_l("Answer"),
                          choices=[SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()])
    reply = TextAreaField(_l("Reasons"), render_kw={"rows": 3, "maxlength": 2000})


class ContestForm(FlaskForm):
    code = HiddenField(validators=[DataRequired(), Length(max=60)])
    body = TextAreaField(_l("Why you disagree with the reward decision"),
                         render_kw={"rows": 3, "maxlength": 2000})


class BudgetForm(FlaskForm):
    unit_id = SelectField(_l("Funding source"), coerce=int, validate_choice=False)
    year = IntegerField(_l("Year"), validators=[Optional()])
    amount = StringField(_l("Budget (yuan)"), validators=[DataRequired(), Length(max=20)])
    note = StringField(_l("Note"), validators=[Length(max=200)])


class RevealRequestForm(FlaskForm):
    reason = TextAreaField(_l("Why you need the informant's identity"),
                           render_kw={"rows": 3, "maxlength": 2000})


class RevealDecisionForm(FlaskForm):
    decision = SelectField(_l("Your decision"), choices=[SelectChoice("approve", _l("Grant")),
                                                   SelectChoice("refuse", _l("Refuse"))])
    reason = TextAreaField(_l("Reasons"), render_kw={"rows": 2, "maxlength": 2000})
