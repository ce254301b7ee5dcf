"""Route outputs: route_plan.csv, routes_summary.csv, unserved.csv, route_sheets.xlsx, summary.json, routes_map.html, routes.gpkg.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from culture_logistics.config.model import DESTINATION_KINDS
from culture_logistics.config.routing import hhmm
from culture_logistics.reports.gis import points_frame, write_gpkg
from culture_logistics.reports.labels import (
    SHEET_TEXT,
    column_label,
    echelon_label,
    fix_text,
    metric_label,
    op_label,
    reason_label,
    reason_text,
    rest_minutes,
    sheet_text,
    unit_label,
    vehicle_names,
    vehicle_type_label,
)
from culture_logistics.reports.maps import base as maps
from culture_logistics.reports.maps.routes import routes_map, vehicle_label
from culture_logistics.reports.sharing import sharing_artifacts, sharing_lines
from culture_logistics.reports.workbooks import Sheet, sheet_name, write_xlsx, xlsx_bytes
from culture_logistics.reports.writers import atomic_write_bytes, atomic_write_text, write_csv, write_json
from culture_logistics.routing.compare import ModeComparison
from culture_logistics.routing.lines import prepare_route_lines, route_lines
from culture_logistics.routing.parallel import map_forked
from culture_logistics.routing.plan import (
    ROUTE_PLAN_COLUMNS,
    ROUTES_SUMMARY_COLUMNS,
    RoutePlan,
)
from culture_logistics.routing.weekly import WeeklyPlan, visits_summary

# ============================================================================ outputs
#: driver-sheet columns, in order (their words: :data:`~culture_logistics.reports.labels.SHEET_TEXT`)
SHEET_COLUMNS = ("seq", "stop_name", "stop_id", "kind", "point_name", "arrive", "leave", "delivered", "picked_up",
                 "load_after", "leg_km", "sign")


#: the widest a driver-sheet column may be (character widths; longer names wrap): with these the table fits
#: an A4 landscape page at ≥ 10 pt (tests/reports/test_workbooks.py computes the print scale)
DRIVER_MAX_WIDTHS = {"seq": 6, "stop_name": 22, "stop_id": 15, "kind": 12, "point_name": 18, "arrive": 7,
                     "leave": 7, "delivered": 7, "picked_up": 7, "load_after": 12, "leg_km": 10, "sign": 20}


#: the signature column's width (character widths ≈ 35 mm printed): room for a name
DRIVER_SIGN_WIDTH = 20


#: the narrowest driver-sheet columns that hold the title block's labels (:data:`DRIVER_INFO_SLOTS`)
DRIVER_MIN_WIDTHS = {"stop_name": 14, "point_name": 14, "load_after": 12, "sign": DRIVER_SIGN_WIDTH}


DRIVER_ROW_HEIGHT_PT = 28   # room to sign on every stop row


#: the title block's three pairs a row: (label column, first and last value column) over the table's columns
DRIVER_INFO_SLOTS = [(2, 3, 4), (5, 6, 9), (10, 11, 12)]


def vehicle_sheet_names(plan: RoutePlan, lang: str = "zh") -> dict[str, str]:
    """{route_id: sheet name} a driver recognises: the depot's name and the vehicle's number there,
    e.g. ``密州街道邮政支局-1号车`` (last mile) or ``诸城市县级共配中心-干线1号车`` (trunk) (see
    :func:`~culture_logistics.reports.labels.vehicle_names`; English ``… van 1`` with ``lang="en"``).

    Names respect Excel's 31-character limit (the depot name is shortened, the vehicle number kept) and
    are unique.
    """
    names = vehicle_names(plan.routes, lang)
    used = {sheet_text("overview", lang).lower(), sheet_text("unserved", lang).lower()}
    out = {}
    for rid, ech in zip(plan.routes["route_id"], plan.routes["echelon"]):
        full = names[rid]
        cut = full.rfind("-") if lang == "zh" else full.rfind(" trunk van " if ech == "trunk" else " van ")
        out[rid] = sheet_name(full[:cut], full[cut:], used)
    return out


def _driver_info(plan: RoutePlan, route, name: str, lang: str) -> list[tuple[str, object]]:
    """The title block of one driver sheet: vehicle, operator, date (to fill in), depot, times, totals, and
    the driver's and the depot's signature boxes."""
    t = lambda key, **kw: sheet_text(key, lang, **kw)  # noqa: E731
    return [
        (t("i_vehicle"), name),
        (t("i_type"), t("vehicle_info", type=vehicle_type_label(str(route.vehicle_type), lang),
                        cap=int(route.capacity))),
        (t("i_date"), t("date_blank")),
        (t("i_operator"), op_label(route.operator, lang)),
        (t("i_echelon"), echelon_label(route.echelon, lang)),
        (t("i_depot"), str(route.depot_name)),
        (t("i_start"), hhmm(60 * route.departure_min)),
        (t("i_return"), hhmm(60 * route.return_min)),
        (t("i_km"), round(float(route.distance_m) / 1000, 1)),
        (t("i_deliver"), int(route.delivered)),
        (t("i_pickup"), int(route.picked_up)),
        (t("i_stops"), int(route.stops) if int(getattr(route, "trips", 1) or 1) <= 1 else
         t("stops_trips", n=int(route.stops), k=int(route.trips))),
        (t("driver_sign"), ""),
        (t("handover_sign"), ""),
        (t("sign_date"), ""),
    ]


def route_sheets(plan: RoutePlan, lang: str = "zh") -> dict[str, pd.DataFrame | Sheet]:
    """Workbook sheets, all in ``lang`` (``zh``/``en``): an overview, one printable driver sheet per vehicle,
    and the unserved stops.

    A driver sheet is named by :func:`vehicle_sheet_names` and is a form: a bordered title block
    (:func:`_driver_info`, with boxes for the driver's and the depot's signatures), bordered stop rows of
    :data:`DRIVER_ROW_HEIGHT_PT` points with a signature box each (:data:`DRIVER_SIGN_WIDTH` wide), columns
    capped at :data:`DRIVER_MAX_WIDTHS` (long names wrap), so it prints on A4 landscape at ≥ 10 pt.
    """
    t = lambda key, **kw: sheet_text(key, lang, **kw)  # noqa: E731
    r = plan.routes
    names = vehicle_sheet_names(plan, lang)
    people = vehicle_names(r, lang)
    ov = pd.DataFrame({
        t("ov_sheet"): [names[x] for x in r["route_id"]],
        t("ov_route"): r["route_id"], t("ov_vehicle"): [people[x] for x in r["route_id"]],
        t("ov_operator"): [op_label(o, lang) for o in r["operator"]],
        t("ov_echelon"): [echelon_label(e, lang) for e in r["echelon"]],
        t("ov_depot"): r["depot_name"].astype(str),
        t("ov_type"): [vehicle_type_label(v, lang) for v in r["vehicle_type"]],
        t("ov_capacity"): r["capacity"], t("ov_stops"): r["stops"],
        t("ov_leaves"): [hhmm(60 * m) for m in r["departure_min"]],
        t("ov_returns"): [hhmm(60 * m) for m in r["return_min"]],
        t("ov_km"): (r["distance_m"] / 1000).round(1), t("ov_delivered"): r["delivered"],
        t("ov_picked"): r["picked_up"], t("ov_cost"): r["cost"].round(2),
    })
    county = plan.scenario.name
    mode = t(f"mode_{plan.mode}") if f"mode_{plan.mode}" in SHEET_TEXT else plan.mode
    sheets: dict[str, pd.DataFrame | Sheet] = {t("overview"): Sheet(ov, title=t("ov_title", county=county, mode=mode))}
    by_id = {row.route_id: row for row in r.itertuples(index=False)}
    head = {k: t(k) for k in SHEET_COLUMNS}
    kinds = {k: t(k) for k in ("station", "village_point", "village_centre", *DESTINATION_KINDS)}
    for rid, g in plan.stops.groupby("route_id", sort=False):
        sheet = pd.DataFrame({
            head["seq"]: g["seq"].to_numpy(),
            head["stop_name"]: g["stop_name"].to_numpy(),
            head["stop_id"]: g["stop_id"].astype(str).to_numpy(),
            head["kind"]: [(t("depart") if i == 0 else t("return")) if k == "depot" else
                           t("reload", n=int(n)) if k == "reload" else
                           t("rest", n=rest_minutes(a, d)) if k == "rest" else kinds.get(k, k)
                           for i, (k, n, a, d) in enumerate(zip(g["stop_kind"], g["trip"].fillna(1),
                                                                g["arrival_min"], g["departure_min"]))],
            head["point_name"]: g["point_name"].fillna("").to_numpy(),
            head["arrive"]: ["" if i == 0 else hhmm(60 * a) for i, a in enumerate(g["arrival_min"])],
            head["leave"]: [hhmm(60 * d) if d == d and d is not None else "" for d in g["departure_min"]],
            head["delivered"]: g["delivered"].to_numpy(),
            head["picked_up"]: g["picked_up"].to_numpy(),
            head["load_after"]: g["load_after"].to_numpy(),
            head["leg_km"]: (g["leg_m"] / 1000).round(2).to_numpy(),
            head["sign"]: "",   # a bordered box to sign in
        })
        name = names.get(rid, str(rid))
        sheets[name] = Sheet(sheet, title=t("title", county=county, name=name),
                             info=_driver_info(plan, by_id[rid], people.get(rid, name), lang) if rid in by_id else [],
                             row_height=DRIVER_ROW_HEIGHT_PT, landscape=True,
                             max_widths={head[k]: w for k, w in DRIVER_MAX_WIDTHS.items()},
                             min_widths={head[k]: w for k, w in DRIVER_MIN_WIDTHS.items()}, borders=True,
                             info_slots=DRIVER_INFO_SLOTS, info_row_height=24)
    if len(plan.unserved):
        u = plan.unserved
        sheets[t("unserved")] = Sheet(pd.DataFrame({
            t("ov_operator"): [op_label(o, lang) for o in u["operator"]],
            t("ov_echelon"): [echelon_label(e, lang) for e in u["echelon"]], t("ov_depot"): u["depot_id"],
            head["stop_id"]: u["stop_id"].astype(str), head["stop_name"]: u["stop_name"],
            t("un_reason"): [reason_text(c, x, lang) for c, x in zip(u.get("reason_code", u["reason"]), u["reason"])],
            t("un_fix"): [fix_text(x, lang) for x in u["smallest_fix"]], t("un_checked"): [t("yes") if x else t("no") for x in u["fix_checked"]]}),
            title=t("un_title", county=county, mode=mode))
    return sheets


def text_columns(lang: str) -> set[str]:
    """The route workbook's columns kept as text cells (codes, times, names) in ``lang``."""
    return {sheet_text(k, lang) for k in ("stop_id", "arrive", "leave", "ov_route", "ov_vehicle", "ov_leaves",
                                          "ov_returns", "ov_depot", "ov_sheet")}


