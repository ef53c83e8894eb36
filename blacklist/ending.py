"""How listings end: automatic expiry, revocation of the decision behind them, and early
removal on application (信用修复). An ended entry leaves every public output and the sharing API
at once, because those read only active entries."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from blacklist.models import ACTIVE, ENDED, BlacklistEntry, EntryStatus
from blacklist.rules import add_months
from blacklist.services import OFFICES, _end, _require
from core import settings
from core.base import local_today
from core.errors import ConflictError
from extensions import db


def revoke(entry: BlacklistEntry, *, actor, reason: str) -> BlacklistEntry:
    """The decision behind the entry was revoked: it ends now and leaves every public output."""
    _require(actor, OFFICES, _l("Only the supervision office revokes entries."))
    if entry.status in ENDED:
        raise ConflictError(_l("This entry has already ended."), field="status")
    return _end(entry, EntryStatus.removed, "revoked", actor=actor, reason=reason)


def repair_blocker(entry: BlacklistEntry, today: dt.date) -> Optional[str]:
    """Why early removal (credit repair) is not possible yet, or None."""
    cases = [link.case for link in entry.cases]
    if any(c.decided_on and c.paid_on is None and c.executed_on is None for c in cases):
        return str(_l("A penalty decision behind the entry has not been carried out."))
    since = add_months(today, -settings.get("blacklist.repair_min_months"))
    if entry.starts_on and entry.starts_on > since:
        return str(_l("The minimum period without a new offence has not passed."))
    if _new_offence_since(entry, since):
        return str(_l("A new offence was decided within the minimum period."))
    return None


def _new_offence_since(entry: BlacklistEntry, since: dt.date) -> bool:
    from enforcement.cases.models import Case, CaseParty, CaseVehicle

    linked = {link.case_id for link in entry.cases}
    if entry.vehicle_id:
        stmt = select(Case.id).join(CaseVehicle, CaseVehicle.case_id == Case.id).where(
            CaseVehicle.vehicle_id == entry.vehicle_id)
    elif entry.person_id:
        stmt = select(Case.id).join(CaseParty, CaseParty.case_id == Case.id).where(
            CaseParty.person_id == entry.person_id)
    else:
        return False
    found = db.session.scalars(stmt.where(Case.decided_on >= since)).all()
    return any(i not in linked for i in found)


def remove_early(entry: BlacklistEntry, *, actor, reason: str,
                 today: Optional[dt.date] = None) -> BlacklistEntry:
    """Early removal on application (信用修复) when the penalty is fulfilled and no new offence
    occurred for the minimum period."""
    _require(actor, OFFICES, _l("Only the supervision office removes entries early."))
    if entry.status not in ACTIVE:
        raise ConflictError(_l("Only a listed entry can be removed early."), field="status")
    blocker = repair_blocker(entry, today or local_today())
    if blocker:
        raise ConflictError(blocker, field="status")
    return _end(entry, EntryStatus.removed, "credit_repair", actor=actor, reason=reason)


def expire_due(today: Optional[dt.date] = None) -> int:
    """End every listing whose period is over (the nightly job; idempotent)."""
    today = today or local_today()
    due = db.session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.status.in_(ACTIVE), BlacklistEntry.ends_on <= today)
        .order_by(BlacklistEntry.id)).all()
    for entry in due:
        _end(entry, EntryStatus.expired, "expired", actor=None,
             reason=f"listing period ended on {entry.ends_on.isoformat()}")
    return len(due)
