"""The user's own account: password change and the (optional for most roles) second factor."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from core import audit, security
from core.errors import DomainError
from core.forms import TotpForm
from core.permissions import current_actor, guard
from extensions import db

bp = Blueprint("account", __name__, url_prefix="/account")
TOTP_SESSION_KEY = "account_totp_secret"


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


def _render(password_form=None, totp_form=None, status=200):
    actor = current_actor()
    secret = None
    if not actor.has_totp:
        secret = session.setdefault(TOTP_SESSION_KEY, security.new_totp_secret())
    return render_template(
        "core/account.html", password_form=password_form or ChangePasswordForm(),
        totp_form=totp_form or TotpForm(), secret=secret,
        uri=security.totp_uri(actor, secret) if secret else None,
        required=security.totp_required(actor)), status


@bp.route("")
@guard()
def show_account():
    """The user's own account page."""
    return _render()


@bp.route("/password", methods=["POST"])
@guard()
def change_password():
    """Change one's own password (the current one is asked again); other sessions end."""
    actor = current_actor()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not security.verify_password(actor, form.current.data):
            form.current.errors = [_("The current password is not correct.")]
            return _render(password_form=form, status=422)
        try:
            security.set_password(actor, form.password.data)
        except DomainError as exc:
            form.password.errors = [str(exc.message)]
            return _render(password_form=form, status=422)
        security.end_other_sessions(actor, "password_change")
        audit.record("user.password_change", actor=actor, object_type="user",
                     object_id=actor.id, unit_id=actor.unit_id)
        db.session.commit()
        flash(_("Password changed."), "success")
        return redirect(url_for("account.show_account"))
    return _render(password_form=form, status=422)


@bp.route("/totp", methods=["POST"])
@guard()
def enable_totp():
    """Set up the authenticator app (required for some roles, optional for the others)."""
    actor = current_actor()
    form = TotpForm()
    if actor.has_totp:
        flash(_("The second factor is already set up."), "info")
        return redirect(url_for("account.show_account"))
    if form.validate_on_submit() and security.enable_totp(actor, session[TOTP_SESSION_KEY],
                                                          form.code.data):
        session.pop(TOTP_SESSION_KEY, None)
        audit.record("auth.totp_enrol", actor=actor, object_type="user", object_id=actor.id,
                     unit_id=actor.unit_id)
        db.session.commit()
        flash(_("The second factor is set up; it will be asked at every log-in."), "success")
        return redirect(url_for("account.show_account"))
    if not form.code.errors:
        form.code.errors = [_("The code is not correct; check the time on your phone.")]
    return _render(totp_form=form, status=422)


def init_app(app) -> None:
    app.register_blueprint(bp)