PLAN_FILES = ("route_plan.csv", "routes_summary.csv", "unserved.csv", "route_sheets.xlsx", "summary.json",
              "routes_map.html", "routes.gpkg")


def route_layers(plan: RoutePlan) -> dict[str, gpd.GeoDataFrame]:
    """The routing stage's layers for ``routes.gpkg`` (EPSG:4326): ``routes`` (``routes_summary.csv`` columns
    plus vehicle — the depot's name and the fleet entry —, depot, departure and return in minutes after
    midnight; a line along the roads) and ``stops`` (``route_plan.csv`` columns without the depot and rest rows,
    with the vehicle; nor the reload rows of vehicles that make several trips).  Here rather than in
    :mod:`~culture_logistics.reports.gis`, so that the coverage and
    siting stages, which use that module, do not import the routing engines."""
    lines = route_lines(plan)
    r = plan.routes.reset_index(drop=True)
    routes = gpd.GeoDataFrame({c: r[c].to_numpy() for c in ROUTES_SUMMARY_COLUMNS},
                              geometry=[lines[rid] for rid in r["route_id"]], crs="EPSG:4326")
    routes.insert(2, "vehicle", [vehicle_label(n, v) for n, v in zip(r["depot_name"], r["vehicle_id"])])
    routes["depot_id"] = r["depot_id"].astype(str).to_numpy()
    routes["depot_name"] = r["depot_name"].astype(str).to_numpy()
    routes["departure_min"] = r["departure_min"].astype(float).round(1).to_numpy()
    routes["return_min"] = r["return_min"].astype(float).round(1).to_numpy()
    veh = dict(zip(routes["route_id"], routes["vehicle"]))
    st = plan.stops[~plan.stops["stop_kind"].isin(["depot", "reload", "rest"])].reset_index(drop=True)  # stops
    stops = points_frame(st, list(ROUTE_PLAN_COLUMNS))
    stops["stop_id"] = stops["stop_id"].astype(str)
    stops.insert(2, "vehicle", [veh.get(x, "") for x in st["route_id"]])
    return {"routes": routes, "stops": stops}


