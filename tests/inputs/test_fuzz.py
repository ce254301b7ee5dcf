"""Property-based tests of the input readers (issue 7, "fuzzed readers").

Whatever bytes a user's files hold, reading them ends in one of two ways: a successful load, or
problems that each name the file they are about (and for :func:`load_scenario` one
:class:`ScenarioError` carrying them) — never another exception, never a control character in a
message that a terminal would interpret.

Inputs: arbitrary bytes; CSV tables built from the real columns with hostile values (NaN, inf, 1e308,
huge and empty fields, quotes, separators, control characters, formulas), random line endings
(``\\r\\n``, ``\\r``, ``\\n``), random encodings (utf-8, utf-8-sig, gb18030, utf-16, latin-1) and random
truncation; GeoJSON-ish JSON (random structure, NaN/inf/1e308 coordinates, truncated); other road
formats (.osm, .graphml, .gpkg, .shp) holding junk; scenario.toml files truncated anywhere or with
random values in every table.

Run length
----------
CI runs a bounded, derandomised sample (``CL_FUZZ_EXAMPLES`` examples per test, default 25; the whole
file takes ~10 s).  For a long random search set the environment variable, e.g.::

    CL_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -q

(then examples are random, and failures are kept in ``.hypothesis/`` to be replayed).
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest

from culture_logistics.inputs import readers as _readers
from culture_logistics.inputs import roads as _roads

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import (  # noqa: E402
    LAT,
    LON0,
    STEP,
    default_facilities,
    default_villages,
    road_line,
    write_scenario,
)
from culture_logistics.errors import ProblemList, ScenarioError  # noqa: E402
from culture_logistics.inputs import tables as cio  # noqa: E402
from culture_logistics.inputs.scenario import load_scenario  # noqa: E402

EXAMPLES = int(os.environ.get("CL_FUZZ_EXAMPLES", "25"))
LONG = "CL_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]
NEWLINES = ["\n", "\r\n", "\r"]


# ------------------------------------------------------------------------------------ invariants
def assert_clean(result, problems: ProblemList, path: Path) -> None:
    """A reader's outcome: a result, or problems; every problem names the file; messages are terminal-safe."""
    if result is None:
        assert problems.errors, f"{path.name}: returned nothing and reported no problem"
    for p in problems.items:
        assert p.file == str(path), p
        assert p.message
        for text in (p.message, p.hint or "", p.column or ""):
            assert not CONTROL.search(text), repr(text)


def assert_villages_sane(gdf) -> None:
    import numpy as np

    assert len(gdf) > 0
    assert np.isfinite(gdf["lon"]).all() and np.isfinite(gdf["lat"]).all()
    assert ((gdf["lon"] >= 73) & (gdf["lon"] <= 136) & (gdf["lat"] >= 3) & (gdf["lat"] <= 54)).all()
    assert (gdf["population"] >= 0).all() and (gdf["population"] <= _readers.MAX_POPULATION).all()
    assert np.isfinite(gdf["parcels_in_per_week"]).all()
    assert all(not CONTROL.search(n) for n in gdf["name"])


# ------------------------------------------------------------------------------------ strategies
def _long(ch, n):
    return ch * n


HOSTILE = st.sampled_from([
    "", " ", "NaN", "nan", "-nan", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e309", "1e-320", "0x1A",
    "1_000", "１１９.４", "119,4", "-0", "+5", "9" * 400, "=1+1", '=HYPERLINK("http://x","y")', "@SUM(A1)",
    '"', '""', "a,b", "a\nb", "a\rb", "a\r\nb", "\t", "\x00", "\x1b[2J", "\u202e", "\ufeff", "\u2028", "村",
    "<script>alert(1)</script>", "{{7*7}}", "\\", "'", "postal", "shared", "county", "village", "通",
])
HUGE = st.builds(_long, st.sampled_from(["x", "村", ",", '"', "\n", "9"]), st.integers(0, 25_000))
VALUE = st.one_of(HOSTILE, HOSTILE, st.text(max_size=20), HUGE,
                  st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.floats(min_value=73, max_value=136).map(str))


