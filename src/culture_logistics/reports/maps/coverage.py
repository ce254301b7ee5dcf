"""The coverage map: townships shaded by reach, service areas, facilities, villages by status.
"""
from __future__ import annotations

import numpy as np

from culture_logistics.coverage.reach import CoverageResult
from culture_logistics.geo import areas as _areas
from culture_logistics.reports.maps import base as maps
from culture_logistics.reports.maps.base import PopupTable, operator_label
from culture_logistics.reports.numbers import pct_text

#: reach-rate classes of the township choropleth: [lo, hi) except the last, which includes 1.0
RATE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


RATE_COLORS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")  # ColorBrewer RdYlGn-5


# ------------------------------------------------------------------------------------- the map
_T = {
    "en": {
        "title": "{name} ({code}) — village reach within {r:,.0f} m along roads",
        "sub": "{reached:,} of {n:,} villages reached by every operator ({rate}); {any:,} by at least one; "
               "{gaps:,} gaps",
        "villages_reached": "Villages: reached ({n:,})", "villages_partial": "Gap villages: some operators missing ({n:,})",
        "villages_gap": "Gap villages: no operator within reach ({n:,})",
        "townships": "Townships: reach rate", "area": "Service area: {op}, {km:,.0f} km of road",
        "area_noroad": "Service area: {op}",
        "lg_villages": "Villages", "lg_reached": "reached by every operator ({n:,})",
        "lg_partial": "gap: some operators missing ({n:,})", "lg_miss1": "gap: {op} missing (letter in the dot) ({n:,})",
        "lg_missk": "gap: {k} operators missing (number in the dot) ({n:,})",
        "lg_miss_note": "An orange ring marks a gap village reached by some operators: its fill is the colour of the "
                        "missing operator, the character in it the operator's initial (邮 postal, 供 supply co-op, "
                        "快 courier), or the number of missing operators.", "lg_gap": "gap: no operator within {r:,.0f} m ({n:,})",
        "lg_fac": "Facilities (colour = operator)", "lg_tier": "Facility tier (shape)", "lg_tw": "Townships: share of villages reached",
        "lg_area": "Service areas (toggle in the layer list)", "lg_other": "Other", "lg_boundary": "county boundary",
        "lg_dest": "Cultural destinations (reached: {k} of {n})", "lg_dest_nearest": "Nearest facility",
        "note_def": "Reached by an operator = one of its facilities, or a shared co-delivery point, within {r:,.0f} m "
                    "along the road network. Reached = reached by every operator present ({carriers}).",
        "note_tw": "Township areas are approximate: Voronoi cells of the villages, merged by township and clipped "
                   "to the county boundary (the data has no township polygons).",
        "note_area": "Service area of an operator: the roads within {r:,.0f} m of its facilities or the shared points, along the network, drawn {b:.0f} m either side.",
        "note_syn": "SYNTHETIC DATA: village coordinates, populations, facilities and roads are generated, not surveyed.",
        "note_amap": "Base map Amap/Gaode (GCJ-02): all data shifted from WGS-84 to GCJ-02 to line up.",
        "note_bbox": "County outline is only the bounding box (no boundary polygon available).",
        "code": "Code", "township": "Township", "population": "Population", "status": "Status",
        "reached_by": "Reached by", "missing": "Missing operators", "nearest": "Nearest facility",
        "nearest_op": "Operator", "distance": "Network distance", "time": "Travel time",
        "st_reached": "reached by every operator", "st_partial": "gap — missing {ops}",
        "st_gap": "gap — no operator within {r:,.0f} m", "st_unreach": "unreachable — not connected to the road network",
        "nearest_of": "Nearest {op}", "none": "none",
        "tw_villages": "Villages reached", "tw_any": "Reached by any", "tw_pop": "Population reached",
        "tw_mean": "Mean distance", "tw_worst": "Worst distance", "tw_area": "Area (approx.)",
        "fac_nearest": "Nearest facility of", "fac_villages": "{n:,} villages ({k:,} within {r:,.0f} m)",
    },
    "zh": {
        "title": "{name}（{code}）村级覆盖：沿路网 {r:,.0f} 米以内",
        "sub": "全部运营方覆盖 {reached:,}/{n:,} 村（{rate}）；至少一家覆盖 {any:,} 村；缺口 {gaps:,} 村",
        "villages_reached": "已覆盖村（{n:,}）", "villages_partial": "缺口村：部分运营方未覆盖（{n:,}）",
        "villages_gap": "缺口村：无运营方覆盖（{n:,}）",
        "townships": "乡镇覆盖率", "area": "服务范围：{op}，路网 {km:,.0f} 公里",
        "area_noroad": "服务范围：{op}",
        "lg_villages": "村", "lg_reached": "全部运营方覆盖（{n:,}）", "lg_partial": "缺口：部分运营方未覆盖（{n:,}）",
        "lg_miss1": "缺口：缺{op}（{n:,}）", "lg_missk": "缺口：缺 {k} 家运营方（点内数字）（{n:,}）",
        "lg_miss_note": "橙色圈为部分运营方已覆盖的缺口村：填充色为缺少的运营方颜色，点内文字为其简称（邮 邮政、供 供销社、快 快递），"
                        "或缺少的运营方个数。",
        "lg_gap": "缺口：{r:,.0f} 米内无运营方（{n:,}）", "lg_fac": "设施（颜色 = 运营方）", "lg_tier": "设施层级（形状）",
        "lg_tw": "乡镇：已覆盖村的比例", "lg_area": "服务范围（在图层列表中开关）", "lg_other": "其他", "lg_boundary": "县界",
        "lg_dest": "文化目的地（已覆盖 {k}/{n}）", "lg_dest_nearest": "最近设施",
        "note_def": "某运营方覆盖 = 沿路网 {r:,.0f} 米内有其设施或共配点。全覆盖 = 县内所有运营方（{carriers}）均覆盖。",
        "note_tw": "乡镇范围为近似：按村点泰森多边形（Voronoi）合并到乡镇并裁剪到县界（数据中没有乡镇边界）。",
        "note_area": "运营方服务范围：沿路网距其设施或共配点 {r:,.0f} 米以内的道路，两侧各 {b:.0f} 米。",
        "note_syn": "合成数据：村坐标、人口、设施与道路为生成数据，并非实测。",
        "note_amap": "底图为高德地图（GCJ-02）：所有数据已由 WGS-84 转换为 GCJ-02 以便对齐。",
        "note_bbox": "县界仅为外接矩形（无边界多边形）。",
        "code": "代码", "township": "乡镇", "population": "人口", "status": "状态", "reached_by": "覆盖的运营方",
        "missing": "未覆盖的运营方", "nearest": "最近设施", "nearest_op": "运营方", "distance": "网络距离",
        "time": "行程时间", "st_reached": "全部运营方覆盖", "st_partial": "缺口：缺少{ops}",
        "st_gap": "缺口：{r:,.0f} 米内无运营方", "st_unreach": "不可达：未连通路网", "nearest_of": "最近{op}设施",
        "none": "无", "tw_villages": "全覆盖村", "tw_any": "至少一家覆盖", "tw_pop": "全覆盖人口",
        "tw_mean": "平均距离", "tw_worst": "最远距离", "tw_area": "面积（近似）",
        "fac_nearest": "为以下村的最近设施", "fac_villages": "{n:,} 个村（其中 {k:,} 个在 {r:,.0f} 米内）",
    },
}