def _plan_artifacts(plan: RoutePlan, map_html: bool, tiles: str, lang: str) -> dict:
    """Everything one mode writes, computed in memory: {file name: (kind, payload)}."""

    summary = plan.summary()
    art = {
        "route_plan.csv": ("csv", plan.plan_table()),
        "routes_summary.csv": ("csv", plan.routes_table()),
        "unserved.csv": ("csv", plan.unserved_table()),
        "route_sheets.xlsx": ("bytes", xlsx_bytes(route_sheets(plan, lang), text_columns(lang))),
        "summary.json": ("json", summary | {"visits_per_week": visits_summary(plan.scenario, plan.params)}),
    }
    if map_html:
        art["routes_map.html"] = ("html", maps.render_map(routes_map(plan, tiles=tiles, lang=lang, summary=summary)))
    art["routes.gpkg"] = ("gpkg", route_layers(plan))
    if plan.cost_sharing is not None:
        art.update(sharing_artifacts(plan.cost_sharing, lang))
    return art


def _write_artifacts(art: dict, out_dir: str | Path) -> dict[str, Path]:

    out_dir = Path(out_dir)
    paths = {}
    for name, (kind, payload) in art.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "csv":
            write_csv(payload, path)
        elif kind == "xlsx":
            write_xlsx(payload[0], path, text_columns=payload[1])
        elif kind == "bytes":
            atomic_write_bytes(path, payload)
        elif kind == "json":
            write_json(payload, path)
        elif kind == "gpkg":
            write_gpkg(payload, path)
        else:
            atomic_write_text(path, payload)
        paths[name] = path
    return paths


