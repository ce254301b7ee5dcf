"""The siting map: chosen sites (named; converted = square, new = diamond), newly reached villages, gaps.
"""
from __future__ import annotations

import numpy as np

from culture_logistics.reports.maps import base as maps
from culture_logistics.siting.solve import SitingResult

NEWLY_COLOR = "#2563eb"   # blue: newly reached by a chosen site


CHOSEN_COLOR = "#facc15"  # yellow: chosen shared point


#: marker shape of a chosen site by kind: convert an existing facility / open a new village point
SITE_SHAPES = {"existing": "square", "new": "diamond"}


_T = {
    "en": {
        "title": "{name} ({code}) — {model} siting of shared village points",
        "sub": "villages reached {b:,} → {a:,} of {n:,}; {sites} sites ({conv} converted, {new} new), {cost:,.0f} CNY; ",
        "optimal": "optimal (proved)", "gap": "gap to bound {g}",
        "before": "Before: villages ({n:,} reached)", "after": "After: villages ({n:,} reached)",
        "links": "Villages → their new shared point", "sites": "Chosen shared points ({n})",
        "pop": "{name} ({code}), {tw}, population {p:,}", "missing": "; missing: {m}", "reached": "; reached",
        "newly": "; newly reached by {s}", "still": "; still missing: {m}",
        "site_id": "Site ID", "kind": "Kind", "kind_existing": "convert an existing facility",
        "kind_new": "new village point", "op_today": "Operator today", "v_new": "Villages newly reached",
        "p_new": "Population newly reached", "cost": "Cost (CNY)", "load": "Load (parcels/week)",
        "cap": "Capacity (parcels/week)", "unlimited": "unlimited",
        "lg_v": "Villages", "lg_before": "reached before", "lg_newly": "newly reached",
        "lg_partial": "still a gap (some operators)", "lg_gap": "still a gap (no operator)",
        "lg_sites": "Chosen sites (labelled by name)", "lg_conv": "convert an existing facility ({n})",
        "lg_new": "new village point ({n})", "lg_link": "village → its site",
        "note_model": "Model {model}; objective {obj:,.0f} {unit}; radius {r:,.0f} m along the road network.",
        "note_nocand": "{n:,} gap villages have no candidate site within reach.",
        "note_syn": "SYNTHETIC DATA: coordinates, populations, facilities and roads are generated, not surveyed.",
    },
    "zh": {
        "title": "{name}（{code}）共配点选址：{model}",
        "sub": "覆盖村 {b:,} → {a:,}（共 {n:,} 村）；{sites} 个点（改造 {conv}、新建 {new}），{cost:,.0f} 元；",
        "optimal": "已证明最优", "gap": "距下界 {g}",
        "before": "选址前：村（{n:,} 个已覆盖）", "after": "选址后：村（{n:,} 个已覆盖）",
        "links": "村 → 新共配点", "sites": "选定的共配点（{n}）",
        "pop": "{name}（{code}），{tw}，人口 {p:,}", "missing": "；缺少：{m}", "reached": "；已覆盖",
        "newly": "；由{s}新覆盖", "still": "；仍缺少：{m}",
        "site_id": "点位编号", "kind": "类型", "kind_existing": "改造现有设施", "kind_new": "新建村级点",
        "op_today": "现运营方", "v_new": "新覆盖村数", "p_new": "新覆盖人口", "cost": "成本（元）",
        "load": "负荷（件/周）", "cap": "能力（件/周）", "unlimited": "不限",
        "lg_v": "村", "lg_before": "原已覆盖", "lg_newly": "新覆盖", "lg_partial": "仍为缺口（部分运营方）",
        "lg_gap": "仍为缺口（无运营方）", "lg_sites": "选定点位（标注名称）", "lg_conv": "改造现有设施（{n}）",
        "lg_new": "新建村级点（{n}）", "lg_link": "村 → 所属点位",
        "note_model": "模型 {model}；目标值 {obj:,.0f} {unit}；沿路网半径 {r:,.0f} 米。",
        "note_nocand": "{n:,} 个缺口村在覆盖半径内没有候选点位。",
        "note_syn": "合成数据：坐标、人口、设施与道路为生成数据，并非实测。",
    },
}


