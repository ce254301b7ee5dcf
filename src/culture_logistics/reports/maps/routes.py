"""The route map: each vehicle's route along the roads in its own colour and layer, stops numbered.
"""
from __future__ import annotations

import colorsys

import numpy as np
import pandas as pd

from culture_logistics.config.fleet import ECHELONS
from culture_logistics.config.model import DESTINATION_KINDS
from culture_logistics.config.routing import hhmm
from culture_logistics.reports.labels import (
    fix_text,
    reason_label,
    reason_text,
    rest_minutes,
    vehicle_names,
    vehicle_type_label,
)
from culture_logistics.reports.maps import base as maps
from culture_logistics.routing.lines import route_lines, trip_lines
from culture_logistics.routing.plan import RoutePlan

#: Distinct route colours (ColorBrewer Dark2 + Set1 + Tableau, no pale ones; no red — red marks unserved stops).
ROUTE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#666666", "#a65628", "#f781bf",
                "#17becf", "#bcbd22", "#1f3b73", "#8c564b", "#2ca02c", "#9467bd")


def route_colors(n: int) -> list[str]:
    """``n`` distinct #hex colours: ``ROUTE_COLORS`` first, then hues stepped by the golden angle
    (lightness alternating 35 / 45 %, no hue within 15° of red), all different."""
    out = list(ROUTE_COLORS[:n])
    k = 0
    while len(out) < n:
        h = (0.11 + k * 0.618033988749895) % 1.0
        k += 1
        if h < 15 / 360 or h > 345 / 360:
            continue
        r, g, b = colorsys.hls_to_rgb(h, 0.35 if k % 2 else 0.45, 0.75)
        c = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
        if c not in out:
            out.append(c)
    return out


_T = {
    "en": {"shared": "shared co-delivery", "separate": "each operator separately",
           "postal_courier": "邮快合作 post-courier cooperation", "title": "{name} delivery routes — {mode}",
           "sub": "{v} vehicles, {km:,.1f} km, {cost:,.0f} CNY/day, {u} stops unserved", "syn": " · synthetic data",
           "trunk": "Trunk", "last_mile": "Last mile", "bus": "Bus", "vehicle": "Vehicle", "depot": "Depot", "stops": "Stops",
           "times": "Leaves / returns", "km": "Distance (km)", "parcels": "Delivered / picked up",
           "capacity": "Capacity (parcels)", "cost": "Cost (CNY)", "operator": "Operator",
           "layer": "{ech} · {veh}{op} ({n} stops, {km:.1f} km)", "deliver": "deliver", "pickup": "pick up",
           "trips": "Trips (back at the station to reload between them)", "trip_of": "trip {k} of {n}",
           "rest": "rest {n} min",
           "p_route": "Vehicle", "p_code": "Code", "p_point": "Service point", "p_arr": "Arrival",
           "p_del": "Delivered", "p_pick": "Picked up", "p_load": "On board after", "unserved": "Unserved stops ({n})",
           "u_reason": "Reason", "u_fix": "Smallest fix", "u_checked": "Fix checked by re-solving", "yes": "yes",
           "no": "no", "lg_routes": "Routes (one layer and colour per vehicle)", "lg_trunk": "trunk: county depot → stations",
           "lg_last": "last mile: station → villages",
           "lg_bus": "bus line: parcels on a scheduled county bus", "lg_stops": "Stops", "lg_stop": "stop, numbered in visiting order",
           "lg_unserved": "unserved stop", "lg_depots": "Depots",
           "lg_dest_stop": "cultural destination stop (square), numbered", "lg_dest": "Cultural destinations",
           "note_ops": "Operators: {ops}",
           "note_col": "Each colour is one vehicle; switch vehicles on and off in the layer list.",
           "note_syn": "SYNTHETIC DATA: coordinates, populations, facilities and roads are generated, not surveyed."},
    "zh": {"shared": "共同配送", "separate": "各自配送", "postal_courier": "邮快合作", "title": "{name}配送线路：{mode}",
           "sub": "{v} 辆车，{km:,.1f} 公里，{cost:,.0f} 元/日，{u} 个站点未服务", "syn": " · 合成数据",
           "trunk": "干线", "last_mile": "末端", "bus": "客货邮公交", "vehicle": "车辆", "depot": "出发站", "stops": "站点数",
           "times": "出发 / 返回", "km": "里程（公里）", "parcels": "送达 / 揽收（件）", "capacity": "载量（件）",
           "cost": "成本（元）", "operator": "运营方", "layer": "{ech} · {veh}{op}（{n} 站，{km:.1f} 公里）",
           "trips": "趟数（两趟之间回站装货）", "trip_of": "第 {k}/{n} 趟",
           "deliver": "送", "pickup": "收", "rest": "休息 {n} 分钟", "p_route": "车辆", "p_code": "代码", "p_point": "服务点",
           "p_arr": "到达", "p_del": "送达", "p_pick": "揽收", "p_load": "车上件数", "unserved": "未服务站点（{n}）",
           "u_reason": "原因", "u_fix": "最小改动", "u_checked": "已重新求解验证", "yes": "是", "no": "否",
           "lg_routes": "线路（每车一个图层、一种颜色）", "lg_trunk": "干线：县级中心 → 乡镇站点",
           "lg_last": "末端：乡镇站点 → 村", "lg_bus": "公交线路：县乡公交捎带包裹", "lg_stops": "站点", "lg_stop": "站点（数字为到达顺序）",
           "lg_unserved": "未服务站点", "lg_depots": "出发站",
           "lg_dest_stop": "文化目的地站点（方形，数字为到达顺序）", "lg_dest": "文化目的地", "note_ops": "运营方：{ops}",
           "note_col": "每种颜色代表一辆车；可在图层列表中逐车开关。",
           "note_syn": "合成数据：坐标、人口、设施与道路为生成数据，并非实测。"},
}