SERVICE_AREA_WIDTH_M = 300.0  # service-area bands: the roads within reach, 150 m either side


def _m(d: float, lang: str) -> str:
    if d is None or not np.isfinite(d):
        return "–"
    return f"{d:,.0f} 米" if lang == "zh" else f"{d:,.0f} m"


def _min(t: float, lang: str) -> str:
    if t is None or not np.isfinite(t):
        return "–"
    return f"{t:.1f} 分钟" if lang == "zh" else f"{t:.1f} min"


def rate_class(rate: float) -> int:
    """Index of ``rate`` (0–1) in ``RATE_BINS`` (the last class includes 1.0)."""
    return int(min(np.searchsorted(RATE_BINS, rate, side="right") - 1,  # type: ignore[call-overload]
                   len(RATE_COLORS) - 1))


def coverage_map(result: CoverageResult, tiles: str = "osm", lang: str = "en", service_areas: bool = True):
    """The coverage map (a folium.Map; save with :func:`culture_logistics.reports.maps.assets.save_map`).

    Layers: county boundary; townships shaded by reach rate (approximate areas, see
    :func:`culture_logistics.geo.areas.township_areas`); each operator's network service area (hidden at
    start); facilities by operator (colour) and tier (shape), one layer per operator; villages in
    three layers — reached (small, green), gaps with some operators missing (orange ring; filled with
    the missing operator's colour and initial 邮/供/快, or the number missing) and gaps with no operator
    (red, largest, drawn last so they sit on top).  Every village and facility
    has a popup (name, code, operator, nearest facility, distance); a title and a legend explain every
    colour.

    The layers are created in drawing order — a layer added later is
    drawn on top and takes the click — and the legend counts what the layers drew; split up, the order
    and the counts would be spread over helpers passing a dozen arrays.
    """

    T = _T[lang]
    scn = result.scenario
    v = result.villages
    s = result.summary()
    r = result.radius_m
    reached = v["reached"].to_numpy(bool)
    any_ = v["reached_any"].to_numpy(bool)
    status = np.where(reached, 0, np.where(any_, 1, 2))
    counts = [int((status == k).sum()) for k in range(3)]
    title = T["title"].format(name=scn.name, code=scn.adcode, r=r)
    sub = T["sub"].format(reached=s["villages_reached"], n=s["villages"], rate=pct_text(s["reach_rate"]),
                          any=s["villages_reached_any"], gaps=s["villages"] - s["villages_reached"])
    m = maps.base_map(scn, title, tiles=tiles, lang=lang, subtitle=sub)

    # townships (choropleth)
    areas = _areas.township_areas(v, scn.boundary, scn.metric_crs)
    tw = result.townships.set_index("township_code")
    geoms, idx, pops, tips = [], [], [], []
    for a in areas.itertuples():
        if a.township_code not in tw.index:
            continue
        row = tw.loc[a.township_code]
        k = rate_class(float(row["reach_rate"]))
        geoms.append(a.geometry)
        idx.append(k)
        tips.append(f"{a.township_name}: {int(row['villages_reached'])}/{int(row['villages'])} "
                    f"({pct_text(float(row['reach_rate']))})")
        pops.append(maps.popup_html(f"{a.township_name} ({a.township_code})", [
            (T["tw_villages"], f"{int(row['villages_reached'])}/{int(row['villages'])} ({pct_text(float(row['reach_rate']))})"),
            (T["tw_any"], f"{int(row['villages_reached_any'])}/{int(row['villages'])}"),
            (T["tw_pop"], f"{int(row['population_reached']):,}/{int(row['population']):,} "
                          f"({pct_text(float(row['population_reach_rate']))})" if int(row["population"]) else "–"),
            (T["tw_mean"], _m(row["mean_distance_m"] if row["mean_distance_m"] is not None else np.nan, lang)),
            (T["tw_worst"], _m(row["worst_distance_m"] if row["worst_distance_m"] is not None else np.nan, lang)),
            (T["tw_area"], f"{a.area_km2:,.0f} km²"),
        ]))
    fg_tw = maps.feature_group(m, T["townships"])
    tw_styles = [{"color": "#555555", "weight": 1, "opacity": 0.7, "fillColor": c, "fillOpacity": 0.28}
                 for c in RATE_COLORS]
    maps.add_geojson(fg_tw, geoms, tw_styles, idx, pops, tips, kind="township")
    maps.add_boundary(m, scn)

    # service areas (hidden at start): the roads within reach, drawn as bands SERVICE_AREA_WIDTH_M wide
    area_rows = []
    if service_areas and len(scn.facilities):
        roads = result.network is not None and result.network.has_roads
        # without roads: discs of radius / circuity around the facilities
        sa = result.service_area_lines() if roads else result.service_areas()
        for a in sa.itertuples():
            color = maps.OPERATOR_COLORS[a.operator]
            name = (T["area"].format(op=maps.operator_label(a.operator, lang), km=a.road_km) if a.road_km == a.road_km
                    else T["area_noroad"].format(op=maps.operator_label(a.operator, lang)))
            fg = maps.feature_group(m, name, show=False)
            if roads:
                maps.add_geojson(fg, [a.geometry], [{"color": color, "opacity": 0.35, "lineCap": "round",
                                                     "lineJoin": "round"}], [0], kind=f"service_area:{a.operator}",
                                 interactive=False, width_m=SERVICE_AREA_WIDTH_M)
            else:
                maps.add_geojson(fg, [a.geometry], [{"color": color, "weight": 1.5, "fillColor": color,
                                                     "fillOpacity": 0.18}], [0], kind=f"service_area:{a.operator}",
                                 interactive=False)
            area_rows.append(a.operator)

    # villages reached (small, under the facilities), facilities, then gaps on top of everything
    f = scn.facilities
    fac_name = dict(zip(f["id"], f["name"]))
    popups, tips = _village_popups(result, status, fac_name, lang)
    styles = [
        {"radius": 4, "color": "#ffffff", "weight": 1, "fillColor": maps.STATUS_COLORS["reached"], "fillOpacity": 0.95},
        {"radius": 7, "color": "#a33f00", "weight": 3, "fillColor": maps.STATUS_COLORS["partial"], "fillOpacity": 0.6},
        {"radius": 9, "color": "#a50f15", "weight": 3, "fillColor": maps.STATUS_COLORS["gap"], "fillOpacity": 0.6},
    ]
    # a gap village reached by some operators shows which are missing: fill and initial of the one missing,
    # or the number missing
    missing_sets = [tuple(sorted(o for o in str(x).split(";") if o)) for x in v["missing_operators"]]
    style_of = {}
    vstyle = status.copy()
    for i in np.flatnonzero(status == 1):
        key = missing_sets[i]
        if key not in style_of:
            style_of[key] = len(styles)
            one = len(key) == 1
            # an orange ring tells a gap from a facility (white border) of the same colour
            styles.append({"radius": 8, "color": maps.STATUS_COLORS["partial"] if one else "#a33f00", "weight": 3.5,
                           "fillOpacity": 0.95,
                           "fillColor": maps.OPERATOR_COLORS[key[0]] if one else maps.STATUS_COLORS["partial"],
                           "label": maps.OPERATOR_SHORT_ZH[key[0]] if one else str(len(key))})
        vstyle[i] = style_of[key]
    lon, lat = v["lon"].to_numpy(float), v["lat"].to_numpy(float)
    names = [T["villages_reached"], T["villages_partial"], T["villages_gap"]]

    def villages(k):
        sel = np.flatnonzero(status == k)
        fg = maps.feature_group(m, names[k].format(n=counts[k]))
        sub_pop = maps.PopupTable(popups.labels, [popups.titles[i] for i in sel], [popups.values[i] for i in sel])
        maps.add_points(fg, lon[sel], lat[sel], styles, vstyle[sel], sub_pop,
                        [tips[i] for i in sel], kind="village")

    villages(0)
    extra = {}
    if len(f):
        nearest_counts = v.groupby("nearest_facility_id").size()
        within = v[v["distance_m"].astype(float) <= r].groupby("nearest_facility_id").size()
        for fid in f["id"]:
            n = int(nearest_counts.get(fid, 0))
            k = int(within.get(fid, 0))
            extra[fid] = [(T["fac_nearest"], T["fac_villages"].format(n=n, k=k, r=r))]
    maps.add_facilities(m, f, lang=lang, extra_rows=extra)
    villages(1)
    villages(2)
    dest = result.destinations
    dest_keys = maps.add_destinations(
        m, scn.destinations, lang,
        visits=None if dest is None else {i: (f"{operator_label(op, lang)} {_m(dm, lang)}" if op else None)
                                          for i, op, dm in zip(dest["destination_id"], dest["nearest_operator"],
                                                               dest["distance_m"])},
        visits_label=T["lg_dest_nearest"])

    # legend
    sc = maps.STATUS_COLORS
    partial_items = []
    n_of = {key: sum(1 for i in np.flatnonzero(status == 1) if missing_sets[i] == key) for key in style_of}
    for op in result.carriers:
        if (op,) in n_of:
            partial_items.append((maps.swatch_text(maps.OPERATOR_COLORS[op], maps.OPERATOR_SHORT_ZH[op], sc["partial"]),
                                  T["lg_miss1"].format(op=operator_label(op, lang), n=n_of[(op,)])))
    for k in sorted({len(key) for key in n_of if len(key) > 1}):
        partial_items.append((maps.swatch_text(sc["partial"], str(k), "#a33f00"),
                              T["lg_missk"].format(k=k, n=sum(c for key, c in n_of.items() if len(key) == k))))
    fac_items = [(maps.swatch_icon(maps.facility_icon(op, "township")), maps.operator_label(op, lang))
                 for op in ("postal", "supply_coop", "courier", "shared") if (f["operator"] == op).any()]
    tier_items = [(maps.swatch_icon(maps.facility_icon("", t, color="#666666")), maps.tier_label(t, lang))
                  for t in ("county", "township", "village")]
    tw_items = [(maps.swatch_fill(c, 0.6, "#555555"),
                 f"{int(RATE_BINS[i] * 100)}–{int(RATE_BINS[i + 1] * 100)} %") for i, c in enumerate(RATE_COLORS)]
    sections = [
        (T["lg_villages"], [(maps.swatch_circle(sc["reached"], 4), T["lg_reached"].format(n=counts[0])),
                            *partial_items,
                            (maps.swatch_circle(sc["gap"], 8, "#a50f15", 3), T["lg_gap"].format(r=r, n=counts[2]))]),
        (T["lg_fac"], fac_items),
        (T["lg_tier"], tier_items),
        (T["lg_tw"], tw_items),
    ]
    if dest_keys:
        sections.append((T["lg_dest"].format(k=int(dest["reached"].sum()), n=len(dest)), dest_keys))
    if area_rows:
        sections.append((T["lg_area"], [(maps.swatch_fill(maps.OPERATOR_COLORS[op], 0.35, maps.OPERATOR_COLORS[op]),
                                         maps.operator_label(op, lang)) for op in area_rows]))
    if scn.boundary is not None:
        sections.append((T["lg_other"], [(maps.swatch_line("#333333", dash=True, width=2), T["lg_boundary"])]))
    carriers = ", ".join(maps.operator_label(c, lang) for c in result.carriers) or maps.operator_label("shared", lang)
    notes = [T["note_def"].format(r=r, carriers=carriers), T["note_tw"]] + ([T["lg_miss_note"]] if partial_items else [])
    if area_rows:
        notes.append(T["note_area"].format(r=r, b=SERVICE_AREA_WIDTH_M / 2))
    if tiles == "amap":
        notes.append(T["note_amap"])
    if getattr(scn, "boundary_source", "") == "bbox":
        notes.append(T["note_bbox"])
    if scn.synthetic:
        notes.append(T["note_syn"])
    maps.add_legend(m, sections, notes)
    return m


