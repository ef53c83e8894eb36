"""Sections of the monthly report for rewards (有奖举报) and blacklist changes (黑名单), registered
like the built-in ones. No identity, receipt code or unmasked personal data appears here."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from blacklist.models import EntryEvent
from core.models import Unit
from enforcement.tips.reward_models import Reward, RewardStatus
from extensions import db
from reports.monthly import Period, section

BLACKLIST_EVENTS = ("nominated", "listed", "published", "expired", "removed")


def _in(column, period: Period):
    return (column >= period.start) & (column < period.end)


@section("rewards", _l("Tip rewards"), order=45)
def rewards_section(period: Period) -> dict:
    """Rewards proposed, approved and paid in the month, and payments by funding source."""
    proposed = db.session.scalar(select(func.count(Reward.id))
                                 .where(_in(Reward.proposed_at, period))) or 0
    approved = db.session.scalar(select(func.count(Reward.id)).where(
        _in(Reward.decided_at, period), Reward.approved_by_id.is_not(None))) or 0
    paid_rows = db.session.execute(
        select(Unit.name, func.count(Reward.id), func.coalesce(func.sum(Reward.amount), 0))
        .join(Unit, Unit.id == Reward.funding_unit_id)
        .where(Reward.status == RewardStatus.paid, _in(Reward.paid_at, period))
        .group_by(Unit.name).order_by(Unit.name)).all()
    paid = sum(n for _u, n, _a in paid_rows)
    amount = sum((Decimal(a) for *_r, a in paid_rows), Decimal(0))
    return {"figures": {"proposed": proposed, "approved": approved, "paid": paid,
                        "paid_amount": amount},
            "tables": [{"key": "rewards", "title": _l("Rewards in the month"),
                        "headers": [_l("Figure"), _l("Number")],
                        "rows": [[_("Rewards proposed"), proposed],
                                 [_("Rewards approved"), approved],
                                 [_("Rewards paid"), paid],
                                 [_("Amount paid (yuan)"), amount]]},
                       {"key": "reward_funding", "title": _l("Payments by funding source"),
                        "headers": [_l("Funding source"), _l("Rewards paid"),
                                    _l("Amount paid (yuan)")],
                        "rows": [[u, n, Decimal(a)] for u, n, a in paid_rows]}]}


@section("blacklist", _l("Blacklist changes"), order=46)
def blacklist_section(period: Period) -> dict:
    """How many entries were nominated, listed, published, expired or removed in the month."""
    counts = dict(db.session.execute(
        select(EntryEvent.event, func.count(EntryEvent.id))
        .where(EntryEvent.event.in_(BLACKLIST_EVENTS), _in(EntryEvent.at, period))
        .group_by(EntryEvent.event)).all())
    figures = {event: int(counts.get(event, 0)) for event in BLACKLIST_EVENTS}
    labels = {"nominated": _("Nominated"), "listed": _("Listed"), "published": _("Published"),
              "expired": _("Expired"), "removed": _("Removed")}
    return {"figures": figures,
            "tables": [{"key": "blacklist", "title": _l("Blacklist changes in the month"),
                        "headers": [_l("Change"), _l("Number")],
                        "rows": [[labels[e], figures[e]] for e in BLACKLIST_EVENTS]}]}
