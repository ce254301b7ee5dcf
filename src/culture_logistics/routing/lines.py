"""The road lines of a plan's routes, for maps and GIS files.

A route is drawn point → road path between the snapped nodes → point, every road path the shortest one by
length (:meth:`~culture_logistics.network.roads.RoadNetwork.paths_lonlat`).  A plan (a
:class:`~culture_logistics.routing.plan.RoutePlan`, used here through its ``stops`` and ``net``) keeps its
lines once drawn.
"""
from __future__ import annotations

from shapely.geometry import LineString

from culture_logistics.routing.reloads import trip_rows


def _road_paths(net, pairs) -> dict:
    """{(node a, node b): [(lon, lat), …]} shortest road paths for drawing (:meth:`RoadNetwork.paths_lonlat`)."""
    if net is None:
        return {p: [] for p in sorted({(int(a), int(b)) for a, b in pairs if a >= 0 and b >= 0 and a != b})}
    return net.paths_lonlat(pairs)


def _plan_legs(plan) -> list[tuple[int, int]]:
    """(node, next node) of every leg of every route of ``plan``."""
    legs = []
    for _, g in plan.stops.groupby("route_id", sort=False):
        node = g["node"].to_numpy(int)
        legs += list(zip(node[:-1], node[1:]))
    return legs


def _line(g, paths: dict) -> LineString:
    """The line of rows ``g`` (lon, lat, node): point, road path between snapped nodes, point."""
    lon, lat, node = g["lon"].to_numpy(float), g["lat"].to_numpy(float), g["node"].to_numpy(int)
    coords = [(lon[0], lat[0])]
    for j in range(1, len(g)):
        coords += paths.get((int(node[j - 1]), int(node[j])), [])
        coords.append((lon[j], lat[j]))
    dedup = [coords[0]] + [c for p, c in zip(coords[:-1], coords[1:]) if c != p]
    return LineString(dedup if len(dedup) > 1 else dedup * 2)


def _lines_from_paths(plan, paths: dict) -> dict:
    return {rid: _line(g, paths) for rid, g in plan.stops.groupby("route_id", sort=False)}


def route_lines(plan) -> dict:
    """route id → shapely LineString along the roads (WGS-84): point, road path between snapped nodes, point."""

    cached = getattr(plan, "_lines", None)
    if cached is not None:
        return cached
    plan._lines = _lines_from_paths(plan, _road_paths(plan.net, _plan_legs(plan)))
    return plan._lines


def prepare_route_lines(plans: list) -> None:
    """Compute (and keep on each plan) the road lines of several plans at once: plans on the same road
    network share one Dijkstra per distinct start node instead of one per plan (a comparison's three plans
    start from nearly the same nodes).  The lines are those :func:`route_lines` gives each plan alone."""
    groups: dict[int, list] = {}
    for plan in plans:
        if getattr(plan, "_lines", None) is None:
            groups.setdefault(id(plan.net), []).append(plan)
    for group in groups.values():
        paths = _road_paths(group[0].net, [leg for plan in group for leg in _plan_legs(plan)])
        for plan in group:
            plan._lines = _lines_from_paths(plan, paths)


def trip_lines(plan) -> dict:
    """(route id, trip) → shapely LineString along the roads (WGS-84) of every trip of the routes that make
    several trips a day (reload rows); {} when no route does.  Drawn as :func:`route_lines` draws a route."""
    st = plan.stops
    multi = set(st.loc[st["stop_kind"] == "reload", "route_id"])
    if not multi:
        return {}
    sub = st[st["route_id"].isin(multi)]
    legs = []
    for _, g in sub.groupby("route_id", sort=False):
        node = g["node"].to_numpy(int)
        legs += list(zip(node[:-1], node[1:]))
    paths = _road_paths(plan.net, legs)
    out = {}
    for rid, g in sub.groupby("route_id", sort=False):
        for t, rows in enumerate(trip_rows(g), start=1):
            out[(rid, t)] = _line(rows, paths)
    return out
