"""From a scenario to routing model specs: depots, stops and demand per echelon and operator.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from culture_logistics.config.model import CARRIERS
from culture_logistics.config.routing import SHARED_PREFERENCE, RoutingParams
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.network.roads import RoadNetwork


# ============================================================================ the day's stops
def split_by_shares(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``total`` parcels by ``shares`` (largest remainder; ties in CARRIERS order); sums to ``total``."""
    ops = [op for op in CARRIERS if shares.get(op, 0.0) > 0]
    if not ops or total <= 0:
        return {op: 0 for op in CARRIERS}
    s = sum(shares[op] for op in ops)
    raw = {op: total * shares[op] / s for op in ops}
    out = {op: int(math.floor(raw[op] + 1e-9)) for op in ops}
    rest = total - sum(out.values())
    order = sorted(ops, key=lambda op: (-(raw[op] - out[op]), CARRIERS.index(op)))
    for op in order[:rest]:
        out[op] += 1
    return {op: out.get(op, 0) for op in CARRIERS}


def daily_parcels(weekly, days) -> np.ndarray:
    """Parcels of a typical day: ⌈weekly / days⌉ per village (integer array; ``days`` a number or one per row)."""
    w = np.asarray(weekly, dtype=float)
    return np.ceil(np.round(w / np.asarray(days, dtype=float), 9)).astype(np.int64)


def destination_rows(scenario: Scenario, params: RoutingParams) -> pd.DataFrame | None:
    """The scenario's cultural destinations as rows of :attr:`PlanContext.villages` (``code`` = the destination id,
    ``stop_kind`` = its kind), or None without destinations.

    The daily plan's rule: a destination is a stop every day with the parcels of one of its receiving days,
    ⌈weekly / its number of days⌉ (``days`` empty: ⌈weekly / delivery_days_per_week⌉, as a village); the
    weekly plan (:func:`~culture_logistics.routing.weekly.plan_week`) visits it on its days only.  All its
    parcels are cultural.
    """
    d = scenario.destinations
    if d is None or not len(d):
        return None
    n_days = np.array([len(x) if len(x) else params.delivery_days_per_week for x in d["days"]], dtype=float)
    din = daily_parcels(d["in_per_week"].to_numpy(float), n_days)
    dout = daily_parcels(d["out_per_week"].to_numpy(float), n_days)
    return pd.DataFrame({
        "code": d["id"].astype(str).to_numpy(), "name": d["name"].astype(str).to_numpy(),
        "township_code": d["township_code"].astype(str).to_numpy(),
        "township_name": d["township_name"].astype(str).to_numpy() if "township_name" in d.columns
        else d["township_code"].astype(str).to_numpy(),
        "lon": d["lon"].to_numpy(float), "lat": d["lat"].to_numpy(float),
        "daily_in_cultural": din, "daily_out_cultural": dout, "daily_in": din, "daily_out": dout,
        "stop_kind": d["kind"].astype(str).to_numpy(),
    })


@dataclass
class PlanContext:
    """Everything shared by the models of one scenario: network, villages, facilities, assignments."""

    scenario: Scenario
    params: RoutingParams
    net: RoadNetwork
    villages: pd.DataFrame          # code, name, township_code, township_name, lon, lat, daily_in, daily_out (all
    #                                 parcels), daily_in_cultural, daily_out_cultural (the cultural parcels among them);
    #                                 with destinations, their rows follow (stop_kind = their kind; "" for a village)
    facilities: pd.DataFrame        # + township_code (of the nearest village)
    vpoints: dict                   # village code -> list of candidate service points (dicts)
    dist_fv: np.ndarray             # township/county facility x village network distance (m), inf = none
    fac_index: dict                 # facility id -> row of dist_fv
    snap_access: dict               # village code -> (access_m, on_network) of its centre

    def cultural_rows(self) -> dict:
        """village code → (daily in, daily out, cultural in, cultural out) of this context's villages."""
        v = self.villages
        if "daily_in_cultural" not in v.columns:
            return {}
        key = (id(v), len(v))
        cache = self.__dict__.get("_cultural_cache")
        if cache is None or cache[0] != key:
            rows = {c: (int(a), int(b), int(x), int(y)) for c, a, b, x, y in
                    zip(v["code"], v["daily_in"], v["daily_out"], v["daily_in_cultural"], v["daily_out_cultural"])}
            cache = (key, rows)
            self.__dict__["_cultural_cache"] = cache
        return cache[1]