#: dash pattern of a route line by echelon (the last mile is a solid line)
DASHES = {"trunk": "10 6", "bus": "2 8"}


def vehicle_label(depot_name: str, vehicle_id: str) -> str:
    """A vehicle as people name it: its depot's name and its fleet entry, e.g. ``密州街道邮政支局 light_van-1``."""
    return f"{depot_name} {str(vehicle_id).rsplit('/', 1)[-1]}"


def routes_map(plan: RoutePlan, tiles: str = "osm", lang: str = "en", summary: dict | None = None):
    """The plan's map: one toggleable layer per vehicle (its route along the roads in its own colour, its stops
    numbered in visiting order, the vehicle named in the layer list, tooltips and popups), depots marked,
    unserved stops in red.  ``lang`` ``"en"``/``"zh"`` for every text; ``summary``: ``plan.summary()`` when
    the caller has it already."""

    T = _T[lang]
    scn = plan.scenario
    s = plan.summary() if summary is None else summary
    title = T["title"].format(name=scn.name, mode=T[plan.mode])
    sub = (T["sub"].format(v=s["vehicles"], km=s["distance_km"], cost=s["cost_cny"], u=s["unserved_stops"])
           + (T["syn"] if scn.synthetic else ""))
    m = maps.base_map(scn, title, tiles=tiles, lang=lang, subtitle=sub)
    maps.add_boundary(m, scn)
    lines = route_lines(plan)
    trips = trip_lines(plan)
    routes = plan.routes.reset_index(drop=True)
    order = {e: i for i, e in enumerate(ECHELONS)}
    routes = routes.assign(_e=routes["echelon"].map(order)).sort_values(["_e", "route_id"], kind="stable")
    colors = route_colors(len(routes))
    color = dict(zip(routes["route_id"], colors))
    stops = plan.stops[~plan.stops["stop_kind"].isin(["depot", "reload"])]   # reloads: on the trips' lines
    rest = stops["stop_kind"] == "rest"
    if rest.any():   # a rest row (the driving-time rule) is named as the rest it is, at the stop where it is taken
        stops = stops.assign(stop_name=[f"{n} · {T['rest'].format(n=rest_minutes(a, d))}" if x else n for n, x, a, d in
                                        zip(stops["stop_name"], rest, stops["arrival_min"], stops["departure_min"])])
    # each route's stops, in visiting order, as plain columns (one pass over the table, not one per route)
    cols = ("seq", "stop_name", "stop_id", "arrival_min", "delivered", "picked_up", "load_after", "point_name",
            "lon", "lat", "stop_kind")
    by_route = {rid: {c: g[c].tolist() for c in cols}
                for rid, g in stops.sort_values("seq", kind="stable").groupby("route_id", sort=False)}
    empty: dict[str, list] = {c: [] for c in cols}
    plabels = [T["p_route"], T["p_code"], T["p_point"], T["p_arr"], T["p_del"], T["p_pick"], T["p_load"]]
    names = vehicle_names(plan.routes, lang)   # as on the driver sheets, never the fleet code (light_van-1)
    for r in routes.itertuples():
        ech = r.echelon
        veh = names[r.route_id]
        op_txt = f" · {maps.operator_label(r.operator, lang)}" if plan.mode == "separate" else ""
        fg = maps.feature_group(m, T["layer"].format(ech=T[ech], veh=veh, op=op_txt,
                                                     n=int(r.stops), km=r.distance_m / 1000))
        style = {"color": color[r.route_id], "weight": 3.5 if ech == "last_mile" else 5, "opacity": 0.85}
        if ech in DASHES:
            style["dashArray"] = DASHES[ech]
        n_trips = int(getattr(r, "trips", 1) or 1)
        pop = maps.popup_html(f"{veh} — {r.route_id}", [
            (T["vehicle"], f"{veh} ({vehicle_type_label(r.vehicle_type, lang)})"),
            (T["operator"], maps.operator_label(r.operator, lang)),
            (T["depot"], f"{r.depot_name} ({r.depot_id})"), (T["stops"], r.stops),
            (T["times"], f"{hhmm(60 * r.departure_min)} / {hhmm(60 * r.return_min)}"),
            (T["km"], f"{r.distance_m / 1000:.1f}"), (T["parcels"], f"{r.delivered} / {r.picked_up}"),
            (T["capacity"], r.capacity), (T["cost"], f"{r.cost:.2f}")]
            + ([(T["trips"], n_trips)] if n_trips > 1 else []))
        if n_trips > 1 and (r.route_id, 1) in trips:   # each trip its own line, in the vehicle's colour
            maps.add_geojson(fg, [trips[(r.route_id, k)] for k in range(1, n_trips + 1)], [style], [0] * n_trips,
                             [pop] * n_trips, [f"{veh} ({T[ech]}, {r.route_id}, {T['trip_of'].format(k=k, n=n_trips)})"
                                               for k in range(1, n_trips + 1)], kind=f"route:{ech}", simplify_deg=2e-5)
        else:
            maps.add_geojson(fg, [lines[r.route_id]], [style], [0], [pop], [f"{veh} ({T[ech]}, {r.route_id})"],
                             kind=f"route:{ech}", simplify_deg=2e-5)
        st = by_route.get(r.route_id, empty)
        rows = list(zip(st["seq"], st["stop_name"], st["stop_id"], st["arrival_min"], st["delivered"],
                        st["picked_up"], st["load_after"], st["point_name"]))
        pstyles = [{"shape": "square" if k in DESTINATION_KINDS else "circle", "radius": 8 if seq < 100 else 10,
                    "color": "#ffffff", "weight": 1.5, "fillColor": color[r.route_id], "fillOpacity": 1.0,
                    "label": str(seq)} for seq, k in zip(st["seq"], st["stop_kind"])]
        tips = [f"{veh} · {seq}. {name} ({sid}) — {hhmm(60 * arr)}, {T['deliver']} {dl}, {T['pickup']} {pk}"
                for seq, name, sid, arr, dl, pk, _, _ in rows]
        table = maps.PopupTable(plabels, [f"{seq}. {name}" for seq, name, *_ in rows],
                                [[veh, sid, point or None, hhmm(60 * arr), dl, pk, load]
                                 for _, _, sid, arr, dl, pk, load, point in rows])
        maps.add_points(fg, np.asarray(st["lon"], dtype=float), np.asarray(st["lat"], dtype=float), pstyles,
                        list(range(len(rows))), table, tips, kind=f"stop:{ech}")
    if len(plan.unserved):
        fg = maps.feature_group(m, T["unserved"].format(n=len(plan.unserved)))
        u = plan.unserved
        pos = _unserved_positions(plan)
        keep = [i for i, p in enumerate(pos) if p is not None]
        if keep:
            maps.add_points(fg, [pos[i][0] for i in keep], [pos[i][1] for i in keep],
                            [{"shape": "diamond", "radius": 9, "color": "#000000", "weight": 1.5, "fillColor": "#d7191c",
                              "fillOpacity": 1.0, "label": "!"}], [0] * len(keep),
                            [maps.popup_html(f"{u['stop_name'].iat[i]} ({u['stop_id'].iat[i]})",
                                             [(T["operator"], maps.operator_label(u["operator"].iat[i], lang)),
                                              (T["u_reason"], reason_text(u["reason_code"].iat[i],
                                                                          u["reason"].iat[i], lang)),
                                              (T["u_fix"], fix_text(u["smallest_fix"].iat[i], lang)),
                                              (T["u_checked"], T["yes"] if u["fix_checked"].iat[i] else T["no"])])
                             for i in keep],
                            [f"{u['stop_name'].iat[i]}: {reason_label(u['reason_code'].iat[i], lang)}" for i in keep],
                            kind="unserved")
    dest_keys = maps.add_destinations(m, scn.destinations, lang, visits=_destination_routes(plan, names))
    has_depots = plan.depots is not None and len(plan.depots)
    if has_depots:
        maps.add_facilities(m, plan.depots.assign(capacity_per_day=np.nan, brand=""), lang=lang)
    ops = sorted(set(routes["operator"]))
    route_keys = [(maps.swatch_line("#444444", dash=True, width=4), T["lg_trunk"]),
                  (maps.swatch_line("#444444", width=3), T["lg_last"])]
    if (routes["echelon"] == "bus").any():
        route_keys.append((maps.swatch_line("#444444", dash=True, width=4), T["lg_bus"]))
    sections = [(T["lg_routes"], route_keys),
                (T["lg_stops"], [(maps.swatch_circle(colors[0] if colors else "#1b9e77", 7), T["lg_stop"]),
                                 (maps.swatch_circle("#d7191c", 7, border="#000000"), T["lg_unserved"])]
                 + ([(maps.swatch_shape(colors[0] if colors else "#1b9e77", "square"), T["lg_dest_stop"])]
                    if dest_keys else [])),
                *([(T["lg_dest"], dest_keys)] if dest_keys else []),
                (T["lg_depots"], [(maps.swatch_icon(maps.facility_icon(op, "township")), maps.operator_label(op, lang))
                                  for op in sorted(set(plan.depots["operator"]))] if has_depots else [])]
    sep = "、" if lang == "zh" else ", "
    notes = [T["note_ops"].format(ops=sep.join(maps.operator_label(o, lang) for o in ops)), T["note_col"]]
    if scn.synthetic:
        notes.append(T["note_syn"])
    maps.add_legend(m, sections, notes)
    return m


