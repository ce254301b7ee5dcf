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
from culture_logistics.app.coverage import run_coverage
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.geo.coords import wgs84_to_gcj02
from culture_logistics.reports import gis
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
    p = run_cli("coverage", "--lang", "en", "370782", "--out", str(out), "--export", "kml,shp")
    assert p.returncode == 2
    assert "unknown format 'shp'; choose from kml, geojson-gcj02" in p.stderr
    assert "Traceback" not in p.stderr and not out.exists()


EVIL_ID = '"><NetworkLink><Link><href>http://127.0.0.1:1/x.kml</href></Link></NetworkLink><Placemark id="'


def hostile_layers() -> dict[str, gpd.GeoDataFrame]:
    fac = gpd.GeoDataFrame({"id": [EVIL_ID, "a<b&c"], "name": ["站<script>", "]]></name>"],
                            "operator": ["postal", "courier"]},
                           geometry=shapely.points([119.3, 119.31], [36.0, 36.0]), crs="EPSG:4326")
    vil = gpd.GeoDataFrame({"village_code": ["370782001001"], "village_name": ['甲村"><x/>'],
                            "description": ["<b>粗</b> & </description>"]},
                           geometry=shapely.points([119.32], [36.0]), crs="EPSG:4326")
    return {"villages": vil, "facilities": fac}


def test_kml_ids_names_and_descriptions_stay_text(tmp_path):
    """A crafted facility id cannot plant a <NetworkLink> (Google Earth would fetch it); an id with '<' exports;
    every value reads back exactly as it was."""
    path = gis.write_kml(hostile_layers(), tmp_path / "coverage.kml")
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert not [e for e in root.iter() if e.tag.endswith(("NetworkLink", "Link", "script", "x"))]
    assert [p.get("id") for p in root.iter(f"{{{KML['k']}}}Placemark")] == ["villages.1", "facilities.1",
                                                                            "facilities.2"]
    data = [d.text for d in root.iter(f"{{{KML['k']}}}SimpleData") if d.get("name") == "id"]
    assert data == [EVIL_ID, "a<b&c"]
    names = [p.findtext("k:name", namespaces=KML) for p in root.iter(f"{{{KML['k']}}}Placemark")]
    assert names == ['甲村"><x/>', "站<script>", "]]></name>"]
    desc = root.find(".//k:Placemark/k:description", KML).text
    assert desc == "<b>粗</b> & </description>"
    folders = [f.findtext("k:name", namespaces=KML) for f in root.iter(f"{{{KML['k']}}}Folder")]
    assert folders == ["villages", "facilities"]


def test_failed_export_writes_none_of_the_exports(tmp_path, monkeypatch):
    """Every export is built in memory before the first is written: a failure in the last leaves no file."""
    gis.write_gpkg(hostile_layers(), tmp_path / "coverage.gpkg")

    def boom(layers):
        raise RuntimeError("GCJ-02 conversion failed")

    monkeypatch.setattr(gis, "gcj02_geojson", boom)  # our own step, not the libraries
    with pytest.raises(RuntimeError):
        gis.export_gis(tmp_path, "kml,geojson-gcj02")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage.gpkg"]
    monkeypatch.undo()
    written = gis.export_gis(tmp_path, "kml,geojson-gcj02")
    assert [p.name for p in written] == ["coverage.kml", "coverage.gcj02.geojson"]
    assert ET.parse(written[0]).getroot().find(".//k:Placemark", KML) is not None


def test_writing_geopackage_and_kml_prints_nothing(tmp_path):
    """GDAL checks a GeoPackage's extension: the temporary file is named ``….tmp.gpkg`` (was ``….tmp``, and GDAL
    printed "The filename extension should be 'gpkg' instead of 'tmp'" for every file).  In a fresh process,
    with Python warnings as errors, writing a GeoPackage and a KML leaves stderr empty."""
    import subprocess
    import sys

    code = ("import geopandas as gpd, shapely\n"
            "from culture_logistics.reports import gis\n"
            "g = gpd.GeoDataFrame({'name': ['a']}, geometry=[shapely.Point(119.3, 36.0)], crs='EPSG:4326')\n"
            f"gis.write_gpkg({{'pts': g}}, {str(tmp_path / 'x.gpkg')!r})\n"
            f"gis.write_kml({{'pts': g}}, {str(tmp_path / 'x.kml')!r})\n")
    p = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert (tmp_path / "x.gpkg").is_file() and (tmp_path / "x.kml").is_file()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["x.gpkg", "x.kml"]   # no temporary file left


def test_export_includes_the_postal_courier_plan(tmp_path):
    """``route --mode compare --export kml``: the 邮快合作 plan (``postal_courier/``) is exported beside the
    shared and separate ones."""
    g = gpd.GeoDataFrame({"name": ["r1"]}, geometry=[shapely.LineString([(119.3, 36.0), (119.4, 36.0)])],
                         crs="EPSG:4326")
    for mode in ("shared", "separate", "postal_courier"):
        gis.write_gpkg({"routes": g}, tmp_path / mode / "routes.gpkg")
    written = gis.export_gis(tmp_path, "kml")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "postal_courier/routes.kml", "separate/routes.kml", "shared/routes.kml"]
