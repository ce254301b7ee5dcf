"""The route map: each route along the roads, stops numbered, one layer per echelon and operator.
"""
from __future__ import annotations

import numpy as np

from culture_logistics.config.routing import ECHELON_ZH, ECHELONS, hhmm
from culture_logistics.reports.maps import base as maps
from culture_logistics.routing.plan import RoutePlan, _route_lines

#: Distinct route colours (ColorBrewer Dark2 + Set1, no pale ones; no red — red marks unserved stops).
ROUTE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#666666", "#a65628", "#f781bf")


def routes_map(plan: RoutePlan, tiles: str = "osm", lang: str = "en"):
    """The plan's map: each route a coloured line along the roads, its stops numbered in visiting order,
    depots marked, one layer per echelon and operator, unserved stops in red."""

    scn = plan.scenario
    zh = lang == "zh"
    mode_label = {"shared": "共同配送 shared" if zh else "shared co-delivery",
                  "separate": "各自配送 separate" if zh else "each operator separately",
                  "postal_courier": "邮快合作 postal_courier" if zh else "邮快合作 post-courier cooperation"}[plan.mode]
    s = plan.summary()
    title = f"{scn.name} {'配送线路' if zh else 'delivery routes'} — {mode_label}"
    sub = (f"{s['vehicles']} {'辆车' if zh else 'vehicles'}, {s['distance_km']:,.1f} km, "
           f"{s['cost_cny']:,.0f} CNY/{'日' if zh else 'day'}, "
           f"{s['unserved_stops']} {'个站点未服务' if zh else 'stops unserved'}"
           + (" · 合成数据 synthetic data" if scn.synthetic else ""))
    m = maps.base_map(scn, title, tiles=tiles, lang=lang, subtitle=sub)
    maps.add_boundary(m, scn)
    lines = _route_lines(plan)
    routes = plan.routes.reset_index(drop=True)
    color = {rid: ROUTE_COLORS[i % len(ROUTE_COLORS)] for i, rid in enumerate(routes["route_id"])}
    for ech in ECHELONS:
        for op in sorted(set(routes["operator"])):
            sub_r = routes[(routes["echelon"] == ech) & (routes["operator"] == op)]
            if not len(sub_r):
                continue
            name = (f"{ECHELON_ZH[ech]}线路 · {maps.operator_label(op, lang)} ({len(sub_r)})" if zh else
                    f"{'Trunk' if ech == 'trunk' else 'Last-mile'} routes · {maps.operator_label(op, lang)} "
                    f"({len(sub_r)})")
            fg = maps.feature_group(m, name)
            styles = [{"color": color[rid], "weight": 5 if ech == "trunk" else 3, "opacity": 0.85}
                      | ({"dashArray": "10 6"} if ech == "trunk" else {}) for rid in sub_r["route_id"]]
            pops = [maps.popup_html(r.route_id, [
                ("vehicle", r.vehicle_id), ("depot", f"{r.depot_name} ({r.depot_id})"),
                ("stops", r.stops), ("leaves / returns", f"{hhmm(60 * r.departure_min)} / {hhmm(60 * r.return_min)}"),
                ("km", f"{r.distance_m / 1000:.1f}"), ("delivered / picked up", f"{r.delivered} / {r.picked_up}"),
                ("capacity", r.capacity), ("cost (CNY)", f"{r.cost:.2f}")]) for r in sub_r.itertuples()]
            maps.add_geojson(fg, [lines[rid] for rid in sub_r["route_id"]], styles, list(range(len(sub_r))), pops,
                             [f"{rid} ({vid})" for rid, vid in zip(sub_r["route_id"], sub_r["vehicle_id"])],
                             kind=f"route:{ech}", simplify_deg=2e-5)
            st = plan.stops[plan.stops["route_id"].isin(set(sub_r["route_id"])) & (plan.stops["stop_kind"] != "depot")]
            keys = sorted(set(zip(st["route_id"], st["seq"])), key=lambda k: (k[0], k[1]))
            sty_of = {}
            pstyles = []
            for rid, seq in keys:
                sty_of[(rid, seq)] = len(pstyles)
                pstyles.append({"shape": "circle", "radius": 8 if seq < 100 else 10, "color": "#ffffff", "weight": 1.5,
                                "fillColor": color[rid], "fillOpacity": 1.0, "label": str(seq)})
            tips = [f"{r.seq}. {r.stop_name} ({r.stop_id}) — {hhmm(60 * r.arrival_min)}, "
                    f"{'送' if zh else 'deliver'} {r.delivered}, {'收' if zh else 'pick up'} {r.picked_up}"
                    for r in st.itertuples()]
            table = maps.PopupTable(
                ["route", "code", "service point", "arrival", "delivered", "picked up", "load after"],
                [f"{r.seq}. {r.stop_name}" for r in st.itertuples()],
                [[r.route_id, r.stop_id, r.point_name or None, hhmm(60 * r.arrival_min), r.delivered, r.picked_up,
                  r.load_after] for r in st.itertuples()])
            maps.add_points(fg, st["lon"].to_numpy(float), st["lat"].to_numpy(float), pstyles,
                            [sty_of[(r.route_id, r.seq)] for r in st.itertuples()], table, tips,
                            kind=f"stop:{ech}")
    if len(plan.unserved):
        fg = maps.feature_group(m, f"{'未服务站点' if zh else 'Unserved stops'} ({len(plan.unserved)})")
        u = plan.unserved
        pos = _unserved_positions(plan)
        keep = [i for i, p in enumerate(pos) if p is not None]
        if keep:
            maps.add_points(fg, [pos[i][0] for i in keep], [pos[i][1] for i in keep],
                            [{"shape": "diamond", "radius": 9, "color": "#000000", "weight": 1.5, "fillColor": "#d7191c",
                              "fillOpacity": 1.0, "label": "!"}], [0] * len(keep),
                            [maps.popup_html(f"{u['stop_name'].iat[i]} ({u['stop_id'].iat[i]})",
                                             [("operator", u["operator"].iat[i]), ("reason", u["reason"].iat[i]),
                                              ("smallest fix", u["smallest_fix"].iat[i]),
                                              ("fix checked by re-solving", "yes" if u["fix_checked"].iat[i] else "no")])
                             for i in keep],
                            [f"{u['stop_name'].iat[i]}: {u['reason_code'].iat[i]}" for i in keep], kind="unserved")
    if plan.depots is not None and len(plan.depots):
        maps.add_facilities(m, plan.depots.assign(capacity_per_day=np.nan, brand=""))
    ops = sorted(set(routes["operator"]))
    sections = [("线路" if zh else "Routes", [(maps.swatch_line("#444444", dash=True, width=4),
                                            "trunk: county depot → stations" if not zh else "干线：县级→乡镇站点"),
                                           (maps.swatch_line("#444444", width=3),
                                            "last mile: station → villages" if not zh else "末端：乡镇站点→村")]),
                ("站点" if zh else "Stops", [(maps.swatch_circle("#1b9e77", 7), "stop, numbered in visiting order"
                                            if not zh else "站点（数字为到达顺序）"),
                                           (maps.swatch_circle("#d7191c", 7, border="#000000"),
                                            "unserved stop" if not zh else "未服务站点")]),
                ("出发站" if zh else "Depots", [(maps.swatch_icon(maps.facility_icon(op, "township")),
                                              maps.operator_label(op, lang)) for op in
                                             sorted(set(plan.depots["operator"])) if plan.depots is not None]
                 if plan.depots is not None and len(plan.depots) else [])]
    notes = [f"operators: {', '.join(ops)}", "each colour is one vehicle's route"]
    if scn.synthetic:
        notes.append("synthetic data: coordinates, populations, facilities and roads are generated")
    maps.add_legend(m, sections, notes)
    return m


def _unserved_positions(plan: RoutePlan) -> list:
    fac = plan.scenario.facilities.set_index("id")
    v = plan.scenario.villages.set_index("code")
    out = []
    for sid in plan.unserved["stop_id"].astype(str):
        if sid in v.index:
            out.append((float(v.at[sid, "lon"]), float(v.at[sid, "lat"])))
        elif sid in fac.index:
            out.append((float(fac.at[sid, "lon"]), float(fac.at[sid, "lat"])))
        else:
            out.append(None)
    return out
