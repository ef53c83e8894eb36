"""Roles and what each may do: the single table of role permissions."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(str, enum.Enum):
    officer = "officer"
    unit_leader = "unit_leader"
    tip_reviewer = "tip_reviewer"
    finance = "finance"
    district_office = "district_office"
    city_office = "city_office"
    auditor = "auditor"
    admin = "admin"


ROLE_LABELS = {
    Role.officer: _l("Enforcement officer"),
    Role.unit_leader: _l("Unit leader / reviewer"),
    Role.tip_reviewer: _l("Tip reviewer"),
    Role.finance: _l("Finance officer"),
    Role.district_office: _l("District supervision office"),
    Role.city_office: _l("City supervision office"),
    Role.auditor: _l("Auditor"),
    Role.admin: _l("Administrator"),
}

ALL_ROLES = frozenset(Role)
# Roles that manage the organisation (units and users) inside their own subtree.
MANAGERS = frozenset({Role.admin, Role.city_office, Role.district_office})
# Roles allowed to read the audit log.
AUDIT_READERS = frozenset({Role.admin, Role.auditor, Role.city_office})
# Roles whose scope is the whole city whatever their unit (read-only for the auditor).
CITYWIDE = frozenset({Role.auditor})
READ_ONLY = frozenset({Role.auditor})

# Which roles each manager may hand out: nobody grants more than they hold.
ASSIGNABLE = {
    Role.admin: ALL_ROLES,
    Role.city_office: ALL_ROLES - {Role.admin},
    Role.district_office: frozenset(
        {Role.officer, Role.unit_leader, Role.tip_reviewer, Role.finance, Role.district_office}
    ),
}


def role_label(role: Role | str) -> str:
    return str(ROLE_LABELS[Role(role)])
