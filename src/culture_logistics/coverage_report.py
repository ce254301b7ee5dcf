"""Coverage outputs: reach tables (CSV/XLSX/JSON) and the coverage map, for planners and officials.

:func:`build_coverage_report` computes every output in memory (tables, workbook sheets, the
rendered HTML page); :meth:`CoverageReport.write` then writes them with the atomic writers of
:mod:`culture_logistics.outputs`, so a failure never leaves half-written files.

Files (see README, "Coverage outputs")
------------------------------------
``village_reach.csv``   one row per village (``VILLAGE_REACH_COLUMNS``), sorted by code
``township_reach.csv``  one row per township (``TOWNSHIP_REACH_COLUMNS``)
``gaps.csv``            villages not reached (``GAP_COLUMNS``): missing operators, distance to each
``summary.json``        county figures, ``by_operator`` {operator: {villages_reached, population_reached}}
``village_reach.xlsx``  a county summary sheet, a gaps sheet, one sheet per township; codes as text
``coverage_map.html``   the map (offline: Leaflet inlined)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .coverage import CoverageResult, compute_coverage
from .errors import CultureLogisticsError
from .scenario import CARRIERS, OPERATOR_ZH

FILES = ("village_reach.csv", "township_reach.csv", "gaps.csv", "summary.json", "village_reach.xlsx",
         "coverage_map.html")

#: reach-rate classes of the township choropleth: [lo, hi) except the last, which includes 1.0
RATE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
RATE_COLORS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")  # ColorBrewer RdYlGn-5

_HEAD = {
    "zh": {
        "village_code": "村代码", "village_name": "村名", "township_code": "乡镇代码", "township_name": "乡镇(街道)",
        "population": "人口", "reached": "全部运营方覆盖", "reached_any": "至少一家覆盖", "reached_by": "覆盖的运营方",
        "missing_operators": "未覆盖的运营方", "nearest_facility_id": "最近设施编号",
        "nearest_facility_name": "最近设施名称", "nearest_operator": "最近设施运营方",
        "distance_m": "网络距离(米)", "travel_time_min": "行程时间(分钟)", "villages": "村数",
        "villages_reached": "全覆盖村数", "villages_reached_any": "至少一家覆盖村数",
        "villages_unreachable": "路网不可达村数", "population_reached": "全覆盖人口",
        "population_reached_any": "至少一家覆盖人口", "reach_rate": "村覆盖率(%)",
        "population_reach_rate": "人口覆盖率(%)", "mean_distance_m": "平均距离(米)",
        "worst_distance_m": "最远距离(米)",
    },
    "en": {
        "village_code": "Village code", "village_name": "Village", "township_code": "Township code",
        "township_name": "Township", "population": "Population", "reached": "Reached (every operator)",
        "reached_any": "Reached (any operator)", "reached_by": "Reached by", "missing_operators": "Missing operators",
        "nearest_facility_id": "Nearest facility ID", "nearest_facility_name": "Nearest facility",
        "nearest_operator": "Nearest facility operator", "distance_m": "Network distance (m)",
        "travel_time_min": "Travel time (min)", "villages": "Villages", "villages_reached": "Villages reached",
        "villages_reached_any": "Villages reached by any", "villages_unreachable": "Villages not on the road network",
        "population_reached": "Population reached", "population_reached_any": "Population reached by any",
        "reach_rate": "Village reach rate (%)", "population_reach_rate": "Population reach rate (%)",
        "mean_distance_m": "Mean distance (m)", "worst_distance_m": "Worst distance (m)",
    },
}
_TEXT_COLUMNS = ("village_code", "township_code", "nearest_facility_id")


def _op(op: str, lang: str) -> str:
    return OPERATOR_ZH.get(op, op) if lang == "zh" else op


def _ops(text: str, lang: str) -> str:
    return "、".join(_op(o, lang) for o in text.split(";") if o) if lang == "zh" else text


def _head(col: str, lang: str) -> str:
    h = _HEAD[lang]
    if col in h:
        return h[col]
    for op in CARRIERS:
        if col == f"{op}_distance_m":
            return f"{OPERATOR_ZH[op]}最近设施距离(米)" if lang == "zh" else f"Nearest {op} facility (m)"
        if col == f"{op}_nearest_id":
            return f"{OPERATOR_ZH[op]}最近设施编号" if lang == "zh" else f"Nearest {op} facility ID"
        if col == f"villages_reached_by_{op}":
            return f"{OPERATOR_ZH[op]}覆盖村数" if lang == "zh" else f"Villages reached by {op}"
    return col


@dataclass
class CoverageReport:
    """Every coverage output, computed and held in memory; :meth:`write` puts them on disk.

    Attributes
    ----------
    result : the :class:`~culture_logistics.coverage.CoverageResult`.
    village_table, township_table, gap_table : the CSV tables (DataFrames of text/numbers).
    summary : the ``summary.json`` dict.
    sheets : workbook sheets {sheet name: DataFrame}; ``text_columns`` are written as text cells.
    map_html : the rendered ``coverage_map.html`` page (str), or ``None`` when not requested.
    """

    result: CoverageResult
    village_table: pd.DataFrame
    township_table: pd.DataFrame
    gap_table: pd.DataFrame
    summary: dict
    sheets: dict
    text_columns: set
    map_html: str | None
    timings_s: dict = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the files into ``out_dir`` (created when missing); returns {file name: path}."""
        from .outputs import atomic_write_text, write_csv, write_json, write_xlsx

        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise CultureLogisticsError(f"--out {out} is a file, not a folder; give a folder to write into")
        t0 = time.perf_counter()
        paths = {
            "village_reach.csv": write_csv(self.village_table, out / "village_reach.csv"),
            "township_reach.csv": write_csv(self.township_table, out / "township_reach.csv"),
            "gaps.csv": write_csv(self.gap_table, out / "gaps.csv"),
            "summary.json": write_json(self.summary, out / "summary.json"),
            "village_reach.xlsx": write_xlsx(self.sheets, out / "village_reach.xlsx", text_columns=self.text_columns),
        }
        if self.map_html is not None:
            paths["coverage_map.html"] = atomic_write_text(out / "coverage_map.html", self.map_html)
        self.timings_s["write"] = time.perf_counter() - t0
        return paths


