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
  every drawn coordinate WGS-84 → GCJ-02 (:func:`culture_logistics.geo.coords.wgs84_to_gcj02`) so the
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

from collections.abc import Sequence

import folium

from culture_logistics.config.model import (
    DESTINATION_KIND_ZH,
    DESTINATION_KINDS,
    OPERATOR_ZH,
    OPERATORS,
    TIER_ZH,
    TIERS,
)
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.reports.maps.assets import MapAssetError, render_map, save_map, static_dir
from culture_logistics.reports.maps.encode import (
    COORD_DECIMALS,
    css_color,
    esc,
    js_literal,
    to_map_geometry,
    to_map_lonlat,
)
from culture_logistics.reports.maps.layers import (
    BlankLayer,
    PopupTable,
    add_geojson,
    add_icon_points,
    add_points,
    feature_group,
    map_of,
    popup_html,
)
from culture_logistics.reports.maps.legend import (
    BOX_CSS,
    HtmlBox,
    add_legend,
    add_note,
    swatch_circle,
    swatch_fill,
    swatch_icon,
    swatch_line,
    swatch_shape,
    swatch_text,
)
from culture_logistics.reports.maps.screen import SCREEN_CSS

#: Everything callers use as ``maps.<name>`` (this module is the one entry point of the map helpers).
__all__ = [
    "COORD_DECIMALS", "FACILITY_STYLE", "MapAssetError", "OPERATOR_COLORS", "OPERATOR_SHORT_ZH", "PopupTable",
    "STATUS_COLORS", "TIER_SHAPES", "TILES", "DESTINATION_STYLE", "add_boundary", "add_destinations",
    "add_facilities", "destination_label", "add_geojson", "add_icon_points",
    "add_legend", "add_note", "add_points", "base_map", "esc", "facility_icon", "facility_style", "feature_group",
    "operator_label", "popup_html", "render_map", "save_map", "static_dir", "swatch_circle", "swatch_fill",
    "swatch_icon", "swatch_line", "swatch_shape", "swatch_text", "tier_label", "to_map_geometry", "to_map_lonlat",
    "js_literal", "map_of",
]


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


def operator_label(op: str, lang: str = "en") -> str:
    """Operator name for people: ``邮政`` (zh) or ``Postal (邮政)`` (en)."""
    return OPERATOR_ZH.get(op, op) if lang == "zh" else _OPERATOR_EN.get(op, op)


def tier_label(tier: str, lang: str = "en") -> str:
    return TIER_ZH.get(tier, tier) if lang == "zh" else _TIER_EN.get(tier, tier)


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
                   tiles=None, prefer_canvas=True, control_scale=False, zoom_snap=0.25)
    m.cl_tile_crs = tile_crs  # type: ignore[attr-defined]
    m.cl_lang = lang  # type: ignore[attr-defined]
    # Leaflet only: folium's Bootstrap/jQuery/Font-Awesome defaults are not needed (see module doc).
    m.default_js = [("leaflet", "leaflet.js")]
    m.default_css = [("leaflet_css", "leaflet.css")]
    blank_name = "空白底图 (blank)" if lang == "zh" else "Blank background"
    if url is not None:
        name = {"osm": "OpenStreetMap", "amap": "高德地图 Amap (GCJ-02)"}[tiles]
        folium.TileLayer(tiles=url, attr=attr, name=esc(name), subdomains=subdomains, max_zoom=18,
                         overlay=False, control=True).add_to(m)
    BlankLayer(esc(blank_name), show=url is None).add_to(m)
    lo, la = to_map_lonlat(m, [bounds[0], bounds[2]], [bounds[1], bounds[3]])
    # fitted in the page, with a padding measured on the window (screen.ScreenFit, added by render_map)
    m.cl_bounds = [[float(la[0]), float(lo[0])], [float(la[1]), float(lo[1])]]  # type: ignore[attr-defined]
    body = f"<b>{esc(title)}</b>"
    if subtitle:
        body += f"<br><span>{esc(subtitle)}</span>"
    data_section: dict = getattr(scenario, "section", lambda _: {})("data")
    if "OpenStreetMap" in str(data_section.get("attribution", "")):
        body += "<br><small>Data © OpenStreetMap contributors (ODbL)</small>"  # [data] of an import-osm scenario
    m.add_child(HtmlBox(body, "", "cl-title", css=BOX_CSS + SCREEN_CSS))
    return m


