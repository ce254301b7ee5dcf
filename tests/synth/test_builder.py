"""The seeded county builder: determinism, real divisions, geometry and coverage (no mocks)."""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString

from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions
from culture_logistics.geo.coords import utm_crs
from culture_logistics.resources import counties_dir
from culture_logistics.synth.builder import build_county
from culture_logistics.synth.common import DEFAULT_SEED

FILES = ("scenario.toml", "villages.csv", "facilities.csv", "townships.csv", "roads.geojson", "README.md")
HAS_GEOTOOL = boundary.gtc_path() is not None
ADCODE = "370782"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    a = tmp_path_factory.mktemp("a")
    b = tmp_path_factory.mktemp("b")
    summary = build_county(ADCODE, a)
    build_county(ADCODE, b)
    return summary, a, b


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _metres(lon, lat):
    tr = Transformer.from_crs(4326, utm_crs(119.4, 36.0), always_xy=True)
    x, y = tr.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


@pytest.mark.slow
def test_byte_identical_for_same_seed(built):
    _, a, b = built
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.slow
def test_different_seed_differs(tmp_path, built):
    _, a, _ = built
    build_county(ADCODE, tmp_path, seed=DEFAULT_SEED + 1)
    assert (tmp_path / "villages.csv").read_bytes() != (a / "villages.csv").read_bytes()
    # but the real part is the same
    assert list(_read(tmp_path, "villages.csv")["code"]) == list(_read(a, "villages.csv")["code"])


def test_every_village_and_township_real(built):
    _, a, _ = built
    v = _read(a, "villages.csv")
    assert list(v.columns) == ["code", "name", "township_code", "lon", "lat", "population", "other_in_per_week",
                               "other_out_per_week"]
    ref = divisions.villages(ADCODE)
    assert len(v) == len(ref) == 259
    merged = v.merge(ref, on="code", how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["name_x"] == merged["name_y"]).all()
    assert (merged["township_code"] == merged["parent_code"]).all()
    assert (v["township_code"] == v["code"].str[:9]).all()
    # villages per township match the division list
    counts = v.groupby("township_code").size()
    ref_counts = ref.groupby("parent_code").size()
    assert counts.to_dict() == ref_counts.to_dict()
    pop = v["population"].astype(int)
    assert (pop > 0).all()
    assert all(re.fullmatch(r"-?\d+\.\d{6}", s) for s in v["lon"].tolist() + v["lat"].tolist())

    t = _read(a, "townships.csv")
    assert list(t.columns) == ["code", "name", "lon", "lat", "seat_source"]
    tref = divisions.townships(ADCODE)
    assert list(t["code"]) == list(tref["code"]) and list(t["name"]) == list(tref["name"])
    assert set(t["seat_source"]) <= {"geonames", "synthetic"}
    assert (t["seat_source"] == "geonames").sum() == 11
    jy = t.set_index("code").loc["370782102"]   # 贾悦镇: GeoNames 1805947
    assert (jy["lon"], jy["lat"], jy["seat_source"]) == ("119.176110", "36.023610", "geonames")


def test_scenario_toml(built):
    _, a, _ = built
    sc = tomllib.loads((a / "scenario.toml").read_text(encoding="utf-8"))
    assert sc["county"] == {"adcode": ADCODE, "name": "诸城市", "crs": "wgs84"}
    for key in ("villages", "facilities", "roads", "townships"):
        assert (a / sc["inputs"][key]).is_file()
    assert sc["network"]["circuity"] == 1.3 and sc["coverage"]["radius_m"] == 3000
    assert sc["data"]["synthetic"] is True
    assert sc["data"]["seed"] == DEFAULT_SEED
    assert sc["data"]["boundary_source"] == ("geotool-cn" if HAS_GEOTOOL else "bbox")
    assert "GeoNames" in sc["data"]["note"]
    readme = (a / "README.md").read_text(encoding="utf-8")
    assert "GeoNames (geonames.org), CC BY 4.0" in readme and "Synthetic" in readme


@pytest.mark.skipif(not HAS_GEOTOOL, reason="geotool-cn is not installed")
def test_everything_inside_boundary(built):
    _, a, _ = built
    geom = boundary.county_boundary(ADCODE)
    for name in ("villages.csv", "facilities.csv", "townships.csv"):
        df = _read(a, name)
        assert shapely.contains_xy(geom, df["lon"].astype(float), df["lat"].astype(float)).all(), name
    feats = json.loads((a / "roads.geojson").read_text(encoding="utf-8"))["features"]
    assert all(LineString(f["geometry"]["coordinates"]).within(geom) for f in feats)


