"""Benchmark: the whole province as one batch (coverage step) with 1 and 2 Dask workers.

Each run starts from an empty output folder, so every county without an embedded dataset is built
by the data builder in the run (as a user's first batch would), on a fresh LocalCluster of worker
processes with one thread each.  Prints, per worker count: counties, failures, wall time (cluster
start-up included), compute time (first submission to last result), counties/s, speed-up against the
first row, the sum of the county tasks' wall and CPU times (CPU time / compute time = the cores the
batch actually got on a shared machine), and the peak resident memory of each worker process
(``getrusage`` maximum RSS read in the worker at the end of each of its tasks).

Targets (issue 6): the whole-province coverage batch in under 5 minutes on 2 workers, near-linear
speed-up from 1 to 2 workers, peak memory under 2 GB per worker.

Usage::

    PYTHONPATH=src python benchmarks/bench_batch.py                       # all 151 counties, 1 then 2 workers
    PYTHONPATH=src python benchmarks/bench_batch.py --workers 2           # one run
    PYTHONPATH=src python benchmarks/bench_batch.py --counties 370102,371322 --workers 1,2
    PYTHONPATH=src python benchmarks/bench_batch.py --first 40 --workers 1  # the 40 lowest codes

The machine is shared: run one benchmark at a time, and read the figures as noisy.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from culture_logistics.batch import runner as _runner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from culture_logistics.batch import jobs as batch  # noqa: E402


def run_once(counties, workers: int, steps: str, out_base: Path, keep: bool) -> dict:
    out = out_base / f"batch_w{workers}"
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    res = _runner.run_batch(out, counties=counties, steps=steps, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    s = res.summary()
    peaks = list(res.peak_rss_mb_by_worker().values())
    row = {
        "workers": workers, "counties": s["counties"], "ok": s["ok"], "failed": s["failed"],
        "villages": s["villages"], "wall_s": wall, "compute_s": s["compute_s"],
        "counties_per_s": s["computed"] / s["compute_s"] if s["compute_s"] else float("nan"),
        "task_s": s["task_seconds_total"], "cpu_s": s["task_cpu_seconds_total"], "peak_mb": peaks, "map_kb": res.map_bytes / 1024,
        "slowest": sorted(s["county_seconds"].items(), key=lambda kv: -kv[1])[:3],
        "failures": [(o.adcode, o.failure["error_type"]) for o in res.failed],
    }
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts, run one after another")
    ap.add_argument("--counties", default=None, help="comma-separated county codes [default: the whole province]")
    ap.add_argument("--first", type=int, default=None, help="only the N lowest county codes of the province")
    ap.add_argument("--steps", default="coverage")
    ap.add_argument("--out", default=None, help="folder for the batch outputs [default: a temporary folder]")
    ap.add_argument("--keep", action="store_true", help="keep the outputs")
    args = ap.parse_args(argv)
    counties = args.counties
    if args.first:
        counties = [j.adcode for j in batch.plan_counties("37")][: args.first]
    out_base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_batch_"))
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    print(f"machine: {os.cpu_count()} CPUs (shared with other users: timings are noisy); "
          f"steps {args.steps}; outputs in {out_base}", flush=True)
    rows = []
    for w in workers:
        print(f"running with {w} worker(s) …", flush=True)
        rows.append(run_once(counties, w, args.steps, out_base, args.keep))
    head = (f"{'workers':>7} {'counties':>8} {'failed':>6} {'villages':>8} {'wall s':>8} {'compute s':>9} "
            f"{'counties/s':>10} {'speed-up':>8} {'task s':>8} {'task CPU s':>10} {'cores got':>9} "
            f"{'peak MB per worker':>22} {'map KB':>7}")
    print()
    print(head)
    print("-" * len(head))
    for r in rows:
        speedup = rows[0]["compute_s"] / r["compute_s"] if r["compute_s"] else float("nan")
        peaks = ", ".join(f"{p:,.0f}" for p in r["peak_mb"])
        print(f"{r['workers']:>7} {r['counties']:>8} {r['failed']:>6} {r['villages']:>8,} {r['wall_s']:>8.1f} "
              f"{r['compute_s']:>9.1f} {r['counties_per_s']:>10.2f} {speedup:>8.2f} {r['task_s']:>8.1f} "
              f"{r['cpu_s']:>10.1f} {r['cpu_s'] / r['compute_s']:>9.2f} {peaks:>22} {r['map_kb']:>7.0f}")
    for r in rows:
        slow = ", ".join(f"{c} {s:.1f} s" for c, s in r["slowest"])
        print(f"  {r['workers']} worker(s): slowest counties {slow}"
              + (f"; failures {r['failures']}" if r["failures"] else ""))
    print("speed-up = compute time of the first row / compute time of this row (same counties); task s = sum of "
          "the county tasks' wall times; task CPU s = CPU time the workers spent in them; cores got = task CPU s / "
          "compute s, the CPU the batch actually obtained on the shared machine (2 = both cores)")
    if not args.keep and not args.out:
        shutil.rmtree(out_base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
