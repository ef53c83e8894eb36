"""Interface labels of joint enforcement (pages, exports and the monthly report)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from enforcement.joint.models import ActionKind, ActionStatus, PhaseKind, TaskStatus

KIND_LABELS = {
    ActionKind.daily_patrol: _l("Daily joint patrol"),
    ActionKind.night_action: _l("Night joint action"),
    ActionKind.concentrated_action: _l("Concentrated action"),
    ActionKind.cross_region_action: _l("Cross-region action"),
    ActionKind.special_campaign: _l("Special campaign"),
}
STATUS_LABELS = {
    ActionStatus.planned: _l("Planned"),
    ActionStatus.approved: _l("Approved"),
    ActionStatus.completed: _l("Completed"),
    ActionStatus.cancelled: _l("Cancelled"),
}
PHASE_LABELS = {
    PhaseKind.survey: _l("Survey"),
    PhaseKind.publicity: _l("Publicity and persuasion"),
    PhaseKind.enforcement: _l("Full enforcement"),
    PhaseKind.review: _l("Review and summary"),
}
TASK_LABELS = {
    TaskStatus.assigned: _l("Assigned"),
    TaskStatus.in_progress: _l("In progress"),
    TaskStatus.reported_done: _l("Reported done"),
    TaskStatus.verified: _l("Verified"),
    TaskStatus.closed: _l("Closed"),
    TaskStatus.sent_back: _l("Sent back"),
}
