"""Pages for the organisation: home, language, health, units, users, audit log."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select, text
from wtforms import SelectChoice

from core import audit, queries, scoping, services
from core.errors import DomainError
from core.exports import xlsx_response
from core.forms import PasswordForm, UnitEditForm, UnitForm, UserEditForm, UserForm
from core.i18n import datetime_local
from core.models import DEPARTMENT_LABELS, UNIT_KIND_LABELS, Unit, User
from core.pagination import paginate
from core.permissions import current_actor, guard, public
from core.roles import ASSIGNABLE, AUDIT_READERS, MANAGERS, ROLE_LABELS, role_label
from extensions import db

bp = Blueprint("core", __name__)


def _form_errors(form, exc: DomainError) -> None:
    """Put a service's error on the named field of the form (or on the form as a whole)."""
    field = getattr(form, exc.field or "", None)
    if field is not None:
        field.errors = list(field.errors) + [str(exc.message)]
    else:
        flash(str(exc.message), "danger")


def _unit_choices(actor, kinds=None) -> list[SelectChoice]:
    stmt = queries.units_in_scope(actor).where(Unit.is_active.is_(True))
    if kinds:
        stmt = stmt.where(Unit.kind.in_(kinds))
    return [SelectChoice(u.id, f"{'　' * u.depth}{u.name} ({u.code})")
            for u in db.session.scalars(stmt)]


@bp.route("/")
@guard()
def index():
    """Home page: what the user's role can reach."""
    return render_template("core/index.html")


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str):
    """Switch the interface language (kept in the session and a cookie)."""
    from flask import current_app

    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    response.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/healthz")
@public
def healthz():
    """Liveness and database check for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unavailable
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})


# Units ------------------------------------------------------------------------------------

@bp.route("/units")
@guard()
def list_units():
    """The units in the user's scope, as a tree-ordered list (XLSX with ?format=xlsx)."""
    actor = current_actor()
    stmt = queries.units_in_scope(actor, q=request.args.get("q"), kind=request.args.get("kind"))
    if request.args.get("format") == "xlsx":
        rows = ((u.code, u.name, str(UNIT_KIND_LABELS[u.kind]),
                 str(DEPARTMENT_LABELS[u.department]), u.parent.code if u.parent else "",
                 _("Yes") if u.is_active else _("No")) for u in db.session.scalars(stmt))
        return xlsx_response(_("units") + ".xlsx", _("Units"),
                             [_("Code"), _("Name"), _("Kind"), _("Department"),
                              _("Parent unit"), _("Active")], rows)
    page = paginate(stmt, request.args.get("page"), per_page=100)
    return render_template("core/unit_list.html", page=page, kinds=UNIT_KIND_LABELS,
                           departments=DEPARTMENT_LABELS, can_manage=actor.role in MANAGERS)


@bp.route("/units/<int:id>")
@guard(model=Unit)
def show_unit(unit: Unit):
    """One unit with its sub-units and users."""
    actor = current_actor()
    users = db.session.scalars(select(User).where(User.unit_id == unit.id)
                               .order_by(User.username)).all()
    return render_template("core/unit_detail.html", unit=unit, users=users,
                           kinds=UNIT_KIND_LABELS, departments=DEPARTMENT_LABELS,
                           can_manage=actor.role in MANAGERS)


@bp.route("/units/new", methods=["GET", "POST"])
@guard(MANAGERS, write=True)
def create_unit():
    """Create a unit below one in the user's scope."""
    actor = current_actor()
    form = UnitForm()
    form.parent_id.choices = _unit_choices(actor)
    if request.method == "GET" and request.args.get("parent", "").isdigit():
        form.parent_id.data = int(request.args["parent"])
    if form.validate_on_submit():
        parent = scoping.require_unit_in_scope(actor, form.parent_id.data)
        try:
            unit = services.create_unit(
                actor=actor, code=form.code.data, name=form.name.data, kind=form.kind.data,
                parent=parent, department=form.department.data,
                boundary_geojson=form.boundary_geojson.data)
        except DomainError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("core.show_unit", id=unit.id))
    return render_template("core/unit_form.html", form=form, unit=None), \
        (422 if form.errors else 200)


@bp.route("/units/<int:id>/edit", methods=["GET", "POST"])
@guard(MANAGERS, model=Unit, write=True)
def edit_unit(unit: Unit):
    """Rename a unit, set its boundary, or deactivate it."""
    actor = current_actor()
    form = UnitEditForm(obj=unit)
    if form.validate_on_submit():
        try:
            services.update_unit(unit, actor=actor, name=form.name.data,
                                 boundary_geojson=form.boundary_geojson.data,
                                 is_active=form.is_active.data)
        except DomainError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Unit saved."), "success")
            return redirect(url_for("core.show_unit", id=unit.id))
    return render_template("core/unit_form.html", form=form, unit=unit), \
        (422 if form.errors else 200)


