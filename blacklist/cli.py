"""Command line: ``flask --app app blacklist sync|run-rules|expire``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from extensions import db

blacklist_cli = AppGroup("blacklist", help="Blacklist rules, expiry and feed sync.")


@blacklist_cli.command("sync")
@click.option("--from", "source", required=True, help="base URL of the other instance")
@click.option("--token", required=True, envvar="BLACKLIST_SYNC_TOKEN",
              help="API token issued by the other instance (or BLACKLIST_SYNC_TOKEN)")
def sync_command(source: str, token: str):
    """Pull the other instance's change feed since the last sync and mirror its list."""
    from blacklist import feed

    try:
        result = feed.sync(source, token)
    except (feed.SyncError, OSError, ValueError) as exc:
        db.session.rollback()
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"{source}: {result['applied']} changes applied, {result['listed']} entries "
               f"listed there" + (" (cursor had expired: replayed from the start)"
                                  if result["restarted"] else ""))


@blacklist_cli.command("run-rules")
def run_rules_command():
    """Evaluate the nomination rules now (the nightly job does the same)."""
    from blacklist import nomination

    result = nomination.run_rules()
    db.session.commit()
    click.echo(f"nominated {result['nominated']}, already nominated {result['skipped']}")


@blacklist_cli.command("expire")
def expire_command():
    """End the listings whose period is over (the nightly job does the same)."""
    from blacklist import ending

    count = ending.expire_due()
    db.session.commit()
    click.echo(f"expired {count}")


def register(app) -> None:
    if "blacklist" not in app.cli.commands:
        app.cli.add_command(blacklist_cli)
