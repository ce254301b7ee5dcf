"""The synthetic road network: a trunk tree between seats, village links, crossings noded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString, Point

from culture_logistics.geo import boundary as boundary
from culture_logistics.geo import divisions as divisions
from culture_logistics.synth.common import (
    CLASS_RANK,
    County,
    component_labels,
    county_short,
    delaunay_edges,
    gabriel,
    mst,
    shrink_region,
    township_short,
)


@dataclass
class _Roads:
    cty: County
    rng: np.random.Generator
    xy: list[np.ndarray] = field(default_factory=list)
    ll: list[tuple[float, float]] = field(default_factory=list)
    index: dict[tuple[float, float], int] = field(default_factory=dict)
    edges: dict[tuple[int, int], dict] = field(default_factory=dict)
    _grid: tuple | None = None

    def node(self, xy: np.ndarray) -> int:
        lon, lat = self.cty.frame.to_ll(xy[0], xy[1])
        key = (float(lon), float(lat))
        if key not in self.index:
            self.index[key] = len(self.xy)
            self.xy.append(np.asarray(xy, float))
            self.ll.append(key)
        return self.index[key]

    def straight_ok(self, a: int, b: int) -> bool:
        return LineString([self.xy[a], self.xy[b]]).within(self.cty.region) and \
            (self.cty.safe.contains(LineString([self.xy[a], self.xy[b]]))
             or not self.cty.safe.contains(Point(self.xy[a])) or not self.cty.safe.contains(Point(self.xy[b])))

    def add(self, a: int, b: int, cls: str, name: str = "", via: list[np.ndarray] | None = None) -> None:
        if a == b:
            return
        key = (min(a, b), max(a, b))
        old = self.edges.get(key)
        if old is not None and CLASS_RANK[old["cls"]] <= CLASS_RANK[cls]:
            return
        self.edges[key] = {"cls": cls, "name": name or (old or {}).get("name", ""), "via": via}

    def inside_path(self, a: int, b: int) -> list[np.ndarray] | None:
        """Interior vertices of a path from node a to b that stays inside the boundary."""

        if self._grid is None:
            area = shrink_region(self.cty.region, 100.0)
            step = max(300.0, math.sqrt(area.area / 6000.0))
            minx, miny, maxx, maxy = area.bounds
            gx = np.arange(minx, maxx + step, step)
            gy = np.arange(miny, maxy + step, step)
            X, Y = np.meshgrid(gx, gy)
            ok = shapely.contains_xy(area, X, Y)
            g = nx.Graph()
            ny_, nx_ = X.shape
            for i in range(ny_):
                for j in range(nx_):
                    if not ok[i, j]:
                        continue
                    for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
                        ii, jj = i + di, j + dj
                        if 0 <= ii < ny_ and 0 <= jj < nx_ and ok[ii, jj]:
                            seg = LineString([(X[i, j], Y[i, j]), (X[ii, jj], Y[ii, jj])])
                            if seg.within(area):
                                g.add_edge((i, j), (ii, jj), weight=seg.length)
            self._grid = (g, X, Y)
        g, X, Y = self._grid
        if g.number_of_nodes() == 0:
            return None
        keys = list(g.nodes)
        pts = np.array([(X[k], Y[k]) for k in keys])

        def nearest_visible(p):
            d = np.hypot(pts[:, 0] - p[0], pts[:, 1] - p[1])
            for idx in np.argsort(d, kind="stable")[:50]:
                if LineString([p, pts[idx]]).within(self.cty.region):
                    return keys[idx]
            return None

        sa, sb = nearest_visible(self.xy[a]), nearest_visible(self.xy[b])
        if sa is None or sb is None:
            return None
        try:
            path = nx.shortest_path(g, sa, sb, weight="weight")
        except nx.NetworkXNoPath:
            return None
        line = LineString([self.xy[a]] + [(X[k], Y[k]) for k in path] + [self.xy[b]])
        simple = line.simplify(200.0, preserve_topology=True)
        if simple.within(self.cty.region):
            line = simple
        coords = [np.array(c) for c in line.coords]
        return coords[1:-1]

    def connect(self, a: int, b: int, cls: str, name: str = "") -> bool:
        if self.straight_ok(a, b):
            self.add(a, b, cls, name)
            return True
        via = self.inside_path(a, b)
        if via is None:
            return False
        self.add(a, b, cls, name, via=via)
        return True


def _wiggle(p: np.ndarray, q: np.ndarray, ratio: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Interior vertices of a smoothly meandering line from p to q, ``ratio`` x |pq| long.

    The offset from the chord is a random sum of sines (wavelengths L/1 ... L/5,
    pinned to zero at both ends) sampled every ~250 m; its amplitude is found by
    bisection so that the polyline is exactly ``ratio`` times the chord length.
    """
    d = q - p
    L = float(np.hypot(*d))
    if L < 150.0:
        return []
    n = int(np.clip(L // 250, 2, 40))
    f = (np.arange(1, n + 1) + rng.uniform(-0.2, 0.2, n)) / (n + 1)
    k = np.arange(1, 6)
    amp = rng.normal(0, 1, 5) * np.array([0.6, 1.0, 0.8, 0.5, 0.3])
    phase = rng.uniform(0, 2 * np.pi, 5)
    shape = (amp[None, :] * np.sin(np.pi * k[None, :] * f[:, None] + phase[None, :])).sum(1)
    shape = shape * np.sin(np.pi * f)  # pinned at both ends
    if not np.any(np.abs(shape) > 1e-9):
        shape = np.sin(np.pi * f)
    nrm = np.array([-d[1], d[0]]) / L
    fs = np.concatenate([[0.0], f, [1.0]])

    def length(a: float) -> float:
        off = np.concatenate([[0.0], a * shape, [0.0]])
        pts = p[None] + fs[:, None] * d[None] + off[:, None] * nrm[None]
        return float(np.hypot(*np.diff(pts, axis=0).T).sum())

    lo, hi = 0.0, L
    while length(hi) < ratio * L and hi < 100 * L:
        hi *= 2
    for _ in range(40):
        mid = (lo + hi) / 2
        if length(mid) < ratio * L:
            lo = mid
        else:
            hi = mid
    return [p + fi * d + hi * si * nrm for fi, si in zip(f, shape)]


def build_roads(cty: County, tws: list[dict], vils: list[dict], rng: np.random.Generator) -> tuple[list[dict], dict]:
    """The county's synthetic road network: five stages, then meandered geometry.

    The stages run in this order, each adding to the same :class:`_Roads` and drawing from its one ``rng``
    stream (the order fixes the embedded datasets byte for byte): the seat network, local roads inside each
    township, links between neighbouring townships, a few long tracks, a connectivity net.  Returns the
    GeoJSON line dicts and stats (nodes, edges, components, km).
    """
    R = _Roads(cty, rng)
    cshort = county_short(cty.name)
    county_node = R.node(cty.seat_xy)
    seat_nodes = [R.node(tw["xy"]) for tw in tws]
    vil_nodes = [R.node(v["xy"]) for v in vils]
    label = {county_node: cshort}
    for tw, nd in zip(tws, seat_nodes):
        label.setdefault(nd, township_short(tw["name"]))
    sn, gab = _seat_network(R, county_node, seat_nodes, label)
    by_tw = _township_roads(R, tws, vils, seat_nodes, vil_nodes)
    _township_links(R, tws, seat_nodes, sn, gab, by_tw)
    _tracks(R, vils, vil_nodes)
    n = _connect_all(R)
    lines = _geometry(R, cty)
    _node_crossings(lines)
    lines.sort(key=lambda l: (CLASS_RANK[l["cls"]], l["coords"][0], l["coords"][-1], len(l["coords"])))
    comp = component_labels(n, list(R.edges))
    stats = {"road_nodes": n, "road_edges": len(R.edges), "road_components": int(len(set(comp.tolist()))),
             "road_km": round(sum(_length_m(cty, l["coords"]) for l in lines) / 1000.0, 1)}
    return lines, stats




def _seat_network(R: _Roads, county_node: int, seat_nodes: list[int], label: dict) -> tuple[list[int], set]:
    """Stage 1: roads between the township seats and the county seat; returns the seat nodes and Gabriel edges."""
    # 1. seat network: Gabriel graph of the seats + county seat, plus direct links where the Gabriel
    #    route to the county seat is roundabout; the shortest-path tree from the county seat is
    #    "primary" (seat-to-county-seat roads), every other seat link "secondary".
    sn = sorted(set([county_node] + seat_nodes))
    pos = {nd: i for i, nd in enumerate(sn)}
    sxy = np.array([R.xy[i] for i in sn])
    gab = gabriel(sxy, delaunay_edges(sxy))
    seat_links: set[tuple[int, int]] = set()
    for i, j in sorted(gab):
        if R.straight_ok(sn[i], sn[j]):
            seat_links.add((i, j))
    comp = component_labels(len(sn), seat_links)
    vias: dict[tuple[int, int], list] = {}
    if len(set(comp.tolist())) > 1:  # join components along the shortest inside links
        cands = sorted((float(np.hypot(*(sxy[i] - sxy[j]))), i, j) for i in range(len(sn)) for j in range(i + 1, len(sn)))
        for _, i, j in cands:
            if comp[i] != comp[j]:
                if R.straight_ok(sn[i], sn[j]):
                    seat_links.add((i, j))
                else:
                    via = R.inside_path(sn[i], sn[j])
                    if via is None:
                        continue
                    seat_links.add((i, j))
                    vias[(i, j)] = via
                comp[comp == comp[j]] = comp[i]
            if len(set(comp.tolist())) == 1:
                break

    def seat_graph():

        g = nx.Graph()
        g.add_nodes_from(range(len(sn)))
        for i, j in seat_links:
            g.add_edge(i, j, weight=float(np.hypot(*(sxy[i] - sxy[j]))))
        return g


    c0 = pos[county_node]
    dist = nx.single_source_dijkstra_path_length(seat_graph(), c0, weight="weight")
    for i in range(len(sn)):
        straight = float(np.hypot(*(sxy[i] - sxy[c0])))
        if i != c0 and dist.get(i, np.inf) > 1.3 * straight and R.straight_ok(sn[i], sn[c0]):
            seat_links.add((min(i, c0), max(i, c0)))
    _, paths = nx.single_source_dijkstra(seat_graph(), c0, weight="weight")
    primary = set()
    for path in paths.values():
        for a, b in zip(path, path[1:]):
            primary.add((min(a, b), max(a, b)))
    for i, j in sorted(seat_links):
        a, b = sn[i], sn[j]
        R.add(a, b, "primary" if (i, j) in primary else "secondary", f"{label[a]}—{label[b]}公路",
              via=vias.get((i, j)))

    return sn, gab


def _township_roads(R: _Roads, tws: list[dict], vils: list[dict], seat_nodes: list[int], vil_nodes: list[int]
                    ) -> dict[str, list[int]]:
    """Stage 2: each township's local roads; returns each township's village nodes."""
    # 2. local roads inside each township: MST over Delaunay edges of seat + villages
    by_tw: dict[str, list[int]] = {}
    for v, nd in zip(vils, vil_nodes):
        by_tw.setdefault(v["township_code"], []).append(nd)
    for tw, seat in zip(tws, seat_nodes):
        members = [seat] + [n for n in by_tw.get(tw["code"], []) if n != seat]
        members = list(dict.fromkeys(members))
        if len(members) < 2:
            continue
        _township_local(R, members)
    return by_tw


def _township_local(R: _Roads, members: list[int]) -> None:
    """One township's roads: MST over the inside Delaunay edges of seat (``members[0]``) and villages, loops."""
    mxy = np.array([R.xy[i] for i in members])
    cand = sorted(delaunay_edges(mxy))
    ok = [(i, j, float(np.hypot(*(mxy[i] - mxy[j])))) for i, j in cand if R.straight_ok(members[i], members[j])]
    tree = mst(len(members), ok)
    comp = component_labels(len(members), tree)
    if len(set(comp)) > 1:  # some member not reachable by an inside straight edge
        for j in range(1, len(members)):
            if comp[j] == comp[0]:
                continue
            order = np.argsort(np.hypot(*(mxy - mxy[j]).T), kind="stable")
            for i in order:
                if comp[i] == comp[j]:
                    continue
                if R.connect(members[i], members[j], "unclassified"):
                    comp[comp == comp[j]] = comp[i]
                    break
    # root the tree at the seat; collector edges (subtree >= 4 villages or at the seat) are tertiary
    adj: dict[int, list[int]] = {i: [] for i in range(len(members))}
    for i, j in tree:
        adj[i].append(j)
        adj[j].append(i)
    parent = {0: -1}
    order = [0]  # type: ignore[assignment]
    for u in order:
        for w in sorted(adj[u]):
            if w not in parent:
                parent[w] = u
                order.append(w)  # type: ignore[attr-defined]
    size = {i: 1 for i in parent}
    for u in reversed(order[1:]):
        size[parent[u]] += size[u]
    for u in order[1:]:
        p = parent[u]
        cls = "tertiary" if (p == 0 or size[u] >= 4) else "unclassified"
        R.add(members[u], members[p], cls)
    # loops: ~30 % of villages also link to their nearest not-yet-adjacent Delaunay neighbour
    nbrs: dict[int, list[tuple[float, int]]] = {i: [] for i in range(len(members))}
    for i, j, d in ok:
        nbrs[i].append((d, j))
        nbrs[j].append((d, i))
    extra_draw = R.rng.uniform(size=len(members))
    for i in range(1, len(members)):
        if extra_draw[i] >= 0.3:
            continue
        for d, j in sorted(nbrs[i]):
            key = (min(members[i], members[j]), max(members[i], members[j]))
            if key not in R.edges and d <= 4000:
                R.add(members[i], members[j], "unclassified")
                break



def _township_links(R: _Roads, tws: list[dict], seat_nodes: list[int], sn: list[int], gab: set, by_tw: dict) -> None:
    """Stage 3: a link between neighbouring townships (the closest village pair within 4 km)."""
    # 3. links between neighbouring townships: closest village pair (< 4 km) per Gabriel seat edge
    tw_index = {nd: k for k, nd in enumerate(seat_nodes)}
    for i, j in sorted(gab):
        a, b = sn[i], sn[j]
        if a not in tw_index or b not in tw_index:
            continue
        va = by_tw.get(tws[tw_index[a]]["code"], [])
        vb = by_tw.get(tws[tw_index[b]]["code"], [])
        if not va or not vb:
            continue
        A = np.array([R.xy[n] for n in va])
        B = np.array([R.xy[n] for n in vb])
        d = np.hypot(A[:, None, 0] - B[None, :, 0], A[:, None, 1] - B[None, :, 1])
        ia, ib = np.unravel_index(np.argmin(d), d.shape)
        if d[ia, ib] <= 4000 and R.straight_ok(va[ia], vb[ib]):
            R.add(va[ia], vb[ib], "unclassified")



def _tracks(R: _Roads, vils: list[dict], vil_nodes: list[int]) -> None:
    """Stage 4: a few long unpaved tracks across township borders."""
    # 4. a few long unpaved tracks (2-6 km) across township borders
    n_track = int(np.clip(round(0.02 * len(vils)), 2, 20)) if len(vils) >= 10 else 0
    if n_track:
        vxy = np.array([R.xy[n] for n in vil_nodes])
        vtw = np.array([v["township_code"] for v in vils])
        made = 0
        for i in R.rng.permutation(len(vils)):
            d = np.hypot(*(vxy - vxy[i]).T)
            cand = np.flatnonzero((d >= 2000) & (d <= 6000) & (vtw != vtw[i]))
            for j in cand[np.argsort(d[cand], kind="stable")][:3]:
                a, b = vil_nodes[i], vil_nodes[j]
                if (min(a, b), max(a, b)) not in R.edges and R.straight_ok(a, b):
                    R.add(a, b, "track")
                    made += 1
                    break
            if made >= n_track:
                break



def _connect_all(R: _Roads) -> int:
    """Stage 5: join every component to the largest; returns the number of nodes."""
    # 5. global connectivity safety net
    n = len(R.xy)
    comp = component_labels(n, list(R.edges))
    main = np.bincount(comp).argmax()
    for c in sorted(set(comp.tolist()) - {int(main)}):
        members = np.flatnonzero(comp == c)
        others = np.flatnonzero(comp == main)
        P = np.array([R.xy[i] for i in members])
        Q = np.array([R.xy[i] for i in others])
        d = np.hypot(P[:, None, 0] - Q[None, :, 0], P[:, None, 1] - Q[None, :, 1])
        for flat in np.argsort(d, axis=None, kind="stable")[:20]:
            ia, ib = np.unravel_index(flat, d.shape)
            if R.connect(int(members[ia]), int(others[ib]), "unclassified"):
                comp[comp == c] = main
                break

    return n


def _geometry(R: _Roads, cty: County) -> list[dict]:
    """Every edge as a line in lon/lat, meandered (staying inside the boundary)."""
    # geometry: meander every edge by 10-30 % (tracks 20-45 %), staying inside the boundary
    lines = []
    for (a, b), e in sorted(R.edges.items()):
        p, q = R.xy[a], R.xy[b]
        if e["via"] is not None:
            via = e["via"]
        else:
            lo_r, hi_r = {"track": (1.20, 1.45), "primary": (1.08, 1.18), "secondary": (1.10, 1.22)}.get(
                e["cls"], (1.10, 1.30))
            ratio = R.rng.uniform(lo_r, hi_r)
            via = []
            for shrink in (1.0, 0.5, 0.25, 0.0):
                if shrink == 0.0:
                    via = []
                    break
                cand_via = _wiggle(p, q, 1 + (ratio - 1) * shrink, R.rng)
                if not cand_via or LineString([p, *cand_via, q]).within(cty.safe):
                    via = cand_via
                    break
        if via:
            vx, vy = cty.frame.to_ll([c[0] for c in via], [c[1] for c in via])
            mid = [(float(x), float(y)) for x, y in zip(vx, vy)]
        else:
            mid = []
        coords = [R.ll[a], *mid, R.ll[b]]
        coords = [c for k, c in enumerate(coords) if k == 0 or c != coords[k - 1]]
        lines.append({"cls": e["cls"], "name": e["name"], "coords": coords})
    return lines


def _length_m(cty: County, coords) -> float:
    x, y = cty.frame.to_m([c[0] for c in coords], [c[1] for c in coords])
    return float(np.hypot(np.diff(x), np.diff(y)).sum())


def _node_crossings(lines: list[dict]) -> None:
    """Insert a shared vertex (6-decimal degrees) wherever two road lines cross."""
    geoms = [LineString(l["coords"]) for l in lines]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    inserts: dict[int, set[tuple[float, float]]] = {}
    for i, j in zip(left.tolist(), right.tolist()):
        if i >= j:
            continue
        inter = geoms[i].intersection(geoms[j])
        pts = [g for g in getattr(inter, "geoms", [inter]) if isinstance(g, Point)]
        for p in pts:
            key = (round(p.x, 6), round(p.y, 6))
            for k in (i, j):
                if key not in lines[k]["coords"]:
                    inserts.setdefault(k, set()).add(key)
    for k, pts in inserts.items():  # type: ignore[assignment]
        coords = lines[k]["coords"]
        arr = np.array(coords)
        placed = []
        for pt in sorted(pts):
            p = np.array(pt)
            a, b = arr[:-1], arr[1:]
            ab = b - a
            t = np.clip(((p - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-30), 0, 1)
            dist = np.hypot(*(a + t[:, None] * ab - p).T)
            seg = int(np.argmin(dist))
            placed.append((seg, float(t[seg]), pt))
        placed.sort()
        out = []
        pi = 0
        for s in range(len(coords) - 1):
            out.append(coords[s])
            while pi < len(placed) and placed[pi][0] == s:
                if placed[pi][2] != out[-1]:
                    out.append(placed[pi][2])
                pi += 1
        if coords[-1] != out[-1]:
            out.append(coords[-1])
        lines[k]["coords"] = out