def valid_village(k: int) -> list[str]:
    lon = round(LON0 + STEP * 2 * (k % 8), 6)
    return [f"37078200100{k % 8 + 1}", f"测试村{k}", "370782001", str(lon), str(LAT), str(1000 * (k + 1))]


def valid_facility(k: int) -> list[str]:
    return [f"F{k}", f"站{k}", ["postal", "courier", "supply_coop", "shared"][k % 4],
            ["county", "township", "village"][k % 3], f"{LON0 + 0.01 * k:.2f}", str(LAT), "", "100"]


TABLES = {
    "villages": (list(_readers.VILLAGE_COLUMNS), valid_village, _readers.read_villages),
    "facilities": (_readers.FACILITY_COLUMNS + _readers.FACILITY_OPTIONAL, valid_facility, _readers.read_facilities),
    "townships": (["code", "name", "lon", "lat"], lambda k: ["370782001", "密州街道", str(LON0), str(LAT)],
                  _readers.read_townships),
}


@st.composite
def header_of(draw, columns: list[str]) -> list[str]:
    cols = list(columns)
    how = draw(st.sampled_from(["ok", "ok", "ok", "drop", "dup", "case", "extra", "bom", "junk"]))
    if how == "drop" and cols:
        cols.pop(draw(st.integers(0, len(cols) - 1)))
    elif how == "dup" and cols:
        cols.append(draw(st.sampled_from(cols)))
    elif how == "case":
        cols = [c.upper() if draw(st.booleans()) else f" {c} " for c in cols]
    elif how == "extra":
        cols.insert(draw(st.integers(0, len(cols))), draw(st.sampled_from(["popluation", "lng", "_note", "\x1bx"])))
    elif how == "bom":
        cols[0] = "\ufeff" + cols[0]
    elif how == "junk":
        cols = draw(st.lists(VALUE, max_size=8))
    return cols


def quote(field: str, style: str) -> str:
    if style == "raw":
        return field
    return '"' + field.replace('"', '""') + '"' if (style == "all" or any(c in field for c in ',"\r\n')) else field


@st.composite
def csv_bytes(draw, table: str) -> bytes:
    """A CSV of the table's columns: valid rows with some fields replaced by hostile values, random
    quoting, line endings per line, encoding, and an optional truncation."""
    columns, valid_row, _ = TABLES[table]
    header = draw(header_of(columns))
    n = draw(st.integers(0, 12))
    rows = []
    for k in range(n):
        row = valid_row(k)
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        for j in range(len(row)):
            if draw(st.integers(0, 5)) == 0:
                row[j] = draw(VALUE)
        if draw(st.integers(0, 12)) == 0:  # a row with a field too many or too few
            row = row + ["x"] if draw(st.booleans()) else row[:-1]
        rows.append(row)
    style = draw(st.sampled_from(["minimal", "minimal", "all", "raw"]))
    lines = [",".join(quote(f, style) for f in r) for r in [header] + rows]
    text = ""
    for line in lines:
        text += line + draw(st.sampled_from(NEWLINES))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    enc = draw(st.sampled_from(ENCODINGS))
    data = text.encode(enc, errors="replace")
    if draw(st.integers(0, 3)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


COORD = st.one_of(st.floats(min_value=119.2, max_value=119.6), st.floats(min_value=35.9, max_value=36.1),
                  st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 0.0, 360.0]))
POSITION = st.lists(COORD, min_size=0, max_size=4)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=10))
JSON_ANY = st.recursive(JSON_SCALAR, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                                          max_size=4), max_leaves=20)
PROPS = st.dictionaries(st.sampled_from(["road_class", "highway", "maxspeed", "name", "oneway", "x"]),
                        st.one_of(JSON_SCALAR, HOSTILE), max_size=4)


@st.composite
def geometry(draw):
    kind = draw(st.sampled_from(["LineString", "LineString", "MultiLineString", "Point", "Polygon", "junk", "null"]))
    if kind == "null":
        return None
    if kind == "junk":
        return draw(JSON_ANY)
    if kind == "Point":
        return {"type": "Point", "coordinates": draw(POSITION)}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": draw(st.lists(POSITION, max_size=5))}
    if kind == "MultiLineString":
        return {"type": kind, "coordinates": draw(st.lists(st.lists(POSITION, max_size=4), max_size=3))}
    return {"type": kind, "coordinates": [draw(st.lists(POSITION, max_size=5))]}


