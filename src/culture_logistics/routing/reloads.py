"""The rows of vehicles that make several trips a day (``max_trips``) in a plan's route table: the ``reload`` row
where one trip ends and the next begins, and a route's rows cut into its trips.
"""
from __future__ import annotations


def reload_row(r, j: int, d, node: int, seq: int) -> dict:
    """The route_plan.csv row of a vehicle back at its station ``d`` to reload before stop position ``j`` of
    route ``r`` (its arrival and departure again; ``load_after``: the next trip's deliveries on board, the
    pickups unloaded; ``leg_m``: from the trip's last stop)."""
    q = r.reloads.index(j)
    return {"seq": seq, "stop_id": d.id, "stop_name": d.name, "stop_kind": "reload", "delivered": 0, "picked_up": 0,
            "load_after": int(r.trip_loads[q + 1]), "arrival_min": round(r.reload_arrival_s[q] / 60.0, 2),
            "leg_m": int(r.leg_distance[j + q]), "lon": d.lon, "lat": d.lat, "node": node, "point_id": "",
            "point_name": "", "service_start_min": round(r.reload_arrival_s[q] / 60.0, 2),
            "departure_min": round(r.reload_departure_s[q] / 60.0, 2), "service_point_id": "",
            "delivered_cultural": 0, "picked_up_cultural": 0, "trip": q + 2}


def trip_rows(g) -> list:
    """The rows of each trip of one route's route_plan rows ``g`` (in visiting order): a trip runs from the
    departure (or the reload that starts it) to the reload that ends it (or the return); one trip without
    reload rows."""
    kinds = list(g["stop_kind"])
    cuts = [0] + [i for i, k in enumerate(kinds) if k == "reload"] + [len(kinds) - 1]
    return [g.iloc[a:b + 1] for a, b in zip(cuts[:-1], cuts[1:])]
