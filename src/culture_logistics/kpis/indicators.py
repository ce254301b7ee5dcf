"""The official indicators (K1 … K12) of a county plan, as a table with one row per figure.

Inputs (:class:`KpiInputs`) are the stages' results as tables: the coverage village table
(``village_reach.csv``), the route plan the report shows (``route_plan.csv`` of the shared plan, or of a weekly
plan), its unserved stops, the routing summary (costs, the comparison with separate delivery) and the scenario
(facilities, village points, ``[routing]`` parameters).  :meth:`KpiInputs.from_results` takes the result
objects; the application layer reads the same tables from a finished output folder.

Definitions and sources: docs/guide/report.md ("Official indicators") and ../shared/docs/COUNTY-PRACTICE.md §1.
Percentages are 0–100; a figure whose denominator is 0 has no value (empty), never 0/0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from culture_logistics.config.routing import RoutingParams, hhmm
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.kpis.timing import (
    MAX_CONTINUOUS_DRIVING_MIN,
    REST_MIN,
    VILLAGE_KINDS,
    VillageLead,
    continuous_driving,
    gini,
    lead_times,
    plan_days,
)

#: kpis.csv columns, in order
KPI_COLUMNS = ["code", "indicator_zh", "indicator_en", "value", "unit", "numerator", "denominator", "target", "note"]

#: upload/village_points.csv (村点出入库量)
VILLAGE_POINT_COLUMNS = ["point_id", "point_name", "village_code", "village_name", "day", "parcels_in", "parcels_out"]

#: K7-24h's note when ``inbound_arrival`` is not set: the plan keeps its trunk time, which may be before the
#: parcels arrive (the report explains a 0 % 24 h rate with it)
NIGHT_TRUNK_NOTE = ("the plan's trunk may leave before it (inbound_arrival not set): those parcels go with the next "
                    "delivery day's trunk")

#: upload/lines.csv (线路运输量)
LINE_COLUMNS = ["line_id", "kind", "operator", "day", "stops", "parcels_down", "parcels_up", "km"]

#: upload/lead_times.csv (送达时效, one row per village)
LEAD_TIME_COLUMNS = ["village_code", "village_name", "township_code", "inbound_parcels_per_week",
                     "outbound_parcels_per_week", "visits_per_week", "inbound_lead_max_h", "inbound_lead_mean_h",
                     "within_24h", "within_48h", "within_72h", "outbound_lead_max_h"]

HOURS = (24, 48, 72)

#: brand names of the non-courier operators a shared county centre handles (K5)
OPERATOR_BRANDS = {"postal": "中国邮政", "supply_coop": "供销社"}


@dataclass
class KpiInputs:
    """What the indicators are computed from (see the module docstring).

    Attributes
    ----------
    scenario : the loaded scenario (facilities, village points, parameters).
    villages : the coverage village table (``village_reach.csv`` columns; ``reached_any`` as bool or
        ``"true"``/``"false"``, ``distance_m`` empty when unreachable).
    plan : the route plan table (``route_plan.csv``; with ``day`` for a weekly plan), or None.
    unserved : its unserved stops (``unserved.csv``), or None.
    routing : the routing ``summary.json`` (compare: ``shared``/``separate``/``saving_pct``; one plan: its own).
    params : the ``[routing]`` parameters (``inbound_arrival``, delivery days, service-point radius).
    """

    scenario: Scenario
    villages: pd.DataFrame
    plan: pd.DataFrame | None = None
    unserved: pd.DataFrame | None = None
    routing: dict | None = None
    params: RoutingParams | None = None

    @classmethod
    def from_results(cls, scenario: Scenario, coverage, result=None) -> KpiInputs:
        """From a :class:`~culture_logistics.coverage.reach.CoverageResult` and a routing result (a
        ``ModeComparison``: its shared plan; a ``RoutePlan``; a ``WeeklyPlan``; or None)."""
        plan = unserved = None
        summary = None
        if result is not None:
            summary = result.summary()
            shown = getattr(result, "shared", None) if hasattr(result, "separate") else result
            if shown is not None:
                plan, unserved = shown.plan_table(), shown.unserved_table()
        return cls(scenario, coverage.village_table(), plan, unserved, summary,
                   RoutingParams.from_scenario(scenario))


@dataclass
class KpiTable:
    """The indicators: ``rows`` (dicts of :data:`KPI_COLUMNS`) and the province upload tables."""

    rows: list[dict]
    village_points: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VILLAGE_POINT_COLUMNS))
    lines: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LINE_COLUMNS))
    lead_times: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEAD_TIME_COLUMNS))

    def frame(self) -> pd.DataFrame:
        """``kpis.csv``: one row per figure, exactly :data:`KPI_COLUMNS` (no value: empty)."""
        return pd.DataFrame([{k: _cell(r[k]) for k in KPI_COLUMNS} for r in self.rows], columns=KPI_COLUMNS,
                            dtype=object)

    def value(self, code: str):
        """The value of the row ``code`` (None when it has none); KeyError for an unknown code."""
        for r in self.rows:
            if r["code"] == code:
                return r["value"]
        raise KeyError(code)

    def summary(self) -> list[dict]:
        """The rows as JSON-ready dicts (summary.json ``kpis``)."""
        return [{k: _cell(r[k]) for k in KPI_COLUMNS} for r in self.rows]


# ------------------------------------------------------------------------------------------ helpers
def _cell(v):
    """A table cell: a whole number as an int (``6``, not ``6.0``), other numbers as they are, None as None."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return None
        return int(v) if float(v).is_integer() else float(v)
    return v