@st.composite
def geojson_bytes(draw) -> bytes:
    feats = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 9)) == 0:
            feats.append(draw(JSON_ANY))
        else:
            feats.append({"type": draw(st.sampled_from(["Feature", "Feature", "feature", "X"])),
                          "properties": draw(st.one_of(PROPS, st.none())), "geometry": draw(geometry())})
    if draw(st.integers(0, 4)) == 0:  # a real road, so some files load
        feats.append(road_line(draw(st.integers(2, 21))))
    doc = draw(st.sampled_from([{"type": "FeatureCollection", "features": feats}, {"type": "FeatureCollection"},
                                {"features": feats}, feats]))
    if draw(st.integers(0, 9)) == 0:
        doc = draw(JSON_ANY)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True)
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])), errors="replace")
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


# ------------------------------------------------------------------------------------ readers
@FUZZ
@given(data=st.binary(max_size=4096), table=st.sampled_from(sorted(TABLES)))
def test_readers_survive_arbitrary_bytes(tmp_path_factory, data, table):
    path = tmp_path_factory.mktemp("bytes") / f"{table}.csv"
    path.write_bytes(data)
    problems = ProblemList()
    result = TABLES[table][2](path, problems)
    assert_clean(result, problems, path)
    problems = ProblemList()
    frame = cio.read_table(path, problems, TABLES[table][0])
    assert_clean(frame, problems, path)


@FUZZ
@given(st.data())
def test_readers_survive_hostile_tables(tmp_path_factory, data):
    table = data.draw(st.sampled_from(sorted(TABLES)))
    raw = data.draw(csv_bytes(table))
    crs = data.draw(st.sampled_from(["wgs84", "gcj02"]))
    path = tmp_path_factory.mktemp("csv") / f"{table}.csv"
    path.write_bytes(raw)
    problems = ProblemList()
    result = TABLES[table][2](path, problems, crs=crs)
    assert_clean(result, problems, path)
    if result is not None and table == "villages":
        assert_villages_sane(result)


def test_the_table_strategy_also_makes_valid_files(tmp_path):
    """Sanity of the generator: unmutated rows, every encoding and line ending, read back in full."""
    for enc in ENCODINGS[:3] + ["latin-1"]:
        for nl in NEWLINES:
            rows = [_readers.VILLAGE_COLUMNS] + [valid_village(k) for k in range(8)]
            path = tmp_path / "villages.csv"
            text = nl.join(",".join(r) for r in rows) + nl
            if enc == "latin-1":
                text = text.replace("测试村", "Dorf")
            path.write_bytes(text.encode(enc))
            problems = ProblemList()
            gdf = _readers.read_villages(path, problems)
            assert gdf is not None and len(gdf) == 8 and not problems.errors, (enc, repr(nl), problems.items)


@FUZZ
@given(raw=geojson_bytes(), suffix=st.sampled_from([".geojson", ".geojson", ".json"]))
def test_road_reader_survives_geojsonish_json(tmp_path_factory, raw, suffix):
    path = tmp_path_factory.mktemp("roads") / f"roads{suffix}"
    path.write_bytes(raw)
    problems = ProblemList()
    graph = _roads.read_roads(path, problems)
    assert_clean(graph, problems, path)
    if graph is not None:
        for _, _, d in graph.edges(data=True):
            assert math.isfinite(d["length"]) and d["length"] >= 0 and math.isfinite(d["travel_time"])


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".osm", ".graphml", ".gpkg", ".shp", ".fgb", ".txt"]),
       prefix=st.sampled_from([b"", b"<?xml version='1.0'?><osm version='0.6'>", b"<graphml>", b"SQLite format 3\x00"]))
@pytest.mark.slow
def test_road_reader_survives_junk_in_other_formats(tmp_path_factory, data, suffix, prefix):
    path = tmp_path_factory.mktemp("junk") / f"roads{suffix}"
    path.write_bytes(prefix + data)
    problems = ProblemList()
    graph = _roads.read_roads(path, problems)
    assert_clean(graph, problems, path)


