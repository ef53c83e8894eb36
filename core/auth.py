"""Log-in, second factor and log-out; the session and bearer-token loaders for Flask-Login."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from core import audit, security
from core.errors import error_response
from core.forms import LoginForm, TotpForm
from core.models import User
from core.permissions import current_actor, guard, public
from extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)
PENDING_KEY = "pending_2fa"


def _commit_bookkeeping() -> None:
    """Loaders touch last-seen times and end expired sessions: keep that, whatever follows."""
    if db.session.dirty:
        db.session.commit()


@login_manager.user_loader
def load_user_from_session(key: str):
    user = security.load_session(key)
    _commit_bookkeeping()
    return user


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer ") and req.path.startswith("/api/"):
        user = security.load_token(header[7:].strip())
        _commit_bookkeeping()
        return user
    return None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return error_response(401)
    flash(_("Please log in."), "warning")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("core.index")


def _complete_login(user: User):
    """Rotate the Flask session and start a server-side one (a new session on every log-in)."""
    next_url = _safe_next(session.get("next"))
    session.clear()
    security.start_session(user)
    login_user(user)
    audit.record("auth.login", actor=user, object_type="user", object_id=user.id,
                 unit_id=user.unit_id)
    db.session.commit()
    return redirect(next_url)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def login():
    """Log in with user name and password (then the second factor when required)."""
    if current_actor() is not None:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("next"):
        session["next"] = _safe_next(request.args["next"])
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        if security.is_throttled(username):
            security.verify_password(None, form.password.data)  # same work as a real attempt
            db.session.rollback()
            raise TooManyRequests()
        user = db.session.scalar(select(User).where(User.username == username))
        ok = security.verify_password(user, form.password.data) and user.is_active
        if not ok:
            security.record_failure(username)
            db.session.commit()
            form.password.errors.append(_("Wrong user name or password."))
            return render_template("core/login.html", form=form), 401
        security.clear_failures(username)
        if security.totp_required(user) or user.has_totp:
            db.session.commit()
            session[PENDING_KEY] = user.id
            return redirect(url_for("auth.second_factor"))
        return _complete_login(user)
    status = 400 if request.method == "POST" else 200
    return render_template("core/login.html", form=form), status


@bp.route("/login/2fa", methods=["GET", "POST"])
@public
def second_factor():
    """Ask for the TOTP code, or enrol a new authenticator when the role requires one."""
    user = db.session.get(User, session.get(PENDING_KEY) or 0)
    if user is None or not user.is_active:
        return redirect(url_for("auth.login"))
    form = TotpForm()
    enrolling = not user.has_totp
    if enrolling and "totp_secret" not in session:
        session["totp_secret"] = security.new_totp_secret()
    if form.validate_on_submit():
        if security.is_throttled(user.username):
            raise TooManyRequests()
        ok = (security.enable_totp(user, session["totp_secret"], form.code.data) if enrolling
              else security.check_totp(user, form.code.data))
        if ok:
            if enrolling:
                audit.record("auth.totp_enrol", actor=user, object_type="user",
                             object_id=user.id, unit_id=user.unit_id)
            security.clear_failures(user.username)
            return _complete_login(user)
        security.record_failure(user.username)
        db.session.commit()
        form.code.errors.append(_("The code is not correct; check the time on your phone."))
    secret = session.get("totp_secret") if enrolling else None
    return render_template(
        "core/second_factor.html", form=form, enrolling=enrolling, secret=secret,
        uri=security.totp_uri(user, secret) if secret else None,
    ), (400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@guard()
def logout():
    """End the session on the server and in the browser."""
    actor = current_actor()
    if actor.current_session is not None:
        security.end_session(actor.current_session, "logout")
    audit.record("auth.logout", actor=actor, object_type="user", object_id=actor.id,
                 unit_id=actor.unit_id)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side session does this job
    app.register_blueprint(bp)
