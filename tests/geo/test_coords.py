"""GCJ-02 <-> WGS-84 and UTM helpers, checked against published reference pairs.

Reference pairs
---------------
* wandergis/coordtransform, ``test/app.js`` (commit 242324636adb), documented results:
  ``wgs84togcj02(116.404, 39.915) -> [116.41024449916938, 39.91640428150164]`` and the crude
  one-step ``gcj02towgs84(116.404, 39.915) -> [116.39775550083061, 39.91359571849836]``.
  https://github.com/wandergis/coordtransform/blob/master/test/app.js
* googollee/eviltransform, ``python/test.py`` (commit 3416646abc64), ``TESTS`` =
  (wgsLat, wgsLng, gcjLat, gcjLng) for Shanghai, Shenzhen and Beijing.
  https://github.com/googollee/eviltransform/blob/master/python/test.py
* BD-09: the same wandergis/coordtransform README/``test/app.js`` results
  ``gcj02tobd09(116.404, 39.915) -> [116.41036949371029, 39.92133699351021]`` and the crude one-step
  ``bd09togcj02(116.404, 39.915) -> [116.39762729119315, 39.90865673957631]`` (also asserted by hutool's
  ``CoordinateUtilTest``, which cites wandergis), and the Python port's documented
  ``wgs84_to_bd09(116.404, 39.915) -> (116.41662724378733, 39.922699552216216)``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from culture_logistics.geo.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    utm_crs,
    utm_epsg,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# (wgs_lon, wgs_lat, gcj_lon, gcj_lat) from eviltransform python/test.py (published as lat, lng)
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),    # shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),    # shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),    # beijing
]
# coordtransform test/app.js
COORDTRANSFORM_WGS = (116.404, 39.915)
COORDTRANSFORM_GCJ = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_CRUDE_INVERSE = (116.39775550083061, 39.91359571849836)


def test_forward_matches_coordtransform():
    lon, lat = wgs84_to_gcj02(*COORDTRANSFORM_WGS)
    assert lon == pytest.approx(COORDTRANSFORM_GCJ[0], abs=1e-12)
    assert lat == pytest.approx(COORDTRANSFORM_GCJ[1], abs=1e-12)


@pytest.mark.parametrize("wlon,wlat,glon,glat", EVILTRANSFORM)
def test_forward_and_inverse_match_eviltransform(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert lon == pytest.approx(wlon, abs=1e-7)
    assert lat == pytest.approx(wlat, abs=1e-7)


def test_inverse_is_iterative_not_single_step():
    # the iterated inverse must reproduce the GCJ input; the crude one-step inverse is ~0.5 m off
    g = (116.404, 39.915)
    w = gcj02_to_wgs84(*g)
    back = wgs84_to_gcj02(*w)
    assert abs(back[0] - g[0]) < 1e-9 and abs(back[1] - g[1]) < 1e-9
    crude_err = math.hypot(w[0] - COORDTRANSFORM_CRUDE_INVERSE[0], w[1] - COORDTRANSFORM_CRUDE_INVERSE[1])
    assert 1e-7 < crude_err < 1e-5
    crude_back = wgs84_to_gcj02(*COORDTRANSFORM_CRUDE_INVERSE)
    assert max(abs(crude_back[0] - g[0]), abs(crude_back[1] - g[1])) > 1e-7


def test_vectorised_round_trip_over_china():
    rng = np.random.default_rng(7)
    lon = rng.uniform(73.0, 135.0, (50, 40))
    lat = rng.uniform(18.0, 53.0, (50, 40))
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon.shape == (50, 40)
    shift = np.hypot(glon - lon, glat - lat)
    assert shift.min() > 1e-4 and shift.max() < 0.02   # ~10 m to ~2 km, never zero inside China
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-7
    assert np.abs(wlat - lat).max() < 1e-7


def test_outside_china_and_nan_pass_through():
    pts_lon = np.array([2.3522, 139.767125, -104.9903, 116.4])
    pts_lat = np.array([48.8566, 35.681236, 39.7392, np.nan])
    assert out_of_china(pts_lon[:3], pts_lat[:3]).all()
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84):
        lon, lat = fn(pts_lon, pts_lat)
        np.testing.assert_array_equal(lon[:3], pts_lon[:3])
        np.testing.assert_array_equal(lat[:3], pts_lat[:3])
        assert np.isnan(lat[3])


def test_scalar_in_scalar_out():
    lon, lat = wgs84_to_gcj02(119.4, 36.0)
    assert isinstance(lon, float) and isinstance(lat, float)
    lon, lat = gcj02_to_wgs84(119.4, 36.0)
    assert isinstance(lon, float) and isinstance(lat, float)


def test_agrees_with_geotool_cn_forward_in_shandong():
    geotool = pytest.importorskip("GeoToolCN")
    for lon, lat in [(119.3975, 35.99472), (122.11356, 37.50914), (116.00011, 36.95922)]:
        ours = wgs84_to_gcj02(lon, lat)
        theirs = geotool.wgs84_to_gcj02(lon, lat)
        assert ours == pytest.approx(theirs, abs=1e-10)


@pytest.mark.parametrize("lon,lat,epsg", [
    (119.4, 36.0, 32650),     # 诸城
    (117.07, 36.65, 32650),   # 济南 历下
    (122.11, 37.5, 32651),    # 威海 环翠
    (120.0, 36.0, 32651),     # zone edge belongs to the eastern zone
    (151.2, -33.9, 32756),    # southern hemisphere
])
def test_utm(lon, lat, epsg):
    assert utm_epsg(lon, lat) == epsg
    crs = utm_crs(lon, lat)
    assert crs.to_epsg() == epsg
    assert crs.axis_info[0].unit_name == "metre"


# ---- BD-09 (Baidu)

WANDERGIS_GCJ = (116.404, 39.915)
WANDERGIS_BD = (116.41036949371029, 39.92133699351021)      # gcj02tobd09(116.404, 39.915)
WANDERGIS_BD_ONE_STEP = (116.39762729119315, 39.90865673957631)  # crude bd09togcj02(116.404, 39.915)
PORT_WGS_TO_BD = (116.41662724378733, 39.922699552216216)   # wgs84_to_bd09(116.404, 39.915)


def test_gcj02_to_bd09_matches_published_pair():
    bx, by = gcj02_to_bd09(*WANDERGIS_GCJ)
    assert bx == pytest.approx(WANDERGIS_BD[0], abs=1e-12)
    assert by == pytest.approx(WANDERGIS_BD[1], abs=1e-12)


def test_wgs84_to_bd09_matches_published_pair_and_inverts_to_a_centimetre():
    bx, by = wgs84_to_bd09(116.404, 39.915)
    assert (bx, by) == pytest.approx(PORT_WGS_TO_BD, abs=1e-12)
    wx, wy = bd09_to_wgs84(*PORT_WGS_TO_BD)
    # 1e-7° is ~1 cm; the iterated inverse gets far below that
    assert abs(wx - 116.404) < 1e-8 and abs(wy - 39.915) < 1e-8


def test_bd09_inverse_is_iterated_not_the_one_step_formula():
    gx, gy = bd09_to_gcj02(*WANDERGIS_BD)
    assert abs(gx - WANDERGIS_GCJ[0]) < 1e-9 and abs(gy - WANDERGIS_GCJ[1]) < 1e-9
    # the published one-step inverse of (116.404, 39.915) is within ~5e-7° (a few cm) of the exact one …
    ox, oy = bd09_to_gcj02(116.404, 39.915)
    assert abs(ox - WANDERGIS_BD_ONE_STEP[0]) < 1e-6 and abs(oy - WANDERGIS_BD_ONE_STEP[1]) < 1e-6
    # … but only the iterated one maps back onto its input
    fx, fy = gcj02_to_bd09(ox, oy)
    assert abs(fx - 116.404) < 1e-9 and abs(fy - 39.915) < 1e-9
    fx1, fy1 = gcj02_to_bd09(*WANDERGIS_BD_ONE_STEP)
    assert max(abs(fx1 - 116.404), abs(fy1 - 39.915)) > 1e-7


def test_bd09_round_trip_over_shandong_arrays():
    rng = np.random.default_rng(3)
    lon = rng.uniform(114.8, 122.7, 500)
    lat = rng.uniform(34.4, 38.4, 500)
    bx, by = wgs84_to_bd09(lon, lat)
    # the BD-09 shift in Shandong is roughly 1-1.5 km (GCJ ~0.5 km plus Baidu's ~0.7-0.9 km)
    shift_m = np.hypot((bx - lon) * 111_320 * np.cos(np.radians(lat)), (by - lat) * 110_540)
    assert 600 < shift_m.min() and shift_m.max() < 2000
    wx, wy = bd09_to_wgs84(bx, by)
    assert np.abs(wx - lon).max() < 1e-8 and np.abs(wy - lat).max() < 1e-8
    # NaN passes through
    nx_, ny_ = bd09_to_wgs84(np.array([np.nan, 117.0]), np.array([36.0, np.nan]))
    assert np.isnan(nx_[0]) and np.isnan(ny_[1])


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_to_wgs84_and_from_wgs84_are_inverse(crs):
    x, y = from_wgs84(119.41, 35.99, crs)
    wx, wy = to_wgs84(x, y, crs)
    assert abs(wx - 119.41) < 1e-8 and abs(wy - 35.99) < 1e-8
    with pytest.raises(ValueError, match="bd09"):
        to_wgs84(1.0, 2.0, "baidu")