def write_plan(plan: RoutePlan, out_dir: str | Path, map_html: bool = True, tiles: str = "osm",
               lang: str = "en") -> dict[str, Path]:
    """Write one mode's files (:data:`PLAN_FILES`) into ``out_dir``; everything is computed before
    the first file is written, and every file is written atomically."""
    return _write_artifacts(_plan_artifacts(plan, map_html, tiles, lang), out_dir)


def _cell(v) -> str:
    """A comparison figure as CSV text: whole numbers stay whole, a missing one (None, NaN) is empty."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return f"{v:g}" if isinstance(v, float) else str(v)


def comparison_csv(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """``comparison.csv``: the contract columns ``metric, unit, separate, shared, difference, saving_pct``
    in English; with ``lang="zh"`` Chinese headers (指标, 单位, 各自配送, 共同配送, 差值, 节省(%)) and
    Chinese metric names and units.  Whole numbers stay whole."""
    table = table.copy()
    # whole numbers stay whole in the CSV (safe_frame would otherwise make a mixed column float)
    for col in ("separate", "shared", "difference"):
        table[col] = [_cell(v) for v in table[col]]
    if lang == "zh":
        table["metric"] = [metric_label(m, lang) for m in table["metric"]]
        table["unit"] = [unit_label(u, lang) for u in table["unit"]]
        table = table.rename(columns={c: column_label(c, lang) for c in table.columns})
    return table


def write_comparison(cmp: ModeComparison, out_dir: str | Path, map_html: bool = True, tiles: str = "osm",
                     lang: str = "en") -> dict[str, Path]:
    """Write ``comparison.csv`` and ``summary.json`` into ``out_dir`` and each mode's files into
    ``out_dir/shared``, ``out_dir/separate`` and (邮快合作) ``out_dir/postal_courier``."""
    # whole numbers stay whole in the CSV (outputs.safe_frame's Series.map would make a mixed column float)
    table = cmp.table.copy()
    for col in ("separate", "shared", "difference", "postal_courier"):
        if col in table:
            table[col] = [_cell(v) for v in table[col]]
    summary = cmp.summary() | {"visits_per_week": visits_summary(cmp.shared.scenario, cmp.shared.params)}
    art = {"comparison.csv": ("csv", comparison_csv(table, lang)), "summary.json": ("json", summary)}
    if cmp.cost_sharing is not None:
        art.update(sharing_artifacts(cmp.cost_sharing, lang))
    plans = [("separate", cmp.separate), ("shared", cmp.shared)]
    if cmp.postal_courier is not None:
        plans.append(("postal_courier", cmp.postal_courier))
    prepare_route_lines([plan for _, plan in plans])   # the gpkg's and the map's lines, for all plans at once
    # each plan's files made in a process of its own where there are cores ([routing] workers), the same bytes
    made = map_forked(lambda plan, _progress: _plan_artifacts(plan, map_html, tiles, lang),
                      [plan for _, plan in plans], cmp.shared.params.workers)
    for (mode, _), plan_art in zip(plans, made):
        for name, v in plan_art.items():
            art[f"{mode}/{name}"] = v
    return _write_artifacts(art, out_dir)


#: Files of a weekly plan (``route --weekly``), plus ``route_sheets_day<N>.xlsx`` per delivery day.
WEEKLY_FILES = ("route_plan.csv", "routes_summary.csv", "unserved.csv", "visits.csv", "week_summary.csv",
                "summary.json")


def write_weekly(week: WeeklyPlan, out_dir: str | Path, lang: str = "zh") -> dict[str, Path]:
    """Write a weekly plan into ``out_dir``: :data:`WEEKLY_FILES` (the route tables with ``day`` as their last
    column; with cultural destinations also ``destination_visits.csv``) and one driver workbook per delivery day
    in ``lang``, ``route_sheets_day1.xlsx`` … (day 1 = Monday); everything is computed before the first file is written, and every file is written atomically."""
    art = {
        "route_plan.csv": ("csv", week.plan_table()),
        "routes_summary.csv": ("csv", week.routes_table()),
        "unserved.csv": ("csv", week.unserved_table()),
        "visits.csv": ("csv", week.visits_table()),
        "week_summary.csv": ("csv", week.week_table()),
        "summary.json": ("json", week.summary()),
    }
    if week.destination_visits is not None:   # the cultural destinations' visit days (destinations.csv)
        art["destination_visits.csv"] = ("csv", week.destination_visits_table())
    for d, plan in enumerate(week.days, start=1):
        art[f"route_sheets_day{d}.xlsx"] = ("xlsx", (route_sheets(plan, lang), text_columns(lang)))
    return _write_artifacts(art, out_dir)


def saving_split_line(s: dict, lang: str = "en") -> str:
    """The compare summary's daily saving split the way a reader adds it up: the vehicles' fixed cost and the
    distance cost, separate − shared (fewer vans → a positive vehicle part), which sum to the saving, each
    with its % of the saving (none when there is no saving); the duplicated village visits removed as a note."""
    a, b = s["separate"], s["shared"]
    parts = [("vehicles", a["cost_vehicles_cny"] - b["cost_vehicles_cny"]),
             ("distance", a["cost_distance_cny"] - b["cost_distance_cny"])]
    if a.get("cost_bus_cny") or b.get("cost_bus_cny"):
        parts.append(("bus", (a.get("cost_bus_cny") or 0) - (b.get("cost_bus_cny") or 0)))
    total = a["cost_cny"] - b["cost_cny"]
    words = {"vehicles": (f"vehicles ({a['vehicles']} → {b['vehicles']})", f"车辆（{a['vehicles']} → {b['vehicles']} 辆）"),
             "distance": ("distance", "里程"), "bus": ("bus freight", "公交运费")}
    zh = lang == "zh"

    def share(v):
        return "" if total <= 0 else f" ({100 * v / total:.1f}%)"
    items = [f"{words[k][1 if zh else 0]} {v:,.0f}{' 元/天' if zh else ' CNY/day'}{share(v)}" for k, v in parts]
    dup = (s.get("saving_split") or {}).get("duplicated_visits") or {}
    n, cny = dup.get("visits_removed") or 0, float(dup.get("cny_per_day") or 0)
    if zh:
        return "  其中：" + "，".join(items) + (f"；每天少到村 {n} 次（重复到村，约 {cny:,.0f} 元/天，已含在以上各项中）"
                                              if n > 0 else "")
    return "  of which " + ", ".join(items) + (f"; duplicated visits removed: {n} a day (about {cny:,.0f} CNY/day, "
                                               "inside the parts above)" if n > 0 else "")


def summary_lines(result, lang: str = "en") -> list[str]:
    """A few console lines about a plan or a comparison, in ``lang`` (``en``/``zh``)."""
    zh = lang == "zh"
    if isinstance(result, ModeComparison):
        t = result.table.set_index("metric")
        head = ("各自配送", "共同配送", "节省") if zh else ("separate", "shared", "saving")
        lines = [f"{'':<30}{head[0]:>12}{head[1]:>12}{head[2]:>10}"]
        for metric in ("vehicles", "distance", "driver_hours", "cost_vehicles", "cost_distance", "cost",
                       "cost_per_parcel", "unserved_stops"):
            r = t.loc[metric]
            pct = "" if r["saving_pct"] is None or r["saving_pct"] != r["saving_pct"] else f"{r['saving_pct']:.1f}%"
            sep, sh = ("–" if v is None or v != v else f"{v:,.6g}" for v in (r["separate"], r["shared"]))
            label = f"{metric_label(metric, lang)} ({unit_label(r['unit'], lang)})"
            lines.append(f"{label:<30}{sep:>12}{sh:>12}{pct:>10}")
        s = result.summary()
        if s["saving_pct"] is not None:
            a, b = t.loc["cost", "separate"], t.loc["cost", "shared"]
            if zh:
                lines.append(f"共同配送每日节省成本 {s['saving_pct']:.1f}%（{a:,.0f} → {b:,.0f} 元/天）"
                             + ("" if s["like_for_like"] else f"；{s['note']}"))
            else:
                lines.append(f"Shared co-delivery saves {s['saving_pct']:.1f}% of the daily cost "
                             f"({a:,.0f} → {b:,.0f} CNY/day)" + ("" if s["like_for_like"] else f" — {s['note']}"))
            lines.append(saving_split_line(s, lang))
        if s.get("saving_vs_postal_courier_pct") is not None:
            a, b = t.loc["cost", "postal_courier"], t.loc["cost", "shared"]
            lines.append(f"对比邮快合作（快递在乡镇交邮政站转投）：{a:,.0f} → {b:,.0f} 元/天，共同配送节省 "
                         f"{s['saving_vs_postal_courier_pct']:.1f}%" if zh else
                         f"Against 邮快合作 (couriers hand over to the postal stations): {a:,.0f} → {b:,.0f} CNY/day, "
                         f"shared saves {s['saving_vs_postal_courier_pct']:.1f}%")
        for name, plan in (("separate", result.separate), ("shared", result.shared)):
            lines += [f"  {sheet_text('mode_' + name, lang) if zh else name}: {x.strip()}"
                      for x in _bus_lines(plan.summary())]
        if result.cost_sharing is not None:
            lines += sharing_lines(result.cost_sharing, lang)
        return lines
    if isinstance(result, WeeklyPlan):
        s = result.summary()
        v, w = s["visits_per_week"], s["week"]
        if zh:
            lines = [f"{sheet_text('mode_' + s['mode'], lang)}，按周计划：{v['villages']} 个村每周共到村 {v['visits']} 次"
                     f"（平均 {v['mean']:.2f} 次；" + "，".join(f"{n} 个村每周 {k} 次"
                                                        for k, n in v["villages_by_visits"].items()) + "）"]
            for d in s["days"]:
                lines.append(f"  第 {d['day']} 天：{d['villages_visited']} 个村，{d['vehicles']} 辆车（末端 "
                             f"{d['vehicles_last_mile']}），{d['distance_km']:,.1f} 公里，{d['cost_cny']:,.0f} 元")
            lines.append(f"全周：{w['vehicle_days']} 车·天（最忙一天 {w['vehicles_busiest_day']} 辆），"
                         f"{w['distance_km']:,.1f} 公里，{w['cost_cny']:,.0f} 元，{w['unserved_stops']} 个站点·天未服务")
            return lines
        lines = [f"{s['mode']}, weekly: {v['villages']} villages, {v['visits']} visits a week (mean {v['mean']:.2f}; "
                 + ", ".join(f"{n} × {k}/week" for k, n in v["villages_by_visits"].items()) + ")"]
        for d in s["days"]:
            lines.append(f"  day {d['day']} {d['day_name']}: {d['villages_visited']} villages, {d['vehicles']} vehicles "
                         f"({d['vehicles_last_mile']} last mile), {d['distance_km']:,.1f} km, {d['cost_cny']:,.0f} CNY")
        lines.append(f"week: {w['vehicle_days']} vehicle-days (busiest day {w['vehicles_busiest_day']}), "
                     f"{w['distance_km']:,.1f} km, {w['cost_cny']:,.0f} CNY, {w['unserved_stops']} stop-day(s) unserved")
        return lines
    s = result.summary()
    if zh:
        lines = [f"{sheet_text('mode_' + s['mode'], lang)}：{s['vehicles']} 辆车（干线 {s['trunk']['vehicles']}，末端 "
                 f"{s['last_mile']['vehicles']}），{s['distance_km']:,.1f} 公里，司机工时 {s['driver_hours']:,.1f} 小时，"
                 f"{s['cost_cny']:,.0f} 元/天，送达 {s['parcels_delivered']:,} 件，揽收 {s['parcels_picked_up']:,} 件"]
        if s["unserved_stops"]:
            lines.append(f"  {s['unserved_stops']} 个站点未服务："
                         + "，".join(f"{reason_label(k, lang)} {v}" for k, v in s["unserved_by_reason"].items())
                         + "（见 unserved.csv）")
    else:
        lines = [f"{s['mode']}: {s['vehicles']} vehicles ({s['trunk']['vehicles']} trunk, {s['last_mile']['vehicles']} "
                 f"last mile), {s['distance_km']:,.1f} km, {s['driver_hours']:,.1f} driver hours, "
                 f"{s['cost_cny']:,.0f} CNY/day, {s['parcels_delivered']:,} parcels delivered, "
                 f"{s['parcels_picked_up']:,} picked up"]
        if s["unserved_stops"]:
            lines.append(f"  {s['unserved_stops']} stop(s) unserved: "
                         + ", ".join(f"{k} {v}" for k, v in s["unserved_by_reason"].items()) + " (see unserved.csv)")
    lines += _bus_lines(s)
    if result.cost_sharing is not None:
        lines += sharing_lines(result.cost_sharing, lang)
    return lines


def _bus_lines(s: dict) -> list[str]:
    if "bus" not in s:
        return []
    b = s["bus"]
    return [f"  bus lines {', '.join(b['lines'])}: carry {len(b['stations'])} station(s)' parcels "
            f"({b['parcels_delivered']} in, {b['parcels_picked_up']} out) for {b['bus_cost_cny']:,.2f} CNY, "
            f"saving {b['saving_cny']:,.2f} CNY/day against van-only trunks"]


def demo_lines(s: dict, out: Path, seconds: float, lang: str = "en") -> list[str]:
    """The demo's routing lines (a compare summary ``s``, its folder ``out``) in ``lang``."""
    a, b = s["separate"], s["shared"]
    if lang == "zh":
        lines = [f"[routing] 各自配送：{a['vehicles']} 辆车，{a['distance_km']:,.0f} 公里，{a['cost_cny']:,.0f} 元/天；"
                 f"共同配送：{b['vehicles']} 辆车，{b['distance_km']:,.0f} 公里，{b['cost_cny']:,.0f} 元/天"]
        if s["saving_pct"] is not None:
            lines.append(f"          共同配送每日节省成本 {s['saving_pct']:.1f}%" + ("" if s["like_for_like"] else
                                                                      f"（{s['note']}）"))
        if s.get("saving_vs_postal_courier_pct") is not None:
            lines.append(f"          对比邮快合作（快递在乡镇交邮政站转投，{s['postal_courier']['cost_cny']:,.0f} 元/天）"
                         f"节省 {s['saving_vs_postal_courier_pct']:.1f}%")
        lines.append(f"          配送路单 {out / 'shared' / 'route_sheets.xlsx'}，线路图 "
                     f"{out / 'shared' / 'routes_map.html'}（{seconds:.1f} 秒）")
        return lines
    lines = [f"[routing] separate: {a['vehicles']} vehicles, {a['distance_km']:,.0f} km, {a['cost_cny']:,.0f} CNY/day; "
             f"shared: {b['vehicles']} vehicles, {b['distance_km']:,.0f} km, {b['cost_cny']:,.0f} CNY/day"]
    if s["saving_pct"] is not None:
        lines.append(f"          shared co-delivery saves {s['saving_pct']:.1f}% of the daily cost"
                     + ("" if s["like_for_like"] else f" ({s['note']})"))
    if s.get("saving_vs_postal_courier_pct") is not None:
        lines.append(f"          against 邮快合作 (couriers hand over at the postal stations, "
                     f"{s['postal_courier']['cost_cny']:,.0f} CNY/day) it saves {s['saving_vs_postal_courier_pct']:.1f}%")
    lines.append(f"          route sheets {out / 'shared' / 'route_sheets.xlsx'}, map {out / 'shared' / 'routes_map.html'} "
                 f"({seconds:.1f} s)")
    return lines


