"""Tips from the public (有奖举报): intake, review, duplicates, confidentiality."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the public pages, the staff pages and the public API of tips."""
    from core import demo, jobs
    from core.api import api
    from enforcement.tips import api as tips_api
    from enforcement.tips import demo as tips_demo
    from enforcement.tips import public, reward_models, reward_routes, rewards, routes  # noqa: F401

    app.register_blueprint(public.bp)
    app.register_blueprint(routes.bp)
    app.register_blueprint(reward_routes.bp)
    tips_api.init_app(api)
    jobs.register(jobs.JobDef("expire_unclaimed_rewards", rewards.expire_unclaimed, "cron",
                              {"hour": 1, "minute": 20},
                              "approved rewards past their claim period expire"))
    demo.register_step("tips", lambda seed: tips_demo.load_tips(seed))
