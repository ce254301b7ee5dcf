"""K1, K2, K7 and K12 recomputed from the written CSVs alone (village_reach.csv, route_plan.csv, unserved.csv and
the scenario's inbound_arrival), by code that shares nothing with culture_logistics.kpis, equal kpis.csv.

On the conftest county (with inbound_arrival unset, so the night trunk leaves first, and set to 06:30, so it waits)
and on the embedded county 371322 (单县, small)."""
from __future__ import annotations

import csv
import json
import re
import tomllib
from pathlib import Path

import pytest

from conftest import write_scenario
from culture_logistics.app.demo import county_scenario, run_demo
from culture_logistics.app.report import write_report
from culture_logistics.errors import CultureLogisticsError


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _kpis(out: Path) -> dict[str, dict]:
    return {r["code"]: r for r in _rows(out / "kpis.csv")}


def _hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def recompute(out: Path, inbound_arrival: str, days: int) -> dict[str, float]:
    """The figures, from the CSVs only."""
    villages = _rows(out / "village_reach.csv")
    plan = _rows(out / "routing" / "shared" / "route_plan.csv")
    unserved = _rows(out / "routing" / "shared" / "unserved.csv")
    got: dict[str, float] = {}
    n = len(villages)
    got["K1"] = 100.0 * sum(r["reached_any"] == "true" for r in villages) / n
    routes: dict[str, list[dict]] = {}
    for r in plan:
        routes.setdefault(r["route_id"], []).append(r)
    for rs in routes.values():
        rs.sort(key=lambda r: int(r["seq"]))
    stops = [r for r in plan if r["echelon"] == "last_mile" and r["stop_kind"] in ("village_centre", "village_point")]
    got["K2"] = 100.0 * len({r["stop_id"] for r in stops}) / n
    missed = sum(int(u["delivery"]) for u in unserved if u["stop_kind"] in ("village_centre", "village_point"))
    delivered = sum(int(r["delivered"]) for r in stops)
    got["K2-parcels"] = 100.0 * delivered / (delivered + missed)
    # K7: walk the calendar from the arrival day until a delivery day whose county departure is not before it
    arrival = _hm(inbound_arrival)
    leave: dict[str, float] = {}       # last-mile route -> when its parcels leave the county centre
    for rid, rs in routes.items():
        if rs[0]["echelon"] != "last_mile":
            continue
        station = rs[0]["stop_id"]
        feeders = [float(t[0]["departure_min"]) for t in routes.values() if t[0]["echelon"] in ("trunk", "bus")
                   and any(x["stop_id"] == station and x["stop_kind"] == "station" for x in t)]
        leave[rid] = max(feeders) if feeders else float(rs[0]["departure_min"])
    within = {24: 0.0, 48: 0.0, 72: 0.0}
    for r in stops:
        for a in range(1, days + 1):
            for t in range(a, a + 14):
                weekday = (t - 1) % 7 + 1
                if weekday <= days and (t > a or leave[r["route_id"]] >= arrival):
                    lead = (t - a) * 1440 + float(r["service_start_min"]) - arrival
                    break
            for h in within:
                if lead <= 60 * h:
                    within[h] += int(r["delivered"])
    for h, k in within.items():
        got[f"K7-{h}h"] = 100.0 * k / (days * (delivered + missed))
    # K12: driving = arrival − previous departure; a stand of ≥ 20 min is a rest
    over = 0
    for rs in routes.values():
        if rs[0]["echelon"] == "bus":
            continue
        run = worst = 0.0
        for prev, cur in zip(rs, rs[1:]):
            run += float(cur["arrival_min"]) - float(prev["departure_min"])
            worst = max(worst, run)
            if cur["departure_min"] and float(cur["departure_min"]) - float(cur["arrival_min"]) >= 20:
                run = 0.0
        over += worst > 240
    got["K12"] = over
    return got


def _check(out: Path, scenario: Path) -> dict[str, float]:
    conf = tomllib.loads(scenario.read_text(encoding="utf-8"))
    arrival = conf.get("routing", {}).get("inbound_arrival", "06:00")
    days = conf.get("routing", {}).get("delivery_days_per_week", 6)
    got = recompute(out, arrival, days)
    k = _kpis(out)
    for code, v in got.items():
        assert float(k[code]["value"]) == pytest.approx(v, abs=0.006), code
    # K1 is the coverage tables' figure
    cov = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert int(k["K1"]["numerator"]) == cov["villages_reached_any"]
    assert int(k["K1"]["numerator"]) == sum(int(r["villages_reached_any"]) for r in _rows(out / "township_reach.csv"))
    assert [r["code"] for r in cov["kpis"]] == list(k)
    return got


@pytest.mark.parametrize("extra, want", [
    ("", {"K7-24h": 0.0, "K7-48h": 500 / 6, "K7-72h": 100.0}),      # night trunk: next day; Saturday's: Monday
    ('[routing]\ninbound_arrival = "06:30"\n', {"K7-24h": 100.0, "K7-48h": 100.0, "K7-72h": 100.0}),
])
def test_tiny_county(tmp_path, extra, want):
    scn = write_scenario(tmp_path / "s", toml_extra=extra)
    out = tmp_path / "out"
    if extra:
        run_demo(scn, out, pdf=False)           # demo writes them too
    else:
        write_report(scn, out, pdf=False)
    got = _check(out, scn)
    assert got["K1"] == 75.0 and got["K2"] == 100.0 and got["K12"] == 0     # 6 of 8 villages reached (conftest)
    for code, v in want.items():
        assert got[code] == pytest.approx(v)
    assert (out / "upload" / "lead_times.csv").is_file() and (out / "upload" / "lines.csv").is_file()
    assert len(_rows(out / "upload" / "village_points.csv")) == 8 * 6     # 8 villages × 6 delivery days
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.index('<section id="kpis">') < page.index('<section id="reach">')    # the first section
    box = re.search(r'data-key="kpis.K1"><span>[^<]*</span><b>([^<]*)</b><small>([^<]*)</small>', page)
    assert box and box.group(1) == "75.0 %" and box.group(2).startswith(" (6/8)")
    if not extra:   # a route_plan.csv without its times: a clear error naming the file, nothing rewritten
        plan = out / "routing" / "shared" / "route_plan.csv"
        lines = plan.read_text(encoding="utf-8-sig").splitlines()
        plan.write_text("\n".join(line.rsplit(",", 3)[0] for line in lines) + "\n", encoding="utf-8")
        before = (out / "kpis.csv").read_bytes()
        with pytest.raises(CultureLogisticsError, match="route_plan.csv: column"):
            write_report(scn, out, pdf=False, run_missing=False)
        assert (out / "kpis.csv").read_bytes() == before


@pytest.mark.slow
def test_embedded_county_371322(tmp_path):
    out = tmp_path / "out"
    write_report("371322", out, pdf=False)
    got = _check(out, county_scenario("371322"))
    assert got["K12"] == 0