def _destination_routes(plan: RoutePlan, names: dict) -> dict:
    """{destination id: the vehicles (and arrival times) that visit it} of the plan."""
    d = plan.scenario.destinations
    if d is None or not len(d):
        return {}
    st = plan.stops[plan.stops["stop_kind"].isin(DESTINATION_KINDS)]
    out: dict = {}
    for sid, rid, arr in zip(st["stop_id"].astype(str), st["route_id"], st["arrival_min"]):
        out.setdefault(sid, []).append(f"{names.get(rid, rid)} {hhmm(60 * arr)}")
    return {k: "; ".join(v) for k, v in out.items()}


def _unserved_positions(plan: RoutePlan) -> list:
    fac = plan.scenario.facilities.set_index("id")
    v = plan.scenario.villages.set_index("code")
    dest = (plan.scenario.destinations.set_index("id") if plan.scenario.destinations is not None
            else pd.DataFrame(columns=["lon", "lat"]))
    out = []
    for sid in plan.unserved["stop_id"].astype(str):
        if sid in v.index:
            out.append((float(v.at[sid, "lon"]), float(v.at[sid, "lat"])))
        elif sid in fac.index:
            out.append((float(fac.at[sid, "lon"]), float(fac.at[sid, "lat"])))
        elif sid in dest.index:
            out.append((float(dest.at[sid, "lon"]), float(dest.at[sid, "lat"])))
        else:
            out.append(None)
    return out
