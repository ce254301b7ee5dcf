"""Road inputs in every supported format give the same network distances."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import LAT, LON0, STEP, write_scenario
from culture_logistics import load_scenario
from culture_logistics.network.roads import RoadNetwork


def osm_xml(n: int = 21) -> str:
    """A small OSM XML file written for the tests: one way of n nodes along lat 36.0."""
    nodes = "\n".join(
        f'  <node id="{i + 1}" version="1" lat="{LAT}" lon="{LON0 + STEP * i:.6f}"/>' for i in range(n))
    refs = "\n".join(f'    <nd ref="{i + 1}"/>' for i in range(n))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="culture-logistics tests">\n'
            f'  <bounds minlat="{LAT - 0.01}" minlon="{LON0 - 0.01}" maxlat="{LAT + 0.01}" maxlon="{LON0 + 0.21}"/>\n'
            f'{nodes}\n  <way id="100" version="1">\n{refs}\n    <tag k="highway" v="secondary"/>\n'
            f'    <tag k="maxspeed" v="36"/>\n    <tag k="name" v="测试路"/>\n  </way>\n</osm>\n')


def distances(scenario):
    net = RoadNetwork.from_scenario(scenario)
    v = scenario.villages
    f = scenario.facilities
    d, t, s = net.nearest(net.snap(f.lon.values, f.lat.values), net.snap(v.lon.values, v.lat.values))
    return d, t


@pytest.fixture
def geojson_distances(tmp_path):
    return distances(load_scenario(write_scenario(tmp_path / "gj")))


def test_geojson_hand_distances(geojson_distances):
    d, t = geojson_distances
    # villages at vertices 0,2,...,14; facilities at 0 (P1), 10 (HUB), 14 (C1); one vertex = 0.01° of longitude at 36°N = N(φ)·cos φ·Δλ = 6,385,526 m × 0.80902 × 1.7453e-4 ≈ 901.6 m
    step = 901.6
    assert d == pytest.approx(np.array([0, 2, 4, 4, 2, 0, 2, 0]) * step, abs=1.0)
    assert t == pytest.approx(d / 10.0, abs=0.5)  # maxspeed 36 km/h = 10 m/s


def test_osm_xml_same_distances(tmp_path, geojson_distances):
    folder = tmp_path / "osm"
    folder.mkdir()
    (folder / "roads.osm").write_text(osm_xml(), encoding="utf-8")
    s = load_scenario(write_scenario(folder, roads="roads.osm"))
    assert s.graph.number_of_edges() == 40  # 20 segments, both directions (unsimplified)
    d, t = distances(s)
    assert d == pytest.approx(geojson_distances[0], rel=3e-3)  # osmnx: great circle on a sphere; ours: ellipsoid
    assert t == pytest.approx(geojson_distances[1], rel=3e-3)


def test_graphml_round_trip(tmp_path, geojson_distances):
    import osmnx as ox

    s = load_scenario(write_scenario(tmp_path / "gj"))
    folder = tmp_path / "gml"
    folder.mkdir()
    ox.save_graphml(s.graph, folder / "roads.graphml")
    s2 = load_scenario(write_scenario(folder, roads="roads.graphml"))
    assert s2.graph.number_of_nodes() == s.graph.number_of_nodes()
    d, t = distances(s2)
    assert d == pytest.approx(geojson_distances[0], abs=1e-6)
    assert t == pytest.approx(geojson_distances[1], abs=1e-6)


def test_no_roads_uses_circuity(tmp_path):
    s = load_scenario(write_scenario(tmp_path / "s", roads=None))
    d, _ = distances(s)
    assert d[1] == pytest.approx(2 * 901.6 * 1.3, abs=5.0)  # UTM metres differ from geodesic by ~0.1 %  # straight line × default circuity 1.3


def test_broken_osm_file_is_a_clean_error(tmp_path):
    from culture_logistics import ScenarioError

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "roads.osm").write_text(osm_xml()[:300], encoding="utf-8")  # truncated
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write_scenario(folder, roads="roads.osm"))
    assert exc.value.problems[0].file.endswith("roads.osm")