def _pct(num: float, den: float) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def _row(code, zh, en, value, unit, num=None, den=None, target=None, note="") -> dict:
    return {"code": code, "indicator_zh": zh, "indicator_en": en, "value": value, "unit": unit,
            "numerator": num, "denominator": den, "target": target, "note": note}


def _share(code, zh, en, num, den, target=100, note="") -> dict:
    return _row(code, zh, en, _pct(num, den), "%", num, den, target,
                note if den else (note + "; " if note else "") + "no denominator: undefined")


def _truthy(s: pd.Series) -> np.ndarray:
    if s.dtype == bool:
        return s.to_numpy(bool)
    return s.astype(str).str.strip().str.lower().isin(["true", "1", "yes"]).to_numpy(bool)


def _metres(lon0, lat0, lon, lat) -> np.ndarray:
    """Straight-line metres from (lon0, lat0) to each (lon, lat) (equirectangular; enough within 500 m)."""
    k = 111_320.0
    dx = (np.asarray(lon, float) - lon0) * k * math.cos(math.radians(lat0))
    dy = (np.asarray(lat, float) - lat0) * k
    return np.hypot(dx, dy)


def _village_frame(inp: KpiInputs) -> pd.DataFrame:
    v = inp.villages.copy()
    v["village_code"] = v["village_code"].astype(str)
    v["township_code"] = v["township_code"].astype(str)
    v["reached_any"] = _truthy(v["reached_any"])
    v["distance_m"] = pd.to_numeric(v["distance_m"], errors="coerce")
    return v


def _station_township(scn: Scenario, fac: pd.DataFrame) -> list[str]:
    """Each facility's township: that of the nearest village centre (as the routing context assigns it)."""
    vil = scn.villages
    vlon, vlat = vil["lon"].to_numpy(float), vil["lat"].to_numpy(float)
    out = []
    for lon, lat in zip(fac["lon"].to_numpy(float), fac["lat"].to_numpy(float)):
        d = _metres(lon, lat, vlon, vlat)
        out.append(str(vil["township_code"].iat[int(np.argmin(d))]) if len(d) else "")
    return out


