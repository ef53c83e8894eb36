"""Scheduled jobs of the blacklist and the hooks of the module (listeners, demo data)."""
from __future__ import annotations

from core import demo
from core import jobs as core_jobs


def nightly_rules_and_expiry() -> dict:
    """Nightly: run the nomination rules, then end the listings whose period is over."""
    from blacklist import nomination

    return nomination.nightly()


def expire_listings() -> dict:
    """Early morning: end the listings whose period is over (idempotent; also part of the
    nightly run, repeated so that an entry never stays public past its end day)."""
    from blacklist import ending

    return {"expired": ending.expire_due()}


def init_app(app) -> None:
    from blacklist import demo_data, monitoring

    monitoring.install()
    core_jobs.register(core_jobs.JobDef(
        "blacklist_nightly", nightly_rules_and_expiry, "cron", {"hour": 0, "minute": 20},
        "run the blacklist nomination rules and expire ended listings"))
    core_jobs.register(core_jobs.JobDef(
        "blacklist_expiry", expire_listings, "cron", {"hour": 6, "minute": 0},
        "expire blacklist listings whose period is over"))
    demo.register_step("blacklist", demo_data.load)
