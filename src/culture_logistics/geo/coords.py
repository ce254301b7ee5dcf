"""Coordinate helpers: GCJ-02 <-> WGS-84, BD-09 <-> GCJ-02 and a metric UTM CRS for a location.

GCJ-02 ("Mars coordinates", 国测局坐标) is WGS-84 plus a deterministic
obfuscation offset of a few hundred metres, used by Amap/Tencent maps in
mainland China.  The forward transform here is the widely published algorithm
(Krasovsky 1940 ellipsoid: a = 6378245 m, e² = 0.00669342162296594323), as in
wandergis/coordtransform and googollee/eviltransform.  The inverse has no
closed form; it is solved by fixed-point iteration until the forward transform
of the result reproduces the input to better than ``tol`` degrees (default
1e-9°, far below the 1e-7° requirement; typically 3-5 iterations), instead of the
crude single-step inverse (``gcj - delta(gcj)``, up to ~1-5 m error).

BD-09 (百度坐标) is Baidu Maps' further offset of GCJ-02 (a rotation and scaling
about the origin plus a shift of (0.0065°, 0.006°), ~1 km in all): the forward
transform is the one Baidu's SDK documents and coordtransform publishes; its
inverse is again solved by fixed-point iteration (the published one-step inverse
is off by up to ~1e-6°, ~10 cm), so BD-09 → WGS-84 reproduces the input to
better than 1e-9° (0.1 mm) in both steps.

Points outside the rough mainland rectangle (lon 72.004-137.8347,
lat 0.8293-55.8271) are returned unchanged, as in the reference
implementations.
"""
from __future__ import annotations

import numpy as np
from pyproj import CRS

from culture_logistics.config.schema import CRS_CHOICES

_A = 6378245.0                      # Krasovsky 1940 semi-major axis, metres


_EE = 0.00669342162296594323        # Krasovsky 1940 first eccentricity squared


def out_of_china(lon, lat):
    """True where a point lies outside the GCJ-02 rectangle (no offset applied).

    Parameters
    ----------
    lon, lat : float or array_like
        Degrees.

    Returns
    -------
    bool or numpy.ndarray of bool
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    xpi, ypi = x * np.pi, y * np.pi
    common = (20.0 * np.sin(6.0 * xpi) + 20.0 * np.sin(2.0 * xpi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
            + common
            + (20.0 * np.sin(ypi) + 40.0 * np.sin(ypi / 3.0)) * 2.0 / 3.0
            + (160.0 * np.sin(ypi / 12.0) + 320.0 * np.sin(ypi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
            + common
            + (20.0 * np.sin(xpi) + 40.0 * np.sin(xpi / 3.0)) * 2.0 / 3.0
            + (150.0 * np.sin(xpi / 12.0) + 300.0 * np.sin(xpi / 30.0)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _result(lon_in, lat_in, lon: np.ndarray, lat: np.ndarray):
    if np.ndim(lon_in) == 0 and np.ndim(lat_in) == 0:
        return float(lon), float(lat)
    return lon, lat


def wgs84_to_gcj02(lon, lat):
    """WGS-84 -> GCJ-02.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitude/latitude, degrees (EPSG:4326).  Arrays broadcast.

    Returns
    -------
    (lon, lat)
        GCJ-02 degrees: floats for scalar input, else numpy arrays.  Points
        outside China (see :func:`out_of_china`) and NaNs pass through unchanged.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    x, y = np.broadcast_arrays(x, y)
    outside = out_of_china(x, y) | ~np.isfinite(x) | ~np.isfinite(y)
    with np.errstate(invalid="ignore"):
        dlon, dlat = _delta(x, y)
    gx = np.where(outside, x, x + dlon)
    gy = np.where(outside, y, y + dlat)
    return _result(lon, lat, gx, gy)


def gcj02_to_wgs84(lon, lat, *, tol: float = 1e-9, max_iter: int = 30):
    """GCJ-02 -> WGS-84 by iteration (accurate inverse).

    Starting from ``w = g``, iterates ``w <- w - (wgs84_to_gcj02(w) - g)`` until
    the forward transform of ``w`` matches ``g`` to ``tol`` degrees in both
    axes.  The offset's Jacobian is ~1e-5, so each step gains ~5 digits.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude/latitude, degrees.  Arrays broadcast.
    tol : float, default 1e-9
        Convergence threshold, degrees (1e-9° ≈ 0.1 mm).
    max_iter : int, default 30

    Returns
    -------
    (lon, lat)
        WGS-84 degrees (EPSG:4326): floats for scalar input, else arrays.
        Points outside China and NaNs pass through unchanged.
    """
    gx = np.asarray(lon, dtype=float)
    gy = np.asarray(lat, dtype=float)
    gx, gy = np.broadcast_arrays(gx, gy)
    shape = gx.shape
    gx, gy = gx.astype(float).ravel(), gy.astype(float).ravel()
    outside = out_of_china(gx, gy) | ~np.isfinite(gx) | ~np.isfinite(gy)
    wx, wy = gx.copy(), gy.copy()
    _refine(_gcj02_shift, gx, gy, wx, wy, ~outside, tol, max_iter)
    return _result(lon, lat, wx.reshape(shape), wy.reshape(shape))


