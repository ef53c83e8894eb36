"""Rules of the domain as configuration rows: every number has a documented default here and
lives in the ``settings`` table, where the city office may change it. Code reads ``get(key)``."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.errors import DomainError
from core.models import Setting
from extensions import db


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    description: str
    kind: type = int
    minimum: float | None = 0


DEFINITIONS: dict[str, SettingDef] = {}


@functools.lru_cache(maxsize=256)
def _many_statement(prefix: str):
    """The keys under ``prefix`` and their primary-key look-up, built once (hot paths read
    settings on every request)."""
    keys = tuple(k for k in DEFINITIONS if k.startswith(prefix))
    return keys, select(Setting.key, Setting.value).where(Setting.key.in_(keys))


def define(key: str, default: Any, description: str, kind: type = int,
           minimum: float | None = 0) -> None:
    DEFINITIONS[key] = SettingDef(key, default, description, kind, minimum)
    _many_statement.cache_clear()


# Statutory deadlines (domain.md §3.4)
define("deadline.decision_days", 90, "days to decide after registering (APL 2021 art. 60)")
define("deadline.detention_days", 30, "days a vehicle may be detained (ACL art. 25)")
define("deadline.detention_extension_days", 30, "one extension of the detention, with approval")
define("deadline.statement_days", 3, "working days for the party's statement after the notice")
define("deadline.hearing_request_days", 5, "working days to ask for a hearing after the notice")
define("deadline.fine_payment_days", 15, "days to pay the fine after the decision (APL art. 67)")
define("deadline.working_day_periods", [2, 3, 5, 7], "periods counted in working days "
       "(APL art. 85)", kind=list, minimum=None)
define("deadline.due_soon_days", 3, "a clock is 'due soon' this many days before its end")
# Penalty decision document
define("decision.surcharge_rate_percent", 3, "late-payment surcharge per day (APL art. 72)")
define("decision.reconsideration_days", 60, "days to apply for administrative reconsideration")
define("decision.lawsuit_months", 6, "months to bring an administrative lawsuit")
define("decision.payment_account", "市财政非税收入专户（以缴款通知书所列银行为准）",
       "where fines are paid", kind=str, minimum=None)
# Evidence
define("evidence.max_upload_mb", 50, "largest evidence file in megabytes", minimum=1)
# Discretion: how far back earlier offences count towards the 'serious' tier
define("discretion.repeat_window_months", 12, "earlier decisions in this window make a repeat "
       "offence")
# Case numbering
define("cases.min_officers", 2, "officers with valid certificates needed to leave draft",
       minimum=1)


def get(key: str) -> Any:
    """The configured value of ``key`` (the documented default when no row exists)."""
    definition = DEFINITIONS[key]
    row = db.session.get(Setting, key)
    return definition.default if row is None else row.value


def get_many(prefix: str, conn=None, max_age: float = 0) -> dict[str, Any]:
    """All values whose key starts with ``prefix`` (one query, on ``conn`` when given, else the
    session), keyed without the prefix. With ``max_age`` (seconds), values this process read
    that recently are reused without a query (the hot paths: ``SETTINGS_CACHE_SECONDS``); a
    change made here clears them at once, other processes see it within ``max_age``."""
    now = time.monotonic()
    if max_age > 0:
        hit = _RECENT.get(prefix)
        if hit is not None and now - hit[0] < max_age:
            return dict(hit[1])
    keys, stmt = _many_statement(prefix)
    rows = dict((conn or db.session).execute(stmt).all())
    values = {k[len(prefix):]: rows.get(k, DEFINITIONS[k].default) for k in keys}
    if max_age > 0:
        _RECENT[prefix] = (now, dict(values))
    return values


_RECENT: dict[str, tuple[float, dict]] = {}



def set_value(key: str, value: Any, *, actor) -> Setting:
    """Change a setting after checking its type and bounds; audited."""
    definition = DEFINITIONS.get(key)
    if definition is None:
        raise DomainError(_l("Unknown setting."), field="key")
    if definition.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError(_l("Enter a whole number."), field="value")
        if definition.minimum is not None and value < definition.minimum:
            raise DomainError(_l("The value is too small."), field="value")
    elif not isinstance(value, definition.kind):
        raise DomainError(_l("The value has the wrong type."), field="value")
    row = db.session.get(Setting, key)
    before = definition.default if row is None else row.value
    _RECENT.clear()
    if row is None:
        row = Setting(key=key, value=value, description=definition.description)
        db.session.add(row)
    row.value = value
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("setting.update", actor=actor, object_type="setting", object_id=key,
                 unit_id=getattr(actor, "unit_id", None), detail={"before": before,
                                                                  "after": value})
    return row
