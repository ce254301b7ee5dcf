"""GIS exports of 诸城市 (embedded, 259 villages): GeoPackages read back with geopandas, KML parsed with
xml.etree, GCJ-02 GeoJSON compared with the WGS-84 layers."""
from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from conftest import ROOT, run_cli
from culture_logistics import load_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.geo.coords import wgs84_to_gcj02
from culture_logistics.reports import gis
from culture_logistics.reports.coverage import run_coverage
from culture_logistics.reports.routes import write_plan
from culture_logistics.reports.siting import write_siting
from culture_logistics.routing.plan import plan_routes
from culture_logistics.siting.solve import solve_siting

KML = {"k": "http://www.opengis.net/kml/2.2"}
COUNTY = ROOT / "data" / "counties" / "370782" / "scenario.toml"


@pytest.fixture(scope="module")
def scn():
    if not COUNTY.exists():
        pytest.skip("embedded dataset 370782 not built")
    return load_scenario(COUNTY)


def metres(dlon, dlat, lat=36.0):
    return np.hypot(np.asarray(dlon) * 111_320 * np.cos(np.radians(lat)), np.asarray(dlat) * 110_574)


@pytest.mark.slow
def test_coverage_geopackage_kml_and_gcj02(scn, tmp_path):
    out = tmp_path / "cov"
    report, paths = run_coverage(scn, out, tiles="none", with_map=False)
    assert paths["coverage.gpkg"] == out / "coverage.gpkg"
    layers = gis.read_gpkg(out / "coverage.gpkg")
    assert list(layers) == ["villages", "facilities", "service_areas", "townships"]
    v = layers["villages"]
    assert v.crs.to_epsg() == 4326
    assert sorted(v["village_code"]) == sorted(scn.villages["code"])  # every village, once
    s = report.summary
    assert int(v["reached"].sum()) == s["villages_reached"] and int(v["reached_any"].sum()) == s["villages_reached_any"]
    assert int(v["population"].sum()) == s["population"]
    src = scn.villages.set_index("code")
    assert np.allclose(v.geometry.x, src.loc[v["village_code"], "lon"]) and np.allclose(
        v.geometry.y, src.loc[v["village_code"], "lat"])
    # a gap village says which operators are missing
    gap = v[~v["reached"]]
    assert len(gap) == s["villages"] - s["villages_reached"] and (gap["missing_operators"] != "").all()
    assert len(layers["facilities"]) == len(scn.facilities)
    assert sorted(layers["service_areas"]["operator"]) == sorted(s["carriers"])
    assert layers["townships"]["villages"].sum() == len(scn.villages)

    written = gis.export_gis(out, "kml,geojson-gcj02")
    assert [p.name for p in written] == ["coverage.kml", "coverage.gcj02.geojson"]
    root = ET.parse(out / "coverage.kml").getroot()
    assert len(root.findall(".//k:Placemark", KML)) == sum(len(x) for x in layers.values())
    folders = {f.findtext("k:name", namespaces=KML): f for f in root.iter() if f.tag.endswith(("}Folder", "}Document"))
               and f.findtext("k:name", namespaces=KML) in layers}
    names = [p.findtext("k:name", namespaces=KML) for p in folders["villages"].findall("k:Placemark", KML)]
    assert sorted(names) == sorted(scn.villages["name"])  # named in Chinese
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names)

    fc = json.loads((out / "coverage.gcj02.geojson").read_text(encoding="utf-8"))
    vf = [f for f in fc["features"] if f["properties"]["layer"] == "villages"]
    assert len(vf) == len(v) and len(fc["features"]) == sum(len(x) for x in layers.values())
    xy = np.array([f["geometry"]["coordinates"] for f in vf])
    by_code = v.set_index("village_code")
    lon = by_code.loc[[f["properties"]["village_code"] for f in vf]].geometry.x.to_numpy()
    lat = by_code.loc[[f["properties"]["village_code"] for f in vf]].geometry.y.to_numpy()
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert np.allclose(xy[:, 0], glon, atol=2e-6) and np.allclose(xy[:, 1], glat, atol=2e-6)
    shift = metres(xy[:, 0] - lon, xy[:, 1] - lat)
    assert 400 < shift.min() and shift.max() < 650  # GCJ-02 moves Shandong by about 500 m


