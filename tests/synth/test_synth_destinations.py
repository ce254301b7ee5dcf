"""The synthetic cultural destinations (synth.destinations, ``build_county(destinations=True)``): real village codes,
every destination valid for the scenario reader, marked synthetic in the file and the README."""
from __future__ import annotations

import pandas as pd

from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.resources import counties_dir
from culture_logistics.synth.builder import build_county
from culture_logistics.synth.destinations import destination_rows, short_village_name

ZHUCHENG = counties_dir() / "370782"


def test_rows_from_the_embedded_county():
    v = pd.read_csv(ZHUCHENG / "villages.csv", dtype={"code": str, "township_code": str})
    t = pd.read_csv(ZHUCHENG / "townships.csv", dtype={"code": str})
    rows = pd.DataFrame(destination_rows("370782", v, t),
                        columns=["id", "name", "kind", "village_code", "lon", "lat", "in", "out", "days"])
    # 14 townships → every third from the first (0, 3, 6, 9, 12): 5 文化超市;
    # 259 villages → indices 10, 60, … 210 and 35, … 235
    assert len(v) == 259 and len(t) == 14
    assert rows["kind"].value_counts().to_dict() == {"culture_store": 5, "cultural_centre": 5, "library": 5}
    assert set(rows["village_code"]) <= set(v["code"]) and rows["id"].is_unique
    store = rows.iloc[0]
    assert (store["id"], store["name"], store["days"]) == ("370782-DS-001", "密州街道文化超市", "1,4")
    assert (store["lon"], store["lat"]) == ("119.397500", "35.994720")   # 密州街道's seat (townships.csv)
    centre = rows[rows["kind"] == "cultural_centre"].iloc[0]
    assert centre["village_code"] == v.sort_values("code")["code"].iat[10]
    assert short_village_name("兴华社区居民委员会") == "兴华社区" and short_village_name("村委会") == "村委会"


def test_build_county_with_destinations_loads(tmp_path):
    build_county("370782", tmp_path / "zc", destinations=True)
    first = (tmp_path / "zc" / "destinations.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith('"# SYNTHETIC cultural destinations')
    assert 'destinations = "destinations.csv"' in (tmp_path / "zc" / "scenario.toml").read_text(encoding="utf-8")
    assert "The cultural destinations (`destinations.csv`)" in (tmp_path / "zc" / "README.md").read_text(
        encoding="utf-8")
    scn = load_scenario(tmp_path / "zc" / "scenario.toml")   # every code real, every point inside the county
    assert scn.summary()["destinations_by_kind"] == {"cultural_centre": 5, "culture_store": 5, "library": 5}
    assert not [w for w in scn.warnings if "destination" in str(w)]