# ------------------------------------------------------------------------------------------ K1 … K5
def _coverage_rows(v: pd.DataFrame, scn: Scenario, params: RoutingParams) -> list[dict]:
    n = len(v)
    reached = int(v["reached_any"].sum())
    rows = [_share("K1", "建制村快递服务覆盖率", "villages with express service (reached by ≥ 1 operator or a shared "
                   "point)", reached, n, note=f"within [coverage] radius_m = {scn.coverage.radius_m:,.0f} m along "
                   "the roads; = village_reach.csv reached_any")]
    fac = scn.facilities
    shared_pts = fac[(fac["operator"] == "shared") & (fac["tier"] == "village")]
    vil = scn.villages
    has = np.zeros(len(vil), bool)
    for lon, lat in zip(shared_pts["lon"].to_numpy(float), shared_pts["lat"].to_numpy(float)):
        has |= _metres(lon, lat, vil["lon"].to_numpy(float), vil["lat"].to_numpy(float)) \
            <= params.service_point_radius_m
    rows.append(_share("K3", "村级寄递物流综合服务站覆盖率", "villages with a shared village service point",
                       int(has.sum()), len(vil),
                       note=f"a shared village-tier facility within {params.service_point_radius_m:,.0f} m "
                            "(straight line, [routing] service_point_radius_m) of the village centre; "
                            f"{len(shared_pts)} shared village points"))
    tws = sorted(set(v["township_code"]))
    st = fac[fac["tier"] == "township"]
    st_tw = _station_township(scn, st) if len(st) else []
    with_any = {t for t in st_tw}
    with_shared = {t for t, op in zip(st_tw, st["operator"]) if op == "shared"}
    rows.append(_share("K4", "乡镇快递网点覆盖率（乡乡有网点）", "townships with a township station (any operator)",
                       len(with_any & set(tws)), len(tws), note="a station's township: that of its nearest village"))
    rows.append(_share("K4-shared", "乡镇公共配送综合服务站覆盖率", "townships with a shared township station",
                       len(with_shared & set(tws)), len(tws), note="a station's township: that of its nearest village"))
    county = fac[(fac["tier"] == "county") & (fac["operator"] == "shared")]
    if len(county):
        carriers = [op for op in ("postal", "supply_coop", "courier") if (fac["operator"] == op).any()]
        brands = [OPERATOR_BRANDS[op] for op in carriers if op in OPERATOR_BRANDS]
        cb = sorted({str(b).strip() for b in fac.loc[fac["operator"] == "courier", "brand"]
                     if str(b).strip() not in ("", "nan", "None")})
        if "courier" in carriers:
            brands += cb or ["快递 (brand not given)"]
        rows.append(_row("K5", "县级寄递公共配送中心入驻品牌数", "brands handled by the shared county centre",
                         len(brands), "个", note="the shared plan carries every operator's parcels: "
                         + "、".join(brands)))
    else:
        rows.append(_row("K5", "县级寄递公共配送中心入驻品牌数", "brands handled by the shared county centre",
                         None, "个", note="no shared county-tier facility in facilities.csv"))
    return rows


# ------------------------------------------------------------------------------------------ plan figures
def _delivery_rows(v: pd.DataFrame, plan: pd.DataFrame, unserved: pd.DataFrame) -> list[dict]:
    at_village = plan[plan["stop_kind"].isin(VILLAGE_KINDS) & (plan["echelon"] == "last_mile")]
    served = set(at_village["stop_id"].astype(str))
    delivered = int(pd.to_numeric(at_village["delivered"]).sum())
    un = unserved[unserved["stop_kind"].isin(VILLAGE_KINDS)] if len(unserved) else unserved
    missed = int(pd.to_numeric(un["delivery"]).sum()) if len(un) else 0
    return [_share("K2", "直投到村率（村）", "villages delivered at the village by a route", len(served & set(v["village_code"])),
                   len(v), note="villages with a last-mile stop in route_plan.csv ÷ all villages"),
            _share("K2-parcels", "直投到村率（件）", "inbound parcels delivered at the village by a route", delivered,
                   delivered + missed, note="delivered at village stops ÷ (that + unserved.csv village deliveries)")]


