"""Hostile input files (issue 21, item 2): no reader reaches the network or the machine's limits.

Every network test serves the payload from a real HTTP server on 127.0.0.1 that records each request,
and asserts that it received none.
"""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from conftest import LAT, LON0, STEP
from culture_logistics.errors import ProblemList
from culture_logistics.inputs import roads as _roads
from culture_logistics.inputs.tables import short_text


@pytest.fixture
def http_server():
    """A local HTTP server answering every GET with a road layer / a PROJ string; ``.requests`` lists the paths."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            server.requests.append(self.path)
            if "crs" in self.path:
                body = b"+proj=longlat +lon_0=0.3 +datum=WGS84 +no_defs"
            else:
                body = json.dumps({"type": "FeatureCollection", "features": [line_feature()]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def line_feature(n: int = 5) -> dict:
    return {"type": "Feature", "properties": {"road_class": "secondary"},
            "geometry": {"type": "LineString", "coordinates": [[LON0 + STEP * i, LAT] for i in range(n)]}}


def read(path: Path):
    problems = ProblemList()
    graph = _roads.read_roads(path, problems)
    return graph, problems


# ------------------------------------------------------------------------------------ the network
def test_geojson_crs_link_is_refused_without_a_fetch(tmp_path, http_server):
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection",
                                "crs": {"type": "link", "properties": {"href": f"{http_server.url}/crs.proj4",
                                                                       "type": "proj4"}},
                                "features": [line_feature()]}), encoding="utf-8")
    graph, problems = read(path)
    assert graph is None and http_server.requests == []
    (e,) = problems.errors
    assert e.file == str(path) and '"crs" member naming a link, URL or path' in e.message


def test_geojson_crs_named_by_url_is_refused(tmp_path, http_server):
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [line_feature()],
                                "crs": {"type": "name", "properties": {"name": f"{http_server.url}/crs"}}}),
                    encoding="utf-8")
    graph, problems = read(path)
    assert graph is None and http_server.requests == []
    assert '"crs" member' in problems.errors[0].message


def test_geojson_with_a_named_epsg_crs_still_reads(tmp_path, http_server):
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [line_feature()],
                                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}}),
                    encoding="utf-8")
    graph, problems = read(path)
    assert not problems.errors and graph.number_of_nodes() == 5 and http_server.requests == []


@pytest.mark.parametrize("source", ["/vsicurl/{url}/roads.json", "{url}/roads.json", "/vsicurl_streaming/{url}/r.json"])
def test_vrt_named_geojson_is_refused_without_a_fetch(tmp_path, http_server, source):
    path = tmp_path / "roads.geojson"
    path.write_text(f'<OGRVRTDataSource><OGRVRTLayer name="roads"><SrcDataSource>{source.format(url=http_server.url)}'
                    '</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>', encoding="utf-8")
    graph, problems = read(path)
    assert graph is None and http_server.requests == []
    (e,) = problems.errors
    assert e.file == str(path) and "GDAL VRT" in e.message


def test_gdal_config_alone_keeps_vsicurl_off(http_server):
    """Even a reader that skipped the content check cannot fetch: /vsicurl/ and CPLHTTPFetch are off."""
    import pyogrio

    from culture_logistics.network.safe_gis import network_off

    network_off()
    with pytest.raises(Exception):
        pyogrio.read_info(f"/vsicurl/{http_server.url}/roads.json")
    assert http_server.requests == []


def test_path_naming_a_remote_source_is_refused(tmp_path, http_server):
    from culture_logistics.network.safe_gis import UnsafeFileError, check_gis_content

    with pytest.raises(UnsafeFileError, match="remote source"):
        check_gis_content(Path(f"/vsicurl/{http_server.url}/roads.geojson"))
    assert http_server.requests == []


def test_other_content_under_a_gis_name_is_refused(tmp_path):
    path = tmp_path / "roads.gpkg"
    path.write_text("code,name\n1,2\n", encoding="utf-8")
    graph, problems = read(path)
    assert graph is None and "GeoJSON, GeoPackage, Shapefile or FlatGeobuf" in problems.errors[0].message


@pytest.mark.parametrize("suffix,body", [
    (".osm", '<osm version="0.6"><node id="1" lat="36.0" lon="119.3"/></osm>'),
    (".graphml", '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed"/></graphml>'),
])
def test_xml_external_entity_over_http_is_not_fetched(tmp_path, http_server, suffix, body):
    path = tmp_path / f"roads{suffix}"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{http_server.url}/entity">]>{body}',
                    encoding="utf-8")
    graph, problems = read(path)
    assert graph is None and http_server.requests == []
    assert "document type declaration" in problems.errors[0].message


# ------------------------------------------------------------------------------------ road vertices
def osm(nodes: list[tuple[int, str, str]]) -> str:
    ns = "".join(f'<node id="{i}" lat="{la}" lon="{lo}"/>' for i, lo, la in nodes)
    refs = "".join(f'<nd ref="{i}"/>' for i, _, _ in nodes)
    return f'<?xml version="1.0"?><osm version="0.6">{ns}<way id="9">{refs}<tag k="highway" v="primary"/></way></osm>'


@pytest.mark.parametrize("lon,lat,field", [("0", "0", "lon"), ("119.31", "nan", "lat"), ("-119.31", "36.0", "lon"),
                                           ("119.31", "91", "lat"), ("119.31", "", "lat")])
def test_osm_road_node_outside_china_is_a_problem(tmp_path, lon, lat, field):
    path = tmp_path / "roads.osm"
    path.write_text(osm([(1, "119.30", "36.0"), (2, lon, lat), (3, "119.32", "36.0")]), encoding="utf-8")
    graph, problems = read(path)
    assert graph is None and field in {e.column for e in problems.errors}
    for e in problems.errors:  # (0, 0): lon and lat both
        assert e.file == str(path) and e.message.startswith("node(s) 2 (")
        assert "not a finite number in China" in e.message and "internal" not in e.message


def graphml(length: str, lon: str = "119.31") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="d0" for="node" attr.name="x" attr.type="string"/>'
            '<key id="d1" for="node" attr.name="y" attr.type="string"/>'
            '<key id="d2" for="edge" attr.name="length" attr.type="string"/>'
            '<key id="d3" for="edge" attr.name="highway" attr.type="string"/>'
            '<key id="d4" for="graph" attr.name="crs" attr.type="string"/>'
            '<graph edgedefault="directed"><data key="d4">epsg:4326</data>'
            '<node id="1"><data key="d0">119.30</data><data key="d1">36.0</data></node>'
            f'<node id="2"><data key="d0">{lon}</data><data key="d1">36.0</data></node>'
            f'<edge source="1" target="2" id="0"><data key="d2">{length}</data><data key="d3">primary</data></edge>'
            '<edge source="2" target="1" id="0"><data key="d2">901.6</data><data key="d3">primary</data></edge>'
            '</graph></graphml>')


@pytest.mark.parametrize("length", ["-5", "nan", "inf"])
def test_graphml_negative_or_nan_length_is_a_problem(tmp_path, length):
    path = tmp_path / "roads.graphml"
    path.write_text(graphml(length), encoding="utf-8")
    graph, problems = read(path)
    assert graph is None
    (e,) = problems.errors
    assert e.file == str(path) and e.column == "length" and e.message.startswith("edge(s) 1→2 (")
    assert "'length' is not a finite number ≥ 0" in e.message


def test_graphml_node_at_zero_is_a_problem_and_a_good_graph_reads(tmp_path):
    path = tmp_path / "roads.graphml"
    path.write_text(graphml("901.6", lon="0"), encoding="utf-8")
    graph, problems = read(path)
    assert graph is None and problems.errors[0].message.startswith("node(s) 2 (0.0): lon ('x')")
    path.write_text(graphml("901.6"), encoding="utf-8")
    graph, problems = read(path)
    assert not problems.errors and graph.number_of_edges() == 2


def test_long_values_are_cut_in_messages():
    assert short_text("x" * 500, 80) == "x" * 79 + "…"
    assert len(short_text("y" * 500)) == 40