def build_context(scenario: Scenario, params: RoutingParams, network=None) -> PlanContext:
    """The :class:`PlanContext` of ``scenario``: villages with their daily parcels, facilities, the village
    service points and the station × village network distances (on ``network`` or one built here)."""
    net = network if network is not None else RoadNetwork.from_scenario(scenario)
    v = scenario.villages
    vill = pd.DataFrame({
        "code": v["code"].astype(str).to_numpy(), "name": v["name"].astype(str).to_numpy(),
        "township_code": v["township_code"].astype(str).to_numpy(),
        "township_name": v["township_name"].astype(str).to_numpy(),
        "lon": v["lon"].to_numpy(float), "lat": v["lat"].to_numpy(float),
        "daily_in_cultural": daily_parcels(v["parcels_in_per_week"].to_numpy(float), params.delivery_days_per_week),
        "daily_out_cultural": daily_parcels(v["parcels_out_per_week"].to_numpy(float),
                                            params.delivery_days_per_week),
    })
    # the vans carry every parcel: the cultural ones and every other express parcel of the village
    other_in, other_out = (daily_parcels(v[c].to_numpy(float) if c in v.columns else np.zeros(len(v)),
                                         params.delivery_days_per_week)
                           for c in ("other_in_per_week", "other_out_per_week"))
    vill["daily_in"] = vill["daily_in_cultural"].to_numpy() + other_in
    vill["daily_out"] = vill["daily_out_cultural"].to_numpy() + other_out
    fac = scenario.facilities
    fac = pd.DataFrame({c: fac[c].to_numpy() for c in ("id", "name", "operator", "tier", "lon", "lat")}
                       | {"capacity_per_day": fac["capacity_per_day"].to_numpy(float)})
    fac["id"] = fac["id"].astype(str)
    vx, vy = net.to_metric(vill["lon"].to_numpy(), vill["lat"].to_numpy())
    fx, fy = net.to_metric(fac["lon"].to_numpy(float), fac["lat"].to_numpy(float))
    vx, vy, fx, fy = map(np.atleast_1d, (vx, vy, fx, fy))
    if len(vill):
        tree = cKDTree(np.column_stack([vx, vy]))
        dv, kv = tree.query(np.column_stack([fx, fy])) if len(fac) else (np.zeros(0), np.zeros(0, int))
        fac["township_code"] = vill["township_code"].to_numpy()[kv] if len(fac) else []
    else:
        dv, kv = np.zeros(len(fac)), np.zeros(len(fac), int)
        fac["township_code"] = ""
    vpoints: dict = {c: [] for c in vill["code"]}
    for i, r in enumerate(fac.itertuples(index=False)):
        if r.tier == "village" and len(vill) and dv[i] <= params.service_point_radius_m:
            vpoints[vill["code"].iat[int(kv[i])]].append(
                {"id": r.id, "name": r.name, "operator": r.operator, "lon": float(r.lon), "lat": float(r.lat),
                 "dist_m": float(dv[i])})
    dest = destination_rows(scenario, params)
    if dest is not None:   # the destinations are stops like the villages, at their own point (never a service point)
        vill = pd.concat([vill.assign(stop_kind=""), dest], ignore_index=True)
        vpoints.update({c: [] for c in dest["code"]})
    big = fac[fac["tier"].isin(["county", "township"])].reset_index(drop=True)
    fsnap = net.snap(big["lon"].to_numpy(float), big["lat"].to_numpy(float))
    vsnap = net.snap(vill["lon"].to_numpy(), vill["lat"].to_numpy())
    D = net.distances_between(fsnap, vsnap)
    return PlanContext(scenario, params, net, vill, fac, vpoints, D,
                       {fid: k for k, fid in enumerate(big["id"])},
                       {c: (float(a), bool(o)) for c, a, o in zip(vill["code"], vsnap.access_m, vsnap.on_network)})