def _bus_rows(plan: pd.DataFrame, params: RoutingParams) -> list[dict]:
    bus = plan[plan["echelon"] == "bus"]
    if not params.bus_lines and not len(bus):
        note = "no [[bus_line]] in the scenario: no 客货邮 line carries parcels"
        return [_row("K6", "农村客货邮合作线路条数", "passenger-freight-mail bus lines carrying parcels", 0, "条",
                     note=note),
                _row("K6-down", "融合线路承担的邮件快件量（下行）", "parcels the bus lines carry down", 0, "件/日",
                     note=note),
                _row("K6-up", "融合线路承担的邮件快件量（上行）", "parcels the bus lines carry up", 0, "件/日", note=note)]
    lines = sorted({str(x).split("@", 1)[0] for x in bus["vehicle_id"]})
    per_day = max(1, bus["day"].nunique()) if "day" in bus.columns else 1
    down = int(pd.to_numeric(bus["delivered"]).sum()) / per_day
    up = int(pd.to_numeric(bus["picked_up"]).sum()) / per_day
    note = f"{len(params.bus_lines)} [[bus_line]] given; used: {', '.join(lines) or 'none'}"
    return [_row("K6", "农村客货邮合作线路条数", "passenger-freight-mail bus lines carrying parcels", len(lines), "条",
                 len(lines), len(params.bus_lines), note=note),
            _row("K6-down", "融合线路承担的邮件快件量（下行）", "parcels the bus lines carry down", round(down, 1), "件/日",
                 note="bus rows of route_plan.csv, delivered"),
            _row("K6-up", "融合线路承担的邮件快件量（上行）", "parcels the bus lines carry up", round(up, 1), "件/日",
                 note="bus rows of route_plan.csv, picked up")]


def _lead_rows(leads: dict[str, VillageLead], unserved: pd.DataFrame, params: RoutingParams,
               weekly: bool) -> list[dict]:
    D = params.delivery_days_per_week
    arr = hhmm(params.inbound_arrival_s)
    un = unserved[unserved["stop_kind"].isin(VILLAGE_KINDS)] if len(unserved) else unserved
    missed = pd.to_numeric(un["delivery"]).groupby(un["stop_id"].astype(str)).sum() if len(un) else pd.Series(dtype=float)
    missed = missed * (1 if weekly else D)   # parcels a week, as the villages' lead times count them
    how = (f"inbound parcels reach the county centre at {arr} ([routing] inbound_arrival"
           + ("" if params.inbound_arrival_given else ", default") + f") on each of {D} delivery days; lead time to "
           "the start of service at the village (route_plan.csv), whole days waited included"
           + ("" if params.inbound_arrival_given else "; " + NIGHT_TRUNK_NOTE)
           + ("; weekly plan: visit days" if weekly else "; daily plan"))
    rows = []
    tot = sum(float(x.delivered_per_week) for x in leads.values()) + float(missed.sum())
    villages_with = set(leads) | set(missed[missed > 0].index)
    for h in HOURS:
        num = sum(x.delivered_per_week / D * sum(1 for m in x.inbound_min if m is not None and m <= 60 * h)
                  for x in leads.values())
        rows.append(_share(f"K7-{h}h", f"{h}小时送达率（件）", f"inbound parcels delivered within {h} h",
                           round(num, 2), round(tot, 2), note=how if h == 24 else ""))
    for h in HOURS:
        ok = sum(1 for c, x in leads.items()
                 if float(missed.get(c, 0)) == 0 and x.inbound_min
                 and all(m is not None and m <= 60 * h for m in x.inbound_min))
        rows.append(_share(f"K7-villages-{h}h", f"{h}小时送达率（村）", f"villages all of whose inbound parcels are "
                           f"delivered within {h} h", ok, len(villages_with)))
    out_tot = sum(float(p) for x in leads.values() for p, _ in x.outbound)
    for h in HOURS:
        num = sum(float(p) for x in leads.values() for p, m in x.outbound if m is not None and m <= 60 * h)
        rows.append(_share(f"K7-out-{h}h", f"{h}小时上行送达率（件）", f"outbound parcels at the county centre within "
                           f"{h} h of pickup", round(num, 2), round(out_tot, 2),
                           note="from pickup at the village to the trunk's or bus's return to the county centre "
                                "(its first run at the station after the village route is back)" if h == 24 else ""))
    all_leads = [(x.delivered_per_week / D, m) for x in leads.values() for m in x.inbound_min if m is not None]
    w = sum(a for a, _ in all_leads)
    mean_h = round(sum(a * m for a, m in all_leads) / w / 60.0, 2) if w else None
    rows.append(_row("K7-mean", "平均送达时长", "mean inbound lead time (parcel-weighted)", mean_h, "h"))
    return rows


