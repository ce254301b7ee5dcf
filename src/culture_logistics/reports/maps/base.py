"""Shared map helpers: offline folium maps with escaped text, operator colours and legends.

Every map of the project (coverage, siting, routing) is built the same way::

    m = base_map(scenario, "诸城市 coverage", tiles="osm", lang="zh")
    add_boundary(m, scenario)
    groups = add_facilities(m, scenario.facilities)
    pts = feature_group(m, "Villages")
    add_points(pts, lon, lat, styles, style_index, popups, kind="village")
    add_legend(m, [("Villages", [(swatch_circle("#1a9641"), "reached")])])
    save_map(m, "coverage_map.html")          # or html = render_map(m)

Conventions
-----------
* **Coordinates.** Everything handed to these helpers is WGS-84 lon/lat (EPSG:4326).  When the
  base map is Amap/Gaode (``tiles="amap"``), whose tiles are drawn in GCJ-02, the helpers shift
  every drawn coordinate WGS-84 → GCJ-02 (:func:`culture_logistics.coords.wgs84_to_gcj02`) so the
  data lines up with the tiles; :func:`to_map_lonlat` and :func:`to_map_geometry` do the same for
  anything a caller draws itself.
* **Offline.** folium loads Leaflet from CDNs by default; a county office intranet has none.
  :func:`render_map` replaces every ``<script src>``/``<link href>`` by the copy bundled in
  ``culture_logistics/static`` (Leaflet 1.9.4, Leaflet.markercluster 1.5.3, from the npm
  registry, licences beside them), inlined into the page, and refuses to write a page that still
  names an external script or stylesheet.  Only background tiles need the internet.  folium's
  Bootstrap/jQuery/Font-Awesome/awesome-markers defaults are dropped; use :func:`facility_icon`
  (a CSS ``DivIcon``) instead of ``folium.Icon``.
* **Escaping.** Every text that reaches the page (titles, legends, layer names, popups,
  tooltips) goes through :func:`html.escape` here; callers pass plain text.  Data embedded in the
  page's JavaScript is JSON with ``</`` broken up so that no string can close the script.
* **Large counties.** Points are drawn as canvas circle markers from one compact JSON array per
  layer (``prefer_canvas``), not thousands of DOM markers; geometries are rounded to
  ``COORD_DECIMALS`` decimals (1e-5° ≈ 1 m).
* **Deterministic.** Element ids are renumbered before rendering, so the same inputs give the
  same bytes.
"""
from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from culture_logistics import resources
from culture_logistics.config.model import OPERATOR_ZH, OPERATORS, TIER_ZH, TIERS
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.geo.coords import wgs84_to_gcj02
from culture_logistics.reports.writers import atomic_write_text

COORD_DECIMALS = 5  # 1e-5 degree ≈ 1.1 m north-south, ≈ 0.9 m east-west in Shandong


#: One colour per operator, used for facilities, service areas and routes on every map.
OPERATOR_COLORS = {
    "postal": "#1f5fa8",       # blue
    "supply_coop": "#7b3294",  # purple
    "courier": "#8c510a",      # brown
    "shared": "#01857a",       # teal
}


#: Village reach status colours (coverage map).
STATUS_COLORS = {
    "reached": "#1a9641",  # green: every carrying operator reaches it
    "partial": "#f08c00",  # orange: some operators reach it, not all
    "gap": "#d7191c",      # red: no operator reaches it
}


#: Facility icon shape per tier.
TIER_SHAPES = {"county": "square", "township": "circle", "village": "diamond"}


OPERATOR_SHORT_ZH = {"postal": "邮", "supply_coop": "供", "courier": "快", "shared": "共"}


_OPERATOR_EN = {"postal": "Postal (邮政)", "supply_coop": "Supply co-op (供销社)", "courier": "Courier (快递)",
                "shared": "Shared co-delivery (共配点)"}


_TIER_EN = {"county": "county", "township": "township", "village": "village"}


#: Base maps: ``name -> (url template, attribution, subdomains, crs of the tiles)``.
TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors', "abc",
            "wgs84"),
    "amap": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
             "&copy; 高德地图 AutoNavi (GCJ-02)", "1234", "gcj02"),
    "none": (None, "", "", "wgs84"),
}


_HEX = re.compile(r"^#[0-9a-fA-F]{3,8}$")


class MapAssetError(CultureLogisticsError):
    """A map needs a script or stylesheet that is not bundled for offline use."""


def static_dir() -> Path:
    """The folder of bundled web assets (Leaflet and plugins, with their licences)."""
    return resources.static_dir()


def operator_label(op: str, lang: str = "en") -> str:
    """Operator name for people: ``邮政`` (zh) or ``Postal (邮政)`` (en)."""
    return OPERATOR_ZH.get(op, op) if lang == "zh" else _OPERATOR_EN.get(op, op)


def tier_label(tier: str, lang: str = "en") -> str:
    return TIER_ZH.get(tier, tier) if lang == "zh" else _TIER_EN.get(tier, tier)


