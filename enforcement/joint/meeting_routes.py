"""Pages of joint meetings and follow-up tasks: meetings (and the districts with none this
quarter), a meeting with its tasks, the task list with overdue ones, task steps."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from wtforms import SelectChoice

from core.base import local_today
from core.errors import DomainError
from core.exports import xlsx_response
from core.permissions import current_actor, guard
from core.roles import ALL_ROLES, Role
from enforcement.cases.routes import form_errors
from enforcement.joint import forms, meetings
from enforcement.joint.labels import TASK_LABELS
from enforcement.joint.models import FollowUpTask, Meeting
from enforcement.joint.routes import units_for_select
from extensions import db

bp = Blueprint("meetings", __name__, url_prefix="/joint")
ORGANISERS = (Role.district_office, Role.city_office, Role.admin)
WORKERS = (Role.officer, Role.unit_leader, Role.district_office, Role.city_office, Role.admin)


@bp.route("/meetings")
@guard(ALL_ROLES)
def list_meetings():
    """Meetings in scope, newest first (?format=xlsx), and the districts with no meeting this
    quarter."""
    actor = current_actor()
    rows = db.session.scalars(meetings.meetings_in_scope(actor).order_by(
        Meeting.held_on.desc(), Meeting.id.desc()).limit(200)).all()
    today = local_today()
    if request.args.get("format") == "xlsx":
        return xlsx_response(_("joint meetings") + ".xlsx", _("Joint meetings"),
                             [_("Held on"), _("Title"), _("Unit"), _("Units present"), _("Topics"),
                              _("Decisions"), _("Follow-up tasks")],
                             [[m.held_on, m.title, m.unit.name,
                               "、".join(a.unit.name for a in m.attendees), m.topics,
                               m.decisions, len(m.tasks)] for m in rows])
    return render_template("joint/meeting_list.html", meetings=rows,
                           missing=meetings.districts_without_meeting(actor, today),
                           can_record=actor.role in ORGANISERS)


@bp.route("/meetings/new", methods=["GET", "POST"])
@guard(ORGANISERS, write=True)
def new_meeting():
    """Record a meeting held by the actor's unit, its decisions and their follow-up tasks."""
    actor = current_actor()
    form = forms.MeetingForm()
    form.attendees.choices = [SelectChoice(u.id, f"{u.code} {u.name}")
                              for u in units_for_select(actor)]
    if form.validate_on_submit():
        try:
            meeting = meetings.record_meeting(actor=actor, unit=actor.unit,
                                              data=forms.meeting_input(form),
                                              today=local_today())
        except DomainError as exc:
            db.session.rollback()
            if "due_on" in exc.fields:  # a task's date: the tasks box on this form
                exc.fields = {"tasks": exc.fields.pop("due_on"), **exc.fields}
            form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("meetings.show_meeting", id=meeting.id))
    return render_template("joint/meeting_form.html", form=form), \
        422 if request.method == "POST" else 200


def _meeting_page(meeting: Meeting, form=None, status: int = 200):
    actor = current_actor()
    form = form or forms.NewTaskForm(formdata=None)
    form.unit_id.choices = [SelectChoice(u.id, f"{u.code} {u.name}")
                            for u in units_for_select(actor)]
    return render_template("joint/meeting_detail.html", meeting=meeting, labels=TASK_LABELS,
                           today=local_today(), task_form=form,
                           can_assign=actor.role in ORGANISERS), status


@bp.route("/meetings/<int:id>")
@guard(ALL_ROLES, model=Meeting)
def show_meeting(meeting: Meeting):
    """A meeting: attendees, topics, decisions and its tasks."""
    return _meeting_page(meeting)


@bp.route("/meetings/<int:id>/tasks", methods=["POST"])
@guard(ORGANISERS, model=Meeting, write=True)
def add_task(meeting: Meeting):
    """Set one more follow-up task from the meeting's decisions."""
    form = forms.NewTaskForm()
    if not form.validate_on_submit():
        return _meeting_page(meeting, form, 422)
    try:
        meetings.add_task(meeting, actor=current_actor(), data=meetings.TaskInput(
            title=form.title.data or "", unit_id=form.unit_id.data, due_on=form.due_on.data,
            decision=form.decision.data or ""))
    except DomainError as exc:
        db.session.rollback()
        if "tasks" in exc.fields:  # the service names the task list; here it is the title
            exc.fields = {"title": exc.fields.pop("tasks"), **exc.fields}
        form_errors(form, exc)
        return _meeting_page(db.session.get(Meeting, meeting.id), form, exc.status)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("meetings.show_meeting", id=meeting.id))


@bp.route("/tasks")
@guard(ALL_ROLES)
def list_tasks():
    """Follow-up tasks in scope; ?status=, ?overdue=1, ?format=xlsx; the overdue count."""
    actor = current_actor()
    today = local_today()
    stmt = meetings.tasks_in_scope(actor, status=request.args.get("status"),
                                   overdue_on=today if request.args.get("overdue") == "1"
                                   else None)
    overdue = db.session.scalar(select(func.count()).select_from(
        meetings.tasks_in_scope(actor, overdue_on=today).subquery()))
    rows = db.session.scalars(stmt.order_by(FollowUpTask.due_on, FollowUpTask.id)
                              .limit(500)).all()
    if request.args.get("format") == "xlsx":
        return xlsx_response(_("follow-up tasks") + ".xlsx", _("Follow-up tasks"),
                             [_("No."), _("Task"), _("Owner unit"), _("Set on"), _("Due"),
                              _("Status"), _("Reported"), _("Sent back"), _("Overdue")],
                             [[t.id, t.title, t.unit.name, t.set_on, t.due_on,
                               str(TASK_LABELS[t.status]), t.reported_on, t.sent_back_count,
                               _("yes") if t.is_overdue(today) else ""] for t in rows])
    return render_template("joint/task_list.html", tasks=rows, labels=TASK_LABELS,
                           today=today, overdue=overdue, form=forms.TaskForm(formdata=None))


@bp.route("/tasks/<int:id>/step", methods=["POST"])
@guard(WORKERS, model=FollowUpTask, arg="task", write=True)
def move_task(task: FollowUpTask):
    """One step of the task loop (start, report done, verify, close, send back)."""
    form = forms.TaskForm()
    target = url_for("meetings.show_meeting", id=task.meeting_id)
    if not form.validate_on_submit():
        flash(_("The form could not be read."), "danger")
        return redirect(target)
    try:
        meetings.move_task(task, actor=current_actor(), to=form.to.data or "",
                           note=form.note.data or "", today=local_today())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(target)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(target)