def _extent(scenario) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat), WGS-84: villages, facilities and the county boundary."""
    xs, ys = [], []
    for df in (scenario.villages, scenario.facilities):
        if len(df):
            xs += [float(df["lon"].min()), float(df["lon"].max())]
            ys += [float(df["lat"].min()), float(df["lat"].max())]
    if scenario.boundary is not None and not scenario.boundary.is_empty:
        b = scenario.boundary.bounds
        xs += [b[0], b[2]]
        ys += [b[1], b[3]]
    if not xs:
        raise CultureLogisticsError("nothing to map: the scenario has no villages, facilities or boundary")
    pad = 0.005
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad



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
    color = css_color(color or OPERATOR_COLORS.get(operator, "#555555"))
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
            pops = table  # type: ignore[assignment]
        add_points(fg, sub["lon"].to_numpy(), sub["lat"].to_numpy(), styles, idx, pops, tips,
                   kind=f"facility:{op}")
        groups[op] = fg
    return groups



#: canvas marker of a cultural destination (destinations.csv) per kind: a square with its character
DESTINATION_STYLE = {
    "culture_store": {"fillColor": "#c51b7d", "label": "超"},     # magenta: 文化超市
    "cultural_centre": {"fillColor": "#b35806", "label": "文"},   # orange-brown: 综合文化服务中心
    "library": {"fillColor": "#4d9221", "label": "书"},           # green: 农家书屋
}

_DESTINATION_EN = {"culture_store": "culture store", "cultural_centre": "cultural service centre",
                   "library": "village library"}


def destination_label(kind: str, lang: str = "en") -> str:
    """A destination kind in words: ``library`` → ``农家书屋`` / ``village library``."""
    return DESTINATION_KIND_ZH.get(kind, kind) if lang == "zh" else _DESTINATION_EN.get(kind, kind)


def add_destinations(m: folium.Map, destinations, lang: str | None = None, visits: dict | None = None,
                     visits_label: str | None = None) -> list:
    """The cultural destinations (``scenario.destinations``) as squares with a character (超 文化超市, 文 综合文化
    服务中心, 书 农家书屋), colour by kind, in one toggleable layer; nothing without destinations.

    Parameters
    ----------
    visits : optional {destination id: text} shown in its popup under ``visits_label`` (default "Served by" /
        "配送车辆": the routes that visit it).

    Returns
    -------
    list of legend entries ``(swatch, label)``, one per kind present (empty without destinations).
    """
    if destinations is None or not len(destinations):
        return []
    lang = lang or getattr(m, "cl_lang", "en")
    zh = lang == "zh"
    kinds = [k for k in DESTINATION_KINDS if (destinations["kind"] == k).any()]
    styles = [{"shape": "square", "radius": 7, "color": "#ffffff", "weight": 1.5, "fillOpacity": 1.0,
               "opacity": 1.0, **DESTINATION_STYLE[k]} for k in kinds]
    d = destinations.sort_values("id", kind="stable")
    fg = feature_group(m, f"{'文化目的地' if zh else 'Cultural destinations'} ({len(d)})")
    labels = (["编号", "类型", "所在村", "每周收件 / 寄件", "收货日"] if zh else
              ["ID", "Kind", "Village", "Parcels in / out a week", "Receiving days"])
    labels.append(visits_label or ("配送车辆" if zh else "Served by"))
    any_day = "任意配送日" if zh else "any delivery day"
    values = [[r.id, destination_label(r.kind, lang), f"{getattr(r, 'village_name', '')} ({r.village_code})",
               f"{r.in_per_week:g} / {r.out_per_week:g}", ",".join(map(str, r.days)) or any_day,
               (visits or {}).get(r.id)] for r in d.itertuples(index=False)]
    tips = [f"{r.name} ({destination_label(r.kind, lang)})" for r in d.itertuples(index=False)]
    add_points(fg, d["lon"].to_numpy(float), d["lat"].to_numpy(float), styles,
               [kinds.index(k) for k in d["kind"]], PopupTable(labels, [str(x) for x in d["name"]], values), tips,
               kind="destination")
    return [(swatch_text(DESTINATION_STYLE[k]["fillColor"], DESTINATION_STYLE[k]["label"]),
             destination_label(k, lang)) for k in kinds]


def _labels(lang: str) -> dict:
    if lang == "zh":
        return {"facilities": "设施", "id": "编号", "operator": "运营方", "tier": "层级", "brand": "品牌",
                "capacity": "日处理能力 (件/日)", "unlimited": "不限"}
    return {"facilities": "Facilities", "id": "ID", "operator": "Operator", "tier": "Tier", "brand": "Brand",
            "capacity": "Capacity (parcels/day)", "unlimited": "unlimited"}


