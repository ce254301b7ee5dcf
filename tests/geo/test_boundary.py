"""County boundaries decoded at run time from the installed geotool-cn data (no mocks).

The decoder is checked against facts published independently of it: the bbox and vertex counts in
``data/divisions/county_points_bbox.csv`` (computed when the reference pack was built), the
package's *public* API (``GeoTool.get_region`` representative points and ``is_in_region``), and
the official county areas (诸城市 2,183 km²; the DataV polygon gives ~2,156 km²).
"""
from __future__ import annotations

import csv

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon

from culture_logistics.geo import boundary as boundary
from culture_logistics.resources import PILOT_COUNTIES, divisions_dir

HAS_GEOTOOL = boundary.gtc_path() is not None
needs_geotool = pytest.mark.skipif(not HAS_GEOTOOL, reason="geotool-cn is not installed")


def _bbox_rows() -> dict[str, dict[str, str]]:
    with open(divisions_dir() / "county_points_bbox.csv", encoding="utf-8") as f:
        return {r["adcode"]: r for r in csv.DictReader(f)}


@needs_geotool
@pytest.mark.parametrize("adcode", PILOT_COUNTIES)
def test_polygon_matches_published_bbox_and_vertex_count(adcode):
    row = _bbox_rows()[adcode]
    geom = boundary.county_boundary(adcode)
    assert isinstance(geom, MultiPolygon) and geom.is_valid
    assert len(geom.geoms) == int(row["polygons"])
    nverts = sum(len(p.exterior.coords) + sum(len(i.coords) for i in p.interiors) for p in geom.geoms)
    assert nverts == int(row["vertices"])
    assert tuple(round(v, 5) for v in geom.bounds) == boundary.county_bbox(adcode)
    # geotool-cn's representative point lies inside
    assert geom.contains(shapely.Point(boundary.county_rep_point(adcode)))


@needs_geotool
def test_zhucheng_area_is_close_to_official():
    geom = boundary.county_boundary("370782")
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]) / 1e6
    assert 2100 < area_km2 < 2200  # official 2,183 km²


@needs_geotool
def test_agrees_with_geotool_public_api():
    GeoToolCN = pytest.importorskip("GeoToolCN")
    tool = GeoToolCN.GeoTool()
    geom = boundary.county_boundary("370782")
    region = tool.get_region("370782")
    assert region.name == "诸城市"
    assert geom.contains(shapely.Point(region.longitude, region.latitude))
    # points well inside our polygon are inside per geotool-cn, points outside the bbox are not
    rng = np.random.default_rng(1)
    inner = geom.buffer(-0.01)
    minx, miny, maxx, maxy = geom.bounds
    x = rng.uniform(minx, maxx, 400)
    y = rng.uniform(miny, maxy, 400)
    inside = shapely.contains_xy(inner, x, y)
    assert inside.sum() > 20
    for lon, lat in list(zip(x[inside], y[inside]))[:20]:
        assert tool.is_in_region(lat, lon, "370782")
    assert not tool.is_in_region(35.5, 119.0, "370782")


@needs_geotool
def test_decoder_is_lazy_and_cached():
    a = boundary.county_boundary("371002")
    b = boundary.county_boundary("371002")
    assert a is b
    assert boundary.gtc_data_version() == "20260307" or boundary.gtc_data_version().isdigit()


def test_extent_fallbacks():
    geom, source = boundary.county_extent("370782", use_geotool=False)
    assert source == "bbox" and isinstance(geom, Polygon)
    assert geom.bounds == boundary.county_bbox("370782")
    # NBS functional zones have neither a polygon nor a bbox
    assert boundary.county_extent("371071") == (None, "none")
    assert boundary.county_boundary("371071") is None
    assert boundary.county_bbox("371071") is None
    if HAS_GEOTOOL:
        geom, source = boundary.county_extent("370782")
        assert source == "geotool-cn" and isinstance(geom, MultiPolygon)


def test_bbox_values():
    assert boundary.county_bbox("370782") == (119.00782, 35.70966, 119.73261, 36.28387)


def test_county_seat_rules():
    # GeoNames county-seat row (largest population among the seat rows)
    assert boundary.county_seat("370782") == (119.40259, 35.99502)
    assert boundary.county_seat("371002") == (122.11356, 37.50914)   # Weihai city point
    # no seat row big enough, but a township point named after the county (夏津 -> 南城镇)
    assert boundary.county_seat("371427") == (116.00011, 36.95922)
    # no GeoNames point at all: geotool-cn representative point
    assert boundary.county_seat("370102") == boundary.county_rep_point("370102") == (117.069987, 36.650019)
    assert boundary.county_seat("370103") == boundary.county_rep_point("370103")
    assert boundary.county_seat("371071") is None


def test_township_seats_geonames_only_own_codes():
    seats = boundary.township_seats_geonames("371002")
    assert len(seats) == 6
    assert all(code.startswith("371002") for code in seats)
    zc = boundary.township_seats_geonames("370782")
    assert len(zc) == 11 and zc["370782102"] == (119.17611, 36.02361)   # 贾悦镇