def _visit_rows(leads: dict[str, VillageLead], n_villages: int, weekly: bool, D: int) -> list[dict]:
    counts: dict[int, int] = {}
    for x in leads.values():
        counts[x.visits_per_week] = counts.get(x.visits_per_week, 0) + 1
    counts[0] = n_villages - len(leads)
    rows = []
    src = "weekly plan's visit days" if weekly else f"daily plan: each village served is visited on all {D} delivery days"
    for k in sorted(counts):
        if counts[k] == 0 and k == 0:
            continue
        rows.append(_share(f"K8-{k}", f"每周配送{k}次的村", f"villages visited {k} times a week", counts[k], n_villages,
                           target=None, note=src if k == max(counts) else ""))
    visited = [x.visits_per_week for x in leads.values()]
    rows.append(_row("K8-mean", "平均每周配送频次", "mean visits per week of the villages visited",
                     round(float(np.mean(visited)), 2) if visited else None, "次/周", sum(visited), len(visited)))
    return rows


def _cost_rows(routing: dict | None, D: int) -> list[dict]:
    if not routing:
        return [_row("K9", "物流成本（元/件）", "cost per parcel", None, "元/件", note="no routing summary")]
    shared = routing.get("shared", routing)
    sep = routing.get("separate")
    rows = [_row("K9", "物流成本（元/件）", "cost per parcel delivered or picked up (shared plan)",
                 shared.get("cost_per_parcel_cny"), "元/件", shared.get("cost_cny"),
                 shared.get("parcels_delivered", 0) + shared.get("parcels_picked_up", 0),
                 note="numerator CNY/day, denominator parcels/day"),
            _row("K9-day", "物流成本（元/日）", "cost per delivery day (shared plan)", shared.get("cost_cny"), "元/日")]
    if sep is not None:
        rows.append(_row("K9-saving", "降本率（共同配送对各自配送）", "saving of shared against separate delivery",
                         routing.get("saving_pct"), "%", round(sep["cost_cny"] - shared["cost_cny"], 2),
                         sep["cost_cny"], note="numerator CNY/day saved, denominator separate CNY/day; reported "
                         "county cases: 15–32 % (COUNTY-PRACTICE.md §2)"))
    up = shared.get("parcels_picked_up")
    rows.append(_row("K10", "上行量（出村件）", "outbound parcels picked up at villages", up, "件/日"))
    rows.append(_row("K10-week", "上行量（每周）", "outbound parcels a week", None if up is None else up * D, "件/周",
                     note=f"× {D} delivery days"))
    return rows