def peak_lines(s: dict, out: Path, seconds: float, lang: str = "en") -> list[str]:
    """The demo's peak-plan lines (a shared plan's summary ``s`` with ``peak_scale``, its folder ``out``)."""
    reasons = sorted((s.get("unserved_by_reason") or {}).items())
    if lang == "zh":
        why = "，".join(f"{reason_label(k, lang)} {v}" for k, v in reasons)
        line = (f"[peak] 高峰（全部流量 ×{s['peak_scale']:g}）共同配送：{s['vehicles']} 辆车，{s['distance_km']:,.0f} 公里，"
                f"{s['cost_cny']:,.0f} 元/天")
        tail = f"；未服务 {s['unserved_stops']} 个站点（{why}）" if s.get("unserved_stops") else "；全部服务"
        return [line + tail, f"          {out / 'unserved.csv'}（{seconds:.1f} 秒）"]
    why = ", ".join(f"{k} {v}" for k, v in reasons)
    line = (f"[peak] peak (every flow ×{s['peak_scale']:g}) shared: {s['vehicles']} vehicles, {s['distance_km']:,.0f} km, "
            f"{s['cost_cny']:,.0f} CNY/day")
    tail = f"; {s['unserved_stops']} stop(s) unserved ({why})" if s.get("unserved_stops") else "; every stop served"
    return [line + tail, f"          {out / 'unserved.csv'} ({seconds:.1f} s)"]