def test_village_spacing(built):
    _, a, _ = built
    v = _read(a, "villages.csv")
    xy = _metres(v["lon"], v["lat"])
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    assert d.min() >= 299.0


def test_facilities(built):
    summary, a, _ = built
    f = _read(a, "facilities.csv")
    assert list(f.columns) == ["id", "name", "operator", "tier", "lon", "lat", "brand", "capacity_per_day"]
    assert f["id"].is_unique and list(f["id"]) == sorted(f["id"])
    assert f["id"].str.fullmatch(r"370782-[PSCX][CTV]-\d{3,}").all()
    assert set(f["operator"]) == {"postal", "supply_coop", "courier", "shared"}
    assert set(f["tier"]) == {"county", "township", "village"}
    assert (f["capacity_per_day"].astype(int) >= 0).all()
    hub = f[(f["operator"] == "shared") & (f["tier"] == "county")]
    assert list(hub["name"]) == ["诸城市县级共配中心"]
    seat = boundary.county_seat(ADCODE)
    assert (float(hub["lon"].iloc[0]), float(hub["lat"].iloc[0])) == pytest.approx(seat, abs=2e-6)
    county = f[f["tier"] == "county"]
    assert sorted(county["operator"]) == ["courier", "postal", "shared", "supply_coop"]
    # a postal station in every township; supply_coop in ~80 %; courier outlets in some
    tw = f[f["tier"] == "township"]
    assert (tw["operator"] == "postal").sum() == 14
    assert 10 <= (tw["operator"] == "supply_coop").sum() <= 12
    courier = tw[tw["operator"] == "courier"]
    assert len(courier) >= 5 and set(courier["brand"]) <= {"中通", "圆通", "申通", "韵达", "极兔"}
    # village-tier points only in part of the villages
    vil = f[f["tier"] == "village"]
    for op in ("postal", "supply_coop", "courier", "shared"):
        assert 0 < (vil["operator"] == op).sum() < 259
    assert summary["facilities"]["total"] == len(f)


def test_coverage_gaps_exist(built):
    summary, a, _ = built
    v = _read(a, "villages.csv")
    f = _read(a, "facilities.csv")
    vxy = _metres(v["lon"], v["lat"])
    vf = f[f["tier"] == "village"]
    fxy = _metres(vf["lon"], vf["lat"])
    d = np.hypot(vxy[:, None, 0] - fxy[None, :, 0], vxy[:, None, 1] - fxy[None, :, 1]).min(axis=1)
    far = (d > 3000).sum()
    assert far >= 1   # some villages are > 3 km from every village-tier facility
    # share of villages not reached by all three carrying operators within 3000 m (straight x 1.3)
    allxy = _metres(f["lon"], f["lat"])
    near = np.hypot(vxy[:, None, 0] - allxy[None, :, 0], vxy[:, None, 1] - allxy[None, :, 1]) * 1.3 <= 3000
    ok = np.ones(len(v), bool)
    for op in ("postal", "supply_coop", "courier"):
        ok &= near[:, ((f["operator"] == op) | (f["operator"] == "shared")).to_numpy()].any(axis=1)
    share = 1 - ok.mean()
    assert 0.05 <= share <= 0.30
    assert share == pytest.approx(summary["unreached_share"], abs=1e-3)