def _fairness_rows(v: pd.DataFrame, leads: dict[str, VillageLead]) -> list[dict]:
    d = v["distance_m"]
    fin = v[np.isfinite(d)]
    rows = []
    if len(fin):
        w = fin.loc[fin["distance_m"].idxmax()]
        rows.append(_row("K11-distance", "最远村到最近服务点距离", "worst-served village: network distance to its "
                         "nearest service point", round(float(w["distance_m"]), 0), "m",
                         note=f"{w['village_code']} {w.get('village_name', '')}".strip()))
    else:
        rows.append(_row("K11-distance", "最远村到最近服务点距离", "worst-served village: network distance",
                         None, "m", note="no village on the network"))
    unreachable = int((~np.isfinite(d)).sum())
    g = gini(fin["distance_m"].tolist())
    rows.append(_row("K11-gini", "村到最近服务点距离的基尼系数", "Gini coefficient of the villages' distance to their "
                     "nearest service point", None if g is None else round(g, 4), "", len(fin), len(v),
                     note="villages on the network; numerator villages counted" +
                     (f"; {unreachable} unreachable left out" if unreachable else "")))
    worst = [(max(m for m in x.inbound_min if m is not None), c) for c, x in leads.items()
             if any(m is not None for m in x.inbound_min)]
    if worst:
        m, c = max(worst)
        name = v.set_index("village_code")["village_name"].get(c, "") if "village_name" in v else ""
        rows.append(_row("K11-lead", "送达最慢的村（最长送达时长）", "worst-served village: longest inbound lead time",
                         round(m / 60.0, 2), "h", note=f"{c} {name}".strip()))
    else:
        rows.append(_row("K11-lead", "送达最慢的村（最长送达时长）", "worst-served village: longest inbound lead time",
                         None, "h", note="no village delivered"))
    return rows


def _safety_rows(plan: pd.DataFrame) -> list[dict]:
    cd = continuous_driving(plan)
    over = int((cd["max_continuous_driving_min"] > MAX_CONTINUOUS_DRIVING_MIN).sum())
    rule = (f"driving between stops = arrival − previous departure (route_plan.csv); a rest row (stop_kind = rest) "
            f"or a stop of ≥ {REST_MIN:g} min (service and wait) is a rest; 《道路交通安全法实施条例》第六十二条; "
            "bus runs not counted")
    return [_row("K12", "运营安全：连续驾驶超过4小时的线路数", "routes whose continuous driving exceeds 4 h", over,
                 "条", over, len(cd), 0, note=rule),
            _row("K12-max", "最长连续驾驶时长", "longest continuous driving of any route",
                 round(float(cd["max_continuous_driving_min"].max()) / 60.0, 2) if len(cd) else None, "h",
                 target=4)]


# ------------------------------------------------------------------------------------------ upload tables
def _upload_tables(scn: Scenario, v: pd.DataFrame, plan: pd.DataFrame, leads: dict[str, VillageLead],
                   params: RoutingParams) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    D = params.delivery_days_per_week
    p = plan_days(plan, D)
    at = p[p["stop_kind"].isin(VILLAGE_KINDS) & (p["echelon"] == "last_mile")]
    names = dict(zip(v["village_code"], v.get("village_name", v["village_code"])))
    pts = []
    for r in at.itertuples(index=False):
        pid = str(r.service_point_id) if isinstance(r.service_point_id, str) and r.service_point_id.strip() \
            and r.service_point_id != "nan" else str(r.stop_id)
        pts.append({"point_id": pid, "point_name": str(r.stop_name), "village_code": str(r.stop_id),
                    "village_name": names.get(str(r.stop_id), str(r.stop_name)), "day": int(r.day),
                    "parcels_in": int(r.delivered), "parcels_out": int(r.picked_up)})
    points = pd.DataFrame(pts, columns=VILLAGE_POINT_COLUMNS)
    keys = [c for c in VILLAGE_POINT_COLUMNS if c not in ("parcels_in", "parcels_out")]
    points = (points.groupby(keys, sort=False, as_index=False)[["parcels_in", "parcels_out"]].sum()   # a split
              [VILLAGE_POINT_COLUMNS] if len(points) else points)   # village's visits: one row a day
    points = points.sort_values(["day", "point_id", "village_code"], kind="stable").reset_index(drop=True)
    lines = []
    for (d, rid), g in (p.groupby(["day", "route_id"], sort=True) if len(p) else []):
        ech = str(g["echelon"].iat[0])
        lid = str(g["vehicle_id"].iat[0]).split("@", 1)[0] if ech == "bus" else str(rid)
        lines.append({"line_id": lid, "kind": ech, "operator": str(g["operator"].iat[0]), "day": int(d),
                      "stops": int((~g["stop_kind"].isin(["depot", "reload", "rest"])).sum()),
                      "parcels_down": int(pd.to_numeric(g["delivered"]).sum()),
                      "parcels_up": int(pd.to_numeric(g["picked_up"]).sum()),
                      "km": round(float(pd.to_numeric(g["leg_m"]).sum()) / 1000.0, 2)})
    lines_df = pd.DataFrame(lines, columns=LINE_COLUMNS)
    tw = dict(zip(v["village_code"], v["township_code"]))
    lrows = []
    for c, x in leads.items():
        ms = [m for m in x.inbound_min if m is not None]
        outs = [m for _, m in x.outbound if m is not None]
        lrows.append({"village_code": c, "village_name": names.get(c, ""), "township_code": tw.get(c, ""),
                      "inbound_parcels_per_week": x.delivered_per_week,
                      "outbound_parcels_per_week": x.picked_up_per_week,
                      "visits_per_week": x.visits_per_week,
                      "inbound_lead_max_h": round(max(ms) / 60.0, 2) if ms else None,
                      "inbound_lead_mean_h": round(sum(ms) / len(ms) / 60.0, 2) if ms else None,
                      "within_24h": bool(ms) and max(ms) <= 24 * 60, "within_48h": bool(ms) and max(ms) <= 48 * 60,
                      "within_72h": bool(ms) and max(ms) <= 72 * 60,
                      "outbound_lead_max_h": round(max(outs) / 60.0, 2) if outs else None})
    return points, lines_df, pd.DataFrame(lrows, columns=LEAD_TIME_COLUMNS)


