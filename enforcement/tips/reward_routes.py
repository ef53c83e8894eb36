"""Staff pages of rewards: proposal on the tip, approval, the finance payout page, budgets, and
the identity requests decided by the city office (the custodian)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core import queries as core_queries
from core.base import local_today
from core.errors import DomainError
from core.exports import xlsx_response
from core.models import Unit
from core.permissions import current_actor, guard
from core.roles import Role
from enforcement.tips import budgets, custody, rewards
from enforcement.tips.models import Tip
from enforcement.tips.public import no_store, place_errors
from enforcement.tips.reward_forms import (
    METHOD_LABELS,
    OUTCOME_LABELS,
    REVEAL_STATUS_LABELS,
    REWARD_STATUS_LABELS,
    TIER_LABELS,
    BudgetForm,
    ContestAnswerForm,
    DecisionForm,
    PayForm,
    ProposeForm,
    RevealDecisionForm,
    RevealRequestForm,
)
from enforcement.tips.reward_models import IdentityRequest, Reward, RewardStatus
from extensions import db

bp = Blueprint("rewards", __name__)
LOCAL = ZoneInfo("Asia/Shanghai")
READERS = (Role.tip_reviewer, Role.unit_leader, Role.finance, Role.district_office,
           Role.city_office, Role.auditor)
REQUESTERS = (Role.unit_leader, Role.district_office, Role.city_office)
PAGE = 100


def tip_panel(tip: Tip, actor, **forms) -> dict:
    """What the tip detail page shows about rewards and identity requests."""
    reward = rewards.live_reward(tip)
    history = db.session.scalars(select(Reward).where(Reward.tip_id == tip.id)
                                 .order_by(Reward.id.desc())).all()
    propose = forms.get("propose")
    if propose is None and reward is None and actor.role is Role.tip_reviewer:
        tier = rewards.suggested_tier(tip)
        propose = ProposeForm(formdata=None, tier=tier.value if tier else None,
                              amount=str(rewards.tier_amount(tier)) if tier else "")
    if propose is not None:
        year = local_today().year
        choices = [SelectChoice(0, _("The unit's own budget (automatic)"))]
        for line in budgets.budget_lines(actor, year):
            if tip.unit is not None and tip.unit.is_within(line.budget.unit):
                choices.append(SelectChoice(line.budget.unit_id, line.budget.unit.name))
        propose.funding_unit_id.choices = choices
    grant = custody.active_grant(tip, actor) if actor.role in REQUESTERS else None
    return {"reward": reward, "reward_history": history, "propose": propose,
            "reward_statuses": REWARD_STATUS_LABELS, "tiers": TIER_LABELS,
            "reveal_request": forms.get("reveal_request") or RevealRequestForm(formdata=None),
            "can_request_identity": actor.role in REQUESTERS and tip.has_identity,
            "identity_grant": grant}


def _tip_page(tip: Tip, status: int, **forms):
    from enforcement.tips.routes import _detail

    return _detail(tip, status, **forms)


@bp.route("/tips/<int:id>/reward", methods=["POST"])
@guard((Role.tip_reviewer,), model=Tip, write=True)
def propose_reward(tip: Tip):
    """A tip reviewer proposes the reward of a verified tip."""
    form = ProposeForm()
    form.funding_unit_id.choices = []
    if form.validate_on_submit():
        joint = [p for p in (form.joint_tip_ids.data or "").replace("，", ",").split(",")
                 if p.strip()]
        try:
            if not all(p.strip().isdigit() for p in joint):
                raise DomainError(_("Enter tip numbers separated by commas."),
                                  field="joint_tip_ids")
            rewards.propose(tip, current_actor(), tier=form.tier.data, amount=form.amount.data,
                            reason=form.reason.data or "", joint_tip_ids=joint,
                            funding_unit_id=form.funding_unit_id.data or None)
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, exc)
            return _tip_page(db.session.get(Tip, tip.id), exc.status, propose=form)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("tips.show_tip", id=tip.id))
    return _tip_page(tip, 422, propose=form)


def _reward_page(reward: Reward, status: int = 200, payees=None, **forms):
    actor = current_actor()
    return no_store(make_response(render_template(
        "tips/reward_detail.html", reward=reward, statuses=REWARD_STATUS_LABELS,
        tiers=TIER_LABELS, methods=METHOD_LABELS, outcomes=OUTCOME_LABELS, payees=payees,
        decision=forms.get("decision") or DecisionForm(formdata=None),
        pay=forms.get("pay") or PayForm(formdata=None, payment_date=local_today()),
        answer=forms.get("answer") or ContestAnswerForm(formdata=None),
        role=actor.role.value, today=local_today()), status))


def _step(reward: Reward, call, form, name: str):
    if not form.validate_on_submit():
        return _reward_page(reward, 422, **{name: form})
    try:
        call(form)
    except DomainError as exc:
        db.session.rollback()
        place_errors(form, exc)
        return _reward_page(db.session.get(Reward, reward.id), exc.status, **{name: form})
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("rewards.show_reward", id=reward.id))


@bp.route("/rewards")
@guard(READERS)
def list_rewards():
    """Rewards in scope, newest first; ?status=, ?year=, ?format=xlsx (never identities)."""
    actor = current_actor()
    stmt = rewards.visible_rewards(actor)
    status = request.args.get("status", "")
    if status in RewardStatus._value2member_map_:
        stmt = stmt.where(Reward.status == RewardStatus(status))
    year = request.args.get("year", "")
    if year.isdigit():
        stmt = stmt.where(Reward.year == int(year))
    if request.args.get("format") == "xlsx":
        headers = [_("No."), _("Tip"), _("Unit"), _("Paid from the budget of"), _("Tier"),
                   _("Amount (yuan)"), _("Status"), _("Proposed"), _("Claim by"),
                   _("Payment date"), _("Voucher number")]
        rows = ([r.id, r.tip_id, r.unit.name, r.funding_unit.name, str(TIER_LABELS[r.tier]),
                 r.amount, str(REWARD_STATUS_LABELS[r.status]),
                 r.proposed_at.astimezone(LOCAL).replace(tzinfo=None), r.claim_due_on,
                 r.payment_date, r.voucher_no or ""]
                for r in db.session.scalars(stmt.order_by(Reward.id)))
        return xlsx_response(_("rewards") + ".xlsx", _("Rewards"), headers, rows)
    rows = db.session.scalars(stmt.order_by(Reward.id.desc()).limit(PAGE)).all()
    return render_template("tips/reward_list.html", rewards=rows, statuses=REWARD_STATUS_LABELS,
                           tiers=TIER_LABELS, status=status, year=year)


@bp.route("/rewards/<int:id>")
@guard(READERS, model=Reward)
def show_reward(reward: Reward):
    return _reward_page(reward)


@bp.route("/rewards/<int:id>/approve", methods=["POST"])
@guard((Role.unit_leader,), model=Reward, write=True)
def approve_reward(reward: Reward):
    return _step(reward, lambda f: rewards.approve(reward, current_actor(), f.note.data or ""),
                 DecisionForm(), "decision")


@bp.route("/rewards/<int:id>/reject", methods=["POST"])
@guard((Role.unit_leader,), model=Reward, write=True)
def reject_reward(reward: Reward):
    return _step(reward, lambda f: rewards.reject(reward, current_actor(), f.note.data or ""),
                 DecisionForm(), "decision")


@bp.route("/rewards/<int:id>/pay", methods=["POST"])
@guard((Role.finance,), model=Reward, write=True)
def pay_reward(reward: Reward):
    """Finance records the payment (method, date, voucher number)."""
    return _step(reward, lambda f: rewards.pay(
        reward, current_actor(), method=f.method.data, payment_date=f.payment_date.data,
        voucher_no=f.voucher_no.data or ""), PayForm(), "pay")


@bp.route("/rewards/<int:id>/payees", methods=["POST"])
@guard((Role.finance,), model=Reward, write=True)
def reveal_payees(reward: Reward):
    """Finance reads the payees' names and phones to pay; shown once, every read audited."""
    if not DecisionForm().validate_on_submit():
        return _reward_page(reward, 400)
    try:
        payees = custody.reveal_for_payment(reward, current_actor())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return _reward_page(reward, exc.status)
    db.session.commit()
    return _reward_page(reward, payees=payees)


