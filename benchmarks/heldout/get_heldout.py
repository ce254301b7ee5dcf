#!/usr/bin/env python
"""Materialise the held-out VRPTW/VRPSPD set listed in manifest.csv from a local git copy of c4v4/LKH3.

    python benchmarks/heldout/get_heldout.py /path/to/LKH3.git [--out benchmarks/heldout/data]

The instance files are not committed here (LKH-3's repository carries no licence for them: "All
rights reserved to the original author", research use only), so this script takes each one from the
commit named in manifest.csv with ``git show``, checks its blob id, and checks the best-known cost:
LKH-3's best tour (``tour_path``, a single tour whose nodes 1 and > DIMENSION are the depot) must be
feasible under :func:`~culture_logistics.routing.lkh.check_lkh_solution` and cost exactly ``bks``.
Writes the files and a ``bks.csv`` (``file,set,bks``) to ``--out``, for
``python benchmarks/bench_vrp.py --folder <out>``.
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
try:
    from culture_logistics.formats.lkh import read_lkh
    from culture_logistics.routing import lkh
except ImportError:  # a source checkout without installation
    sys.path.insert(0, str(HERE.parents[2] / "src"))
    from culture_logistics.formats.lkh import read_lkh
    from culture_logistics.routing import lkh


def git_show(repo: Path, commit: str, path: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), "show", f"{commit}:{path}"], capture_output=True,
                          check=True).stdout


def tour_routes(text: str, dimension: int) -> list[list[int]]:
    """LKH-3 tour → routes in .sol numbering (node id − 1); node 1 and ids > DIMENSION are depot copies."""
    body = text.split("TOUR_SECTION", 1)[1].split()
    routes: list[list[int]] = []
    cur: list[int] = []
    for tok in body:
        if tok in ("-1", "EOF"):
            break
        nid = int(tok)
        if nid == 1 or nid > dimension:
            if cur:
                routes.append(cur)
            cur = []
        else:
            cur.append(nid - 1)
    if cur:
        routes.append(cur)
    return routes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("git_dir", type=Path, help="a clone or mirror of github.com/c4v4/LKH3 (its .git directory)")
    ap.add_argument("--out", type=Path, default=HERE.parent / "data")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    with open(HERE.parent / "manifest.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out_rows = []
    for r in rows:
        blob = subprocess.run(["git", "--git-dir", str(a.git_dir), "rev-parse", f"{r['commit']}:{r['instance_path']}"],
                              capture_output=True, text=True, check=True).stdout.strip()
        if blob != r["instance_blob"]:
            print(f"{r['file']}: blob {blob} != manifest {r['instance_blob']}", file=sys.stderr)
            return 1
        target = a.out / r["file"]
        target.write_bytes(git_show(a.git_dir, r["commit"], r["instance_path"]))
        inst = read_lkh(target)
        routes = tour_routes(git_show(a.git_dir, r["commit"], r["tour_path"]).decode(), inst.num_customers + 1)
        cost = lkh.check_lkh_solution(inst, routes)
        status = "ok" if cost == int(r["bks"]) else "MISMATCH"
        print(f"{r['file']:22s} {r['set']:20s} bks {int(r['bks']):9d}  tour {cost:9d} ({len(routes)} routes) {status}")
        if status != "ok":
            return 1
        out_rows.append({"file": r["file"], "set": r["set"], "bks": r["bks"]})
    with open(a.out / "bks.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["file", "set", "bks"])
        w.writeheader()
        w.writerows(out_rows)
    print(f"wrote {len(out_rows)} instances and bks.csv to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