def _mean_dist(ctx: PlanContext, fid: str, village_rows: np.ndarray) -> float:
    d = ctx.dist_fv[ctx.fac_index[fid], village_rows]
    d = d[np.isfinite(d)]  # villages off the network do not decide where their township is served from
    return float(d.mean()) if len(d) else np.inf


def _choose_station(ctx: PlanContext, candidates: pd.DataFrame, rows: np.ndarray, order: tuple) -> pd.Series | None:
    """The preferred candidate: first operator in ``order`` present, then least mean network distance."""
    for op in order:
        sub = candidates[candidates["operator"] == op]
        if len(sub):
            md = [(_mean_dist(ctx, fid, rows), fid) for fid in sub["id"]]
            return sub.set_index("id").loc[min(md)[1]].rename(min(md)[1])
    return None


@dataclass
class StopSpec:
    """One stop of a model spec: a station, a village service point or a village centre, with its parcels."""

    stop_id: str
    stop_name: str
    stop_kind: str          # station | village_point | village_centre | a destination kind (culture_store …)
    lon: float
    lat: float
    delivery: int
    pickup: int
    service_s: int
    tw: tuple | None = None
    point_id: str = ""       # service point facility id (village_point)
    point_name: str = ""
    township_code: str = ""
    delivery_cultural: int | None = None   # the cultural parcels among delivery / pickup (None = all of them)
    pickup_cultural: int | None = None

    @property
    def code(self) -> str:
        """The village (or station, destination) code: ``stop_id`` without a split visit's ``#k`` suffix."""
        return self.stop_id.split(VISIT_SEP, 1)[0]


VISIT_SEP = "#"   # a village too big for one vehicle is visited k times: stop ids code#1 … code#k inside the models


def service_seconds(service_min: float, per_parcel_min: float, parcels: int) -> int:
    """A stop's service time (s): ``service_min`` plus ``per_parcel_min`` for each parcel delivered or picked up."""
    return int(round(60 * (service_min + per_parcel_min * parcels)))


def village_count(stops) -> int:
    """The villages among ``stops`` (StopSpecs): a split village's visits count once."""
    return len({s.code for s in stops})