@bp.route("/rewards/<int:id>/contest-answer", methods=["POST"])
@guard((Role.unit_leader,), model=Reward, write=True)
def answer_contest(reward: Reward):
    return _step(reward, lambda f: rewards.resolve_contest(
        reward, current_actor(), f.outcome.data, f.reply.data or ""), ContestAnswerForm(),
        "answer")


def _budget_page(form: BudgetForm | None = None, status: int = 200):
    actor = current_actor()
    year = request.args.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else local_today().year
    lines = budgets.budget_lines(actor, year)
    can_edit = actor.role in budgets.EDITORS
    if can_edit:
        form = form or BudgetForm(formdata=None, year=year)
        units = db.session.scalars(core_queries.units_in_scope(actor)
                                   .where(Unit.kind.in_(rewards.FUNDING_KINDS))
                                   .order_by(Unit.path)).all()
        form.unit_id.choices = [SelectChoice(u.id, f"{u.code} {u.name}") for u in units]
    return render_template("tips/budgets.html", lines=lines, year=year, form=form,
                           can_edit=can_edit), status


@bp.route("/rewards/budgets")
@guard(READERS)
def show_budgets():
    """Budgets per funding source for a year, with paid, approved and remaining amounts."""
    return _budget_page()


@bp.route("/rewards/budgets", methods=["POST"])
@guard(tuple(budgets.EDITORS), write=True)
def set_budget():
    form = BudgetForm()
    form.unit_id.choices = []
    if not form.validate_on_submit():
        return _budget_page(form, 422)
    try:
        budgets.set_budget(current_actor(), db.session.get(Unit, form.unit_id.data or 0),
                           form.year.data, form.amount.data, form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        place_errors(form, exc)
        return _budget_page(form, exc.status)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("rewards.show_budgets", year=form.year.data))


