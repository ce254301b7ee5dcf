#!/usr/bin/env python
"""Extract the 2020 census county table the data builder calibrates populations to.

Usage::

    python scripts/extract_census.py [--src ../shared/data/census/census_county_2020_v1.xlsx]

Reads ``census_county_2020_v1.xlsx`` of GitHub leiii/census (Lei Dong, MIT; 第七次全国人口普查, hand-compiled
from the county bulletins) and writes ``data/census/census_county_2020.csv``: one row per
county-level unit with a 6-digit code (rows without a code, the national row, provinces and cities ending in
``00`` are left out), columns ``code, province, city, county, population, urban, rural`` (residents, persons).
The output is sorted by code and byte-identical for the same source.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = ROOT.parent / "shared" / "data" / "census" / "census_county_2020_v1.xlsx"
OUT = ROOT / "data" / "census" / "census_county_2020.csv"


def _int(v) -> str:
    return "" if v in (None, "", "NA") else str(int(round(float(v))))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    args = ap.parse_args(argv)
    rows = CalamineWorkbook.from_path(str(args.src)).get_sheet_by_index(0).to_python()
    head = rows[0]
    col = {name: head.index(name) for name in ("区划代码", "省", "市", "区县", "人口数_合计", "城镇人口", "乡村人口")}
    out = []
    for r in rows[1:]:
        code = r[col["区划代码"]]
        if not isinstance(code, (int, float)):
            continue
        code = f"{int(code):06d}"
        if code.endswith("00"):
            continue  # a province or city total
        out.append([code, r[col["省"]], r[col["市"]], r[col["区县"]], _int(r[col["人口数_合计"]]),
                    _int(r[col["城镇人口"]]), _int(r[col["乡村人口"]])])
    out.sort()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "province", "city", "county", "population", "urban", "rural"])
    w.writerows(out)
    OUT.write_bytes(buf.getvalue().encode("utf-8"))
    print(f"{len(out)} county-level units -> {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
