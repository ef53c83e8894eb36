"""Blacklist endpoints of the API: checks, the change feed, the bulk export, the public list."""
from __future__ import annotations

from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from blacklist import check, feed, publication, sighting_writer
from blacklist.models import SightingSource
from core import fastpath
from core.errors import DomainError
from core.permissions import current_actor, guard, public
from extensions import csrf, db

blp = Blueprint("blacklist_api", __name__, url_prefix="/api/v1/blacklist",
                description="Blacklist: plate and ID checks, change feed, export, public list")


class CheckArgs(Schema):
    plate = fields.String(load_default=None)
    id_no = fields.String(load_default=None)


class EntryBrief(Schema):
    id = fields.String()
    list = fields.String()
    subject = fields.String()
    status = fields.String()
    plate = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    id_no = fields.String(allow_none=True)
    rule = fields.String()
    serious = fields.Boolean()
    starts_on = fields.String(allow_none=True)
    ends_on = fields.String(allow_none=True)
    unit = fields.String()


class CheckOut(Schema):
    query = fields.String()
    listed = fields.Boolean()
    entries = fields.List(fields.Nested(EntryBrief))
    near_matches = fields.List(fields.String())


_BRIEF_FIELDS = tuple(EntryBrief().fields)


class FeedArgs(Schema):
    since = fields.String(load_default=None, metadata={"description": "opaque signed cursor"})
    limit = fields.Integer(load_default=None, metadata={"description": "1–500, default 50"})


class ChangeOut(Schema):
    id = fields.Integer()
    entry_id = fields.String()
    subject = fields.String()
    event = fields.String()
    at = fields.String()
    status = fields.String()
    entry = fields.Dict()


class FeedOut(Schema):
    changes = fields.List(fields.Nested(ChangeOut))
    next_cursor = fields.String()
    has_more = fields.Boolean()


class ExportOut(Schema):
    entries = fields.List(fields.Dict())
    cursor = fields.String()


class PublishedOut(Schema):
    batch = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    entries = fields.List(fields.Dict())


@blp.route("/check", methods=["GET"])
@guard()
@blp.arguments(CheckArgs, location="query", as_kwargs=True)
@blp.response(200, CheckOut)
def check_subject(plate=None, id_no=None):
    """Is this plate (``?plate=``, messy input accepted) or ID number (``?id_no=``) listed?"""
    actor = current_actor()
    if (plate is None) == (id_no is None):
        raise DomainError(_l("Give either plate or id_no."), field="plate")
    if plate is not None:
        result = _plate(db.session.connection(), actor, plate)
        db.session.commit()
        return result
    result = check.check_id_number(actor, id_no)
    result["entries"] = [check.entry_brief(e) for e in result["entries"]]
    return result


def _plate(conn, actor, plate: str) -> dict:
    """The plate check of the view and of its fast path: the answer, and a sighting of every
    listed entry (queued: blacklist/sighting_writer.py)."""
    result = check.plate_answer(conn, actor, plate)
    if result["listed"]:
        sighting_writer.record_check(conn, plate=result["query"], source=SightingSource.api_check,
                                     unit_id=actor.unit_id, user_id=actor.id)
    return result


def _fast_check(conn, actor, args: dict) -> Optional[dict]:
    """``?plate=`` alone, once: the plain case the fast path answers (core/fastpath.py)."""
    if list(args) != ["plate"] or len(args["plate"]) != 1:
        return None
    result = _plate(conn, actor, args["plate"][0])
    # the fields of the view's schema, whose values are already plain JSON values
    result["entries"] = [{k: e[k] for k in _BRIEF_FIELDS} for e in result["entries"]]
    return result


@blp.route("/changes", methods=["GET"])
@guard()
@blp.arguments(FeedArgs, location="query", as_kwargs=True)
@blp.response(200, FeedOut)
def list_changes(since=None, limit=None):
    """The change feed after ``since``: listings, publications, expiries and removals in order,
    with stable ids; replaying it rebuilds the list. Tampered cursor 400, too old 410."""
    return feed.changes(current_actor(), since, limit)


@blp.route("/export", methods=["GET"])
@guard()
@blp.response(200, ExportOut)
def export_list():
    """Every entry on the list the caller may see, and the cursor to follow the feed from."""
    return feed.export_entries(current_actor())


@blp.route("/published", methods=["GET"])
@public
@blp.response(200, PublishedOut)
def get_published():
    """The current published batch, masked (public)."""
    batch = publication.latest_batch()
    return {"batch": batch.number if batch else None, "period": batch.period if batch else None,
            "published_at": batch.published_at.isoformat() if batch else None,
            "entries": publication.public_rows(batch)}


def init_app(api) -> None:
    api.register_blueprint(blp)
    csrf.exempt(blp)
    fastpath.register("/api/v1/blacklist/check", "blacklist_api.check_subject", _fast_check)