# ------------------------------------------------------------------------------------ load_scenario
@pytest.fixture(scope="module")
def base_scenario(tmp_path_factory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("base") / "tiny")


def copy_scenario(base: Path, tmp: Path) -> Path:
    dst = tmp / "s"
    shutil.copytree(base.parent, dst)
    return dst / "scenario.toml"


def assert_load_clean(toml: Path) -> None:
    folder = str(toml.parent)
    try:
        scn = load_scenario(toml)
    except ScenarioError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        assert errors
        for p in exc.problems:
            # the TOML, or a file it names (paths are relative to the TOML's folder)
            assert p.file == folder or p.file.startswith(folder + os.sep), p
            for text in (p.message, p.hint or "", p.column or ""):
                assert not CONTROL.search(text), repr(text)
        return
    assert_villages_sane(scn.villages)


TOML_VALUE = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                       st.text(max_size=12), st.just(""), st.lists(st.integers(0, 3), max_size=2))


def toml_literal(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return json.dumps(v)


@FUZZ
@given(cut=st.integers(0, 400), tail=st.sampled_from(["", '"', "[", "=", "\x00", "\\", "\n[inputs]\n", "ö"]))
def test_truncated_toml(base_scenario, tmp_path_factory, cut, tail):
    toml = copy_scenario(base_scenario, tmp_path_factory.mktemp("trunc"))
    raw = toml.read_bytes()
    toml.write_bytes(raw[:cut] + tail.encode("utf-8"))
    assert_load_clean(toml)


@FUZZ
@given(st.data())
def test_random_values_in_every_table(base_scenario, tmp_path_factory, data):
    """Random types and values for every [county]/[network]/[coverage]/[validation]/[data] key; [inputs]
    paths that exist, do not exist, or are folders (non-string paths: see test_hardening's xfail)."""
    toml = copy_scenario(base_scenario, tmp_path_factory.mktemp("vals"))
    keys = {"county": ["adcode", "name", "crs"], "network": ["circuity", "default_speed_kmh", "access_speed_kmh",
                                                            "max_access_m"],
            "coverage": ["radius_m"], "validation": ["allow_unknown_codes"], "data": ["synthetic", "note"]}
    lines = []
    for table, names in keys.items():
        lines.append(f"[{table}]")
        for k in names:
            choice = data.draw(st.integers(0, 3))
            if table == "county" and k == "adcode" and choice:
                lines.append('adcode = "370782"')
            elif choice == 0:
                lines.append(f"{k} = {toml_literal(data.draw(TOML_VALUE))}")
    paths = {"villages": "villages.csv", "facilities": "facilities.csv", "roads": "roads.geojson"}
    lines.append("[inputs]")
    for k, v in paths.items():
        v = data.draw(st.sampled_from([v, v, v, "missing.csv", ".", ""]))
        lines.append(f"{k} = {json.dumps(v)}")
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_load_clean(toml)


@FUZZ
@given(st.data())
def test_scenario_with_hostile_files(base_scenario, tmp_path_factory, data):
    """One of the scenario's files replaced by a hostile one: the whole load ends cleanly."""
    toml = copy_scenario(base_scenario, tmp_path_factory.mktemp("files"))
    which = data.draw(st.sampled_from(["villages", "facilities", "roads", "bytes"]))
    if which == "roads":
        (toml.parent / "roads.geojson").write_bytes(data.draw(geojson_bytes()))
    elif which == "bytes":
        name = data.draw(st.sampled_from(["villages.csv", "facilities.csv", "roads.geojson"]))
        (toml.parent / name).write_bytes(data.draw(st.binary(max_size=2048)))
    else:
        (toml.parent / f"{which}.csv").write_bytes(data.draw(csv_bytes(which)))
    assert_load_clean(toml)


def test_fuzz_strategies_reach_the_success_path(base_scenario):
    """The unmutated base scenario loads, so the fuzz tests above exercise both outcomes."""
    scn = load_scenario(base_scenario)
    assert len(scn.villages) == len(default_villages()) and len(scn.facilities) == len(default_facilities())