def _near_equal(total: int, k: int) -> list[int]:
    return [total // k + (1 if i < total % k else 0) for i in range(k)]


def split_oversized(stops: list[StopSpec], capacity: float, service_min: float, per_parcel_min: float) -> list[StopSpec]:
    """``stops`` with each one whose deliveries or pickups exceed ``capacity`` (the largest vehicle's) split into
    k = ⌈max(delivery, pickup) / capacity⌉ visits of near-equal parcels (split delivery, as a dispatcher sends a
    second van to a big village): ids ``code#1`` … ``code#k`` inside the models, the village code again in every
    output row.  Each visit carries its share of the cultural parcels and its own service time."""
    if not np.isfinite(capacity) or capacity <= 0:
        return stops
    cap = int(capacity)
    out: list[StopSpec] = []
    for s in stops:
        k = max(math.ceil(s.delivery / cap), math.ceil(s.pickup / cap), 1)
        if k == 1:
            out.append(s)
            continue
        dc, pc = stop_cultural(s)
        parts = zip(_near_equal(int(s.delivery), k), _near_equal(int(s.pickup), k), _near_equal(dc, k),
                    _near_equal(pc, k))
        for i, (d, p, c_d, c_p) in enumerate(parts, start=1):
            out.append(replace(s, stop_id=f"{s.stop_id}{VISIT_SEP}{i}", delivery=d, pickup=p,
                               service_s=service_seconds(service_min, per_parcel_min, d + p),
                               delivery_cultural=None if s.delivery_cultural is None else c_d,
                               pickup_cultural=None if s.pickup_cultural is None else c_p))
    return out


def stop_cultural(stop: StopSpec) -> tuple[int, int]:
    """(delivered, picked up) cultural parcels of ``stop`` (all its parcels when not tracked)."""
    return (int(stop.delivery if stop.delivery_cultural is None else stop.delivery_cultural),
            int(stop.pickup if stop.pickup_cultural is None else stop.pickup_cultural))


@dataclass
class DepotSpec:
    """The depot of a model spec: a county depot or a township station."""

    id: str
    name: str
    operator: str
    tier: str
    lon: float
    lat: float


@dataclass
class ModelSpec:
    """One routing model to build: an operator's echelon (trunk or last mile) from one depot, its stops and fleet."""

    operator: str                # the plan's operator (``shared`` in shared mode)
    echelon: str
    depot: DepotSpec
    stops: list
    fleet: list
    open_s: int
    close_s: int
    note: str = ""
    # last mile with assignment = "county": the capacity_per_day its vans are capped at
    # (routing.fleet.station_fleet; None = no cap) and its fleet before the cap
    station_capacity: float | None = None
    full_fleet: list | None = None


def _depot_of(row) -> DepotSpec:
    return DepotSpec(str(row.name if isinstance(row, pd.Series) else row["id"]), str(row["name"]), str(row["operator"]),
                     str(row["tier"]), float(row["lon"]), float(row["lat"]))


def county_depot(ctx: PlanContext, operator: str, warnings: list) -> DepotSpec | None:
    """The county depot ``operator``'s trunk leaves from (own, else shared, with a warning), or None."""
    fac = ctx.facilities
    county = fac[fac["tier"] == "county"]
    order = ("shared", "postal", "supply_coop", "courier") if operator == "shared" else (operator, "shared")
    for op in order:
        sub = county[county["operator"] == op]
        if len(sub):
            if op != order[0]:
                warnings.append(f"{operator}: no {operator} county depot; uses {sub['id'].iat[0]} "
                                f"({sub['name'].iat[0]}, {op}) as its county depot")
            # the largest capacity first, then the id
            sub = sub.assign(_c=sub["capacity_per_day"].fillna(np.inf)).sort_values(["_c", "id"],
                                                                                    ascending=[False, True])
            r = sub.iloc[0]
            return DepotSpec(str(r["id"]), str(r["name"]), str(r["operator"]), "county", float(r["lon"]), float(r["lat"]))
    return None


def cultural_part(parcels: int, village_total: int, village_cultural: int) -> int:
    """The cultural parcels among ``parcels`` of a village's ``village_total`` (``village_cultural`` of them
    cultural): all of them when the stop carries the village's whole flow, else the same share, rounded down."""
    if parcels <= 0 or village_total <= 0:
        return 0
    if parcels >= village_total:
        return int(min(village_cultural, parcels))
    return int(parcels * village_cultural // village_total)


def split_flow(total: int, cultural: int, shares: dict[str, float]) -> tuple[dict[str, int], dict[str, int]]:
    """Separate mode: a village's ``total`` parcels (``cultural`` of them cultural) split by ``shares`` —
    the cultural and the other parcels each by :func:`split_by_shares` — as (all, cultural) per operator."""
    sc = split_by_shares(int(cultural), shares)
    so = split_by_shares(int(total) - int(cultural), shares)
    return {op: sc[op] + so[op] for op in CARRIERS}, sc


def cultural_parcels(ctx: PlanContext, code: str, delivery: int, pickup: int, operator: str = "shared"
                     ) -> tuple[int, int]:
    """(delivered, picked up) cultural parcels among ``delivery`` / ``pickup`` parcels of village ``code``
    carried by ``operator``: exact for the village's whole flow and for a carrier's separate-mode share
    (:func:`split_flow`), else the same share of cultural parcels as the village's, rounded down."""
    row = ctx.cultural_rows().get(code)
    if row is None:
        return int(delivery), int(pickup)
    din, dout, cin, cout = row
    if operator in CARRIERS:
        (ain, cuin), (aout, cuout) = split_flow(din, cin, ctx.params.shares), split_flow(dout, cout, ctx.params.shares)
        if (int(delivery), int(pickup)) == (ain[operator], aout[operator]):
            return cuin[operator], cuout[operator]
    return cultural_part(int(delivery), din, cin), cultural_part(int(pickup), dout, cout)


def _village_stop(ctx: PlanContext, vrow, delivery: int, pickup: int, order: tuple, operator: str = "shared"
                  ) -> StopSpec:
    p = ctx.params
    pts = ctx.vpoints.get(vrow.code, [])
    chosen = None
    for op in order:
        sub = [q for q in pts if q["operator"] == op]
        if sub:
            chosen = min(sub, key=lambda q: (q["dist_m"], q["id"]))
            break
    service = service_seconds(p.service_min, p.service_min_per_parcel, delivery + pickup)
    tw = p.time_windows.get(vrow.code)
    dc, pc = cultural_parcels(ctx, vrow.code, delivery, pickup, operator)
    kind = getattr(vrow, "stop_kind", "")
    if kind:   # a cultural destination (destinations.csv): its own point, its kind as stop_kind
        return StopSpec(vrow.code, vrow.name, kind, float(vrow.lon), float(vrow.lat), delivery, pickup, service, tw,
                        "", "", vrow.township_code, dc, pc)
    if chosen is not None:
        return StopSpec(vrow.code, vrow.name, "village_point", chosen["lon"], chosen["lat"], delivery, pickup, service,
                        tw, chosen["id"], chosen["name"], vrow.township_code, dc, pc)
    return StopSpec(vrow.code, vrow.name, "village_centre", float(vrow.lon), float(vrow.lat), delivery, pickup,
                    service, tw, "", "", vrow.township_code, dc, pc)


def _last_mile_groups(ctx: PlanContext, operator: str, county: DepotSpec | None, demand: dict, warnings: list):
    """Depot → villages served from it, for one operator (or ``shared``).

    ``demand``: village code → (delivery, pickup) of this operator.  A township is served from the
    operator's station in it (the preferred one: :data:`SHARED_PREFERENCE` in shared mode); a
    township without one from the operator's station — or county depot — with the least mean
    network distance to its villages.
    """
    fac = ctx.facilities
    ops = SHARED_PREFERENCE if operator == "shared" else (operator,)
    stations = fac[(fac["tier"] == "township") & fac["operator"].isin(ops)]
    vill = ctx.villages
    groups: dict[str, dict] = {}
    for tw_code, g in vill.groupby("township_code", sort=True):
        rows = g.index.to_numpy()
        codes = [c for c in g["code"] if sum(demand.get(c, (0, 0))) > 0]
        if not codes:
            continue
        inside = stations[stations["township_code"] == tw_code]
        st = _choose_station(ctx, inside, rows, ops)
        if st is not None:
            dep = DepotSpec(str(st.name), str(st["name"]), str(st["operator"]), "township", float(st["lon"]), float(st["lat"]))
        else:
            cands = [(_mean_dist(ctx, fid, rows), fid) for fid in stations["id"]]
            if county is not None and county.id in ctx.fac_index:
                cands.append((_mean_dist(ctx, county.id, rows), county.id))
            cands = [c for c in cands if np.isfinite(c[0])] or cands
            if not cands:
                groups.setdefault("", {"depot": None, "villages": []})["villages"] += codes
                continue
            fid = min(cands)[1]
            r = fac.set_index("id").loc[fid]
            dep = DepotSpec(fid, str(r["name"]), str(r["operator"]), str(r["tier"]), float(r["lon"]), float(r["lat"]))
            warnings.append(f"{operator}: township {tw_code} {g['township_name'].iat[0]} has no "
                            f"{'station' if operator == 'shared' else operator + ' station'}; served from "
                            f"{dep.id} {dep.name}")
        groups.setdefault(dep.id, {"depot": dep, "villages": []})["villages"] += codes
    return groups


def operator_specs(ctx: PlanContext, operator: str, demand: dict, warnings: list):
    """(trunk spec or None, {depot id: last-mile spec}, villages without any depot) for one operator."""
    p = ctx.params
    county = county_depot(ctx, operator, warnings)
    groups = _last_mile_groups(ctx, operator, county, demand, warnings)
    order = SHARED_PREFERENCE if operator == "shared" else (operator, "shared")
    vrow = {r.code: r for r in ctx.villages.itertuples(index=False)}
    fleet = p.fleet_for(operator, "last_mile")
    largest = max((float(f.capacity) for f in fleet), default=math.inf)
    lm = {}
    orphans = []
    for did, g in groups.items():
        if g["depot"] is None:
            orphans += g["villages"]
            continue
        stops = [_village_stop(ctx, vrow[c], *demand[c], order, operator)  # type: ignore[call-arg]
                 for c in g["villages"]]
        stops = split_oversized(stops, largest, p.service_min, p.service_min_per_parcel)
        opens = p.day_start_s
        if p.inbound_arrival_given and g["depot"].tier == "county":   # the county depot's vans wait for the parcels
            opens = min(max(opens, p.inbound_arrival_s), p.day_end_s)
        lm[did] = ModelSpec(operator, "last_mile", g["depot"], stops, fleet, opens, p.day_end_s)
    return trunk_spec(ctx, operator, county, lm), lm, orphans


def trunk_spec(ctx: PlanContext, operator: str, county: DepotSpec | None, lm: dict) -> ModelSpec | None:
    """The trunk model spec: the county depot ``county`` → every station of ``lm`` (depot id → last-mile
    spec) that has villages, each getting the sum of its villages' parcels; None without a county depot
    or stations.  The trunk vans leave at ``trunk_start`` (not before ``inbound_arrival`` when the scenario sets it)."""
    if county is None:
        return None
    p = ctx.params
    tstops = []
    for did, spec in lm.items():
        if did == county.id or not spec.stops:
            continue
        d = spec.depot
        tstops.append(StopSpec(d.id, d.name, "station", d.lon, d.lat, sum(s.delivery for s in spec.stops),
                               sum(s.pickup for s in spec.stops), int(round(60 * p.station_service_min)),
                               p.time_windows.get(d.id),
                               delivery_cultural=sum(stop_cultural(s)[0] for s in spec.stops),
                               pickup_cultural=sum(stop_cultural(s)[1] for s in spec.stops)))
    if not tstops:
        return None
    start = max(p.trunk_start_s, p.inbound_arrival_s) if p.inbound_arrival_given else p.trunk_start_s
    return ModelSpec(operator, "trunk", county, tstops, p.fleet_for(operator, "trunk"),
                     min(start, p.day_end_s), p.day_end_s)


def without_cultural_context(ctx: PlanContext) -> PlanContext | None:
    """``ctx`` with every village's cultural parcels taken out (the plan a mode would be without them); None
    when the villages carry no other parcels (that plan would be empty)."""
    if not has_other_parcels(ctx):
        return None
    bare = ctx.villages.assign(daily_in=ctx.villages["daily_in"] - ctx.villages["daily_in_cultural"],
                               daily_out=ctx.villages["daily_out"] - ctx.villages["daily_out_cultural"],
                               daily_in_cultural=0, daily_out_cultural=0)
    return replace(ctx, villages=bare)


def without_cultural_progress(progress: Callable) -> Callable:
    """``progress`` for the lines of a plan without the cultural parcels (each line says so)."""
    return lambda line: progress(f"without cultural parcels: {line}")


def note_without_cultural(plan, without) -> None:
    """Keep the cost of ``without`` (``plan``'s mode solved without the cultural parcels; both
    :class:`~culture_logistics.routing.plan.RoutePlan`) in ``plan.without_cultural_cost_cny``, with a warning
    when the two leave different stops unserved."""
    plan.without_cultural_cost_cny = without.totals()["cost_cny"]
    a, b = (set(zip(x.unserved["echelon"], x.unserved["stop_id"])) for x in (plan, without))
    if a != b:
        plan.warnings.append(f"{plan.mode}: cultural_marginal_cost_cny_per_day compares plans that leave different "
                             f"stops unserved ({len(a)} with the cultural parcels, {len(b)} without): it is not "
                             "the cultural parcels' cost alone")


def has_other_parcels(ctx: PlanContext) -> bool:
    """Whether the context's villages carry parcels other than the cultural ones."""
    v = ctx.villages
    return bool(((v["daily_in"] - v["daily_in_cultural"]).sum() + (v["daily_out"] - v["daily_out_cultural"]).sum()) > 0)
