"""Publication: the offices' batch page, and the public page, PDF and CSV of each batch.
Public views read only :func:`publication.public_rows` (masked, ended entries dropped)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from blacklist import forms, publication
from blacklist.models import BlacklistEntry, EntryStatus, PublicationBatch
from core.base import local_today
from core.errors import ConflictError, DomainError
from core.permissions import current_actor, guard, public
from core.roles import Role
from extensions import db

bp = Blueprint("blacklist_pub", __name__, url_prefix="/blacklist")
OFFICES = (Role.district_office, Role.city_office)


def _batch_or_404(number: str) -> PublicationBatch:
    batch = db.session.scalar(select(PublicationBatch).where(
        PublicationBatch.number == (number or "")[:40]))
    if batch is None:
        abort(404)
    return batch


@bp.route("/batches")
@guard()
def list_batches():
    """Publication batches, newest first, and the publish form for the offices."""
    actor = current_actor()
    form = forms.PublishForm(period=local_today().strftime("%Y-%m"))
    return render_template("blacklist/batch_list.html", batches=publication.batches(),
                           form=form, can_publish=actor.role in OFFICES)


@bp.route("/batches", methods=["POST"])
@guard(OFFICES, write=True)
def publish_batch():
    """Publish a batch: freeze what is listed in the office's area."""
    form = forms.PublishForm()
    if form.validate_on_submit():
        try:
            batch = publication.publish_batch(actor=current_actor(), period=form.period.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Batch %(n)s published.", n=batch.number), "success")
    return redirect(url_for("blacklist_pub.list_batches"))


def _public_page(batch):
    headers = {"Cache-Control": "no-cache"}
    return render_template("blacklist/public_batch.html", batch=batch,
                           rows=publication.public_rows(batch),
                           headers=publication.CSV_HEADERS,
                           batches=publication.batches(24)), 200, headers


@bp.route("/public")
@public
def public_list():
    """The public blacklist: the latest batch, masked."""
    return _public_page(publication.latest_batch())


@bp.route("/public/<number>")
@public
def public_batch(number: str):
    """One published batch, masked."""
    return _public_page(_batch_or_404(number))


@bp.route("/public/<number>/csv")
@public
def public_batch_csv(number: str):
    """One batch as CSV for the media, masked."""
    batch = _batch_or_404(number)
    return Response(publication.batch_csv(batch), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="blacklist-{batch.number}.csv"',
        "Cache-Control": "no-cache"})


@bp.route("/public/<number>/pdf")
@public
def public_batch_pdf(number: str):
    """One batch as PDF for the media, masked."""
    batch = _batch_or_404(number)
    return Response(publication.batch_pdf(batch), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="blacklist-{batch.number}.pdf"',
        "Cache-Control": "no-cache"})


@bp.route("/<int:id>/notice.pdf")
@guard((Role.unit_leader, Role.district_office, Role.city_office), model=BlacklistEntry,
       arg="entry")
def entry_notice_pdf(entry: BlacklistEntry):
    """The notice to the party (事先告知书) of an approved blacklist nomination, as PDF."""
    from pathlib import Path

    from flask import current_app

    from blacklist import rules
    from core import scoping, settings
    from enforcement import documents

    actor = current_actor()
    if not scoping.can_see_unit(actor, entry.unit):
        abort(404)
    if entry.office_approved_at is None or entry.status not in (EntryStatus.nominated,
                                                                EntryStatus.notified):
        raise ConflictError(_("A notice is issued for an approved nomination before listing."))
    months = settings.get("blacklist.serious_listing_months" if entry.is_serious
                          else "blacklist.listing_months")
    html = render_template("blacklist/notice_pdf.html", entry=entry, months=months,
                           rule=rules.rule_label(entry.rule_code), reason=entry.reason,
                           case_numbers=[link.case.number for link in entry.cases],
                           days=settings.get("blacklist.objection_working_days"),
                           issued_on=entry.notified_on or local_today())
    weasyprint = documents._weasyprint()[0]
    static_root = Path(current_app.static_folder)
    pdf = weasyprint.HTML(string=html, base_url=static_root.as_uri() + "/",
                          url_fetcher=documents.url_fetcher([static_root])).write_pdf()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="notice-{entry.id}.pdf"',
        "Cache-Control": "no-store"})
