"""The sync command over real HTTP: a district instance pulls the city instance's change feed
from a loopback server (two databases, real commits)."""
from __future__ import annotations

import threading

from werkzeug.serving import make_server

from blacklist import ending, feed
from core import security
from core.roles import Role
from extensions import db
from tests.blacklist_support import listed_entry, make_tree, published_entry
from tests.conftest import create_database, drop_database, make_app
from tests.factories import UserFactory


def test_sync_over_http_from_a_loopback_server(fresh_app, base_database_url):
    from flask_migrate import upgrade

    with fresh_app.app_context():  # the city instance
        tree = make_tree()
        published, _batch = published_entry(tree, plate="渝A50001")
        listed_entry(tree, plate="渝A50002")
        consumer = UserFactory(role=Role.officer, unit=tree["centre_team"])
        _t, token = security.create_token(consumer, "渝中区系统")
        published_uid, published_id = published.uid, published.id
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, fresh_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    district_url = create_database(base_database_url)
    district = make_app(district_url)
    try:
        with district.app_context():
            upgrade()
            db.session.remove()
        runner = district.test_cli_runner()
        result = runner.invoke(args=["blacklist", "sync", "--from", url, "--token", token])
        assert result.exit_code == 0, result.output
        with district.app_context():
            assert set(feed.remote_list(url)) == {published_uid}  # the unpublished one stays home
            db.session.remove()
        with fresh_app.app_context():  # the city revokes it
            from blacklist.models import BlacklistEntry

            office = UserFactory(role=Role.city_office, unit=make_city_unit())
            ending.revoke(db.session.get(BlacklistEntry, published_id), actor=office,
                          reason="决定被撤销")
            db.session.commit()
            db.session.remove()
        result = runner.invoke(args=["blacklist", "sync", "--from", url, "--token", token])
        assert "1 changes applied, 0 entries listed" in result.output, result.output
        bad = runner.invoke(args=["blacklist", "sync", "--from", url, "--token", "nope"])
        assert bad.exit_code == 1 and "401" in bad.output
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with district.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        drop_database(district_url)


def make_city_unit():
    from sqlalchemy import select

    from core.models import Unit

    return db.session.scalar(select(Unit).where(Unit.code == "500000"))
