"""Layers and markers drawn from compact embedded JSON: canvas points, CSS icons, lines and polygons, popups.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from culture_logistics.reports.maps.encode import (
    _DECODE_JS,
    _color,
    _encode_geometry,
    _js,
    esc,
    to_map_geometry,
    to_map_lonlat,
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

    def render(self, **kwargs):
        """As :meth:`MacroElement.render`, but the script goes into the page as text: branca would compile
        it as a Jinja template (a fifth of rendering a route map, the data being long) only to render it back
        unchanged — it holds no template syntax (:func:`~culture_logistics.reports.maps.encode._js`) — less
        the one trailing newline Jinja drops.  A script with template syntax or a CR still goes through Jinja."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
        script = self._template.module.__dict__["script"](self, kwargs)
        if _JINJA_SYNTAX.search(script) or "\r" in script:
            figure.script.add_child(Element(script), name=self.get_name())
        else:
            figure.script.add_child(_Verbatim(script[:-1] if script.endswith("\n") else script), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


_JINJA_SYNTAX = re.compile(r"\{[{%#]")


class _Verbatim(Element):
    """Page text rendered as it is."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


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
        out: list = [esc(str(self.titles[i]))]
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
               tooltips: Sequence[str] | None = None, kind: str = "point", labels: Sequence[str] | None = None) -> int:
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
    labels : per point, plain text shown always beside the marker (a permanent tooltip, e.g. a site's
        name; escaped here), or None; a point with a label shows no hover tooltip.

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
        row: list = [float(y[i]), float(x[i]), int(idx[i])]
        tip = tooltips[i] if tooltips is not None else None
        lab = labels[i] if labels is not None else None
        if pops[i] or tip or lab:
            row.append(pops[i])
        if tip or lab:
            row.append(esc(str(tip)) if tip else 0)
        if lab:
            row.append(esc(str(lab)))
        data.append(row)
    code = (_SHAPE_JS + prelude + f"var S={_js(list(styles))},D={_js(data)},K={_js(kind)};"
            "for(var i=0;i<D.length;i++){var p=D[i],o=Object.assign({clKind:K},S[p[2]]);"
            "var mk=new L.ClMark([p[0],p[1]],o);" + _BIND_POPUP +
            "if(p[5]){mk.bindTooltip(p[5],{permanent:true,direction:'right',className:'cl-label',"
            "offset:[(o.radius||5)+2,0]});}else if(p[4]){mk.bindTooltip(p[4]);}mk.addTo(parent);}")
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
        props: dict[str, Any] = {"s": int(style_index[i])}
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


def _map_of(el) -> folium.Map:
    node = el
    while node is not None and not isinstance(node, folium.Map):
        node = node._parent
    if node is None:
        raise ValueError("add the layer to a folium.Map (via feature_group) before drawing into it")
    return node

