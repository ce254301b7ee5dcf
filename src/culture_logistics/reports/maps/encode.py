"""Text and coordinates for the page: HTML escaping, JSON for scripts, WGS-84 → map coordinates, compact geometry encoding.
"""
from __future__ import annotations

import html
import json
import re

import numpy as np
import shapely

from culture_logistics.geo.coords import wgs84_to_gcj02

COORD_DECIMALS = 5  # 1e-5 degree ≈ 1.1 m north-south, ≈ 0.9 m east-west in Shandong


_HEX = re.compile(r"^#[0-9a-fA-F]{3,8}$")


def css_color(c: str) -> str:
    """``c`` unchanged when it is a ``#hex`` colour (safe to put into CSS); a ValueError otherwise."""
    if not isinstance(c, str) or not _HEX.match(c):
        raise ValueError(f"colour must be a #hex string, got {c!r}")
    return c


def esc(text) -> str:
    """HTML-escape text, and neutralise template delimiters.

    folium/branca render the page through Jinja, which would evaluate ``{{ … }}`` or ``{% … %}``
    found in a village name; braces become HTML character references, which show as braces.
    """
    return html.escape(str(text), quote=True).replace("{", "&#123;").replace("}", "&#125;")


_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")


def js_literal(obj) -> str:
    """JSON for embedding in a <script>: no string can end the script, break the line or open a template tag.

    ``{{``, ``{%`` and ``{#`` can only occur inside JSON strings (never in JSON structure), where
    ``\\u007b`` is the same character to JavaScript but nothing to Jinja.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _TEMPLATE_OPEN.sub(r"\\u007b", text)


# ---------------------------------------------------------------------------------- coordinates
def _is_gcj(m) -> bool:
    return getattr(m, "cl_tile_crs", "wgs84") == "gcj02"


def to_map_lonlat(m, lon, lat):
    """WGS-84 lon/lat (degrees, scalars or arrays) → the coordinates drawn on map ``m``.

    Identity for OSM / blank base maps; WGS-84 → GCJ-02 for Amap tiles.  Returns arrays rounded to
    ``COORD_DECIMALS``.
    """

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if _is_gcj(m):
        lon, lat = wgs84_to_gcj02(lon, lat)
    return np.round(lon, COORD_DECIMALS), np.round(lat, COORD_DECIMALS)


def to_map_geometry(m, geom):
    """A shapely geometry in WGS-84 → map coordinates of ``m`` (GCJ-02 shift for Amap), rounded."""

    if geom is None:
        return None

    def tf(xy):
        x, y = to_map_lonlat(m, xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, tf)


def _geojson_geometry(geom) -> dict:

    return json.loads(shapely.to_geojson(geom))


_SCALE = 10 ** COORD_DECIMALS


def _encode_ring(coords: np.ndarray) -> list[int]:
    """Coordinates as integer steps of 1e-5° from the previous point (first from 0), x and y interleaved."""
    q = np.round(np.asarray(coords)[:, :2] * _SCALE).astype(np.int64)
    return np.diff(q, axis=0, prepend=np.zeros((1, 2), np.int64)).ravel().tolist()


def encode_geometry(g) -> list:
    """``[type, nested rings]`` for the page's decoder (about half the size of GeoJSON floats).

    Every ring / line is a flat list of integer steps of 1e-5° (see :func:`_encode_ring`), computed for
    the whole geometry at once.
    """

    t = g.geom_type
    if t not in ("LineString", "MultiLineString", "Polygon", "MultiPolygon"):
        return ["GeoJSON", _geojson_geometry(g)]  # points, collections: plain GeoJSON
    _, coords, offsets = shapely.to_ragged_array([g])
    q = np.round(coords[:, :2] * _SCALE).astype(np.int64)
    d = np.empty_like(q)
    d[0] = q[0]
    d[1:] = q[1:] - q[:-1]
    if t == "LineString":
        return [t, d.ravel().tolist()]
    ring_off = offsets[0]
    starts = ring_off[:-1]
    d[starts] = q[starts]  # each ring starts from 0 again
    flat = d.ravel().tolist()
    rings = [flat[2 * a:2 * b] for a, b in zip(ring_off[:-1], ring_off[1:])]
    if t in ("MultiLineString", "Polygon"):
        return [t, rings]
    poly_off = offsets[1]
    return [t, [rings[a:b] for a, b in zip(poly_off[:-1], poly_off[1:])]]


DECODE_JS = (
    "function DR(a){var o=[],x=0,y=0;for(var i=0;i<a.length;i+=2){x+=a[i];y+=a[i+1];"
    f"o.push([x/{_SCALE},y/{_SCALE}]);}}return o;}}"
    "function DEC(fs){return {type:'FeatureCollection',features:fs.map(function(f){var t=f[1],c=f[2],g;"
    "if(t==='GeoJSON'){g=c;}else if(t==='LineString'){g={type:t,coordinates:DR(c)};}"
    "else if(t==='MultiPolygon'){g={type:t,coordinates:c.map(function(p){return p.map(DR);})};}"
    "else{g={type:t,coordinates:c.map(DR)};}return {type:'Feature',properties:f[0],geometry:g};})};}"
)

