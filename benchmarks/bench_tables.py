"""Benchmark: reading a county's village list as CSV and as XLSX, and the offset check.

Writes the largest embedded pilot's villages (370481 滕州市, 1,180 rows) and a list ten times longer
(11,800 rows, the copies given other county prefixes so codes stay unique) as UTF-8 CSV and as .xlsx (openpyxl, a
title row above the header, Chinese headers, codes as numeric cells), then times
:func:`culture_logistics.inputs.readers.read_villages` on each (best of ``--repeat``), side by side;
and times the offset check (:func:`culture_logistics.inputs.validate.check_offsets`) on 370481.

Target: an officials' workbook of a county reads in well under a second; XLSX within ~5x of CSV.

Usage::

    PYTHONPATH=src python benchmarks/bench_tables.py [--repeat 3]

The machine is shared: read the figures as noisy (the load average is printed beside them).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from culture_logistics import load_scenario
from culture_logistics.errors import ProblemList
from culture_logistics.inputs.readers import read_villages
from culture_logistics.inputs.validate import check_offsets
from culture_logistics.resources import counties_dir

HEAD = ["村代码", "村名称", "乡镇代码", "经度", "纬度", "常住人口"]


def _rows(times: int) -> list[list]:
    with open(counties_dir() / "370481" / "villages.csv", encoding="utf-8", newline="") as fh:
        base = list(csv.DictReader(fh))
    out = []
    for k in range(times):
        for r in base:
            code = r["code"] if k == 0 else f"37{k + 10:02d}" + r["code"][4:]   # other "counties": unique codes
            out.append([int(code), r["name"], int(code[:9]), float(r["lon"]), float(r["lat"]),
                        int(r["population"])])
    return out


def _write(folder: Path, rows: list[list], tag: str) -> tuple[Path, Path]:
    c = folder / f"v{tag}.csv"
    with open(c, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "township_code", "lon", "lat", "population"])
        w.writerows(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "村名单"
    ws.append(["滕州市村庄名单"])
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    x = folder / f"v{tag}.xlsx"
    wb.save(x)
    return c, x


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores, shared)")
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        print(f"{'rows':>7} {'csv s':>8} {'xlsx s':>8} {'xlsx/csv':>9} {'xlsx MB':>8}")
        for times in (1, 10):
            rows = _rows(times)
            c, x = _write(folder, rows, str(times))
            tc = _best(lambda: read_villages(c, ProblemList()), args.repeat)
            tx = _best(lambda: read_villages(x, ProblemList()), args.repeat)
            assert len(read_villages(x, ProblemList())) == len(rows)
            print(f"{len(rows):>7} {tc:>8.3f} {tx:>8.3f} {tx / tc:>9.1f} {x.stat().st_size / 1e6:>8.2f}")
    s = load_scenario(counties_dir() / "370481" / "scenario.toml")
    t = _best(lambda: check_offsets(s, ProblemList(), ((s.villages, "v", "villages"), (s.facilities, "f", "facilities"))),
              args.repeat)
    print(f"offset check 370481: {t:.2f} s ({len(s.villages)} villages, {len(s.facilities)} facilities, "
          f"{s.graph.number_of_edges()} road edges)")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
