"""``import-osm`` end to end on real extracts: a scenario folder that validates and runs the stages."""
from __future__ import annotations

import csv
import json
import shutil
import tomllib
from pathlib import Path

import pytest

from conftest import CULTURAL_ONLY, osm_extracts, run_cli
from culture_logistics.errors import ScenarioError
from culture_logistics.inputs.osm.build import import_osm
from culture_logistics.inputs.osm.reader import OsmImportError

OSM = osm_extracts()  # real extracts shipped in tests/data/osm (© OpenStreetMap contributors, ODbL)
GUIXI = OSM / "guixi_360681.osm"

# a real OSM point of the extract: place=town 花园街道 (node 4459977552); the hub goes on place=city 贵溪市
HUAYUAN = (117.237655, 28.29356)


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _city_xy() -> tuple[float, float]:
    from culture_logistics.inputs.osm.reader import read_extract
    p = next(p for p in read_extract(GUIXI).places if p["name"] == "贵溪市")
    return p["lon"], p["lat"]


@pytest.fixture(scope="module")
def guixi(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gx")
    cx, cy = _city_xy()
    fac = tmp / "fac.csv"
    fac.write_text("id,name,operator,tier,lon,lat,brand,capacity_per_day\n"
                   f"GX-HUB,贵溪市共配中心,shared,county,{cx},{cy},,\n"
                   f"GX-P1,花园街道邮政所,postal,township,{HUAYUAN[0]},{HUAYUAN[1]},中国邮政,\n", encoding="utf-8")
    out = tmp / "scn"
    r = run_cli("import-osm", GUIXI, "--county", "360681", "--out", out, "--facilities", fac)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.slow
def test_guixi_folder_contents(guixi):
    assert sorted(p.name for p in guixi.iterdir()) == sorted(
        ["scenario.toml", "villages.csv", "facilities.csv", "roads.gpkg", "townships.csv", "import_report.csv",
         "import_report.md"])
    conf = tomllib.loads((guixi / "scenario.toml").read_text(encoding="utf-8"))
    assert conf["data"]["synthetic"] is False and conf["data"]["source"] == "guixi_360681.osm"
    assert conf["data"]["osm_timestamp"] == "2024-11-02T08:02:20Z"
    assert conf["data"]["attribution"] == "© OpenStreetMap contributors"
    v = {r["code"]: r for r in _rows(guixi / "villages.csv")}
    assert len(v) == 13
    assert v["360681001005"]["name"] == "花园居民委员会"             # OSM 花园社区
    assert v["360681003001"]["name"] == "信江居民委员会"             # 信江社区, not 信江村民委员会 (江北街道)
    assert v["360681111204"]["name"] == "黄坑村民委员会"             # OSM 黄坑村
    tw = {r["code"]: r for r in _rows(guixi / "townships.csv") if r["lon"]}
    assert set(tw) == {"360681001", "360681002", "360681003"}       # 花园/雄石/东门街道 matched from place=town
    rep = _rows(guixi / "import_report.csv")
    dec = [r["decision"] for r in rep]
    assert dec.count("matched") == 16 and dec.count("nbs_no_point") == 260 - 13 and dec.count("osm_unmatched") == 9
    assert "烧箕山社区" in (guixi / "import_report.md").read_text(encoding="utf-8")
    import geopandas as gpd
    roads = gpd.read_file(guixi / "roads.gpkg")
    assert len(roads) == 169 and {"road_class", "maxspeed", "name"} <= set(roads.columns)


@pytest.mark.slow
def test_guixi_validates_and_runs_coverage(guixi, tmp_path):
    r = run_cli("validate", guixi / "scenario.toml", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = tmp_path / "cov"
    r = run_cli("coverage", "--lang", "en", guixi / "scenario.toml", "--out", out, "--tiles", "none")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # the county hub is a depot, not a village outlet: only the 花园街道 post office reaches villages
    assert (s["villages"], s["villages_reached"], s["villages_unreachable"]) == (13, 3, 2)
    reach = _rows(out / "village_reach.csv")
    assert {r["village_name"] for r in reach if r["reached"] == "true"} == {"白果居民委员会", "花园居民委员会",
                                                                            "木丝岭居民委员会"}
    for row in reach:
        if row["reached"] == "true":
            assert float(row["distance_m"]) <= 3000 and row["nearest_facility_id"] == "GX-P1"
        elif row["distance_m"]:
            assert float(row["distance_m"]) > 3000
    # 城北 and 黄坑 sit more than max_access_m from the connected roads of this town-centre extract
    assert {r["village_name"] for r in reach if not r["distance_m"]} == {"城北居民委员会", "黄坑村民委员会"}
    # 花园居民委员会 sits 0.3 km from the 花园街道 outlet as the crow flies; along the roads a little more
    hy = next(r for r in reach if r["village_code"] == "360681001005")
    assert hy["nearest_facility_id"] == "GX-P1" and 300 <= float(hy["distance_m"]) <= 1500
    assert "© OpenStreetMap contributors" in (out / "coverage_map.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_guixi_runs_site_and_route(guixi, tmp_path):
    """Siting and routing on the real OSM county with populations: OSM has none for these 13 居委会/村委会 (no
    village table exists offline either; the 2020 census gives only the county, 540,572), so they are set here,
    1,000 × (1…13) in code order (91,000 people), and every figure below follows from them by hand."""
    scn = tmp_path / "scn"
    shutil.copytree(guixi, scn)
    rows = _rows(scn / "villages.csv")
    assert [r["population"] for r in rows] == ["0"] * 13                  # what import-osm could know
    pop = {r["code"]: 1000 * (i + 1) for i, r in enumerate(sorted(rows, key=lambda r: r["code"]))}
    with open(scn / "villages.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "population": pop[r["code"]]} for r in rows)
    names = {r["code"]: r["name"] for r in rows}
    by_name = {n: c for c, n in names.items()}
    with open(scn / "scenario.toml", "a", encoding="utf-8") as f:   # cultural parcels only (figures by hand)
        f.write(CULTURAL_ONLY)

    r = run_cli("site", "--lang", "en", scn / "scenario.toml", "--model", "mclp", "--k", "1", "--out", tmp_path / "site")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "site" / "summary.json").read_text(encoding="utf-8"))
    # before: the 花园街道 post office reaches 白果 (1,000), 花园 (2,000) and 木丝岭 (11,000), as in coverage
    reached_before = sum(pop[by_name[n]] for n in ("白果居民委员会", "花园居民委员会", "木丝岭居民委员会"))
    assert reached_before == 14_000
    assert (s["before"]["villages"], s["before"]["villages_reached"], s["before"]["population"],
            s["before"]["population_reached"]) == (13, 3, 91_000, reached_before)
    # one new site at 城北 reaches the town's other 8 gaps; 滨江镇's 柏里 (12,000) and 黄坑 (13,000) lie beyond 3 km
    sites = _rows(tmp_path / "site" / "sites.csv")
    assert s["sites"] == 1 and [(x["site_id"], x["kind"]) for x in sites] == [(by_name["城北居民委员会"], "new")]
    left = {x["village_code"] for x in _rows(tmp_path / "site" / "gaps_after.csv")}
    assert left == {by_name["柏里村民委员会"], by_name["黄坑村民委员会"]}
    newly = 91_000 - reached_before - sum(pop[c] for c in left)
    assert newly == 52_000 and s["objective"] == newly and s["optimal"] is True
    assert (int(sites[0]["villages_newly_reached"]), int(sites[0]["population_newly_reached"])) == (8, newly)
    assert (s["after"]["villages_reached"], s["after"]["population_reached"]) == (11, reached_before + newly)

    r = run_cli("route", "--lang", "en", scn / "scenario.toml", "--mode", "shared", "--time-limit", "5", "--out", tmp_path / "rt")
    assert r.returncode == 0, r.stderr
    rt = json.loads((tmp_path / "rt" / "summary.json").read_text(encoding="utf-8"))
    plan = _rows(tmp_path / "rt" / "route_plan.csv")
    unserved = _rows(tmp_path / "rt" / "unserved.csv")
    routed = [x["stop_id"] for x in plan if x["echelon"] == "last_mile" and x["stop_kind"] not in ("depot", "rest", "reload")]
    # every village routed once or listed unserved, never both: 城北 and 黄坑 have no road path (as in coverage)
    assert len(routed) == len(set(routed)) == 11 and rt["villages_served"] == 11
    assert {x["stop_id"]: x["reason_code"] for x in unserved} == {by_name["城北居民委员会"]: "unreachable",
                                                                  by_name["黄坑村民委员会"]: "unreachable"}
    unserved_ids = {x["stop_id"] for x in unserved}
    assert set(routed) | unserved_ids == set(names) and not set(routed) & unserved_ids
    # a day's parcels: population × 0.012 a week / 7 days, for the 11 served villages (91,000 − 10,000 − 13,000)
    assert rt["parcels_delivered"] == round((91_000 - 10_000 - 13_000) * 0.012 / 7) == 117
    assert sum(int(x["delivered"]) for x in plan if x["echelon"] == "last_mile") == 117
    assert rt["unserved_stops"] == 2 and rt["reproducible"] is True


def _osm_xml(tmp_path: Path) -> Path:
    """A small OSM file inside 贵溪市 with one road and tagged POIs (written here; not real data)."""
    nodes = [(1, 117.2300, 28.2900), (2, 117.2350, 28.2920), (3, 117.2400, 28.2940), (4, 117.2450, 28.2960)]
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    xml += [f'<node id="{i}" version="1" timestamp="2025-01-02T03:04:05Z" lat="{y}" lon="{x}"/>' for i, x, y in nodes]
    pois = [(11, 117.2378, 28.2937, {"amenity": "post_office"}),
            (12, 117.2440, 28.2955, {"amenity": "post_office", "name": "DHL Express"}),
            (13, 117.2310, 28.2905, {"name": "贵溪邮政分拨中心"}),
            (14, 117.2420, 28.2950, {"shop": "convenience", "name": "供销社"}),
            (15, 117.2360, 28.2925, {"name": "花园社区"}),
            (16, 117.2377, 28.2936, {"place": "town", "name": "花园街道"}),
            (17, 117.2355, 28.2922, {"place": "quarter", "name": "花园社区"}),
            (18, 117.2330, 28.2915, {"amenity": "restaurant", "name": "邮政餐厅"})]
    for i, x, y, tags in pois:
        xml.append(f'<node id="{i}" version="1" timestamp="2025-01-02T03:04:05Z" lat="{y}" lon="{x}">')
        xml += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        xml.append("</node>")
    xml.append('<way id="100" version="1" timestamp="2025-02-03T04:05:06Z">')
    xml += [f'<nd ref="{i}"/>' for i in (1, 2, 3, 4, 999)]             # 999: a node the file does not have
    xml += ['<tag k="highway" v="tertiary"/>', '<tag k="name" v="测试路"/>', '<tag k="maxspeed" v="40"/>', "</way>"]
    xml.append('<way id="101" version="1"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/></way>')
    xml.append("</osm>")
    path = tmp_path / "test.osm"
    path.write_text("\n".join(xml), encoding="utf-8")
    return path


def test_pois_become_facilities(tmp_path):
    out = tmp_path / "scn"
    res = import_osm(_osm_xml(tmp_path), "360681", out, buffer_m=500)
    assert res.facilities == 4 and res.villages == 1
    fac = {r["id"]: (r["operator"], r["tier"]) for r in _rows(out / "facilities.csv")}
    assert fac == {"360681-OSM-n11": ("postal", "township"),      # unnamed post office 30 m from the 花园街道 point
                   "360681-OSM-n12": ("courier", "township"),     # DHL tagged post_office is a courier
                   "360681-OSM-n13": ("postal", "county"),        # 分拨中心 → county tier
                   "360681-OSM-n14": ("supply_coop", "township")}
    rep = _rows(out / "import_report.csv")
    assert any(r["osm_id"] == "node/18" and r["decision"] == "skipped" for r in rep)
    counts = dict(r["detail"].split("=") for r in rep if r["kind"] == "roads")
    assert (counts["ways_kept"], counts["ways_cut"], counts["node_refs_missing"], counts["ways_not_drivable"]) == (
        "1", "1", "1", "1")
    assert [r["code"] for r in _rows(out / "villages.csv")] == ["360681001005"]
    conf = tomllib.loads((out / "scenario.toml").read_text(encoding="utf-8"))
    assert conf["data"]["osm_timestamp"] == "2025-02-03T04:05:06Z"     # the newest object (the road)


@pytest.mark.slow
def test_foreign_extract_refused_nothing_written(tmp_path):
    out = tmp_path / "hel"
    r = run_cli("import-osm", OSM / "helsinki.osm.pbf", "--county", "360681", "--out", out)
    assert r.returncode == 2 and "does not overlap county 360681 贵溪市" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_user_errors_named_nothing_written(tmp_path):
    out = tmp_path / "x"
    for kwargs, msg in (({"county": "12345"}, "not a 6-digit county code"),
                        ({"county": "999999"}, "not in the NBS 2023 list"),
                        ({"county": "360681", "buffer_m": -5}, "between 0 and 50000"),
                        ({"county": "360681"}, "give the facilities with --facilities FILE")):
        with pytest.raises(OsmImportError, match=msg):
            import_osm(GUIXI, out_dir=out, **kwargs)
        assert not out.exists()
    bad = tmp_path / "v.csv"
    bad.write_text("code,name,township_code,lon,lat,population\n360681001005,花园,360681001,abc,28.29,10\n",
                   encoding="utf-8")
    with pytest.raises(ScenarioError, match="v.csv, row 2, column 'lon'"):
        import_osm(GUIXI, "360681", out, villages_file=bad, facilities_file=bad)
    assert not out.exists() and not list(tmp_path.glob(".import-osm-*"))


def test_villages_file_replaces_osm_places(tmp_path):
    v = tmp_path / "v.csv"
    v.write_text("code,name,township_code,lon,lat,population\n"
                 "360681001005,花园居民委员会,360681001,117.2400,28.2905,3210\n"
                 "360681002001,北街居民委员会,360681002,117.2029,28.2895,2100\n", encoding="utf-8")
    f = tmp_path / "f.csv"
    f.write_text("id,name,operator,tier,lon,lat\nH,共配中心,shared,county,117.2401,28.2947\n", encoding="utf-8")
    res = import_osm(GUIXI, "360681", tmp_path / "out", villages_file=v, facilities_file=f)
    rows = _rows(tmp_path / "out" / "villages.csv")
    assert res.villages == 2 and [r["population"] for r in rows] == ["3210", "2100"]
    assert "villages from v.csv (2 rows)" in (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_cli_user_error_exit_2(tmp_path):
    r = run_cli("import-osm", GUIXI, "--county", "999999", "--out", tmp_path / "x")
    assert r.returncode == 2 and "not in the NBS 2023 list" in r.stderr and "Traceback" not in r.stderr
