"""Benchmark: ``import-osm`` streams — peak memory stays flat as the extract grows.

Builds PBF files of growing size with pyosmium's writer: the real 贵溪市 extract
(``../shared/data/osm/guixi_360681.osm``, © OpenStreetMap contributors, ODbL) in place,
plus N copies of the real Helsinki extract (``helsinki.osm.pbf``), each copy with its node,
way ids offset by ``k × 10^9`` and its coordinates moved to a grid cell of its own in
Finland — far from the county, so every copy is read and thrown away, as the rest of a
province is.  Then runs ``cli.py import-osm FILE --county 360681 --facilities …`` in a child
process per file and prints file size, nodes, wall time and the child's peak resident memory
(``os.wait4`` rusage ``ru_maxrss``), side by side with the smallest file (the baseline).

Target (issue 11): memory flat against file size (the clip area is the same county), time
about linear in the file size.

Usage::

    PYTHONPATH=src python benchmarks/bench_import_osm.py                  # copies 0, 20, 80, 320
    PYTHONPATH=src python benchmarks/bench_import_osm.py --copies 0,100 --workdir /tmp/osmbench --keep

The machine is shared: read the times as noisy (the load average is printed beside them).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import osmium
from osmium.osm.mutable import Node, Way

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT.parent / "shared" / "data" / "osm"
OFFSET = 10**9


def _load(path: Path):
    nodes, ways = [], []
    for o in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
        if o.is_node():
            if o.location.valid():
                nodes.append((o.id, o.location.lon, o.location.lat, dict(o.tags), o.timestamp))
        elif o.is_way():
            ways.append((o.id, [n.ref for n in o.nodes], dict(o.tags), o.timestamp))
    return nodes, ways


def build(path: Path, copies: int) -> int:
    """Write guixi + ``copies`` shifted Helsinki copies to ``path`` (PBF); return the node count."""
    g_nodes, g_ways = _load(OSM / "guixi_360681.osm")
    h_nodes, h_ways = _load(OSM / "helsinki.osm.pbf")
    if path.exists():
        path.unlink()
    w = osmium.SimpleWriter(str(path))
    n = 0
    try:
        def shift(k):
            return (k % 40) * 0.05 - 1.0, (k // 40) * 0.03 - 0.5     # a 2° × 0.36° grid around Helsinki

        for i, x, y, tags, ts in g_nodes:
            w.add_node(Node(id=i, location=(x, y), tags=tags, timestamp=ts, version=1))
            n += 1
        for k in range(1, copies + 1):
            dx, dy = shift(k)
            base = k * OFFSET
            for i, x, y, tags, ts in h_nodes:
                w.add_node(Node(id=base + i, location=(x + dx, y + dy), tags=tags, timestamp=ts, version=1))
            n += len(h_nodes)
        for i, refs, tags, ts in g_ways:
            w.add_way(Way(id=i, nodes=refs, tags=tags, timestamp=ts, version=1))
        for k in range(1, copies + 1):
            base = k * OFFSET
            for i, refs, tags, ts in h_ways:
                w.add_way(Way(id=base + i, nodes=[base + r for r in refs], tags=tags, timestamp=ts, version=1))
    finally:
        w.close()
    return n


def run_import(pbf: Path, facilities: Path, out: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one ``import-osm`` child process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "import-osm", str(pbf), "--county", "360681",
                          "--out", str(out), "--facilities", str(facilities)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, p.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", default="0,20,80,320", help="comma-separated Helsinki copy counts")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the built PBF files")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-osm-"))
    work.mkdir(parents=True, exist_ok=True)
    fac = work / "facilities.csv"
    fac.write_text("id,name,operator,tier,lon,lat,brand,capacity_per_day\n"
                   "GX-HUB,贵溪市共配中心,shared,county,117.2401238,28.2947694,,\n"
                   "GX-P1,花园街道邮政所,postal,township,117.237655,28.29356,中国邮政,\n", encoding="utf-8")
    print(f"{'copies':>6} {'file MB':>9} {'nodes':>11} {'build s':>8} {'import s':>9} {'peak MB':>8} "
          f"{'× size':>7} {'× time':>7} {'× mem':>6} {'rc':>3}  load")
    base = None
    try:
        for copies in (int(c) for c in args.copies.split(",")):
            pbf = work / f"bench_{copies}.osm.pbf"
            t0 = time.perf_counter()
            nodes = build(pbf, copies)
            t_build = time.perf_counter() - t0
            size = pbf.stat().st_size / 1e6
            secs, mb, rc = run_import(pbf, fac, work / f"out_{copies}")
            base = base or (size, secs, mb)
            print(f"{copies:>6} {size:>9.2f} {nodes:>11,} {t_build:>8.1f} {secs:>9.1f} {mb:>8.0f} "
                  f"{size / base[0]:>7.1f} {secs / base[1]:>7.1f} {mb / base[2]:>6.2f} {rc:>3}  "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            if not args.keep:
                pbf.unlink()
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