# ------------------------------------------------------------------------------------------ entry point
def compute_kpis(inp: KpiInputs) -> KpiTable:
    """The indicator table of ``inp`` (K1 … K12, in code order, and the province upload tables)."""
    params = inp.params or RoutingParams.from_scenario(inp.scenario)
    v = _village_frame(inp)
    rows = _coverage_rows(v, inp.scenario, params)
    D = params.delivery_days_per_week
    if inp.plan is None:
        rows += _cost_rows(inp.routing, D) + _fairness_rows(v, {})
        note = "no route plan: run `culture-logistics route` (or report/demo)"
        rows += [_row(c, zh, en, None, u, note=note) for c, zh, en, u in (
            ("K2", "直投到村率（村）", "villages delivered at the village by a route", "%"),
            ("K6", "农村客货邮合作线路条数", "passenger-freight-mail bus lines carrying parcels", "条"),
            ("K7-24h", "24小时送达率（件）", "inbound parcels delivered within 24 h", "%"),
            ("K12", "运营安全：连续驾驶超过4小时的线路数", "routes whose continuous driving exceeds 4 h", "条"))]
        return KpiTable(_ordered(rows))
    plan = inp.plan.copy()
    unserved = inp.unserved if inp.unserved is not None else pd.DataFrame(columns=["stop_id", "stop_kind", "delivery"])
    weekly = "day" in plan.columns
    plan_d = plan_days(plan, D)
    leads = lead_times(plan, params.inbound_arrival_s / 60.0, D)
    rows += _delivery_rows(v, plan, unserved)
    rows += _bus_rows(plan_d, params)
    rows += _lead_rows(leads, unserved, params, weekly)
    rows += _visit_rows(leads, len(v), weekly, D)
    rows += _cost_rows(inp.routing, D)
    rows += _fairness_rows(v, leads)
    rows += _safety_rows(plan)
    points, lines, lt = _upload_tables(inp.scenario, v, plan, leads, params)
    return KpiTable(_ordered(rows), points, lines, lt)


def _ordered(rows: list[dict]) -> list[dict]:
    def key(r):
        head = r["code"].split("-", 1)[0]
        return int(head[1:]) if head[1:].isdigit() else 99
    return sorted(rows, key=key)   # stable: the rows of one code keep their order


__all__ = ["HOURS", "KPI_COLUMNS", "LEAD_TIME_COLUMNS", "LINE_COLUMNS", "NIGHT_TRUNK_NOTE", "VILLAGE_POINT_COLUMNS", "KpiInputs",
           "KpiTable", "compute_kpis"]
