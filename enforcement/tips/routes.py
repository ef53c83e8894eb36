"""Staff pages of tips: the queue with filters and export, detail, review steps, hotline entry."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit, storage
from core import queries as core_queries
from core.base import local_today
from core.errors import DomainError
from core.exports import xlsx_response
from core.models import Unit
from core.permissions import current_actor, guard
from core.roles import Role
from enforcement.cases.models import Case
from enforcement.tips import photos, queries, reward_routes, services
from enforcement.tips.forms import (
    CHANNEL_LABELS,
    STATUS_LABELS,
    VERDICT_LABELS,
    ActionForm,
    AssignForm,
    ConcludeForm,
    HotlineTipForm,
    LinkCaseForm,
    MergeForm,
    MessageForm,
    StatusForm,
)
from enforcement.tips.models import Tip, TipChannel, TipPhoto
from enforcement.tips.public import map_config, no_store, place_errors, to_input
from extensions import db

bp = Blueprint("tips", __name__, url_prefix="/tips")
LOCAL = ZoneInfo("Asia/Shanghai")
READERS = (Role.tip_reviewer, Role.unit_leader, Role.district_office, Role.city_office,
           Role.auditor)
HANDLERS = (Role.tip_reviewer, Role.unit_leader)
ASSIGNERS = (Role.tip_reviewer, Role.district_office, Role.city_office)
REVIEWERS = (Role.tip_reviewer,)
PAGE = 50


def _filter(args) -> queries.TipFilter:
    return queries.TipFilter(status=args.get("status") or None,
                             overdue=args.get("overdue") == "1", plate=args.get("plate") or None)


def _local(value):
    return value.astimezone(LOCAL).replace(tzinfo=None) if value else None


def _export(stmt):
    """The filtered queue as XLSX: facts and deadlines only, never the informant's identity."""
    headers = [_("No."), _("Received"), _("Channel"), _("Status"), _("Unit"), _("What"),
               _("Address"), _("Plates"), _("Accept by"), _("Conclude by"), _("Reply by"),
               _("Verdict")]
    rows = ([t.id, _local(t.created_at), str(CHANNEL_LABELS[t.channel]),
             str(STATUS_LABELS[t.status]), t.unit.name if t.unit else "", t.what, t.address,
             ", ".join(t.plate_list), t.accept_due_on, t.conclude_due_on, t.reply_due_on,
             str(VERDICT_LABELS[t.verdict]) if t.verdict else ""]
            for t in db.session.scalars(stmt.order_by(Tip.id)))
    return xlsx_response(_("tips") + ".xlsx", _("Tips"), headers, rows)


@bp.route("")
@guard(READERS)
def list_tips():
    """The tip queue in scope, newest first; ?status=, ?overdue=1, ?format=xlsx."""
    actor = current_actor()
    today = local_today()
    stmt = queries.tips_in_scope(actor, _filter(request.args), today=today)
    if request.args.get("format") == "xlsx":
        return _export(stmt)
    before = request.args.get("before", "")
    if before.isdigit():
        stmt = stmt.where(Tip.id < int(before))
    rows = db.session.scalars(stmt.order_by(Tip.id.desc()).limit(PAGE + 1)).all()
    next_before = rows[PAGE - 1].id if len(rows) > PAGE else None
    return render_template("tips/tip_list.html", tips=rows[:PAGE], next_before=next_before,
                           statuses=STATUS_LABELS, channels=CHANNEL_LABELS, today=today,
                           can_enter=actor.role in REVIEWERS)


def _detail(tip: Tip, status: int = 200, identity: dict | None = None, **forms):
    actor = current_actor()
    assign = forms.get("assign") or AssignForm(formdata=None, unit_id=tip.unit_id)
    if actor.role in ASSIGNERS:
        units = db.session.scalars(core_queries.units_in_scope(actor).order_by(Unit.path)).all()
        assign.unit_id.choices = [(u.id, f"{u.code} {u.name}") for u in units]
    duplicates = services.find_duplicates(tip, actor) if tip.merged_into_id is None else []
    response = make_response(render_template(
        "tips/tip_detail.html", tip=tip, statuses=STATUS_LABELS, channels=CHANNEL_LABELS,
        verdicts=VERDICT_LABELS, duplicates=duplicates, identity=identity,
        action=ActionForm(formdata=None), assign=assign,
        link=forms.get("link") or LinkCaseForm(formdata=None),
        conclude=forms.get("conclude") or ConcludeForm(formdata=None),
        message=forms.get("message") or MessageForm(formdata=None),
        merge=forms.get("merge") or MergeForm(formdata=None),
        can_handle=actor.role in HANDLERS, can_assign=actor.role in ASSIGNERS,
        is_reviewer=actor.role in REVIEWERS, **reward_routes.tip_panel(tip, actor, **forms)),
        status)
    return no_store(response)


@bp.route("/<int:id>")
@guard(READERS, model=Tip)
def show_tip(tip: Tip):
    """One tip: facts, photos, messages, linked cases, duplicates; no identity by default."""
    return _detail(tip)


def _step(tip: Tip, call, form_name: str | None = None, form=None):
    """Validate the form, run the service, commit, redirect; errors back onto the page."""
    form = form or ActionForm()
    if not form.validate_on_submit():
        return _detail(tip, 422, **({form_name: form} if form_name else {}))
    try:
        call(form)
    except DomainError as exc:
        db.session.rollback()
        if form_name:
            place_errors(form, exc)
            return _detail(db.session.get(Tip, tip.id), exc.status, **{form_name: form})
        flash(str(exc.message), "danger")
        return redirect(url_for("tips.show_tip", id=tip.id))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("tips.show_tip", id=tip.id))


