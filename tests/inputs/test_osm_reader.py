"""The streaming OSM reader on real extracts (© OpenStreetMap contributors, ODbL): PBF, XML, bzip2."""
from __future__ import annotations

from pathlib import Path

import osmium
import osmium.filter
import pytest
import shapely
from shapely.geometry import box

from conftest import osm_extracts
from culture_logistics.inputs.osm.reader import OsmImportError, read_extract
from culture_logistics.inputs.osm.roads import parse_maxspeed, roads_frame, roads_graph

OSM = osm_extracts()  # real extracts shipped in tests/data/osm (© OpenStreetMap contributors, ODbL)


def _highway_ways(path: Path) -> int:
    """Independent count: ways with a highway tag, by osmium's own C++ filter."""
    fp = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
    return sum(1 for _ in fp)


def test_helsinki_pbf_roads():
    path = OSM / "helsinki.osm.pbf"
    ext = read_extract(path)
    s = ext.stats
    assert s["nodes_read"] == 24_260
    assert s["highway_ways_read"] == _highway_ways(path) == 2_650
    assert (s["ways_kept"], s["ways_not_drivable"], s["ways_outside"]) == (904, 1_713, 33)
    assert s["ways_kept"] + s["ways_not_drivable"] + s["ways_outside"] == s["highway_ways_read"]
    roads = roads_frame(ext.roads)
    assert len(roads) == s["road_parts"] and set(roads["road_class"]) <= {
        "primary", "secondary", "tertiary", "residential", "service", "unclassified", "living_street", "trunk",
        "primary_link", "secondary_link", "tertiary_link", "track", "road", "trunk_link"}
    assert not roads["road_class"].isin(["footway", "path", "cycleway", "steps", "pedestrian"]).any()
    G = roads_graph(ext.roads)
    assert (G.number_of_nodes(), G.number_of_edges()) == (1_916, 2_926)
    minx, miny, maxx, maxy = ext.bbox
    assert all(box(minx - 1e-6, miny - 1e-6, maxx + 1e-6, maxy + 1e-6).contains(g) for g in roads.geometry)
    assert ext.timestamp == "2019-04-21T09:50:12Z"


def test_clipped_finnish_pbf_survives_missing_nodes():
    ext = read_extract(OSM / "finland_test.osm.pbf")
    s = ext.stats
    # the clip left 215 node references without a node; 26 drivable ways lost some nodes and are kept
    # as their runs of known nodes; 9 kept fewer than two known nodes and were dropped
    assert (s["ways_kept"], s["ways_cut"], s["node_refs_missing"], s["ways_outside"]) == (208, 26, 215, 9)
    assert all(len(r["coords"]) >= 2 for r in ext.roads)
    G = roads_graph(ext.roads)
    assert (G.number_of_nodes(), G.number_of_edges()) == (887, 1_665)


def test_west_oakland_bz2_loads():
    ext = read_extract(OSM / "west_oakland.osm.bz2")
    assert (ext.stats["nodes_read"], ext.stats["highway_ways_read"], ext.stats["ways_kept"]) == (446, 31, 22)
    assert [p["tags"]["name"] for p in ext.pois] == ["Oakland Main Post Office"] * len(ext.pois)
    assert roads_graph(ext.roads).number_of_edges() == 218


def test_guixi_xml_places_and_clip():
    path = OSM / "guixi_360681.osm"
    whole = read_extract(path)
    assert len(whole.places) == 25 and whole.stats["ways_kept"] == 169
    names = {p["name"]: p["place"] for p in whole.places}
    assert names["花园社区"] == "quarter" and names["花园街道"] == "town" and names["黄坑村"] == "village"
    # clip to the western half: fewer nodes, and every kept vertex inside the clip
    clip = box(117.19, 28.27, 117.22, 28.33)
    half = read_extract(path, clip)
    assert 0 < half.stats["nodes_in_clip"] < whole.stats["nodes_in_clip"]
    xy = [c for r in half.roads for c in r["coords"]]
    assert xy and shapely.contains_xy(clip.buffer(1e-9), *zip(*xy)).all()
    assert {p["name"] for p in half.places} < set(names)


def test_maxspeed_parsing():
    assert parse_maxspeed("60") == 60 and parse_maxspeed("30 mph") == 48.28 and parse_maxspeed("CN:urban") is None
    assert parse_maxspeed("") is None and parse_maxspeed("50;40") == 50


def test_bad_extracts(tmp_path):
    with pytest.raises(OsmImportError, match="file not found"):
        read_extract(tmp_path / "none.osm.pbf")
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"this is not a pbf")
    with pytest.raises(OsmImportError, match="cannot be read as OSM data"):
        read_extract(bad)
    csv = tmp_path / "roads.csv"
    csv.write_text("a,b\n")
    with pytest.raises(OsmImportError, match="unknown extract format"):
        read_extract(csv)
