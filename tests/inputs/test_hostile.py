"""Hostile input files (issue 21, item 2): no reader reaches the network or the machine's limits.

Every network test serves the payload from a real HTTP server on 127.0.0.1 that records each request,
and asserts that it received none.
"""
from __future__ import annotations

import http.server
import json
import threading
import time
import zipfile
from pathlib import Path

import pytest

from conftest import LAT, LON0, STEP, run_cli, write_scenario
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


def test_gdal_config_alone_keeps_vsicurl_off(tmp_path, http_server):
    """Even a reader that skipped the content check cannot fetch: /vsicurl/ and CPLHTTPFetch are off."""
    import pyogrio

    from culture_logistics.network.safe_gis import network_off

    network_off()
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(f"/vsicurl/{http_server.url}/roads.json")
    assert http_server.requests == []
    # a CRS link read straight through GDAL (the content check skipped): the fetch fails locally, nothing applied
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [line_feature()],
                                "crs": {"type": "link", "properties": {"href": f"{http_server.url}/crs.proj4",
                                                                       "type": "proj4"}}}), encoding="utf-8")
    crs = pyogrio.read_info(path)["crs"] or ""
    assert "lon_0=0.3" not in crs and http_server.requests == []


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


# ------------------------------------------------------------------------------------ workbook bombs
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                 'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
                 'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx_by_hand(path: Path, rows: list[list[tuple[str, str]]], dimension: str | None = None,
                 shared_strings: str | None = None) -> Path:
    """A minimal .xlsx written with zipfile: ``rows`` of (cell reference, text) on sheet '村名单'."""
    body = "".join(f'<row r="{cells[0][0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">'
                   + "".join(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>' for ref, v in cells) + "</row>"
                   for cells in rows)
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" '
                                  f'Type="{DOC_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                      f'xmlns:r="{DOC_REL}"><sheets><sheet name="村名单" sheetId="1" r:id="rId1"/>'
                                      '</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" '
                                                 f'Type="{DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                                                 '</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                               f'2006/main">{dim}<sheetData>{body}</sheetData></worksheet>')
        if shared_strings:
            z.writestr("xl/sharedStrings.xml", shared_strings)
    return path


def village_rows(n: int = 8) -> list[list[tuple[str, str]]]:
    header = ["code", "name", "township_code", "lon", "lat", "population"]
    rows = [[(f"{'ABCDEF'[j]}1", h) for j, h in enumerate(header)]]
    for k in range(1, n + 1):
        vals = [f"370782001{k:03d}", f"测试村{k}", "370782001", f"{LON0 + STEP * 2 * (k - 1):.2f}", f"{LAT}",
                f"{1000 * k}"]
        rows.append([(f"{'ABCDEF'[j]}{k + 1}", v) for j, v in enumerate(vals)])
    return rows


def test_xlsx_cell_at_xfd1048576_fails_fast_through_the_cli(tmp_path):
    """A ~12 KB workbook whose last cell is XFD1048576 (calamine would allocate 17·10^9 cells, 550 GB):
    refused from its XML in well under a second, exit 2, naming the file, the sheet, the cell and the limit."""
    folder = tmp_path / "county"
    toml = write_scenario(folder)
    rows = village_rows(400) + [[("XFD1048576", "x")]]
    book = xlsx_by_hand(folder / "villages.xlsx", rows)
    assert 8_000 < book.stat().st_size < 16_000
    toml.write_text(toml.read_text(encoding="utf-8").replace("villages.csv", "villages.xlsx"), encoding="utf-8")
    t0 = time.perf_counter()
    p = run_cli("validate", str(toml), timeout=120)
    assert time.perf_counter() - t0 < 30
    assert p.returncode == 2, p.stderr
    assert "villages.xlsx: sheet '村名单': cell XFD1048576 makes it 1,048,576 rows, more than the limit of 200,020" \
        in p.stderr
    assert "panicked" not in p.stderr and "internal error" not in p.stderr