@bp.route("/<int:id>/accept", methods=["POST"])
@guard(HANDLERS, model=Tip, write=True)
def accept_tip(tip: Tip):
    """Accept a received tip."""
    return _step(tip, lambda f: services.accept(tip, current_actor()))


@bp.route("/<int:id>/assign", methods=["POST"])
@guard(ASSIGNERS, model=Tip, write=True)
def assign_tip(tip: Tip):
    """Give the tip to another unit in the actor's area."""
    def call(form):
        unit = db.session.get(Unit, form.unit_id.data or 0)
        if unit is None:
            raise DomainError(_("Choose a unit in your area."), field="unit_id")
        services.assign(tip, current_actor(), unit)
    return _step(tip, call, "assign", AssignForm())


@bp.route("/<int:id>/link", methods=["POST"])
@guard(HANDLERS, model=Tip, write=True)
def link_tip_case(tip: Tip):
    """Link a case, by its number, to the tip."""
    def call(form):
        case = db.session.scalar(select(Case).where(Case.number == form.case_number.data.strip()))
        services.link_case(tip, current_actor(), case)
    return _step(tip, call, "link", LinkCaseForm())


@bp.route("/<int:id>/conclude", methods=["POST"])
@guard(HANDLERS, model=Tip, write=True)
def conclude_tip(tip: Tip):
    """Record the verdict and its reason."""
    return _step(tip, lambda f: services.conclude(tip, current_actor(), f.verdict.data or "",
                                                  f.reason.data or ""),
                 "conclude", ConcludeForm())


@bp.route("/<int:id>/close", methods=["POST"])
@guard(HANDLERS, model=Tip, write=True)
def close_tip(tip: Tip):
    """Close a concluded tip."""
    return _step(tip, lambda f: services.close(tip, current_actor()))


@bp.route("/<int:id>/message", methods=["POST"])
@guard(HANDLERS, model=Tip, write=True)
def message_tip(tip: Tip):
    """Write to the informant (shown on the public status page)."""
    return _step(tip, lambda f: services.reviewer_message(tip, current_actor(),
                                                          f.body.data or ""),
                 "message", MessageForm())


@bp.route("/<int:id>/merge", methods=["POST"])
@guard(HANDLERS, model=Tip, write=True)
def merge_tip(tip: Tip):
    """Merge a duplicate with this tip; the earlier one stays primary."""
    def call(form):
        other = db.session.get(Tip, form.other_id.data)
        if other is None:
            raise DomainError(_("No such tip in your area."), field="other_id")
        services.merge(other, tip, current_actor())
    return _step(tip, call, "merge", MergeForm())


@bp.route("/<int:id>/reveal", methods=["POST"])
@guard(REVIEWERS + reward_routes.REQUESTERS, model=Tip, write=True)
def reveal_tip_identity(tip: Tip):
    """Show the informant's name and phone once, in this response only; the read is audited.
    Tip reviewers may; others only with a request the city office granted (``custody``)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    identity = services.reveal_identity(tip, current_actor())
    db.session.commit()
    return _detail(tip, identity=identity)


@bp.route("/photos/<int:id>")
@guard(READERS, model=TipPhoto)
def show_tip_photo(tipphoto: TipPhoto):
    """The copy of an uploaded photo, re-encoded without EXIF/GPS/author metadata."""
    path = storage.path_of(photos.COPIES, tipphoto.stored_name)
    response = send_file(path, mimetype=tipphoto.mime, as_attachment=False,
                         download_name=f"tip-{tipphoto.tip_id}-{tipphoto.id}")
    return no_store(response)


@bp.route("/photos/<int:id>/original")
@guard(REVIEWERS, model=TipPhoto)
def show_tip_photo_original(tipphoto: TipPhoto):
    """The original as received (with its metadata), decrypted for a tip reviewer; audited."""
    if not tipphoto.original_name:
        abort(404)
    data = photos.read_original(tipphoto)
    audit.record("tip.photo_original_read", actor=current_actor(), object_type="tip",
                 object_id=tipphoto.tip_id, unit_id=tipphoto.tip.unit_id,
                 detail={"photo": tipphoto.id})
    db.session.commit()
    response = make_response(data)
    response.headers["Content-Type"] = tipphoto.original_mime or "application/octet-stream"
    response.headers["Content-Disposition"] = "attachment; filename=original"
    return no_store(response)


@bp.route("/hotline", methods=["GET", "POST"])
@guard(REVIEWERS, write=True)
def enter_hotline_tip():
    """A tip taken by phone (12328, 12345) or transferred, entered by a tip reviewer."""
    form = HotlineTipForm()
    if form.validate_on_submit():
        try:
            tip, code = services.submit_tip(to_input(form), channel=TipChannel(form.channel.data),
                                            actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, exc)
        else:
            db.session.commit()
            return no_store(make_response(render_template(
                "tips/tip_receipt.html", code=code, tip=tip, status_form=StatusForm())))
    return render_template("tips/tip_form.html", form=form, map_config=map_config(),
                           hotline=True), (422 if request.method == "POST" else 200)


