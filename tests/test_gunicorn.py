"""gunicorn.conf.py: the real server (as ``bin/run`` starts it, from the checkout) keeps a
client's connection alive and serves it from threads; WEB_THREADS sizes them."""
from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(proc, port: int, log) -> None:
    """Until gunicorn accepts connections on ``port`` (its log in the failure)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"gunicorn did not start:\n{log.read()[-2000:]}")
            time.sleep(0.2)


@contextlib.contextmanager
def gunicorn(tmp_path, **env_extra):
    """A real gunicorn of the app (one worker, started from the checkout) on a free loopback
    port: yields (port, its log file); stopped gracefully (SIGTERM) afterwards."""
    port = _free_port()
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "SESSION_COOKIE_SECURE": "0",
           "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    env.update(env_extra)
    log = (tmp_path / "gunicorn.log").open("w+")
    proc = subprocess.Popen([str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                             "app:create_app()"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(proc, port, log)
        yield port, log
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()


@pytest.fixture
def server(tmp_path):
    with gunicorn(tmp_path, WEB_THREADS="3") as running:
        yield running


def test_one_connection_serves_several_requests_from_threads(server):
    port, log = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sockets = []
    for _ in range(3):
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        assert response.status == 200 and response.read()
        assert not response.will_close  # kept alive
        sockets.append(conn.sock)
    assert sockets[0] is not None and all(s is sockets[0] for s in sockets)
    conn.close()
    log.seek(0)
    assert "Using worker: gthread" in log.read()


def test_a_worker_freezes_its_start_up_objects():
    """post_worker_init moves what the app loaded out of the collector's full passes."""
    import gc
    import runpy

    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