def _gcj02_shift(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The forward GCJ-02 shift of points known to be inside China (1-D arrays, degrees)."""
    dlon, dlat = _delta(x, y)
    return x + dlon, y + dlat


def _refine(forward, tx: np.ndarray, ty: np.ndarray, x: np.ndarray, y: np.ndarray, active: np.ndarray,
            tol: float, max_iter: int) -> None:
    """Invert ``forward`` by fixed-point steps ``p <- p - (forward(p) - t)``, in place on ``x, y``.

    Only the ``active`` points move; each stops once ``forward`` of it matches its target ``(tx, ty)``
    to ``tol`` degrees in both axes, or after ``max_iter`` steps.  Shared by the GCJ-02 and BD-09 inverses.
    """
    active = active.copy()
    for _ in range(max_iter):
        if not active.any():
            break
        fx, fy = forward(x[active], y[active])
        ex, ey = fx - tx[active], fy - ty[active]
        x[active] -= ex
        y[active] -= ey
        done = (np.abs(ex) < tol) & (np.abs(ey) < tol)
        idx = np.flatnonzero(active)
        active[idx[done]] = False


_X_PI = np.pi * 3000.0 / 180.0     # Baidu's constant


def gcj02_to_bd09(lon, lat):
    """GCJ-02 -> BD-09 (Baidu Maps).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude/latitude, degrees.  Arrays broadcast.

    Returns
    -------
    (lon, lat)
        BD-09 degrees: floats for scalar input, else numpy arrays.  NaNs pass through.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    x, y = np.broadcast_arrays(x, y)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _result(lon, lat, z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon, lat, *, tol: float = 1e-9, max_iter: int = 30):
    """BD-09 -> GCJ-02 by iteration (accurate inverse of :func:`gcj02_to_bd09`).

    Starts from the published one-step inverse and iterates
    ``g <- g - (gcj02_to_bd09(g) - b)`` until the forward transform matches
    ``b`` to ``tol`` degrees in both axes (2-3 steps).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude/latitude, degrees.  Arrays broadcast.
    tol : float, default 1e-9
        Convergence threshold, degrees (1e-9° ≈ 0.1 mm).
    max_iter : int, default 30

    Returns
    -------
    (lon, lat)
        GCJ-02 degrees: floats for scalar input, else arrays.  NaNs pass through.
    """
    bx = np.asarray(lon, dtype=float)
    by = np.asarray(lat, dtype=float)
    bx, by = np.broadcast_arrays(bx, by)
    shape = bx.shape
    bx, by = bx.astype(float).ravel(), by.astype(float).ravel()
    x, y = bx - 0.0065, by - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    _refine(gcj02_to_bd09, bx, by, gx, gy, np.isfinite(bx) & np.isfinite(by), tol, max_iter)
    return _result(lon, lat, gx.reshape(shape), gy.reshape(shape))


def wgs84_to_bd09(lon, lat):
    """WGS-84 -> BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 degrees (EPSG:4326).

    Returns
    -------
    (lon, lat)
        BD-09 degrees.  Points outside China get only the BD-09 step (as Baidu does).
    """
    gx, gy = wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(gx, gy)


def bd09_to_wgs84(lon, lat):
    """BD-09 -> WGS-84: :func:`bd09_to_gcj02` then :func:`gcj02_to_wgs84`, both iterated to 1e-9°.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees (Baidu Maps).

    Returns
    -------
    (lon, lat)
        WGS-84 degrees (EPSG:4326).
    """
    gx, gy = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(gx, gy)


#: the coordinate systems an input may be declared in ([county] crs)
INPUT_CRS = CRS_CHOICES


def to_wgs84(lon, lat, crs: str):
    """Convert lon/lat declared in ``crs`` (``"wgs84"``, ``"gcj02"`` or ``"bd09"``) to WGS-84.

    Parameters
    ----------
    lon, lat : float or array_like
        Degrees in ``crs``.
    crs : str
        One of :data:`INPUT_CRS`.

    Returns
    -------
    (lon, lat)
        WGS-84 degrees (EPSG:4326); unchanged for ``"wgs84"``.
    """
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    if crs == "wgs84":
        return lon, lat
    raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(INPUT_CRS)}")


def from_wgs84(lon, lat, crs: str):
    """Convert WGS-84 lon/lat to ``crs`` (the inverse of :func:`to_wgs84`).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 degrees.
    crs : str
        One of :data:`INPUT_CRS`.

    Returns
    -------
    (lon, lat)
        Degrees in ``crs``.
    """
    if crs == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if crs == "bd09":
        return wgs84_to_bd09(lon, lat)
    if crs == "wgs84":
        return lon, lat
    raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(INPUT_CRS)}")


def utm_epsg(lon: float, lat: float = 0.0) -> int:
    """EPSG code of the WGS-84 UTM zone containing ``(lon, lat)``.

    ``326zz`` north of the equator, ``327zz`` south; zone ``zz = floor((lon +
    180) / 6) + 1`` (no Norway/Svalbard exceptions).  Shandong: 32650 (lon <
    120°E) or 32651 (120-126°E).
    """
    zone = int(np.floor((float(lon) + 180.0) / 6.0)) + 1
    zone = min(max(zone, 1), 60)
    return (32600 if float(lat) >= 0 else 32700) + zone


def utm_crs(lon: float, lat: float = 0.0) -> CRS:
    """Metric UTM CRS (WGS-84 / UTM zone N) for a location.

    Parameters
    ----------
    lon, lat : float
        WGS-84 degrees; pass e.g. a county's centroid so a whole county uses one
        zone.

    Returns
    -------
    pyproj.CRS
        ``EPSG:326zz`` (or ``327zz`` in the southern hemisphere); metres.
    """
    return CRS.from_epsg(utm_epsg(lon, lat))
