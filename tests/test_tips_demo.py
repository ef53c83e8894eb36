"""Demo tips and rewards: duplicates, verdicts, rewards in every state, budgets partly spent and
never exceeded, identities encrypted, every row valid for the services' rules."""
from __future__ import annotations

import datetime as dt

from flask_migrate import upgrade
from sqlalchemy import func, select

from core import demo as core_demo
from enforcement.cases import demo as cases_demo
from enforcement.tips import budgets, services
from enforcement.tips import demo as tips_demo
from enforcement.tips.models import Tip
from enforcement.tips.reward_models import Reward, RewardStatus
from extensions import db as _db
from tests.conftest import create_database, drop_database, make_app

NOW = dt.datetime(2026, 10, 18, 6, 30, tzinfo=dt.timezone.utc)


def test_demo_tips_and_rewards(base_database_url):
    url = create_database(base_database_url)
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            core_demo.load_structure()
            cases_demo.load_cases(200, 3, now=NOW)
            _db.session.commit()
            summary = tips_demo.load_tips(3, count=300, now=NOW)
            assert "receipt code" in summary
            assert tips_demo.load_tips(3, now=NOW) == "tips already present"
            code = summary.rsplit(" ", 1)[1]
            assert services.find_by_receipt(code) is not None
            statuses = set(_db.session.scalars(select(Reward.status).distinct()))
            assert statuses == set(RewardStatus)
            merged = _db.session.scalar(select(func.count(Tip.id))
                                        .where(Tip.merged_into_id.is_not(None)))
            assert merged > 50
            # Rewards only for verified, named, primary tips; never beyond a budget.
            for reward in _db.session.scalars(select(Reward)):
                assert reward.tip.verdict.value in ("verified", "partly_verified")
                assert reward.tip.merged_into_id is None and reward.tip.phone_index
            from core.models import User

            city = _db.session.scalar(select(User).where(User.username == "city"))
            lines = budgets.budget_lines(city, NOW.year)
            assert lines and all(0 <= line.remaining < line.budget.amount for line in lines)
            named = _db.session.scalar(select(Tip).where(Tip.phone_enc.is_not(None)).limit(1))
            phone = services.decrypt_identity(named)["phone"]
            assert len(phone) == 11 and phone.startswith("1")
            stored = " ".join(str(v) for v in _db.session.execute(
                select(Tip.__table__)).all())
            assert phone not in stored  # only the ciphertext is in the database
            _db.session.remove()
    finally:
        with app.app_context():
            _db.session.remove()
            for engine in _db.engines.values():
                engine.dispose()
        drop_database(url)