def build_coverage_report(result: CoverageResult, lang: str = "en", tiles: str = "osm",
                          with_map: bool = True) -> CoverageReport:
    """Compute every coverage output in memory (tables, workbook, map page); nothing is written.

    Parameters
    ----------
    result : from :func:`~culture_logistics.coverage.compute_coverage`.
    lang : ``"en"`` or ``"zh"``: workbook headers and values, and the map's labels.
    tiles : base map of the page: ``"osm"``, ``"amap"`` (GCJ-02 shift applied) or ``"none"``.
    """
    from .maps import render_map

    if lang not in ("en", "zh"):
        raise CultureLogisticsError(f"unknown language {lang!r}; choose en or zh")
    t = {}
    t0 = time.perf_counter()
    village = result.village_table()
    township = result.township_table()
    gaps = result.gap_table()
    summary = coverage_summary(result)
    sheets, text_cols = workbook_sheets(result, lang)
    t["tables"] = time.perf_counter() - t0
    html = None
    if with_map:
        t0 = time.perf_counter()
        m = coverage_map(result, tiles=tiles, lang=lang)
        t["map_build"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        html = render_map(m)
        t["map_render"] = time.perf_counter() - t0
    return CoverageReport(result, village, township, gaps, summary, sheets, text_cols, html, t)


def coverage_summary(result: CoverageResult) -> dict:
    """``summary.json``: :meth:`CoverageResult.summary` plus the township count and the definitions used."""
    s = result.summary()
    s["townships"] = int(result.villages["township_code"].nunique())
    s["definitions"] = {
        "reached_by": "a facility of the operator, or a shared co-delivery point, within radius_m along the road network",
        "reached": "reached by every carrying operator that has a facility in the county (see 'carriers')",
        "reached_any": "reached by at least one carrying operator",
        "distance": "network metres: access leg + shortest road path + access leg",
    }
    return s


def workbook_sheets(result: CoverageResult, lang: str = "en") -> tuple[dict, set]:
    """Sheets of ``village_reach.xlsx``: county summary, gaps, then one sheet per township.

    Codes are text; yes/no (是/否) for the reach flags; operators in Chinese with ``lang="zh"``;
    distances in whole metres (empty when unreachable), times in minutes, rates in percent.
    """
    v = result.villages
    fac_name = dict(zip(result.scenario.facilities["id"], result.scenario.facilities["name"]))
    yes, no = ("是", "否") if lang == "zh" else ("yes", "no")

    def dist(col, nd=0):
        x = v[col].astype(float).to_numpy()
        return [round(float(d), nd) if np.isfinite(d) else None for d in x]

    table = pd.DataFrame({
        "village_code": v["village_code"], "village_name": v["village_name"],
        "township_code": v["township_code"], "township_name": v["township_name"],
        "population": v["population"].astype(int),
        "reached": np.where(v["reached"], yes, no), "reached_any": np.where(v["reached_any"], yes, no),
        "reached_by": [_ops(x, lang) for x in v["reached_by"]],
        "missing_operators": [_ops(x, lang) for x in v["missing_operators"]],
        "nearest_facility_id": v["nearest_facility_id"],
        "nearest_facility_name": [fac_name.get(i, "") for i in v["nearest_facility_id"]],
        "nearest_operator": [_op(x, lang) if x else "" for x in v["nearest_operator"]],
        "distance_m": [None if d is None else int(d) for d in dist("distance_m")],
        "travel_time_min": dist("travel_time_min", 1),
    })
    for op in result.carriers:
        table[f"{op}_distance_m"] = [None if d is None else int(d) for d in dist(f"dist_{op}_m")]
    tw = result.township_table().copy()
    for c in ("reach_rate", "population_reach_rate"):
        tw[c] = (tw[c] * 100).round(1)
    drop = [f"villages_reached_by_{op}" for op in CARRIERS if op not in result.carriers]
    tw = tw.drop(columns=drop)
    s = result.summary()
    total = {c: None for c in tw.columns}
    total.update({
        "township_code": "", "township_name": "全县合计" if lang == "zh" else "County total",
        "villages": s["villages"], "villages_reached": s["villages_reached"],
        "villages_reached_any": s["villages_reached_any"], "villages_unreachable": s["villages_unreachable"],
        "population": s["population"], "population_reached": s["population_reached"],
        "population_reached_any": s["population_reached_any"],
        "reach_rate": round(100 * s["villages_reached"] / s["villages"], 1) if s["villages"] else 0.0,
        "population_reach_rate": round(100 * s["population_reached"] / s["population"], 1) if s["population"] else 0.0,
    })
    fin = v["distance_m"].astype(float)
    fin = fin[np.isfinite(fin)]
    total["mean_distance_m"] = round(float(fin.mean()), 0) if len(fin) else None
    total["worst_distance_m"] = round(float(fin.max()), 0) if len(fin) else None
    for op in result.carriers:
        total[f"villages_reached_by_{op}"] = s["by_operator"][op]["villages_reached"]
    tw = pd.concat([tw, pd.DataFrame([total])], ignore_index=True)

    def localise(df):
        return df.rename(columns={c: _head(c, lang) for c in df.columns})

    sheets = {("全县汇总" if lang == "zh" else "County summary"): localise(tw)}
    gap_rows = table[~v["reached"].to_numpy()]
    sheets["缺口村" if lang == "zh" else "Gaps"] = localise(gap_rows)
    for (code, name), g in table.groupby(["township_code", "township_name"], sort=True):
        sheets[f"{code} {name}"] = localise(g)
    text_cols = {_head(c, lang) for c in _TEXT_COLUMNS}
    return sheets, text_cols


# ------------------------------------------------------------------------------------- the map
_T = {
    "en": {
        "title": "{name} ({code}) — village reach within {r:,.0f} m along roads",
        "sub": "{reached:,} of {n:,} villages reached by every operator ({rate:.1%}); {any:,} by at least one; "
               "{gaps:,} gaps",
        "villages_reached": "Villages: reached ({n:,})", "villages_partial": "Gap villages: some operators missing ({n:,})",
        "villages_gap": "Gap villages: no operator within reach ({n:,})",
        "townships": "Townships: reach rate", "area": "Service area: {op}, {km:,.0f} km of road",
        "area_noroad": "Service area: {op}",
        "lg_villages": "Villages", "lg_reached": "reached by every operator ({n:,})",
        "lg_partial": "gap: some operators missing ({n:,})", "lg_gap": "gap: no operator within {r:,.0f} m ({n:,})",
        "lg_fac": "Facilities (colour = operator)", "lg_tier": "Facility tier (shape)", "lg_tw": "Townships: share of villages reached",
        "lg_area": "Service areas (toggle in the layer list)", "lg_other": "Other", "lg_boundary": "county boundary",
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
        "sub": "全部运营方覆盖 {reached:,}/{n:,} 村（{rate:.1%}）；至少一家覆盖 {any:,} 村；缺口 {gaps:,} 村",
        "villages_reached": "已覆盖村（{n:,}）", "villages_partial": "缺口村：部分运营方未覆盖（{n:,}）",
        "villages_gap": "缺口村：无运营方覆盖（{n:,}）",
        "townships": "乡镇覆盖率", "area": "服务范围：{op}，路网 {km:,.0f} 公里",
        "area_noroad": "服务范围：{op}",
        "lg_villages": "村", "lg_reached": "全部运营方覆盖（{n:,}）", "lg_partial": "缺口：部分运营方未覆盖（{n:,}）",
        "lg_gap": "缺口：{r:,.0f} 米内无运营方（{n:,}）", "lg_fac": "设施（颜色 = 运营方）", "lg_tier": "设施层级（形状）",
        "lg_tw": "乡镇：已覆盖村的比例", "lg_area": "服务范围（在图层列表中开关）", "lg_other": "其他", "lg_boundary": "县界",
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
    return int(min(np.searchsorted(RATE_BINS, rate, side="right") - 1, len(RATE_COLORS) - 1))


def coverage_map(result: CoverageResult, tiles: str = "osm", lang: str = "en", service_areas: bool = True):
    """The coverage map (a folium.Map; save with :func:`culture_logistics.maps.save_map`).

    Layers: county boundary; townships shaded by reach rate (approximate areas, see
    :func:`culture_logistics.maps.township_areas`); each operator's network service area (hidden at
    start); facilities by operator (colour) and tier (shape), one layer per operator; villages in
    three layers — reached (small, green), gaps with some operators missing (orange, larger) and
    gaps with no operator (red, largest, drawn last so they sit on top).  Every village and facility
    has a popup (name, code, operator, nearest facility, distance); a title and a legend explain every
    colour.
    """
    from . import maps

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
    sub = T["sub"].format(reached=s["villages_reached"], n=s["villages"], rate=s["reach_rate"],
                          any=s["villages_reached_any"], gaps=s["villages"] - s["villages_reached"])
    m = maps.base_map(scn, title, tiles=tiles, lang=lang, subtitle=sub)

    # townships (choropleth)
    areas = maps.township_areas(v, scn.boundary, scn.metric_crs)
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
                    f"({float(row['reach_rate']):.0%})")
        pops.append(maps.popup_html(f"{a.township_name} ({a.township_code})", [
            (T["tw_villages"], f"{int(row['villages_reached'])}/{int(row['villages'])} ({float(row['reach_rate']):.1%})"),
            (T["tw_any"], f"{int(row['villages_reached_any'])}/{int(row['villages'])}"),
            (T["tw_pop"], f"{int(row['population_reached']):,}/{int(row['population']):,} "
                          f"({float(row['population_reach_rate']):.1%})"),
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
    lon, lat = v["lon"].to_numpy(float), v["lat"].to_numpy(float)
    names = [T["villages_reached"], T["villages_partial"], T["villages_gap"]]

    def villages(k):
        sel = np.flatnonzero(status == k)
        fg = maps.feature_group(m, names[k].format(n=counts[k]))
        sub_pop = maps.PopupTable(popups.labels, [popups.titles[i] for i in sel], [popups.values[i] for i in sel])
        maps.add_points(fg, lon[sel], lat[sel], styles, np.full(len(sel), k), sub_pop,
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

    # legend
    sc = maps.STATUS_COLORS
    fac_items = [(maps.swatch_icon(maps.facility_icon(op, "township")), maps.operator_label(op, lang))
                 for op in ("postal", "supply_coop", "courier", "shared") if (f["operator"] == op).any()]
    tier_items = [(maps.swatch_icon(maps.facility_icon("", t, color="#666666")), maps.tier_label(t, lang))
                  for t in ("county", "township", "village")]
    tw_items = [(maps.swatch_fill(c, 0.6, "#555555"),
                 f"{int(RATE_BINS[i] * 100)}–{int(RATE_BINS[i + 1] * 100)} %") for i, c in enumerate(RATE_COLORS)]
    sections = [
        (T["lg_villages"], [(maps.swatch_circle(sc["reached"], 4), T["lg_reached"].format(n=counts[0])),
                            (maps.swatch_circle(sc["partial"], 6, "#a33f00", 3), T["lg_partial"].format(n=counts[1])),
                            (maps.swatch_circle(sc["gap"], 8, "#a50f15", 3), T["lg_gap"].format(r=r, n=counts[2]))]),
        (T["lg_fac"], fac_items),
        (T["lg_tier"], tier_items),
        (T["lg_tw"], tw_items),
    ]
    if area_rows:
        sections.append((T["lg_area"], [(maps.swatch_fill(maps.OPERATOR_COLORS[op], 0.35, maps.OPERATOR_COLORS[op]),
                                         maps.operator_label(op, lang)) for op in area_rows]))
    if scn.boundary is not None:
        sections.append((T["lg_other"], [(maps.swatch_line("#333333", dash=True, width=2), T["lg_boundary"])]))
    carriers = ", ".join(maps.operator_label(c, lang) for c in result.carriers) or maps.operator_label("shared", lang)
    notes = [T["note_def"].format(r=r, carriers=carriers), T["note_tw"]]
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
    from .maps import PopupTable, operator_label

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


# ------------------------------------------------------------------------------------- demo / CLI
def run_coverage(scenario, out_dir: str | Path, radius_m: float | None = None, lang: str = "en",
                 tiles: str = "osm", with_map: bool = True) -> tuple[CoverageReport, dict[str, Path]]:
    """Compute coverage of a loaded scenario, build every output, then write them into ``out_dir``."""
    if radius_m is not None and not (np.isfinite(radius_m) and radius_m > 0):
        raise CultureLogisticsError(f"--radius must be a positive number of metres, got {radius_m}")
    t0 = time.perf_counter()
    result = compute_coverage(scenario, radius_m=radius_m)
    t_cov = time.perf_counter() - t0
    report = build_coverage_report(result, lang=lang, tiles=tiles, with_map=with_map)
    report.timings_s["coverage"] = t_cov
    paths = report.write(out_dir)
    return report, paths


def summary_lines(report: CoverageReport) -> list[str]:
    """A short human summary (3–5 lines) of a coverage report."""
    s = report.summary
    n = s["villages"] or 1
    pop = s["population"] or 1
    lines = [
        f"Coverage of {s['county']} {s['county_name']}: radius {s['radius_m']:,.0f} m along the road network; "
        f"carriers present: {', '.join(s['carriers']) or 'none (shared points only)'}",
        f"  reached by every carrier: {s['villages_reached']:,}/{s['villages']:,} villages "
        f"({s['villages_reached'] / n:.1%}), population {s['population_reached']:,}/{s['population']:,} "
        f"({s['population_reached'] / pop:.1%})",
        f"  reached by at least one: {s['villages_reached_any']:,} villages; gaps: "
        f"{s['villages'] - s['villages_reached']:,} (reached by none: {s['villages'] - s['villages_reached_any']:,}, "
        f"not on the road network: {s['villages_unreachable']:,})",
        "  by operator (shared points count for every operator): " + ", ".join(
            f"{op} {d['villages_reached']:,}" for op, d in s["by_operator"].items() if op in s["carriers"]),
    ]
    if s.get("synthetic_data"):
        lines.append("  (synthetic data: coordinates, populations, facilities and roads are generated)")
    return lines


def demo_stage(scenario, out_dir: Path, time_limit_s: float | None, echo) -> dict:
    """``culture-logistics demo`` step: coverage tables and map of the scenario into ``out_dir``.

    ``time_limit_s`` is unused (no solver in this stage).  Prints two lines; returns the summary
    dict with ``files`` (paths as text) and ``seconds``.
    """
    t0 = time.perf_counter()
    report, paths = run_coverage(scenario, out_dir)
    s = dict(report.summary)
    dt = time.perf_counter() - t0
    size = paths["coverage_map.html"].stat().st_size / 1e6
    echo(f"[coverage] {s['villages_reached']:,}/{s['villages']:,} villages reached by every operator "
         f"({s['reach_rate']:.1%}), {s['villages_reached_any']:,} by at least one, "
         f"{s['villages'] - s['villages_reached']:,} gaps ({dt:.1f} s)")
    echo(f"       {Path(out_dir) / 'coverage_map.html'} ({size:.1f} MB), village_reach.csv/.xlsx, gaps.csv")
    s["files"] = {k: str(p) for k, p in paths.items()}
    s["seconds"] = round(dt, 2)
    return s
