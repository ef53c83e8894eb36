"""Public tip pages (no account): the form, the receipt shown once, the status page.

Client addresses are never stored: the rate limiter keys on a salted hash of the address, kept
only in the limiter's short-lived storage.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_babel import gettext as _

from core.errors import DomainError
from core.permissions import public
from enforcement.tips import services
from enforcement.tips.forms import STATUS_LABELS, ReplyForm, StatusForm, TipForm
from enforcement.tips.models import TipChannel, TipStatus
from enforcement.tips.reward_forms import ContestForm
from extensions import db, limiter

bp = Blueprint("tips_public", __name__, url_prefix="/tips")
LOCAL = ZoneInfo("Asia/Shanghai")
DEFAULT_RATE_LIMIT = "10 per minute"


def client_key() -> str:
    """The rate-limit key: HMAC-SHA256 of the client address under the app's secret key."""
    secret = current_app.config["SECRET_KEY"].encode()
    address = (request.remote_addr or "").encode()
    return "tips:" + hmac.new(secret, b"tips-rate-limit:" + address, hashlib.sha256).hexdigest()


def rate_limit() -> str:
    return current_app.config.get("TIP_RATE_LIMIT") or DEFAULT_RATE_LIMIT


# One budget for every public tip write and status look-up, pages and API alike.
limited = limiter.shared_limit(rate_limit, scope="tips-public", key_func=client_key,
                               methods=["POST"])
limited_any = limiter.shared_limit(rate_limit, scope="tips-public", key_func=client_key)


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def place_errors(form, exc: DomainError) -> None:
    """Put a service error on the named form field (or above the form)."""
    from enforcement.cases.routes import form_errors

    form_errors(form, exc)


def to_input(form: TipForm) -> services.TipInput:
    occurred = form.occurred_at.data
    if occurred is not None and occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=LOCAL)
    raw_plates = (form.plates.data or "").replace("，", ",").replace("、", ",")
    photos = [services.PhotoUpload(f.stream, f.filename or "")
              for f in request.files.getlist(form.photos.name) if f and f.filename]
    return services.TipInput(
        what=form.what.data or "", description=form.description.data or "",
        occurred_at=occurred, address=form.address.data or "",
        lat=form.lat.data, lng=form.lng.data,
        plates=[p for p in raw_plates.split(",") if p.strip()],
        name=form.name.data, phone=form.phone.data, wants_reward=bool(form.wants_reward.data),
        photos=photos)


def map_config() -> dict:
    tiles = current_app.config.get("MAP_TILE_URL") or ""
    return {"tiles": {"url": tiles, "options": {
        "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION", ""), "maxZoom": 19}}
        if tiles else None, "center": [29.56, 106.55], "zoom": 11}


@bp.route("/new", methods=["GET", "POST"])
@public
@limited
def new_tip():
    """The public tip form; on success the receipt code, shown this once."""
    form = TipForm()
    if form.validate_on_submit():
        try:
            tip, code = services.submit_tip(to_input(form), channel=TipChannel.web)
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, exc)
        else:
            db.session.commit()
            return no_store(make_response(render_template(
                "tips/tip_receipt.html", code=code, status_form=StatusForm())))
    status = 422 if request.method == "POST" else 200
    return no_store(make_response(render_template(
        "tips/tip_form.html", form=form, map_config=map_config()), status))


def _status_page(tip, code: str, reply: ReplyForm | None = None, status: int = 200,
                 contest: ContestForm | None = None):
    from enforcement.tips import rewards

    info = services.public_status(tip)
    reply = reply or ReplyForm(formdata=None, code=code)
    messages = [m for m in tip.messages]
    return no_store(make_response(render_template(
        "tips/tip_status.html", info=info, label=STATUS_LABELS[TipStatus(info["status"])],
        messages=messages, reply=reply, form=None, reward=rewards.public_reward(tip),
        contest=contest or ContestForm(formdata=None, code=code)), status))


@bp.route("/status", methods=["GET", "POST"])
@public
@limited
def tip_status():
    """Look a tip up by its receipt code (sent in the body, never in the URL)."""
    form = StatusForm()
    if form.validate_on_submit():
        tip = services.find_by_receipt(form.code.data)
        if tip is not None:
            return _status_page(tip, form.code.data)
        form.code.errors = list(form.code.errors) + [
            _("No tip matches this receipt code. Check it and try again.")]
    status = 404 if form.code.errors and request.method == "POST" else \
        (422 if request.method == "POST" else 200)
    return no_store(make_response(render_template("tips/tip_status.html", form=form, info=None),
                                  status))


@bp.route("/status/reply", methods=["POST"])
@public
@limited
def reply_to_tip():
    """The informant writes to the reviewers (the receipt code travels in the form)."""
    reply = ReplyForm()
    if not reply.validate_on_submit():
        abort(400)
    tip = services.find_by_receipt(reply.code.data)
    if tip is None:
        abort(404)
    try:
        services.informant_message(tip, reply.body.data or "")
    except DomainError as exc:
        db.session.rollback()
        place_errors(reply, exc)
        return _status_page(tip, reply.code.data, reply, 422)
    db.session.commit()
    return _status_page(tip, reply.code.data)


@bp.route("/status/contest", methods=["POST"])
@public
@limited
def contest_reward():
    """The informant contests the reward decision within the period (receipt code in the form)."""
    from enforcement.tips import rewards

    form = ContestForm()
    if not form.validate_on_submit():
        abort(400)
    tip = services.find_by_receipt(form.code.data)
    info = rewards.public_reward(tip) if tip is not None else None
    if info is None:
        abort(404)
    try:
        rewards.contest(info["reward"], form.body.data or "")
    except DomainError as exc:
        db.session.rollback()
        place_errors(form, exc)
        return _status_page(tip, form.code.data, status=exc.status, contest=form)
    db.session.commit()
    return _status_page(tip, form.code.data)


def now_local() -> dt.datetime:
    return dt.datetime.now(LOCAL)