@pytest.mark.parametrize("rows,dimension,expect", [
    ([[("A1", "code")], [("A3000", "x")]], None, None),
    ([[("A1", "code"), ("ALN2", "x")]], None, "cell ALN2 makes it 1,002 columns wide, more than the limit of 1,000"),
    ([[("A1", "code"), ("Z100", "x")], [("A150000", "x")]], None,
     "cell A150000 makes it 150,000 rows × 26 columns = 3,900,000 cells"),
    ([[("A1", "code")]], "A1:XFD1048576", "its dimension A1:XFD1048576 makes it 1,048,576 rows"),
])
def test_xlsx_extent_is_read_before_calamine(tmp_path, rows, dimension, expect, monkeypatch):
    from culture_logistics.inputs import xlsx

    monkeypatch.setattr(xlsx, "MAX_WORKBOOK_CELLS", 3_000_000)
    book = xlsx_by_hand(tmp_path / "v.xlsx", rows, dimension)
    problems = ProblemList()
    assert xlsx.check_workbook_extent(book, problems, 200_020) is (expect is None)
    if expect:
        (e,) = problems.errors
        assert e.file == str(book) and expect in e.message, e.message


def test_xlsx_shared_string_count_bomb_is_refused(tmp_path):
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" '
           'uniqueCount="4000000000"><si><t>a</t></si></sst>')
    book = xlsx_by_hand(tmp_path / "v.xlsx", village_rows(), shared_strings=sst)
    problems = ProblemList()
    from culture_logistics.inputs.readers import read_villages

    assert read_villages(book, problems) is None
    assert "declares 4,000,000,000 shared strings in" in problems.errors[0].message


ODS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
            '<office:spreadsheet><table:table table:name="村名单">')
ODS_CELL = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'


def ods_by_hand(path: Path, rows_xml: str) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", ODS_HEAD + rows_xml + "</table:table></office:spreadsheet></office:body>"
                   "</office:document-content>", compress_type=zipfile.ZIP_DEFLATED)
    return path


@pytest.mark.parametrize("rows_xml,expect", [
    # LibreOffice pads a sheet with empty repeated rows and cells: nothing is allocated for them
    (f'<table:table-row>{ODS_CELL}</table:table-row><table:table-row table:number-rows-repeated="1048575">'
     '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>', None),
    ('<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384"'
     ' office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>',
     "cell XFD1048576 makes it 1,048,576 rows"),
    # 90 million cells: under calamine's own limit of 10^8, about 3 GB once allocated
    (f'<table:table-row>{ODS_CELL}</table:table-row><table:table-row table:number-rows-repeated="90000">'
     '<table:table-cell/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="999"/>'
     f'{ODS_CELL}</table:table-row>', "cell ALL90002 makes it 90,002 rows × 1,000 columns = 90,002,000 cells"),
])
def test_ods_repeated_rows_and_cells_are_counted(tmp_path, rows_xml, expect):
    from culture_logistics.inputs import xlsx

    book = ods_by_hand(tmp_path / "v.ods", rows_xml)
    assert book.stat().st_size < 8_000
    problems = ProblemList()
    assert xlsx.check_workbook_extent(book, problems, 200_020) is (expect is None)
    if expect:
        assert expect in problems.errors[0].message and problems.errors[0].file == str(book)


# ------------------------------------------------------------------------------------ OSM import limits
def poi_extract(path: Path, n_pois: int, tail: str = "</osm>\n") -> Path:
    """An OSM XML extract of ``n_pois`` post offices in 诸城市, then ``tail``."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n')
        for i in range(1, n_pois + 1):
            fh.write(f'<node id="{i}" version="1" timestamp="2024-01-01T00:00:00Z" lat="{36.0 + (i % 1000) * 1e-5:.5f}"'
                     f' lon="{119.3 + (i // 1000) * 1e-4:.4f}"><tag k="amenity" v="post_office"/></node>\n')
        fh.write(tail)
    return path


def test_osm_poi_limit_stops_while_streaming(tmp_path, monkeypatch):
    """Past the POI limit reading stops at once: the broken end of the file is never reached, and the message
    names the user's extract."""
    from culture_logistics.inputs.osm import reader

    monkeypatch.setattr(reader, "MAX_POIS", 1_000)
    path = poi_extract(tmp_path / "shandong.osm", 100_000, tail='<node id="x" lat="oops"><broken')
    with pytest.raises(reader.OsmImportError) as ei:
        reader.read_extract(path)
    msg = str(ei.value)
    assert msg.startswith(f"{path}: more than 1,000 places and candidate POIs inside the county's area (limit)")
    assert "reading stopped there" in msg
    # the same file read whole does reach the broken end
    monkeypatch.setattr(reader, "MAX_POIS", 1_000_000)
    with pytest.raises(reader.OsmImportError, match="cannot be read as OSM data"):
        reader.read_extract(path)