@pytest.mark.slow
def test_siting_and_routes_geopackages(scn, tmp_path):
    cov = compute_coverage(scn)
    res = solve_siting(scn, "mclp", k=5, coverage=cov)
    paths = write_siting(res, tmp_path / "site", map_html=False)
    layers = gis.read_gpkg(paths["gpkg"])
    assert sorted(layers["sites"]["site_id"]) == sorted(res.sites["site_id"])
    a = layers["assignment"]
    assert len(a) == len(res.assignment) and a["newly_reached"].sum() == res.assignment["newly_reached"].sum()
    # each line runs from its site to its village
    site_xy = res.sites.set_index("site_id")[["lon", "lat"]]
    vil_xy = scn.villages.set_index("code")[["lon", "lat"]]
    for row in a.itertuples():
        c = shapely.get_coordinates(row.geometry)
        assert np.allclose(c[0], site_xy.loc[row.site_id]) or np.allclose(c[-1], site_xy.loc[row.site_id])
        assert np.allclose(c[-1], vil_xy.loc[row.village_code]) or np.allclose(c[0], vil_xy.loc[row.village_code])

    plan = plan_routes(scn, "shared", time_limit_s=0.3, seed=1)
    paths = write_plan(plan, tmp_path / "rt", map_html=False)
    layers = gis.read_gpkg(paths["routes.gpkg"])
    r, st = layers["routes"], layers["stops"]
    assert sorted(r["route_id"]) == sorted(plan.routes["route_id"])
    assert (r.geometry.geom_type == "LineString").all()
    per_route = st.groupby("route_id").size()
    assert (per_route.loc[plan.routes["route_id"]].to_numpy() == plan.routes["stops"].to_numpy()).all()
    # every village is a last-mile stop of the shared plan
    assert sorted(st.loc[st["echelon"] == "last_mile", "stop_id"]) == sorted(scn.villages["code"])
    assert r["vehicle"].str.contains("邮政").any()
    root = ET.parse(gis.write_kml(layers, tmp_path / "routes.kml")).getroot()
    assert len(root.findall(".//k:Placemark", KML)) == len(r) + len(st)


def test_geopackage_is_written_atomically(tmp_path):
    good = {"villages": gpd.GeoDataFrame({"village_code": ["1"], "village_name": ["甲村"]},
                                         geometry=shapely.points([119.3], [36.0]), crs="EPSG:4326")}
    path = gis.write_gpkg(good, tmp_path / "coverage.gpkg")
    before = path.read_bytes()
    with pytest.raises(AttributeError):
        gis.write_gpkg({**good, "broken": pd.DataFrame({"x": [1]})}, path)  # fails on the second layer
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["coverage.gpkg"]  # no temporary file left
    assert gis.read_gpkg(path)["villages"]["village_name"].tolist() == ["甲村"]
    time.sleep(1.1)  # the clock moves on: the file does not (its timestamp is fixed, as the workbooks')
    assert gis.write_gpkg(good, tmp_path / "again.gpkg").read_bytes() == before


def test_export_option_is_checked_before_anything_runs(tmp_path):
    assert gis.parse_exports("KML, geojson-gcj02,kml") == ("kml", "geojson-gcj02")
    assert gis.parse_exports("") == ()
    out = tmp_path / "out"
    p = run_cli("coverage", "370782", "--out", str(out), "--export", "kml,shp")
    assert p.returncode == 2
    assert "unknown format 'shp'; choose from kml, geojson-gcj02" in p.stderr
    assert "Traceback" not in p.stderr and not out.exists()