def _village_popups(result: CoverageResult, status: np.ndarray, fac_name: dict, lang: str):
    """(PopupTable of every village, tooltips): name, code, township, population, status, who reaches it,
    nearest facility and distance, and for each missing operator its nearest facility and distance."""

    T = _T[lang]
    v = result.villages
    r = result.radius_m
    cols = ["village_code", "village_name", "township_name", "population", "reached_by", "missing_operators",
            "nearest_facility_id", "nearest_operator", "distance_m", "travel_time_min", "on_network"]
    per_op = {op: (v[f"nearest_{op}_id"].to_numpy(), v[f"dist_{op}_m"].to_numpy(float)) for op in result.carriers}
    labels = [T["code"], T["township"], T["population"], T["status"], T["reached_by"], T["nearest"],
              T["nearest_op"], T["distance"], T["time"]] + [
        T["nearest_of"].format(op=operator_label(op, lang)) for op in result.carriers]
    titles, values, tips = [], [], []
    for i, row in enumerate(v[cols].itertuples(index=False)):
        d = float(row.distance_m)
        if not np.isfinite(d) and not bool(row.on_network):
            st = T["st_unreach"]
        elif status[i] == 0:
            st = T["st_reached"]
        elif status[i] == 1:
            st = T["st_partial"].format(ops=", ".join(operator_label(o, lang) for o in row.missing_operators.split(";")))
        else:
            st = T["st_gap"].format(r=r)
        fid = row.nearest_facility_id
        vals = [row.village_code, row.township_name, f"{int(row.population):,}", st,
                ", ".join(operator_label(o, lang) for o in row.reached_by.split(";") if o) or T["none"],
                f"{fac_name.get(fid, '')} ({fid})" if fid else T["none"],
                operator_label(row.nearest_operator, lang) if row.nearest_operator else "",
                _m(d, lang), _min(float(row.travel_time_min), lang)]
        missing = set(row.missing_operators.split(";"))
        for op in result.carriers:
            if op in missing:
                ids, ds = per_op[op]
                vals.append(f"{fac_name.get(ids[i], '')} ({ids[i]}), {_m(ds[i], lang)}" if ids[i] else T["none"])
            else:
                vals.append(None)
        titles.append(row.village_name)
        values.append(vals)
        tips.append(f"{row.village_name} — {st}")
    return PopupTable(labels, titles, values), tips