# Users ------------------------------------------------------------------------------------

@bp.route("/users")
@guard(MANAGERS | AUDIT_READERS)
def list_users():
    """Staff accounts in the user's scope (XLSX with ?format=xlsx)."""
    actor = current_actor()
    stmt = queries.users_in_scope(actor, q=request.args.get("q"), role=request.args.get("role"))
    if request.args.get("format") == "xlsx":
        rows = ((u.username, u.full_name, role_label(u.role), u.unit.name, u.cert_no,
                 u.cert_expires_on, _("Yes") if u.is_active else _("No"))
                for u in db.session.scalars(stmt))
        return xlsx_response(_("users") + ".xlsx", _("Users"),
                             [_("User name"), _("Full name"), _("Role"), _("Unit"),
                              _("Enforcement certificate no."), _("Certificate valid until"),
                              _("Active")], rows)
    page = paginate(stmt, request.args.get("page"))
    return render_template("core/user_list.html", page=page, roles=ROLE_LABELS,
                           can_manage=actor.role in MANAGERS)


def _user_form(form, actor):
    form.unit_id.choices = _unit_choices(actor)
    form.role.choices = [SelectChoice(r.value, role_label(r)) for r in ROLE_LABELS
                         if r in ASSIGNABLE.get(actor.role, ())]


@bp.route("/users/new", methods=["GET", "POST"])
@guard(MANAGERS, write=True)
def create_user():
    """Create a staff account in a unit of the user's scope."""
    actor = current_actor()
    form = UserForm()
    _user_form(form, actor)
    if form.validate_on_submit():
        unit = scoping.require_unit_in_scope(actor, form.unit_id.data)
        try:
            user = services.create_user(
                actor=actor, username=form.username.data, full_name=form.full_name.data,
                role=form.role.data, unit=unit, password=form.password.data,
                phone=form.phone.data, cert_no=form.cert_no.data,
                cert_expires_on=form.cert_expires_on.data)
        except DomainError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("core.show_user", id=user.id))
    return render_template("core/user_form.html", form=form, user=None), \
        (422 if form.errors else 200)


@bp.route("/users/<int:id>")
@guard(MANAGERS | AUDIT_READERS, model=User)
def show_user(user: User):
    """One account: role, unit, certificate, status, sessions."""
    return render_template("core/user_detail.html", user=user, password_form=PasswordForm(),
                           can_manage=current_actor().role in MANAGERS)


@bp.route("/users/<int:id>/edit", methods=["GET", "POST"])
@guard(MANAGERS, model=User, write=True)
def edit_user(user: User):
    """Change an account's details, role or unit."""
    actor = current_actor()
    form = UserEditForm(obj=user, role=user.role.value)
    _user_form(form, actor)
    if form.validate_on_submit():
        unit = scoping.require_unit_in_scope(actor, form.unit_id.data)
        try:
            services.update_user(user, actor=actor, full_name=form.full_name.data,
                                 role=form.role.data, unit=unit, phone=form.phone.data,
                                 cert_no=form.cert_no.data,
                                 cert_expires_on=form.cert_expires_on.data)
        except DomainError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("User saved."), "success")
            return redirect(url_for("core.show_user", id=user.id))
    return render_template("core/user_form.html", form=form, user=user), \
        (422 if form.errors else 200)


@bp.route("/users/<int:id>/active", methods=["POST"])
@guard(MANAGERS, model=User, write=True)
def set_user_active(user: User):
    """Disable (ending every session and token at once) or re-enable an account."""
    active = request.form.get("active") == "1"
    try:
        services.set_user_active(user, actor=current_actor(), active=active)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("Account enabled.") if active else _("Account disabled; its sessions and "
                                                     "tokens have ended."), "success")
    return redirect(url_for("core.show_user", id=user.id))


@bp.route("/users/<int:id>/password", methods=["POST"])
@guard(MANAGERS, model=User, write=True)
def reset_password(user: User):
    """Set a new password for an account."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, actor=current_actor(), password=form.password.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Password changed."), "success")
    else:
        flash(_("Enter the new password."), "danger")
    return redirect(url_for("core.show_user", id=user.id))


# Audit log --------------------------------------------------------------------------------

@bp.route("/audit")
@guard(AUDIT_READERS)
def list_audit():
    """The audit log in the user's scope, newest first, with the chain check result."""
    actor = current_actor()
    page = paginate(queries.audit_in_scope(actor, action=request.args.get("action")),
                    request.args.get("page"))
    return render_template("core/audit_list.html", page=page, fmt=datetime_local,
                           chain=audit.verify() if request.args.get("verify") else None)


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def nav_context():
        return {"actor": current_actor(), "role_label": role_label, "MANAGERS": MANAGERS,
                "AUDIT_READERS": AUDIT_READERS}