def test_osm_extract_with_external_entities_is_refused_without_a_fetch(tmp_path, http_server):
    from culture_logistics.inputs.osm import reader

    path = tmp_path / "county.osm"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY x SYSTEM "{http_server.url}/entity">'
                    f'<!ENTITY % p SYSTEM "{http_server.url}/param"> %p;]><osm version="0.6">'
                    '<node id="1" lat="36.0" lon="119.3"><tag k="name" v="&x;"/></node></osm>', encoding="utf-8")
    with pytest.raises(reader.OsmImportError, match="cannot be read as OSM data .XML entities are not supported"):
        reader.read_extract(path)
    assert http_server.requests == []


def test_osm_node_limit_stops_while_streaming(tmp_path, monkeypatch):
    from culture_logistics.inputs.osm import reader

    monkeypatch.setattr(reader, "MAX_NODES_IN_CLIP", 500)
    path = poi_extract(tmp_path / "big.osm", 100_000, tail="<broken")
    with pytest.raises(reader.OsmImportError, match=r"more than 500 nodes inside the county's area \(limit\)"):
        reader.read_extract(path)


def test_import_osm_over_the_limit_names_the_users_file(tmp_path, monkeypatch):
    """Through import-osm: the error names the user's extract, never import-osm's temporary folder."""
    from culture_logistics.inputs.osm import build, reader

    monkeypatch.setattr(reader, "MAX_POIS", 100)
    path = poi_extract(tmp_path / "zhucheng.osm", 2_000)
    with pytest.raises(reader.OsmImportError) as ei:
        build.import_osm(path, "370782", tmp_path / "out")
    assert str(ei.value).startswith(f"{path}: more than 100 ") and ".import-osm-" not in str(ei.value)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------ --out
def run_limited(args, file_size_limit: int | None = None):
    """The real CLI in a subprocess, optionally with RLIMIT_FSIZE (no file may grow past it: a full disk)."""
    import os
    import resource
    import subprocess
    import sys

    from conftest import ROOT

    def limit():
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300, preexec_fn=limit)


def assert_output_error(p, where: str):
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert f"error: cannot write {where}" in p.stderr and "--out folder you can write to" in p.stderr
    assert "internal error" not in p.stderr and "Traceback" not in p.stderr


def test_full_disk_is_a_clear_error(tmp_path):
    """A disk that takes no file past 20 KB (RLIMIT_FSIZE; Python ignores SIGXFSZ, so writes fail with EFBIG as
    on a full disk): exit 2 naming the file, no temporary file left."""
    toml = write_scenario(tmp_path / "tiny")
    out = tmp_path / "out"
    p = run_limited(["coverage", toml, "--out", out, "--no-map"], file_size_limit=20_000)
    assert_output_error(p, str(out / "coverage.gpkg"))
    assert not [f for f in out.iterdir() if f.name.startswith(".")]


def test_output_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    toml = write_scenario(tmp_path / "tiny")
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    p = run_limited(["coverage", toml, "--out", blocker / "out", "--no-map"])
    assert_output_error(p, str(blocker / "out"))


def test_read_only_output_folder_is_a_clear_error(tmp_path):
    import os

    toml = write_scenario(tmp_path / "tiny")
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        out = ro / "out"
    else:  # root writes anywhere it has permission bits for: /sys is mounted read-only
        out = Path("/sys/culture-logistics-test")
        try:
            out.mkdir()
        except OSError:
            pass
        else:
            out.rmdir()
            pytest.skip("no read-only folder available to root here")
    p = run_limited(["coverage", toml, "--out", out, "--no-map"])
    assert_output_error(p, str(out))


def test_output_error_message_cuts_long_names():
    import errno

    from culture_logistics.cli.errors import output_error_message

    msg = output_error_message(OSError(errno.ENOSPC, "No space left on device", "/data/" + "长" * 300))
    first = msg.splitlines()[0]
    assert first == "error: cannot write /data/" + "长" * 73 + "…: No space left on device"


