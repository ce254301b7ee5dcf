"""The siting map: chosen sites, newly reached villages, remaining gaps.
"""
from __future__ import annotations

import numpy as np

from culture_logistics.reports.maps import base as maps
from culture_logistics.siting.solve import SitingResult

NEWLY_COLOR = "#2563eb"   # blue: newly reached by a chosen site


CHOSEN_COLOR = "#facc15"  # yellow: chosen shared point


def siting_map(result: SitingResult, tiles: str = "osm", lang: str = "en"):
    """A folium map (built with :mod:`culture_logistics.maps`): before / after village layers, the
    chosen sites highlighted, and a line from each newly served village to its site.

    Text is passed to the helpers as plain text; they ``html.escape`` it.
    """

    scn = result.scenario
    s = result.summary()
    v = result.coverage.villages
    title = f"{scn.name} ({scn.adcode}) — {result.model.upper()} siting"
    sub = (f"villages reached {s['before']['villages_reached']} → {s['after']['villages_reached']} of "
           f"{s['before']['villages']}; {s['sites']} sites, {s['total_cost']:,.0f} CNY; "
           + ("optimal (proved)" if s["optimal"] else f"gap to bound {s['gap']:.2%}"))
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
        base = f"{name} ({code}), {tw}, population {int(popn):,}"
        tips_b.append(base + (f"; missing: {miss}" if miss else "; reached"))
        tips_a.append(base + (f"; newly reached by {site_of.get(code, '')}" if nw
                              else (f"; still missing: {miss}" if miss else "; reached")))
    lon, lat = v["lon"].to_numpy(float), v["lat"].to_numpy(float)
    fb = maps.feature_group(m, f"Before: villages ({s['before']['villages_reached']} reached)", show=False)
    maps.add_points(fb, lon, lat, styles, status_before, tooltips=tips_b, kind="village:before")
    fa = maps.feature_group(m, f"After: villages ({s['after']['villages_reached']} reached)", show=True)
    maps.add_points(fa, lon, lat, styles, status_after, tooltips=tips_a, kind="village:after")
    fl = maps.feature_group(m, "Villages → their new shared point", show=True)
    maps.add_geojson(fl, list(asg.geometry), [{"color": NEWLY_COLOR, "weight": 2, "opacity": 0.8},
                                              {"color": "#9ca3af", "weight": 1.5, "opacity": 0.7, "dashArray": "4 4"}],
                     [0 if n else 1 for n in asg["newly_reached"].astype(bool)],
                     tooltips=[f"{a} → {b} ({d:.0f} m)" for a, b, d in zip(asg["village_name"], asg["site_name"],
                                                                          asg["distance_m"])], kind="siting:link")
    maps.add_facilities(m, scn.facilities, show=False)
    fs = maps.feature_group(m, f"Chosen shared points ({len(result.sites)})", show=True)
    sites = result.sites
    pops = [maps.popup_html(str(r.name), [("site_id", r.site_id), ("kind", r.kind), ("operator today", r.operator),
                                          ("villages newly reached", r.villages_newly_reached),
                                          ("population newly reached", f"{r.population_newly_reached:,}"),
                                          ("cost (CNY)", f"{r.cost:,.0f}"),
                                          ("load (parcels/week)", f"{r.load_per_week:,.0f}"),
                                          ("capacity (parcels/week)", "unlimited" if r.capacity_per_week
                                           != r.capacity_per_week else f"{r.capacity_per_week:,.0f}")])
            for r in sites.itertuples()]
    tips = [f"{r.name} [{r.site_id}] — {r.kind}, +{r.population_newly_reached:,} people" for r in sites.itertuples()]
    chosen_styles = [{"radius": 10, "color": "#111827", "weight": 3, "fillColor": CHOSEN_COLOR, "fillOpacity": 1.0},
                     {"radius": 10, "color": maps.OPERATOR_COLORS["shared"], "weight": 3, "fillColor": CHOSEN_COLOR,
                      "fillOpacity": 1.0}]
    maps.add_points(fs, sites["lon"].to_numpy(float), sites["lat"].to_numpy(float), chosen_styles,
                    [0 if k == "existing" else 1 for k in sites["kind"]], popups=pops, tooltips=tips,
                    kind="siting:site")
    notes = [f"Model {result.model}; objective {s['objective']:,.0f} {s['objective_unit']}; "
             f"radius {s['radius_m']:.0f} m along the network.",
             f"{s['gap_villages_no_candidate']} gap villages have no candidate site within reach."]
    if getattr(scn, "synthetic", False):
        notes.append("Synthetic data: coordinates, populations, facilities and roads are generated.")
    maps.add_legend(m, [
        ("Villages", [(maps.swatch_circle(sc["reached"]), "reached before"),
                      (maps.swatch_circle(NEWLY_COLOR), "newly reached"),
                      (maps.swatch_circle(sc["partial"]), "still a gap (some operators)"),
                      (maps.swatch_circle(sc["gap"]), "still a gap (no operator)")]),
        ("Sites", [(maps.swatch_circle(CHOSEN_COLOR, 7, "#111827", 3), "chosen: convert existing facility"),
                   (maps.swatch_circle(CHOSEN_COLOR, 7, maps.OPERATOR_COLORS["shared"], 3), "chosen: new village point"),
                   (maps.swatch_line(NEWLY_COLOR), "village → its site")]),
    ], notes=notes)
    return m
