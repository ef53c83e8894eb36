"""Servers on loopback and the load generator: gunicorn (the app and the bare reference, same
settings), Datasette (its own virtual environment), wrk (Debian's package) driven by a Lua script
that cycles through a file of request paths and prints its figures as one JSON line.

Every server binds 127.0.0.1 only; every wrk run is bounded by its duration.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DATASETTE = str(ROOT / ".venv-bench" / "bin" / "datasette")
WORKERS = 2
LUA = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local counter = 0
setup = function(thread) thread:set("offset", counter * 7919); counter = counter + 1 end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i + (offset or 0)) % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


class Server:
    """A server process on loopback, stopped (its whole process group) by ``stop()``."""

    def __init__(self, name: str, args: list[str], env: dict, port: int, ready_path: str):
        self.name, self.port = name, port
        self.base = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log",
                                               delete=False)
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_ready(self.base + ready_path)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"{name} did not start; see {self.log.name}") from None

    def worker_peak_rss_mb(self) -> float:
        """The largest peak resident size (VmHWM) among the server's child processes."""
        peak = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{self.proc.pid}$", text, re.M):
                m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
                peak = max(peak, int(m.group(1)) if m else 0)
        return round(peak / 1024, 1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def gunicorn(name: str, app_spec: str, env: dict, ready_path: str = "/healthz") -> Server:
    """gunicorn with the settings of ``bin/run`` (gunicorn.conf.py, WORKERS workers), no access
    log."""
    port = free_port()
    return Server(name, [GUNICORN, "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
                         "--graceful-timeout", "5", app_spec], env, port, ready_path)


def datasette(db_path: str) -> Server | None:
    """Datasette serving the same SQLite file read-only (immutable), or None when missing."""
    if not Path(DATASETTE).exists():
        return None
    port = free_port()
    return Server("datasette", [DATASETTE, "serve", "--immutable", db_path, "-h", "127.0.0.1",
                                "-p", str(port), "--setting", "sql_time_limit_ms", "5000"],
                  dict(os.environ), port, "/-/versions.json")


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(base: str, paths: list[str], *, seconds: int, connections: int,
        headers: dict | None = None, threads: int = 1) -> dict:
    """Closed-loop load on ``base`` cycling through ``paths``: requests/s and latency (ms)."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script, listing = Path(tmp) / "paths.lua", Path(tmp) / "paths.txt"
        script.write_text(LUA)
        listing.write_text("\n".join(paths) + "\n")
        args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                "--timeout", "10s", "-s", str(script)]
        for key, value in (headers or {}).items():
            args += ["-H", f"{key}: {value}"]
        done = subprocess.run(args + [base + paths[0]], capture_output=True, text=True,
                              env={**os.environ, "BENCH_PATHS": str(listing)},
                              timeout=seconds + 60)
    m = re.search(r"WRKJSON (\{.*\})", done.stdout)
    if not m:
        raise RuntimeError(f"wrk gave no figures:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(m.group(1))
    return {"rps": raw["requests"] / (raw["duration_us"] / 1e6), "requests": raw["requests"],
            "errors": raw["errors"] + raw["status_errors"], "p50_ms": raw["p50_us"] / 1000,
            "p90_ms": raw["p90_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000}


def login_cookie(base: str, username: str, password: str) -> str:
    """Log in through the form (CSRF token included) and return the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        token = re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    body = urllib.parse.urlencode({"csrf_token": token.group(1) if token else "",
                                   "username": username, "password": password}).encode()
    with opener.open(base + "/login", data=body, timeout=30) as response:
        response.read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    with opener.open(base + "/cases?status=closed", timeout=60) as response:
        if "/login" in response.geturl():
            raise RuntimeError(f"log-in as {username} failed")
    return cookies


def fetch(base: str, path: str, headers: dict | None = None) -> tuple[float, int, int]:
    """(seconds, status, body bytes) of one GET."""
    request = urllib.request.Request(base + path, headers=headers or {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return time.perf_counter() - started, status, len(body)