_UNIT_ZH = {"persons newly reached": "人（新覆盖）", "sites": "个点位", "CNY": "元",
            "person·m (capped distance to nearest shared point)": "人·米（到最近共配点的截断距离）"}


def _ops_text(text: str, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(maps.operator_label(o, lang) for o in str(text).split(";") if o)


def siting_map(result: SitingResult, tiles: str = "osm", lang: str = "en"):
    """The siting map (a folium.Map): before / after village layers, the chosen sites named on the map
    (converted facility = square, new village point = diamond), a line from each newly served village to
    its site.  ``lang`` ``"en"``/``"zh"`` for every text; text is escaped by the helpers.

    The layers are created in drawing order — a layer added later is
    drawn on top and takes the click — and the legend counts what the layers drew; split up, the order
    and the counts would be spread over helpers passing a dozen arrays.
    """

    T = _T[lang]
    scn = result.scenario
    s = result.summary()
    v = result.coverage.villages
    sites = result.sites
    kinds = [str(k) for k in sites["kind"]]
    n_conv, n_new = kinds.count("existing"), kinds.count("new")
    title = T["title"].format(name=scn.name, code=scn.adcode, model=result.model.upper())
    sub = (T["sub"].format(b=s["before"]["villages_reached"], a=s["after"]["villages_reached"],
                           n=s["before"]["villages"], sites=s["sites"], conv=n_conv, new=n_new, cost=s["total_cost"])
           + (T["optimal"] if s["optimal"] else T["gap"].format(g=f"{100 * s['gap']:.2f} %")))
    m = maps.base_map(scn, title, tiles=tiles, lang=lang, subtitle=sub)
    maps.add_boundary(m, scn)
    reached = v["reached"].to_numpy(bool)
    any_ = v["reached_any"].to_numpy(bool)
    asg = result.assignment
    newly_codes = set(asg.loc[asg["newly_reached"].astype(bool), "village_code"])
    newly = np.array([c in newly_codes for c in v["village_code"]], dtype=bool)
    site_of = dict(zip(asg["village_code"], asg["site_name"]))
    sc = maps.STATUS_COLORS
    styles = [{"radius": 4, "color": "#ffffff", "weight": 1, "fillColor": sc["reached"], "fillOpacity": 0.9},
              {"radius": 5, "color": "#ffffff", "weight": 1, "fillColor": sc["partial"], "fillOpacity": 0.9},
              {"radius": 5, "color": "#ffffff", "weight": 1, "fillColor": sc["gap"], "fillOpacity": 0.9},
              {"radius": 6, "color": "#1e3a8a", "weight": 2, "fillColor": NEWLY_COLOR, "fillOpacity": 0.95}]
    status_before = np.where(reached, 0, np.where(any_, 1, 2))
    status_after = np.where(newly, 3, status_before)
    tips_b, tips_a = [], []
    for code, name, tw, popn, miss, nw in zip(v["village_code"], v["village_name"], v["township_name"],
                                             v["population"], v["missing_operators"], newly):
        base = T["pop"].format(name=name, code=code, tw=tw, p=int(popn))
        miss_t = _ops_text(miss, lang)
        tips_b.append(base + (T["missing"].format(m=miss_t) if miss else T["reached"]))
        tips_a.append(base + (T["newly"].format(s=site_of.get(code, "")) if nw
                              else (T["still"].format(m=miss_t) if miss else T["reached"])))
    lon, lat = v["lon"].to_numpy(float), v["lat"].to_numpy(float)
    fb = maps.feature_group(m, T["before"].format(n=s["before"]["villages_reached"]), show=False)
    maps.add_points(fb, lon, lat, styles, status_before, tooltips=tips_b, kind="village:before")
    fa = maps.feature_group(m, T["after"].format(n=s["after"]["villages_reached"]), show=True)
    maps.add_points(fa, lon, lat, styles, status_after, tooltips=tips_a, kind="village")
    fl = maps.feature_group(m, T["links"], show=True)
    maps.add_geojson(fl, list(asg.geometry), [{"color": NEWLY_COLOR, "weight": 2, "opacity": 0.8},
                                              {"color": "#9ca3af", "weight": 1.5, "opacity": 0.7, "dashArray": "4 4"}],
                     [0 if n else 1 for n in asg["newly_reached"].astype(bool)],
                     tooltips=[f"{a} → {b} ({d:,.0f} {'米' if lang == 'zh' else 'm'})" for a, b, d in
                               zip(asg["village_name"], asg["site_name"], asg["distance_m"])], kind="siting:link")
    maps.add_facilities(m, scn.facilities, lang=lang, show=False)
    fs = maps.feature_group(m, T["sites"].format(n=len(sites)), show=True)
    pops = [maps.popup_html(str(r.name), [
        (T["site_id"], r.site_id), (T["kind"], T["kind_existing"] if r.kind == "existing" else T["kind_new"]),
        (T["op_today"], maps.operator_label(r.operator, lang)), (T["v_new"], r.villages_newly_reached),
        (T["p_new"], f"{r.population_newly_reached:,}"), (T["cost"], f"{r.cost:,.0f}"),
        (T["load"], f"{r.load_per_week:,.0f}"),
        (T["cap"], T["unlimited"] if r.capacity_per_week != r.capacity_per_week else f"{r.capacity_per_week:,.0f}")])
        for r in sites.itertuples()]
    chosen_styles = [{"shape": SITE_SHAPES["existing"], "radius": 8, "color": "#111827", "weight": 2.5,
                      "fillColor": CHOSEN_COLOR, "fillOpacity": 1.0},
                     {"shape": SITE_SHAPES["new"], "radius": 10, "color": maps.OPERATOR_COLORS["shared"], "weight": 2.5,
                      "fillColor": CHOSEN_COLOR, "fillOpacity": 1.0}]
    maps.add_points(fs, sites["lon"].to_numpy(float), sites["lat"].to_numpy(float), chosen_styles,
                    [0 if k == "existing" else 1 for k in kinds], popups=pops,
                    labels=[str(n) for n in sites["name"]], kind="siting:site")
    unit = s["objective_unit"] if lang == "en" else _UNIT_ZH.get(s["objective_unit"], s["objective_unit"])
    notes = [T["note_model"].format(model=result.model, obj=s["objective"], unit=unit, r=s["radius_m"]),
             T["note_nocand"].format(n=s["gap_villages_no_candidate"])]
    if getattr(scn, "synthetic", False):
        notes.append(T["note_syn"])
    maps.add_legend(m, [
        (T["lg_v"], [(maps.swatch_circle(sc["reached"]), T["lg_before"]),
                     (maps.swatch_circle(NEWLY_COLOR, 6, "#1e3a8a", 2), T["lg_newly"]),
                     (maps.swatch_circle(sc["partial"]), T["lg_partial"]),
                     (maps.swatch_circle(sc["gap"]), T["lg_gap"])]),
        (T["lg_sites"], [(maps.swatch_shape(CHOSEN_COLOR, "square", "#111827"), T["lg_conv"].format(n=n_conv)),
                         (maps.swatch_shape(CHOSEN_COLOR, "diamond", maps.OPERATOR_COLORS["shared"]),
                          T["lg_new"].format(n=n_new)),
                         (maps.swatch_line(NEWLY_COLOR), T["lg_link"])]),
    ], notes=notes)
    return m
