"""Who may learn an informant's identity, and how (为举报人保密; the custodian model).

- a tip reviewer, for a tip in their area;
- finance, for the payees of an approved reward it is paying;
- anyone else only through a reasoned request that the city supervision office (the custodian)
  approves, for a limited time.

Every read is written to the audit log with its purpose; nothing here is ever exported.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit, scoping, settings
from core.base import utcnow
from core.errors import ConflictError, DomainError, ForbiddenError
from core.roles import Role
from enforcement.tips.models import Tip
from enforcement.tips.reward_models import IdentityRequest, RevealStatus, Reward, RewardStatus
from enforcement.tips.services import clean_text, decrypt_identity
from extensions import db

settings.define("tips.reveal_grant_hours", 24, "hours an approved identity request may be used",
                minimum=1)

NOT_ALLOWED = _l("You may not read this informant's identity.")


def _read(tip: Tip, actor, purpose: str, **detail) -> dict:
    out = decrypt_identity(tip)
    audit.record("tip.identity_read", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id, detail={"purpose": purpose, **detail})
    return out


def active_grant(tip: Tip, actor, now: Optional[dt.datetime] = None) -> Optional[IdentityRequest]:
    now = now or utcnow()
    return db.session.scalar(select(IdentityRequest).where(
        IdentityRequest.tip_id == tip.id, IdentityRequest.requested_by_id == actor.id,
        IdentityRequest.status == RevealStatus.approved, IdentityRequest.valid_until > now)
        .order_by(IdentityRequest.id.desc()).limit(1))


def reveal(tip: Tip, actor) -> dict:
    """The identity for a tip reviewer in scope, or for the holder of an approved request."""
    if actor is None or not scoping.in_scope(actor, tip):
        raise ForbiddenError(NOT_ALLOWED)
    if actor.role is Role.tip_reviewer:
        return _read(tip, actor, "review")
    grant = active_grant(tip, actor)
    if grant is None:
        raise ForbiddenError(NOT_ALLOWED)
    return _read(tip, actor, "request", request=grant.id)


def reveal_for_payment(reward: Reward, actor) -> list[dict]:
    """Finance paying an approved reward reads its payees' names and phones."""
    if actor is None or actor.role is not Role.finance or not scoping.in_scope(actor, reward):
        raise ForbiddenError(NOT_ALLOWED)
    if reward.status is not RewardStatus.approved:
        raise ConflictError(_l("Identities are shown to finance only to pay an approved "
                               "reward."))
    return [{"tip_id": share.tip_id, "amount": share.amount,
             **_read(share.tip, actor, "payment", reward=reward.id)} for share in reward.shares]


def request_reveal(tip: Tip, actor, reason: str) -> IdentityRequest:
    """Someone other than a tip reviewer asks, with reasons, to learn the identity."""
    if actor is None or actor.role is Role.tip_reviewer or not scoping.in_scope(actor, tip):
        raise ForbiddenError(_l("Tip reviewers read identities directly; others ask for a "
                                "tip in their area."))
    if not tip.has_identity:
        raise ConflictError(_l("This informant stayed anonymous."))
    reason = clean_text(reason)
    if len(reason) < 10 or len(reason) > 2000:
        raise DomainError(_l("Give the reason in 10 to 2000 characters."), field="reason")
    pending = db.session.scalar(select(IdentityRequest.id).where(
        IdentityRequest.tip_id == tip.id, IdentityRequest.requested_by_id == actor.id,
        IdentityRequest.status == RevealStatus.pending))
    if pending:
        raise ConflictError(_l("You already asked; the city office has not decided yet."))
    request = IdentityRequest(tip_id=tip.id, requested_by_id=actor.id, reason=reason,
                              requested_at=utcnow(), status=RevealStatus.pending)
    db.session.add(request)
    db.session.flush()
    audit.record("tip.identity_request", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id, detail={"request": request.id})
    return request


def decide(request: IdentityRequest, actor, *, approve: bool, reason: str) -> IdentityRequest:
    """The city supervision office grants (for a limited time) or refuses a request."""
    if actor is None or actor.role is not Role.city_office:
        raise ForbiddenError(_l("Only the city supervision office decides identity requests."))
    if request.requested_by_id == actor.id:
        raise ForbiddenError(_l("You cannot decide your own request."))
    if request.status is not RevealStatus.pending:
        raise ConflictError(_l("This request was already decided."))
    reason = clean_text(reason)
    if not reason:
        raise DomainError(_l("Give the reason for the decision."), field="reason")
    now = utcnow()
    request.status = RevealStatus.approved if approve else RevealStatus.refused
    request.decided_by_id, request.decided_at, request.decision_reason = actor.id, now, reason
    if approve:
        request.valid_until = now + dt.timedelta(hours=settings.get("tips.reveal_grant_hours"))
    db.session.flush()
    audit.record("tip.identity_request_decide", actor=actor, object_type="tip",
                 object_id=request.tip_id, unit_id=request.tip.unit_id,
                 detail={"request": request.id, "approved": approve})
    return request


def pending_requests(actor):
    """Requests waiting for the custodian (the city office sees all in its scope)."""
    return (scoping.scoped(select(IdentityRequest).join(Tip, Tip.id == IdentityRequest.tip_id),
                           actor, Tip.unit_id)
            .order_by(IdentityRequest.status != RevealStatus.pending,
                      IdentityRequest.requested_at.desc()))
