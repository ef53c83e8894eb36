"""Import files for the import figure (deterministic, all rows valid) and a timed import run
with the importer process's own peak memory (``wait4``'s ``ru_maxrss``)."""
from __future__ import annotations

import csv
import datetime as dt
import os
import random
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench import dataset

HEADER = ["外部编号", "单位编码", "发生时间", "地点", "纬度", "经度", "违法类型", "车牌",
          "车牌颜色", "当事人", "身份证号", "电话", "事实", "执法人员"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
VIOLATIONS = ("FY-KY", "FY-WY", "FY-CZ")
PLACES = (("重庆北站南广场", 29.6106, 106.5513), ("江北机场T3", 29.7239, 106.6417),
          ("观音桥步行街", 29.5755, 106.5318), ("龙头寺公园", 29.6127, 106.5384))


def _id_number(rng: random.Random) -> str:
    born = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 35))
    body = f"500112{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def rows(n: int, prefix: str, seed: int = 1):
    rng = random.Random(f"{prefix}-{seed}")
    now = dt.datetime.now().replace(second=0, microsecond=0)
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    for i in range(n):
        place, lat, lng = rng.choice(PLACES)
        yield [f"{prefix}-{i:07d}", "500112-JT01",
               (now - dt.timedelta(minutes=rng.randrange(60, 60 * 24 * 300))),
               place, round(lat + rng.uniform(-0.01, 0.01), 6),
               round(lng + rng.uniform(-0.01, 0.01), 6), rng.choice(VIOLATIONS),
               "渝" + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(5)),
               "蓝", "张" + rng.choice("伟芳娜敏静丽强磊军洋"), _id_number(rng),
               f"138{rng.randrange(0, 10**8):08d}", "站前揽客，约定价格", "officer1、officer2"]


def make_file(folder: Path, kind: str, n: int, prefix: str) -> Path:
    path = folder / f"{prefix}-{n}.{kind}"
    if kind == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for row in rows(n, prefix):
                row[2] = row[2].strftime("%Y-%m-%d %H:%M")
                writer.writerow(row)
        return path
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows(n, prefix):
        sheet.append(row)
    workbook.save(path)
    return path


def run_import(path: Path, env: dict) -> dict:
    """``flask import cases PATH``: seconds, peak resident memory (MB), its summary line."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([dataset.FLASK, "import", "cases", str(path)],
                                cwd=dataset.ROOT, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    summary = next((line for line in text.splitlines() if "rows;" in line), text.strip()[-200:])
    m = re.search(r"with errors (\d+)", summary)
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "summary": summary,
            "ok": proc.returncode == 0 and m is not None and m.group(1) == "0",
            "stderr": errors[-1000:]}
