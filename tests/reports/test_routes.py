"""The routing outputs: for a plan without parcels the cost per parcel is missing, not 0 — null in
summary.json, empty in comparison.csv (both languages), "–" on the console and in the county report (its
mark for a missing figure); every unserved reason code in English and Chinese, as the route map shows it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from conftest import LAT, LON0, STEP, station_capacity_scenario, write_scenario
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.labels import REASON_LABELS, reason_label
from culture_logistics.reports.report import _routing_section
from culture_logistics.reports.routes import summary_lines, write_comparison
from culture_logistics.routing.compare import compare_modes

VHEADER = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"


def _no_parcels(folder: Path) -> Path:
    vs = [f"370782001{k:03d},测试村{k},370782001,{LON0 + STEP * 2 * k:.6f},{LAT},1000,0,0" for k in range(1, 4)]
    return write_scenario(folder, villages=vs, village_header=VHEADER, toml_extra="[routing]\ndelivery_days_per_week = 1\n")


def test_cost_per_parcel_without_parcels_is_missing_everywhere(tmp_path):
    cmp = compare_modes(load_scenario(_no_parcels(tmp_path / "scn")))
    for lang in ("en", "zh"):
        write_comparison(cmp, tmp_path / lang, map_html=lang == "en", lang=lang)
    s = json.loads((tmp_path / "en" / "summary.json").read_text(encoding="utf-8"))
    for mode in ("separate", "shared", "postal_courier"):
        assert s[mode]["cost_per_parcel_cny"] is None and s[mode]["cost_cny"] == 0
        assert json.loads((tmp_path / "en" / mode / "summary.json").read_text(encoding="utf-8"))[
            "cost_per_parcel_cny"] is None
    row = {r["metric"]: r for r in s["comparison"]}["cost_per_parcel"]
    assert all(row[k] is None for k in ("separate", "shared", "difference", "saving_pct", "postal_courier",
                                        "saving_vs_postal_courier_pct"))
    en = pd.read_csv(tmp_path / "en" / "comparison.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    got = en.set_index("metric").loc["cost_per_parcel"]
    assert got["unit"] == "CNY/parcel" and (got.drop("unit") == "").all()
    assert en.set_index("metric").loc["cost", "shared"] == "0"  # the other figures stay figures
    zh = pd.read_csv(tmp_path / "zh" / "comparison.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    got = zh.set_index("指标").loc["单件成本"]
    assert got["单位"] == "元/件" and (got.drop("单位") == "").all()
    line = [x for x in summary_lines(cmp) if x.startswith("cost_per_parcel")]
    assert len(line) == 1 and line[0].split()[-2:] == ["–", "–"]
    html, figures = _routing_section(s, "en")
    assert figures["cost_per_parcel"] == {"separate": None, "shared": None, "saving_pct": None}
    cell = html.split('data-key="cost_per_parcel"')[1].split("</tr>")[0]
    assert cell.count('<td class="num">–</td>') == 3


def test_every_reason_code_has_both_languages_and_is_documented():
    readme = (Path(__file__).resolve().parents[2] / "docs" / "guide" / "routing.md").read_text(encoding="utf-8")
    section = readme.split("### Why was a stop dropped?")[1].split("Each reason comes with")[0]
    documented = set(re.findall(r"^\* `([a-z_]+)`:", section, re.M))
    assert documented == set(REASON_LABELS)
    for code, (en, zh) in REASON_LABELS.items():
        assert en and zh and en != zh and reason_label(code, "en") == en and reason_label(code, "zh") == zh
    assert reason_label("station_capacity", "zh") == "站点日处理能力已满"


def test_route_map_names_the_reason_in_its_language(tmp_path):
    """One station of capacity 25 with two vans of 25 and four villages of 10 parcels: two are left out
    for the station's capacity (tests/routing/test_solving.py); the map's tooltip says so in words."""
    from culture_logistics.reports.maps.routes import routes_map
    from culture_logistics.routing.plan import plan_routes

    scn = station_capacity_scenario(tmp_path / "cap")
    plan = plan_routes(load_scenario(scn), "shared")
    assert set(plan.unserved["reason_code"]) == {"station_capacity"}
    for lang in ("zh", "en"):
        page = routes_map(plan, tiles="none", lang=lang).get_root().render()
        assert page.count(reason_label("station_capacity", lang)) >= 2, lang