def test_roads(built):
    _, a, _ = built
    doc = json.loads((a / "roads.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    speeds = {"primary": 80, "secondary": 60, "tertiary": 40, "unclassified": 30, "track": 20}
    g = nx.Graph()
    classes = set()
    for feat in doc["features"]:
        p = feat["properties"]
        assert set(p) == {"road_class", "maxspeed", "name"}
        assert speeds[p["road_class"]] == p["maxspeed"]
        classes.add(p["road_class"])
        coords = [tuple(c) for c in feat["geometry"]["coordinates"]]
        assert feat["geometry"]["type"] == "LineString" and len(coords) >= 2
        assert all(round(c, 6) == c for xy in coords for c in xy)
        g.add_edges_from(zip(coords, coords[1:]))
    assert classes >= {"primary", "secondary", "tertiary", "unclassified", "track"}
    assert nx.is_connected(g)
    # every village and township seat is a road vertex (lines meet at exactly shared coordinates)
    v = _read(a, "villages.csv")
    t = _read(a, "townships.csv")
    for df in (v, t):
        pts = set(zip(df["lon"].astype(float), df["lat"].astype(float)))
        assert pts <= set(g.nodes)
    # lines are longer than the straight line between their ends, by ~10-30 % for most
    ratios = []
    for feat in doc["features"]:
        xy = _metres(*np.array(feat["geometry"]["coordinates"]).T)
        chord = np.hypot(*(xy[-1] - xy[0]))
        if chord > 500:
            ratios.append(np.hypot(*np.diff(xy, axis=0).T).sum() / chord)
    assert 1.1 < np.median(ratios) < 1.3 and min(ratios) >= 1.0


def test_bbox_fallback_and_functional_zone(tmp_path):
    s = build_county("370102", tmp_path / "bbox", use_geotool=False)   # 历下区, 139 residents committees
    assert s["boundary_source"] == "bbox" and s["villages"] == 139
    v = _read(tmp_path / "bbox", "villages.csv")
    minx, miny, maxx, maxy = boundary.county_bbox("370102")
    assert v["lon"].astype(float).between(minx, maxx).all() and v["lat"].astype(float).between(miny, maxy).all()
    assert 'boundary_source = "bbox"' in (tmp_path / "bbox" / "scenario.toml").read_text(encoding="utf-8")
    s = build_county("370571", tmp_path / "zone")   # 东营经济技术开发区: no polygon, no bbox
    assert s["boundary_source"] == "synthetic-disc" and s["villages"] == len(divisions.villages("370571"))
    assert s["road_components"] == 1


def test_embedded_data_is_current(built):
    """data/counties/370782 is exactly what the builder produces (same seed, same geotool-cn data)."""
    _, a, _ = built
    folder = counties_dir() / ADCODE
    if not (folder / "scenario.toml").is_file():
        pytest.skip("embedded data not built")
    sc = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    if sc["data"].get("boundary_data_version") != (boundary.gtc_data_version() or ""):
        pytest.skip("embedded data was built with other geotool-cn data")
    for name in FILES:
        assert (folder / name).read_bytes() == (a / name).read_bytes(), name


def test_populations_sum_to_the_2020_census(built):
    """诸城市's villages sum to its census resident population, 1,078,178 (leiii/census, 人口数_合计)."""
    s, a, _ = built
    v = _read(a, "villages.csv")
    assert v["population"].astype(int).sum() == s["population"] == s["census_population"] == 1_078_178
    assert s["census_matched_by"] == "code" and s["drawn_population"] != 1_078_178
    assert "1,078,178" in (a / "README.md").read_text(encoding="utf-8")
    assert "leiii/census" in tomllib.loads((a / "scenario.toml").read_text(encoding="utf-8"))["data"]["note"]
    # the shares among villages are the drawn ones (largest-remainder rounding: within one person)
    pop = v["population"].astype(int).to_numpy()
    assert pop.min() >= 1


def test_census_figures_and_scaling():
    from culture_logistics.synth.census import census_figure, scale_to_total

    zc = census_figure("370782")
    assert (zc.population, zc.urban, zc.rural, zc.name) == (1_078_178, 679_204, 398_974, "诸城市")
    # functional zones NBS 2023 codes differently from the census are matched by their exact name in the city
    gx = census_figure("370176", "济南高新技术产业开发区")
    assert (gx.code, gx.population, gx.matched_by) == ("370171", 424_047, "name")
    assert census_figure("370176") is None and census_figure("999999", "无此县") is None
    assert scale_to_total([100, 200, 301], 1000) == [166, 333, 501]
    assert scale_to_total([1, 1, 1], 5) == [2, 2, 1]             # ties: the earlier entry first
    assert sum(scale_to_total(list(range(1, 400)), 123_457)) == 123_457


def test_every_shandong_unit_has_a_census_figure():
    """All 151 county-level units calibrate; their total is the census' 101.4 M (province 101,527,453)."""
    from culture_logistics.synth.census import census_figure

    codes = list(divisions.counties()["code"])
    figs = [census_figure(c, divisions.county_name(c)) for c in codes]
    assert len(codes) == 151 and all(f is not None for f in figs)
    assert all(len(divisions.villages(c)) for c in codes)   # so every unit's villages sum to its figure
    total = sum(f.population for f in figs)
    # the province's census figure also counts 370271 青岛高新区 (41,823) and 371472 德州运河经开区 (118,810),
    # which are no units in the NBS 2023 list
    assert total == 101_527_453 - 41_823 - 118_810


def test_embedded_county_carries_the_whole_flow(built):
    """The villages carry synthetic other parcels at the calibrated [demand] rates, every postal township
    station can send out its township's whole inbound flow a delivery day, and scenario.toml's trunk vans
    take the largest station's day in one load."""
    import math
    import tomllib

    from culture_logistics.config.schema import OTHER_IN_PER_CAPITA_WEEK, OTHER_OUT_PER_CAPITA_WEEK

    _, a, _ = built
    v = pd.read_csv(a / "villages.csv", dtype={"code": str, "township_code": str})
    pop = v["population"].sum()
    # mean-one factors: the county totals are within 5 % of population × rate
    assert abs(v["other_in_per_week"].sum() / (pop * OTHER_IN_PER_CAPITA_WEEK) - 1) < 0.05
    assert abs(v["other_out_per_week"].sum() / (pop * OTHER_OUT_PER_CAPITA_WEEK) - 1) < 0.05
    inbound = (v["population"].map(lambda p: math.ceil(p * 0.010)) + v["other_in_per_week"]) / 6
    per_tw = inbound.groupby(v["township_code"]).sum()
    f = pd.read_csv(a / "facilities.csv", dtype=str)
    postal = f[(f["operator"] == "postal") & (f["tier"] == "township")]
    assert len(postal) == len(per_tw)
    # the postal branches are numbered in township-code order (PT-001 is the first township's)
    caps = postal.sort_values("id")["capacity_per_day"].astype(float).to_numpy()
    need = per_tw.sort_index().to_numpy()
    # headroom 1.3–1.6, rounded up to 10
    assert (caps >= need * 1.3 - 1e-9).all() and (caps <= need * 1.6 + 10).all()
    with open(a / "scenario.toml", "rb") as fh:
        conf = tomllib.load(fh)
    trunk = [e for e in conf["fleet"] if e["operator"] == "shared" and e["echelon"] == "trunk"]
    assert trunk[0]["capacity"] >= f[f["tier"] == "township"]["capacity_per_day"].astype(float).max()
    assert {e["operator"] for e in conf["fleet"]} == {"shared", "postal", "supply_coop", "courier"}


def test_embedded_flows_inside_the_published_bands():
    """Recomputed from each shipped villages.csv alone: the median village's parcels a day (in and out, cultural
    included: ⌈pop × 0.010⌉ + ⌈pop × 0.002⌉ a week beside the other_* columns, over 6 delivery days) and the median
    township's lie in the published bands the README cites; 夏津 takes 禹城's inbound rate (at the default it
    would be 16 and 671, below both)."""
    import math

    from culture_logistics.synth.facilities import OTHER_IN_RATE_BY_COUNTY, PUBLISHED_BANDS

    assert PUBLISHED_BANDS == {"village": (20, 333), "township": (1000, 4333)}
    assert OTHER_IN_RATE_BY_COUNTY == {"371427": 0.287}
    medians = {}
    for folder in sorted(counties_dir().iterdir()):
        if not (folder / "villages.csv").exists():
            continue
        v = pd.read_csv(folder / "villages.csv", comment="#", dtype={"code": str, "township_code": str})
        cultural = v["population"].map(lambda p: math.ceil(p * 0.010) + math.ceil(p * 0.002))
        day = (v["other_in_per_week"] + v["other_out_per_week"] + cultural) / 6
        medians[folder.name] = (round(float(day.median())), round(float(day.groupby(v["township_code"]).sum().median())))
    assert len(medians) == 10
    assert medians["371427"] == (38, 1630)          # 夏津 with 禹城's rate
    assert medians["370782"] == (80, 1431)          # 诸城
    (v_lo, v_hi), (t_lo, t_hi) = PUBLISHED_BANDS["village"], PUBLISHED_BANDS["township"]
    outside = {c: m for c, m in medians.items() if not (v_lo <= m[0] <= v_hi and t_lo <= m[1] <= t_hi)}
    assert outside == {}
    # the urban district and the merged-village county are above the rural 20–100, inside 石屏's whole-county figure
    assert {c for c, m in medians.items() if m[0] > 100} == {"370102", "371322"}