def _color(c: str) -> str:
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


def _js(obj) -> str:
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


def _encode_geometry(g) -> list:
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


_DECODE_JS = (
    "function DR(a){var o=[],x=0,y=0;for(var i=0;i<a.length;i+=2){x+=a[i];y+=a[i+1];"
    f"o.push([x/{_SCALE},y/{_SCALE}]);}}return o;}}"
    "function DEC(fs){return {type:'FeatureCollection',features:fs.map(function(f){var t=f[1],c=f[2],g;"
    "if(t==='GeoJSON'){g=c;}else if(t==='LineString'){g={type:t,coordinates:DR(c)};}"
    "else if(t==='MultiPolygon'){g={type:t,coordinates:c.map(function(p){return p.map(DR);})};}"
    "else{g={type:t,coordinates:c.map(DR)};}return {type:'Feature',properties:f[0],geometry:g};})};}"
)


# ---------------------------------------------------------------------------------- elements
class _Js(MacroElement):
    """A script that draws into its parent layer (``{{ parent }}``) from embedded JSON."""

    _template = Template("""{% macro script(this, kwargs) %}
(function(){ var parent = {{ this._parent.get_name() }}, map = {{ this.map_name() }}; {{ this.code }} })();
{% endmacro %}""")

    def __init__(self, code: str):
        super().__init__()
        self._name = "ClLayerData"
        self.code = code

    def map_name(self) -> str:
        return _map_of(self).get_name()


class _LayerOrder(MacroElement):
    """Keeps the overlays drawn in the order they were created, also after a user toggles one.

    On a canvas, a layer switched on again is drawn last (on top, and it takes the clicks); this puts
    every visible overlay back into creation order whenever one is added.
    """

    _template = Template("""{% macro script(this, kwargs) %}
(function(){var map={{ this._parent.get_name() }},order=[{{ this.names() }}];
map.on('overlayadd',function(){order.forEach(function(g){if(map.hasLayer(g)&&g.bringToFront){g.bringToFront();}});});
})();
{% endmacro %}""")

    def __init__(self):
        super().__init__()
        self._name = "ClLayerOrder"

    def names(self) -> str:
        return ",".join(c.get_name() for c in self._parent._children.values() if isinstance(c, folium.FeatureGroup))


class _BlankLayer(folium.map.Layer):
    """An empty base layer ("no background"), so a user can switch the tiles off."""

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.layerGroup();
{% endmacro %}""")

    def __init__(self, name: str, show: bool = False):
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "BlankLayer"


class _HtmlBox(MacroElement):
    """A fixed box on top of the map (title, legend, note); ``body`` is trusted, already-escaped HTML."""

    _template = Template("""{% macro html(this, kwargs) %}