@bp.route("/tips/<int:id>/identity-requests", methods=["POST"])
@guard(REQUESTERS, model=Tip, write=True)
def request_identity(tip: Tip):
    """Ask the city office, with reasons, to learn the informant's identity."""
    form = RevealRequestForm()
    if form.validate_on_submit():
        try:
            custody.request_reveal(tip, current_actor(), form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, exc)
            return _tip_page(db.session.get(Tip, tip.id), exc.status, reveal_request=form)
        db.session.commit()
        flash(_("Your request was sent to the city supervision office."), "success")
        return redirect(url_for("tips.show_tip", id=tip.id))
    return _tip_page(tip, 422, reveal_request=form)


@bp.route("/identity-requests")
@guard(REQUESTERS)
def list_identity_requests():
    """The custodian's queue (city office); others see the requests they made."""
    return _requests_page()


def _requests_page(status: int = 200):
    actor = current_actor()
    stmt = custody.pending_requests(actor)
    if actor.role is not Role.city_office:
        stmt = stmt.where(IdentityRequest.requested_by_id == actor.id)
    rows = db.session.scalars(stmt.limit(PAGE)).all()
    return render_template("tips/identity_requests.html", requests=rows,
                           form=RevealDecisionForm(formdata=None),
                           statuses=REVEAL_STATUS_LABELS,
                           can_decide=actor.role is Role.city_office), status


@bp.route("/identity-requests/<int:id>/decide", methods=["POST"])
@guard((Role.city_office,), model=IdentityRequest, write=True)
def decide_identity_request(identityrequest: IdentityRequest):
    form = RevealDecisionForm()
    if form.validate_on_submit():
        try:
            custody.decide(identityrequest, current_actor(),
                           approve=form.decision.data == "approve", reason=form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return _requests_page(exc.status)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("rewards.list_identity_requests"))
    flash(_("Some fields are not valid."), "danger")
    return _requests_page(422)