def test_whitelisted_formats_by_content_still_read(tmp_path):
    """GeoPackage and Shapefile roads (the latter in UTM, with its .prj) read as before; a GeoJSON named .gpkg is
    read as GeoJSON: the content decides."""
    import geopandas as gpd
    import shapely

    lines = gpd.GeoDataFrame({"road_class": ["secondary"]}, crs="EPSG:4326",
                             geometry=[shapely.LineString([(LON0, LAT), (LON0 + STEP, LAT)])])
    lines.to_file(tmp_path / "roads.gpkg", driver="GPKG")
    (tmp_path / "shp").mkdir()
    lines.to_crs("EPSG:32650").to_file(tmp_path / "shp" / "roads.shp")
    (tmp_path / "named.gpkg").write_text(json.dumps({"type": "FeatureCollection", "features": [line_feature(2)]}),
                                         encoding="utf-8")
    for path in (tmp_path / "roads.gpkg", tmp_path / "shp" / "roads.shp", tmp_path / "named.gpkg"):
        graph, problems = read(path)
        assert not problems.errors, problems.errors
        (length,) = {round(d["length"], 1) for _, _, d in graph.edges(data=True)}
        assert length == pytest.approx(901.6, abs=0.2)  # 0.01° of longitude at 36°N


def test_binary_workbook_is_refused_before_calamine(tmp_path):
    from culture_logistics.inputs import xlsx

    book = tmp_path / "villages.xlsb"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
        z.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    problems = ProblemList()
    assert not xlsx.check_workbook_extent(book, problems, 200_020)
    assert "is a binary workbook (.xlsb)" in problems.errors[0].message and problems.errors[0].file == str(book)


def test_openpyxl_workbook_extent_and_far_cell(tmp_path):
    """A workbook as openpyxl (and Excel) write it: the villages read; one stray value at XFD1048576 is refused,
    naming the sheet as the user sees it."""
    import openpyxl

    from culture_logistics.inputs.readers import read_villages

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "村名单"
    for row in village_rows(8):
        for ref, value in row:
            ws[ref] = value
    wb.save(tmp_path / "ok.xlsx")
    problems = ProblemList()
    villages = read_villages(tmp_path / "ok.xlsx", problems)
    assert not problems.errors and len(villages) == 8
    ws["XFD1048576"] = "stray"
    wb.save(tmp_path / "far.xlsx")
    problems = ProblemList()
    assert read_villages(tmp_path / "far.xlsx", problems) is None
    assert problems.errors[0].message.startswith("sheet '村名单': its dimension A1:XFD1048576 makes it 1,048,576 rows")


def test_import_osm_problem_in_a_built_file_names_the_users_extract(tmp_path):
    """A post office named with a bidi override: the problem of the facilities.csv import-osm builds names the
    user's extract, not the temporary folder it is built in; nothing is left behind."""
    from culture_logistics.errors import ScenarioError
    from culture_logistics.inputs.osm import build

    write_scenario(tmp_path / "given")
    path = tmp_path / "zhucheng.osm"
    nodes = "".join(f'<node id="{i}" version="1" timestamp="2024-01-01T00:00:00Z" lat="36.0" lon="{LON0 + STEP * i}"/>'
                    for i in range(1, 4))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">' + nodes +
                    '<node id="10" version="1" timestamp="2024-01-01T00:00:00Z" lat="36.0" lon="119.315">'
                    '<tag k="amenity" v="post_office"/><tag k="name" v="中国邮政&#x202e;诸城所"/></node>'
                    '<way id="100" version="1" timestamp="2024-01-01T00:00:00Z"><nd ref="1"/><nd ref="2"/>'
                    '<nd ref="3"/><tag k="highway" v="primary"/></way></osm>', encoding="utf-8")
    with pytest.raises(ScenarioError) as ei:
        build.import_osm(path, "370782", tmp_path / "out", villages_file=tmp_path / "given" / "villages.csv")
    first = ei.value.problems[0]
    assert first.file == f"{path} → facilities.csv" and "U+202E" in first.message
    assert ".import-osm-" not in str(ei.value)
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