<div class="cl-box {{ this.css_class }}" style="{{ this.style }}">{{ this.body }}</div>
{% endmacro %}
{% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}""")

    def __init__(self, body: str, style: str, css_class: str = "", css: str = ""):
        super().__init__()
        self._name = "ClBox"
        self.body = body
        self.style = style
        self.css_class = css_class
        self.css = css


_BOX_CSS = """<style>
.cl-box{position:fixed;z-index:1000;background:rgba(255,255,255,.94);border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.4);font:13px/1.35 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#222}
.cl-title{top:10px;left:56px;padding:6px 14px;max-width:calc(100vw - 560px);min-width:200px}
.cl-title b{font-size:16px}
.cl-legend{bottom:22px;left:10px;padding:6px 10px;max-height:62vh;overflow-y:auto;max-width:270px;font-size:12px}
.cl-legend summary{font-weight:bold;cursor:pointer}
.cl-legend h4{margin:6px 0 2px;font-size:13px}
.cl-legend .row{display:flex;align-items:center;gap:6px;margin:2px 0}
.cl-legend .sw{flex:0 0 26px;display:flex;justify-content:center;align-items:center}
.cl-legend .note{color:#555;font-size:11px;margin-top:6px}
.cl-pop table{border-collapse:collapse}.cl-pop td{padding:1px 6px 1px 0;vertical-align:top}
.cl-pop td:first-child{color:#666;white-space:nowrap}
.cl-fac{background:none;border:none}
.leaflet-control-layers{font-size:12px}
.leaflet-container{background:#eef0f2}
</style>"""


def base_map(scenario, title: str, tiles: str = "osm", lang: str = "en", subtitle: str | None = None,
             bounds: Sequence[float] | None = None) -> folium.Map:
    """A folium map of the county, drawn on canvas, ready for offline saving.

    Parameters
    ----------
    scenario : the loaded Scenario (its villages, facilities and boundary give the extent).
    title : plain text shown at the top (escaped here).
    tiles : ``"osm"`` (OpenStreetMap, default), ``"amap"`` (Amap/Gaode; all drawn coordinates are
        then shifted WGS-84 → GCJ-02) or ``"none"`` (a blank background, nothing fetched).  Every
        choice also offers a "blank" base layer in the layer control.
    lang : ``"en"`` or ``"zh"`` for the helper's own labels.
    subtitle : plain text shown under the title.
    bounds : (min lon, min lat, max lon, max lat) in WGS-84 to fit; default the county's extent.

    Returns
    -------
    folium.Map with ``cl_tile_crs`` (``"wgs84"``/``"gcj02"``) and ``cl_lang`` attributes.
    """
    if tiles not in TILES:
        raise CultureLogisticsError(f"unknown base map {tiles!r}; choose one of: {', '.join(TILES)}")
    if lang not in ("en", "zh"):
        raise CultureLogisticsError(f"unknown language {lang!r}; choose en or zh")
    url, attr, subdomains, tile_crs = TILES[tiles]
    if bounds is None:
        bounds = _extent(scenario)
    m = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=10,
                   tiles=None, prefer_canvas=True, control_scale=True)
    m.cl_tile_crs = tile_crs
    m.cl_lang = lang
    # Leaflet only: folium's Bootstrap/jQuery/Font-Awesome defaults are not needed (see module doc).
    m.default_js = [("leaflet", "leaflet.js")]
    m.default_css = [("leaflet_css", "leaflet.css")]
    blank_name = "空白底图 (blank)" if lang == "zh" else "Blank background"
    if url is not None:
        name = {"osm": "OpenStreetMap", "amap": "高德地图 Amap (GCJ-02)"}[tiles]
        folium.TileLayer(tiles=url, attr=attr, name=esc(name), subdomains=subdomains, max_zoom=18,
                         overlay=False, control=True).add_to(m)
    _BlankLayer(esc(blank_name), show=url is None).add_to(m)
    lo, la = to_map_lonlat(m, [bounds[0], bounds[2]], [bounds[1], bounds[3]])
    # leave room for the legend (bottom left) and the layer list (top right)
    m.fit_bounds([[float(la[0]), float(lo[0])], [float(la[1]), float(lo[1])]], padding_top_left=(250, 60),
                 padding_bottom_right=(250, 10))
    body = f"<b>{esc(title)}</b>"
    if subtitle:
        body += f"<br><span>{esc(subtitle)}</span>"
    if "OpenStreetMap" in str(getattr(scenario, "section", lambda _: {})("data").get("attribution", "")):
        body += "<br><small>Data © OpenStreetMap contributors (ODbL)</small>"  # [data] of an import-osm scenario
    m.add_child(_HtmlBox(body, "", "cl-title", css=_BOX_CSS))
    return m


def _extent(scenario) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for df in (scenario.villages, scenario.facilities):
        if len(df):
            xs += [float(df["lon"].min()), float(df["lon"].max())]
            ys += [float(df["lat"].min()), float(df["lat"].max())]
    if not xs and scenario.boundary is not None:
        b = scenario.boundary.bounds
        xs, ys = [b[0], b[2]], [b[1], b[3]]
    if not xs:
        raise CultureLogisticsError("nothing to map: the scenario has no villages, facilities or boundary")
    pad = 0.01
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def feature_group(m: folium.Map, name: str, show: bool = True) -> folium.FeatureGroup:
    """A toggleable overlay layer named ``name`` (plain text, escaped: the layer control shows HTML)."""
    fg = folium.FeatureGroup(name=esc(name), show=show, overlay=True, control=True)
    fg.add_to(m)
    return fg


def popup_html(title: str, rows: Iterable[tuple[str, object]]) -> str:
    """Popup HTML from plain text: a bold title and a two-column table; every value is escaped.

    ``None`` / empty values are shown as ``–``.
    """
    out = [f'<div class="cl-pop"><b>{esc(str(title))}</b><table>']
    for k, v in rows:
        v = "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) or v == "" else v
        out.append(f"<tr><td>{esc(str(k))}</td><td>{esc(str(v))}</td></tr>")
    out.append("</table></div>")
    return "".join(out)


# ---------------------------------------------------------------------------------- drawing
# A circle marker that can also be a square or a diamond, with an optional character drawn in it
# (canvas renderer); with the SVG renderer it falls back to a circle.
_SHAPE_JS = (
    "if(!L.ClMark){L.ClMark=L.CircleMarker.extend({options:{shape:'circle',label:'',labelColor:'#fff'},"
    "_updatePath:function(){var R=this._renderer;if(!R._ctx){return R._updateCircle(this);}"
    "if(!R._drawing||this._empty()){return;}var c=R._ctx,p=this._point,s=this._radius,o=this.options;"
    "c.beginPath();if(o.shape==='square'){c.rect(p.x-s,p.y-s,2*s,2*s);}"
    "else if(o.shape==='diamond'){c.moveTo(p.x,p.y-s);c.lineTo(p.x+s,p.y);c.lineTo(p.x,p.y+s);"
    "c.lineTo(p.x-s,p.y);c.closePath();}else{c.arc(p.x,p.y,s,0,Math.PI*2,false);}R._fillStroke(c,this);"
    "if(o.label){c.save();c.fillStyle=o.labelColor;c.font='bold '+Math.round(s*1.15)+'px sans-serif';"
    "c.textAlign='center';c.textBaseline='middle';c.fillText(o.label,p.x,p.y+1);c.restore();}}});}"
)


@dataclass
class PopupTable:
    """Popups of many points sharing one set of row labels (smaller pages than one HTML string each).

    labels : row labels, plain text.
    titles : per point, the popup's bold title, plain text.
    values : per point, one value per label, plain text; ``None`` leaves the row out, ``""`` shows "–".
    Everything is escaped here; the page builds each popup's table when it is opened.
    """

    labels: Sequence[str]
    titles: Sequence[str]
    values: Sequence[Sequence[object]]

    def payload(self, i: int) -> list:
        out = [esc(str(self.titles[i]))]
        for v in self.values[i]:
            if v is None:
                out.append(0)
            elif v == "" or (isinstance(v, float) and not np.isfinite(v)):
                out.append("–")
            else:
                out.append(esc(str(v)))
        return out

    def js_labels(self) -> str:
        return _js([esc(str(x)) for x in self.labels])


# builds a PopupTable popup in the page: P = labels, a = [title, value, …] (all escaped in Python)
_POPUP_JS = ("function PT(P,a){var h='<div class=\"cl-pop\"><b>'+a[0]+'</b><table>';"
             "for(var j=1;j<a.length;j++){if(a[j]!==0){h+='<tr><td>'+P[j-1]+'</td><td>'+a[j]+'</td></tr>';}}"
             "return h+'</table></div>';}")


def _popup_parts(popups, n):
    """(JS prelude, per-point payload) for popups given as HTML strings or a PopupTable."""
    if popups is None:
        return "var P=null;", [0] * n
    if isinstance(popups, PopupTable):
        if len(popups.titles) != n or len(popups.values) != n:
            raise ValueError("PopupTable needs one title and one value row per point")
        return _POPUP_JS + f"var P={popups.js_labels()};", [popups.payload(i) for i in range(n)]
    return "var P=null;", [p or 0 for p in popups]


_BIND_POPUP = ("if(p[3]){(function(c){mk.bindPopup(P&&typeof c!=='string'?function(){return PT(P,c);}:c,"
               "{maxWidth:360});})(p[3]);}")


def add_points(parent, lon, lat, styles: Sequence[dict], style_index, popups=None,
               tooltips: Sequence[str] | None = None, kind: str = "point") -> int:
    """Canvas markers from one compact array (fast for thousands of points).

    Parameters
    ----------
    parent : a folium FeatureGroup (or the map).
    lon, lat : WGS-84 degrees (shifted for Amap here).
    styles : Leaflet path options per style (``radius`` px, ``color``, ``fillColor``, ``weight``,
        ``fillOpacity`` …; colours must be #hex), plus optional ``shape`` (``"circle"``,
        ``"square"``, ``"diamond"``) and ``label`` (a character drawn inside, e.g. ``"邮"``).
    style_index : per point, an index into ``styles``.
    popups : per point, popup HTML made with :func:`popup_html` (already escaped), or a
        :class:`PopupTable` (plain text, escaped here; smaller pages), or None.
    tooltips : per point, plain text (escaped here), or None.
    kind : stored as the marker option ``clKind`` (tests count drawn markers by it).

    Markers are drawn in the order added: a layer added later is drawn on top (and takes the click).

    Returns
    -------
    int : number of points added.
    """
    m = _map_of(parent)
    x, y = to_map_lonlat(m, lon, lat)
    n = len(x)
    for s in styles:
        for key in ("color", "fillColor", "labelColor"):
            if key in s:
                _color(s[key])
        if s.get("shape", "circle") not in ("circle", "square", "diamond"):
            raise ValueError(f"unknown marker shape {s.get('shape')!r}")
    idx = np.asarray(style_index, dtype=int)
    prelude, pops = _popup_parts(popups, n)
    data = []
    for i in range(n):
        row = [float(y[i]), float(x[i]), int(idx[i])]
        tip = tooltips[i] if tooltips is not None else None
        if pops[i] or tip:
            row.append(pops[i])
        if tip:
            row.append(esc(str(tip)))
        data.append(row)
    code = (_SHAPE_JS + prelude + f"var S={_js(list(styles))},D={_js(data)},K={_js(kind)};"
            "for(var i=0;i<D.length;i++){var p=D[i],o=Object.assign({clKind:K},S[p[2]]);"
            "var mk=new L.ClMark([p[0],p[1]],o);" + _BIND_POPUP +
            "if(p[4])mk.bindTooltip(p[4]);mk.addTo(parent);}")
    parent.add_child(_Js(code))
    return n


def add_icon_points(parent, lon, lat, icons: Sequence[dict], icon_index, popups: Sequence[str] | None = None,
                    tooltips: Sequence[str] | None = None, kind: str = "icon", z_offset: int = 0) -> int:
    """Markers with CSS icons (``L.divIcon``) from one compact array; for tens to hundreds of points.

    ``icons`` are dicts from :func:`facility_icon` (``html``, ``size``); other arguments as
    :func:`add_points`.
    """
    m = _map_of(parent)
    x, y = to_map_lonlat(m, lon, lat)
    idx = np.asarray(icon_index, dtype=int)
    prelude, pops = _popup_parts(popups, len(x))
    data = []
    for i in range(len(x)):
        row = [float(y[i]), float(x[i]), int(idx[i]), pops[i]]
        if tooltips is not None and tooltips[i]:
            row.append(esc(str(tooltips[i])))
        data.append(row)
    ic = [{"html": d["html"], "size": [d["size"], d["size"]], "z": d.get("z", 0)} for d in icons]
    code = (prelude + f"var I={_js(ic)},D={_js(data)},K={_js(kind)},Z={int(z_offset)};"
            "var II=I.map(function(c){return L.divIcon({html:c.html,className:'cl-fac',iconSize:c.size,"
            "iconAnchor:[c.size[0]/2,c.size[1]/2],popupAnchor:[0,-c.size[1]/2]});});"
            "for(var i=0;i<D.length;i++){var p=D[i];var mk=L.marker([p[0],p[1]],{icon:II[p[2]],clKind:K,"
            "zIndexOffset:Z+I[p[2]].z,riseOnHover:true});" + _BIND_POPUP +
            "if(p[4])mk.bindTooltip(p[4]);mk.addTo(parent);}")
    parent.add_child(_Js(code))
    return len(x)


def add_geojson(parent, geometries: Sequence, styles: Sequence[dict], style_index, popups: Sequence[str] | None = None,
                tooltips: Sequence[str] | None = None, kind: str = "shape", simplify_deg: float | None = None,
                interactive: bool = True, width_m: float | None = None) -> int:
    """Lines or polygons (shapely, WGS-84) with one style per feature, drawn on the canvas.

    ``simplify_deg`` simplifies each geometry first (degrees; 1e-4 ≈ 10 m), keeping the file small.
    ``width_m`` makes the stroke that many metres wide at every zoom (at least 2 px): a line layer
    then reads as a buffer of the lines — one feature's overlapping parts are painted once, so a
    translucent band does not darken where roads meet.
    Returns the number of features drawn (empty geometries are skipped).
    """
    m = _map_of(parent)
    feats = []
    for i, g in enumerate(geometries):
        if g is None or g.is_empty:
            continue
        if simplify_deg:
            g = g.simplify(simplify_deg, preserve_topology=True)
        g = to_map_geometry(m, g)
        props = {"s": int(style_index[i])}
        if popups is not None and popups[i]:
            props["p"] = popups[i]
        if tooltips is not None and tooltips[i]:
            props["t"] = esc(str(tooltips[i]))
        feats.append([props, *_encode_geometry(g)])
    for s in styles:
        for key in ("color", "fillColor"):
            if key in s:
                _color(s[key])
    code = (_DECODE_JS + f"var S={_js(list(styles))},F=DEC({_js(feats)}),"
            f"K={_js(kind)};L.geoJSON(F,{{interactive:{'true' if interactive else 'false'},"
            "style:function(f){return Object.assign({clKind:K},S[f.properties.s]);},"
            "onEachFeature:function(f,l){if(f.properties.p)l.bindPopup(f.properties.p,{maxWidth:360});"
            "if(f.properties.t)l.bindTooltip(f.properties.t,{sticky:true});}}).addTo(parent);")
    if width_m:
        code = code.replace("L.geoJSON(F,", "var G=L.geoJSON(F,", 1) + (
            f"var W={float(width_m)};function upd(){{var c=map.getCenter(),z=map.getZoom();"
            "var mpp=40075016.686*Math.cos(c.lat*Math.PI/180)/Math.pow(2,z+8);"
            "G.setStyle({weight:Math.max(2,W/mpp)});}map.on('zoomend',upd);upd();")
    parent.add_child(_Js(code))
    return len(feats)


def add_boundary(m: folium.Map, scenario, name: str | None = None, simplify_deg: float = 2e-4):
    """Draw the county boundary (``scenario.boundary``, WGS-84) as a dark dashed outline layer.

    Returns the FeatureGroup, or ``None`` when the scenario has no boundary.  The boundary is
    simplified to ``simplify_deg`` (2e-4° ≈ 20 m).  When the boundary is only a bounding box
    (``scenario.boundary_source == "bbox"``) the layer name says so.
    """
    if scenario.boundary is None:
        return None
    lang = getattr(m, "cl_lang", "en")
    src = getattr(scenario, "boundary_source", "")
    if name is None:
        name = ("县界" if lang == "zh" else "County boundary") + (" (bbox)" if src == "bbox" else "")
    fg = feature_group(m, name)
    add_geojson(fg, [scenario.boundary.boundary], [{"color": "#333333", "weight": 2.5, "dashArray": "8 5",
                                                    "fill": False, "opacity": 0.9}], [0], kind="boundary",
                simplify_deg=simplify_deg, interactive=False)
    return fg


def facility_icon(operator: str, tier: str, color: str | None = None, label: str | None = None) -> dict:
    """An HTML/CSS picture of a facility marker, for legends (:func:`swatch_icon`) and DOM markers.

    Same look as :func:`facility_style`: colour by operator, county = square with the operator's
    character (邮/供/快/共), township = circle with the character, village = diamond.  ``color``/``label``
    override the operator's colour and character (e.g. a neutral grey for a legend of tiers).
    Returns ``{"html", "size", "z"}`` (size in px) for :func:`add_icon_points` and :func:`swatch_icon`.
    """
    color = _color(color or OPERATOR_COLORS.get(operator, "#555555"))
    ch = esc(label if label is not None else OPERATOR_SHORT_ZH.get(operator, ""))
    base = f"box-sizing:border-box;background:{color};border:2px solid #fff;box-shadow:0 0 0 1px #999;color:#fff;"
    if tier == "county":
        s, z = 20, 300
        h = (f'<div style="{base}width:{s}px;height:{s}px;font:bold 11px/{s - 4}px sans-serif;'
             f'text-align:center">{ch}</div>')
    elif tier == "township":
        s, z = 16, 200
        h = (f'<div style="{base}width:{s}px;height:{s}px;border-radius:50%;font:bold 9px/{s - 4}px '
             f'sans-serif;text-align:center">{ch}</div>')
    else:
        s, z = 12, 100
        h = f'<div style="{base}width:9px;height:9px;margin:1.5px;border-width:1.5px;transform:rotate(45deg)"></div>'
    return {"html": h, "size": s, "z": z}


FACILITY_STYLE = {  # canvas marker per tier: shape, radius (px); the colour is the operator's
    "county": {"shape": "square", "radius": 10, "weight": 2},
    "township": {"shape": "circle", "radius": 8, "weight": 2},
    "village": {"shape": "diamond", "radius": 6, "weight": 1.5},
}


def facility_style(operator: str, tier: str) -> dict:
    """Canvas marker style (for :func:`add_points`) of a facility: operator colour, tier shape."""
    st = dict(FACILITY_STYLE.get(tier, FACILITY_STYLE["village"]))
    st.update({"color": "#ffffff", "fillColor": OPERATOR_COLORS.get(operator, "#555555"), "fillOpacity": 1.0,
               "opacity": 1.0})
    if tier in ("county", "township"):
        st["label"] = OPERATOR_SHORT_ZH.get(operator, "")
    return st


def add_facilities(m: folium.Map, facilities, lang: str | None = None, popups: dict | None = None,
                   extra_rows: dict | None = None, show: bool = True) -> dict:
    """Facilities as canvas markers (colour = operator, shape = tier), one toggleable layer per operator.

    county = square with the operator's character (邮/供/快/共), township = circle with the character,
    village = small diamond; see :func:`facility_style` / :func:`facility_icon` (legend swatch).

    Parameters
    ----------
    facilities : GeoDataFrame/DataFrame with id, name, operator, tier, lon, lat (WGS-84)
        [, brand, capacity_per_day].
    popups : optional {facility id: popup HTML} replacing the default popup.
    extra_rows : optional {facility id: [(label, value), …]} appended to the default popup.

    Returns
    -------
    dict operator -> folium.FeatureGroup (only operators present).
    """
    lang = lang or getattr(m, "cl_lang", "en")
    groups = {}
    keys = [(op, t) for op in OPERATORS for t in TIERS]
    styles = [facility_style(op, t) for op, t in keys]
    style_of = {k: i for i, k in enumerate(keys)}
    L = _labels(lang)
    for op in OPERATORS:
        sub = facilities[facilities["operator"] == op]
        if not len(sub):
            continue
        # county tier last, so the biggest sites are drawn on top
        sub = sub.assign(_o=sub["tier"].map({"village": 0, "township": 1, "county": 2}).fillna(0))
        sub = sub.sort_values(["_o", "id"], kind="stable")
        name = f"{L['facilities']}: {operator_label(op, lang)} ({len(sub)})"
        fg = feature_group(m, name, show=show)
        tips, idx, titles, values, html_pops = [], [], [], [], []
        extra_labels = list(dict.fromkeys(k for fid in sub["id"] for k, _ in (extra_rows or {}).get(fid, [])))
        for r in sub.itertuples(index=False):
            brand = getattr(r, "brand", None)
            cap = getattr(r, "capacity_per_day", None)
            extra = dict((extra_rows or {}).get(r.id, []))
            vals = [r.id, operator_label(r.operator, lang), tier_label(r.tier, lang),
                    brand if isinstance(brand, str) and brand else None,
                    L["unlimited"] if cap is None or cap != cap else f"{cap:g}"] + [extra.get(k) for k in extra_labels]
            titles.append(str(r.name))
            values.append(vals)
            html_pops.append(popups.get(r.id) if popups is not None else None)
            tips.append(f"{r.name} ({operator_label(r.operator, lang)}, {tier_label(r.tier, lang)})")
            idx.append(style_of.get((r.operator, r.tier), style_of[(op, "village")]))
        table = PopupTable([L["id"], L["operator"], L["tier"], L["brand"], L["capacity"]] + extra_labels, titles, values)
        if any(h is not None for h in html_pops):  # caller's own popups for some facilities: HTML for all
            pops = [h if h is not None else popup_html(t, [(k, v) for k, v in zip(table.labels, vals) if v is not None])
                    for h, t, vals in zip(html_pops, titles, values)]
        else:
            pops = table
        add_points(fg, sub["lon"].to_numpy(), sub["lat"].to_numpy(), styles, idx, pops, tips,
                   kind=f"facility:{op}")
        groups[op] = fg
    return groups


# ---------------------------------------------------------------------------------- legend
def swatch_circle(color: str, radius: int = 5, border: str = "#ffffff", border_px: int = 1) -> str:
    """Legend swatch: a filled circle (radius px)."""
    d = 2 * radius
    return (f'<span style="display:inline-block;width:{d}px;height:{d}px;border-radius:50%;'
            f'background:{_color(color)};border:{border_px}px solid {_color(border)};box-shadow:0 0 0 1px #999">'
            "</span>")


def swatch_fill(color: str, opacity: float = 0.5, border: str | None = None) -> str:
    """Legend swatch: a filled rectangle (areas)."""
    b = f"border:1.5px solid {_color(border)}" if border else "border:1px solid #999"
    return (f'<span style="display:inline-block;width:22px;height:13px;{b};background:{_color(color)};'
            f'opacity:{float(opacity):.2f}"></span>')


def swatch_line(color: str, dash: bool = False, width: int = 3) -> str:
    """Legend swatch: a line."""
    style = "dashed" if dash else "solid"
    return f'<span style="display:inline-block;width:24px;border-top:{int(width)}px {style} {_color(color)}"></span>'


def swatch_icon(icon: dict) -> str:
    """Legend swatch showing a :func:`facility_icon`."""
    s = icon["size"]
    return f'<span style="display:inline-block;width:{s}px;height:{s}px">{icon["html"]}</span>'


def add_legend(m: folium.Map, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
               notes: Sequence[str] = (), title: str | None = None, open_: bool = True) -> None:
    """A collapsible legend box (bottom left).

    Parameters
    ----------
    sections : ``[(heading, [(swatch_html, label), …]), …]``; swatches come from the ``swatch_*``
        helpers (trusted HTML), headings and labels are plain text (escaped here).
    notes : plain-text notes printed small under the sections (escaped here).
    """
    lang = getattr(m, "cl_lang", "en")
    title = title or ("图例" if lang == "zh" else "Legend")
    parts = [f"<details{' open' if open_ else ''}><summary>{esc(title)}</summary>"]
    for heading, items in sections:
        parts.append(f"<h4>{esc(heading)}</h4>")
        for sw, label in items:
            parts.append(f'<div class="row"><span class="sw">{sw}</span><span>{esc(label)}</span></div>')
    for n in notes:
        parts.append(f'<div class="note">{esc(n)}</div>')
    parts.append("</details>")
    m.add_child(_HtmlBox("".join(parts), "", "cl-legend"))


def add_note(m: folium.Map, text: str, position: str = "bottom:22px;right:10px") -> None:
    """A small fixed note (plain text, escaped) e.g. for data provenance."""
    m.add_child(_HtmlBox(f'<span style="font-size:11px">{esc(text)}</span>',
                         position + ";padding:3px 8px;max-width:40vw", ""))


# ---------------------------------------------------------------------------------- saving
_ASSETS = {
    # basename of the URL (folium's or ours) -> bundled file
    "leaflet.js": "leaflet/leaflet.js",
    "leaflet.css": "leaflet/leaflet.css",
    "leaflet.markercluster.js": "markercluster/leaflet.markercluster.js",
    "MarkerCluster.css": "markercluster/MarkerCluster.css",
    "MarkerCluster.Default.css": "markercluster/MarkerCluster.Default.css",
}


_SCRIPT_SRC = re.compile(r'<script\b[^>]*\bsrc\s*=\s*["\']([^"\']+)["\'][^>]*>\s*</script>', re.I)


_LINK_HREF = re.compile(r'<link\b[^>]*\bhref\s*=\s*["\']([^"\']+)["\'][^>]*/?>', re.I)


def _asset_text(url: str) -> str:
    base = url.rsplit("/", 1)[-1].split("?", 1)[0]
    rel = _ASSETS.get(base)
    if rel is None:
        raise MapAssetError(
            f"the map needs {url}, which is not bundled for offline use; use the helpers in "
            "culture_logistics.maps (e.g. facility_icon instead of folium.Icon) or add the file to "
            "culture_logistics/static and maps._ASSETS")
    path = static_dir() / rel
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*//# sourceMappingURL=.*$", "", text, flags=re.M)
    text = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", text)
    if rel.endswith(".css"):
        def data_uri(mo):
            ref = mo.group(1).strip("'\"")
            if ref.startswith(("data:", "#")):
                return mo.group(0)
            img = (path.parent / ref).resolve()
            if not img.is_file():
                raise MapAssetError(f"bundled stylesheet {rel} refers to missing file {ref}")
            b64 = base64.b64encode(img.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{b64})"
        text = re.sub(r"url\(([^)]+)\)", data_uri, text)
    return text.replace("</script", "<\\/script") if rel.endswith(".js") else text.replace("</style", "<\\/style")


_ICON_FIX = ("<script>(function(){var D=L.Icon.Default;D.imagePath='';"
             "D.mergeOptions({iconUrl:'%s',iconRetinaUrl:'%s',shadowUrl:'%s'});})();</script>")


def _walk(el):
    yield el
    for ch in list(el._children.values()):
        yield from _walk(ch)


def render_map(m: folium.Map, layer_control: bool = True) -> str:
    """The map as one self-contained HTML page (str), with Leaflet inlined and no external scripts.

    Adds a (expanded) layer control when the map has none.  Raises :class:`MapAssetError` when an
    element needs a script or stylesheet that is not bundled.
    """
    if isinstance(m, folium.Map):
        for el in _walk(m):
            if isinstance(el, folium.Icon):
                raise MapAssetError("folium.Icon needs Font-Awesome/Bootstrap from CDNs, which are not bundled; "
                                    "use culture_logistics.maps.facility_icon / add_icon_points instead")
        if layer_control and not any(isinstance(c, folium.LayerControl) for c in m._children.values()):
            folium.LayerControl(collapsed=False, position="topright").add_to(m)
        if not any(isinstance(c, _LayerOrder) for c in m._children.values()):
            m.add_child(_LayerOrder())
    root = m.get_root()
    for k, el in enumerate(_walk(root)):
        el._id = f"{k:06d}"
    text = root.render()
    used: list[str] = []

    def inline_js(mo):
        url = mo.group(1)
        used.append(url)
        return f"<script>{_asset_text(url)}</script>"

    def inline_css(mo):
        tag = mo.group(0)
        if not re.search(r'rel\s*=\s*["\']?stylesheet', tag, re.I):
            raise MapAssetError(f"unexpected <link> in the map page: {tag[:120]}")
        url = mo.group(1)
        used.append(url)
        return f"<style>{_asset_text(url)}</style>"

    text = _SCRIPT_SRC.sub(inline_js, text)
    text = _LINK_HREF.sub(inline_css, text)
    if any(u.rsplit("/", 1)[-1] == "leaflet.js" for u in used):
        img = static_dir() / "leaflet" / "images"
        uris = [f"data:image/png;base64,{base64.b64encode((img / n).read_bytes()).decode('ascii')}"
                for n in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")]
        # Leaflet finds its default marker images through the stylesheet's URL; inlined, it cannot.
        pos = text.find("</script>", text.find("leafletjs.com")) + len("</script>")
        text = text[:pos] + _ICON_FIX % tuple(uris) + text[pos:]
    text = text.replace('<meta http-equiv="content-type" content="text/html; charset=UTF-8" />',
                        '<meta charset="utf-8" />', 1)
    leftover = _SCRIPT_SRC.findall(text) + [u for u in _LINK_HREF.findall(text)]
    if leftover:
        raise MapAssetError(f"external assets remain in the map page: {leftover}")
    return text


def save_map(m: folium.Map, path: str | Path, layer_control: bool = True) -> Path:
    """Render ``m`` with :func:`render_map` and write it atomically to ``path`` (UTF-8)."""
    return atomic_write_text(path, render_map(m, layer_control=layer_control))


def _map_of(el) -> folium.Map:
    node = el
    while node is not None and not isinstance(node, folium.Map):
        node = node._parent
    if node is None:
        raise ValueError("add the layer to a folium.Map (via feature_group) before drawing into it")
    return node


def _labels(lang: str) -> dict:
    if lang == "zh":
        return {"facilities": "设施", "id": "编号", "operator": "运营方", "tier": "层级", "brand": "品牌",
                "capacity": "日处理能力 (件/日)", "unlimited": "不限"}
    return {"facilities": "Facilities", "id": "ID", "operator": "Operator", "tier": "Tier", "brand": "Brand",
            "capacity": "Capacity (parcels/day)", "unlimited": "unlimited"}


# keep Figure/Element importable for callers that build custom elements on the same base
_ = (Element, Figure)
