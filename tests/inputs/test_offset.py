"""The offset warning: 诸城's villages and facilities really in BD-09 (or GCJ-02) but declared WGS-84.

The embedded county 370782 is copied and its villages' and facilities' coordinates rewritten into another
system (what a list copied off Baidu or Amap maps holds); the roads stay WGS-84.
"""
from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest

from culture_logistics import load_scenario
from culture_logistics.coverage.reach import compute_coverage
from culture_logistics.geo.coords import from_wgs84
from culture_logistics.resources import counties_dir

FILES = ("villages.csv", "facilities.csv", "townships.csv")


def _copy(tmp_path, points_crs: str | None = None, roads_crs: str | None = None, declared: str = "wgs84"):
    d = tmp_path / f"zc_{points_crs}_{roads_crs}_{declared}"
    shutil.copytree(counties_dir() / "370782", d)
    if points_crs:
        for fn in FILES:
            rows = list(csv.reader(open(d / fn, encoding="utf-8")))
            i, j = rows[0].index("lon"), rows[0].index("lat")
            for r in rows[1:]:
                if r[i]:
                    x, y = from_wgs84(float(r[i]), float(r[j]), points_crs)
                    r[i], r[j] = f"{x:.7f}", f"{y:.7f}"
            with open(d / fn, "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows(rows)
    if roads_crs:
        gj = json.loads((d / "roads.geojson").read_text(encoding="utf-8"))
        for feat in gj["features"]:
            c = np.asarray(feat["geometry"]["coordinates"], dtype=float)
            x, y = from_wgs84(c[:, 0], c[:, 1], roads_crs)
            feat["geometry"]["coordinates"] = np.column_stack([x, y]).tolist()
        (d / "roads.geojson").write_text(json.dumps(gj), encoding="utf-8")
    toml = d / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('crs = "wgs84"', f'crs = "{declared}"'),
                    encoding="utf-8")
    return toml


def _offset_warnings(scenario):
    return [w for w in scenario.warnings if "from the nearest road" in w.message]


def test_correct_data_gives_no_offset_warning(tmp_path):
    assert _offset_warnings(load_scenario(_copy(tmp_path))) == []


@pytest.mark.parametrize("crs, name", [("bd09", "BD-09 (Baidu Maps)"), ("gcj02", "GCJ-02 (Amap/Gaode, Tencent)")])
def test_points_really_in_another_system_are_named(tmp_path, crs, name):
    s = load_scenario(_copy(tmp_path, points_crs=crs))
    found = _offset_warnings(s)
    assert [w.file.rsplit("/", 1)[-1] for w in found] == ["villages.csv", "facilities.csv"]
    for w in found:
        assert f"probably {name}, not WGS-84" in w.message
        assert f'crs = "{crs}"' in w.hint
    # the numbers in the message: the synthetic villages lie on their roads, so shifted back they sit 0 m away
    v = found[0].message
    assert "would sit 0 m from it" in v
    given = int(v.split("median ")[1].split(" m")[0].replace(",", ""))
    assert given > (300 if crs == "bd09" else 150)


@pytest.mark.slow
def test_everything_in_bd09_declared_bd09_loads_back_to_the_wgs84_data(tmp_path):
    """crs = "bd09" converts every input, roads included: the county comes back as the WGS-84 original."""
    ref = load_scenario(_copy(tmp_path))
    s = load_scenario(_copy(tmp_path, points_crs="bd09", roads_crs="bd09", declared="bd09"))
    assert _offset_warnings(s) == []
    # 7 decimals written (~1 cm), the iterated inverse far below that
    assert np.abs(s.villages["lon"].to_numpy() - ref.villages["lon"].to_numpy()).max() < 2e-7
    assert np.abs(s.facilities["lat"].to_numpy() - ref.facilities["lat"].to_numpy()).max() < 2e-7
    xy = np.array([(d["x"], d["y"]) for _, d in s.graph.nodes(data=True)])
    xy0 = np.array([(d["x"], d["y"]) for _, d in ref.graph.nodes(data=True)])
    assert len(xy) == len(xy0) and np.abs(np.sort(xy, axis=0) - np.sort(xy0, axis=0)).max() < 2e-7
    gaps = lambda sc: int((~compute_coverage(sc).villages["reached"]).sum())  # noqa: E731
    assert gaps(s) == gaps(ref)
    # declared WGS-84, the same BD-09 points against WGS-84 roads: more gaps, and the warning says why
    wrong = load_scenario(_copy(tmp_path, points_crs="bd09"))
    assert gaps(wrong) > gaps(ref)
    assert len(_offset_warnings(wrong)) == 2
