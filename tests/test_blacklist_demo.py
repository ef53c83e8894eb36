"""Demo data: every status, objections, expiries, a published batch per month; the sync
command round-trips the demo list through the feed."""
from __future__ import annotations

from sqlalchemy import func, select

from blacklist.models import (
    BlacklistEntry,
    EntryStatus,
    Objection,
    ObjectionStatus,
    PublicationBatch,
)
from extensions import db


def test_demo_data_has_every_status_and_monthly_batches(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["demo-data", "--cases", "3000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "demo blacklist:" in result.output
    with fresh_app.app_context():
        statuses = set(db.session.scalars(select(BlacklistEntry.status).distinct()))
        assert statuses == set(EntryStatus)
        objections = set(db.session.scalars(select(Objection.status).distinct()))
        assert objections == set(ObjectionStatus)
        periods = db.session.scalars(select(PublicationBatch.period)).all()
        assert len(set(periods)) == 6
        assert db.session.scalar(select(func.count(BlacklistEntry.id)).where(
            BlacklistEntry.list_kind == "attention")) >= 1
        from blacklist import demo_data

        assert "already present" in demo_data.load(3)
        db.session.remove()
