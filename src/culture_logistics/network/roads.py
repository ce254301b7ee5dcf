"""The road network: graphs from road files, snapping, and bulk shortest paths.

Graphs are osmnx-style ``networkx.MultiDiGraph`` objects: node attributes ``x``
(lon) and ``y`` (lat) in WGS-84, edge attributes ``length`` (m), ``travel_time``
(s), ``highway`` and ``speed_kph``.  All distance work happens on a
:class:`RoadNetwork`, which projects the nodes to the county's UTM zone and holds
the graph as scipy sparse matrices, so that one call of
``scipy.sparse.csgraph.dijkstra`` answers a whole facility × village question.

A point (village or facility) joins the network by a straight *access leg* to
its nearest node of the network's main connected component.  The network
distance between two points is access leg + shortest road path + access leg.
A point whose access leg is longer than ``max_access_m`` is *off the network*:
it is reported, and treated as unreachable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from culture_logistics.config.model import DEFAULT_MAX_ACCESS_M, NetworkParams


def graph_summary(G: nx.MultiDiGraph | None) -> dict:
    """Nodes, edges, total road km, and connected components of a road graph."""
    if G is None:
        return {"roads": False}
    comps = sorted((len(c) for c in nx.weakly_connected_components(G)), reverse=True)
    km = sum(d.get("length", 0.0) for _, _, d in G.edges(data=True)) / 1000.0
    return {
        "roads": True,
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "road_km": round(km / 2 if G.is_directed() else km, 1),
        "components": len(comps),
        "main_component_nodes": comps[0] if comps else 0,
    }


#: memory kept for cached shortest-path rows, per weight (length, travel time): 滕州's 8,238-node graph
#: needs about 100 MB for all its villages and facilities
ROW_CACHE_BYTES = 256 * 2**20


@dataclass
class Snap:
    """Points joined to the network: node index, access leg (m), on-network flag, metric x/y."""

    node: np.ndarray
    access_m: np.ndarray
    on_network: np.ndarray
    x: np.ndarray
    y: np.ndarray
    nearest_any_main: np.ndarray  # True when the nearest node overall is in the main component

    def __len__(self) -> int:
        return len(self.node)


class RoadNetwork:
    """A county's road network prepared for bulk shortest paths (metres, seconds).

    Built with :meth:`from_scenario`.  Without roads, distances are straight
    lines × ``circuity`` and times use ``default_speed_kmh``.
    """

    def __init__(self, graph: nx.MultiDiGraph | None, crs, params: NetworkParams = NetworkParams(),
                 max_access_m: float = DEFAULT_MAX_ACCESS_M):

        self.graph = graph
        self.crs = crs
        self.params = params
        self.max_access_m = float(max_access_m)
        self._to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        if graph is None or graph.number_of_nodes() == 0:
            self.n = 0
            return
        nodes = list(graph.nodes)
        self.node_ids = np.asarray(nodes, dtype=object)
        index = {n: i for i, n in enumerate(nodes)}
        lon = np.array([graph.nodes[n]["x"] for n in nodes], dtype=float)
        lat = np.array([graph.nodes[n]["y"] for n in nodes], dtype=float)
        self.lon, self.lat = lon, lat
        self.x, self.y = self._to_m.transform(lon, lat)
        self.n = len(nodes)
        rows: Any
        cols: Any
        lens: Any
        times: Any
        rows, cols, lens, times = [], [], [], []
        for u, v, d in graph.edges(data=True):
            rows.append(index[u])
            cols.append(index[v])
            lens.append(float(d.get("length", 0.0)))
            times.append(float(d.get("travel_time", d.get("length", 0.0) / (params.default_speed_kmh / 3.6))))
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        lens = np.maximum(np.asarray(lens), 1e-3)  # csgraph treats 0 as "no edge"
        times = np.maximum(np.asarray(times), 1e-3)
        # keep, for each node pair, the shortest parallel edge (and its time)
        order = np.lexsort((lens, cols, rows))
        rows, cols, lens, times = rows[order], cols[order], lens[order], times[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, lens, times = rows[first], cols[first], lens[first], times[first]
        self.length_csr = sp.csr_matrix((lens, (rows, cols)), shape=(self.n, self.n))
        self.time_csr = sp.csr_matrix((times, (rows, cols)), shape=(self.n, self.n))
        self._edge_key = rows.astype(np.int64) * self.n + cols
        self._edge_time = times
        self._edge_len = lens
        _, labels = connected_components(self.length_csr, directed=True, connection="weak")
        self.component = labels
        main = np.bincount(labels).argmax()
        self.in_main = labels == main
        self._main_idx = np.flatnonzero(self.in_main)
        self._tree_main = cKDTree(np.column_stack([self.x[self._main_idx], self.y[self._main_idx]]))
        self._tree_all = cKDTree(np.column_stack([self.x, self.y]))
        self._rows: dict = {}  # weight -> node -> Dijkstra row (see _node_rows)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_scenario(cls, scenario, max_access_m: float | None = None) -> RoadNetwork:
        if max_access_m is None:
            max_access_m = scenario.network.max_access_m
        return cls(scenario.graph, scenario.metric_crs, scenario.network, max_access_m)

    @property
    def has_roads(self) -> bool:
        return self.n > 0

    def to_metric(self, lon, lat):
        return self._to_m.transform(np.asarray(lon, float), np.asarray(lat, float))

    def snap(self, lon, lat) -> Snap:
        """Join points (WGS-84 lon/lat arrays) to their nearest main-component node."""
        x, y = self.to_metric(lon, lat)
        x, y = np.atleast_1d(x), np.atleast_1d(y)
        if not self.has_roads:
            z = np.zeros(len(x))
            return Snap(np.full(len(x), -1), z, np.ones(len(x), bool), x, y, np.ones(len(x), bool))
        d, k = self._tree_main.query(np.column_stack([x, y]))
        node = self._main_idx[k]
        _, k_any = self._tree_all.query(np.column_stack([x, y]))
        return Snap(node, d, d <= self.max_access_m, x, y, self.in_main[k_any])

    # ------------------------------------------------------------------ distances
    def _augmented(self, src: Snap, weight: str):
        """The graph plus one virtual node per source joined by its access leg."""
        base = self.length_csr if weight == "length" else self.time_csr
        m = len(src)
        w = src.access_m if weight == "length" else src.access_m / (self.params.access_speed_kmh / 3.6)
        w = np.maximum(w, 1e-6)  # an explicit zero would be dropped as "no edge"
        n = self.n
        ok = src.on_network
        extra = sp.csr_matrix((w[ok], (n + np.flatnonzero(ok), src.node[ok])), shape=(n + m, n + m))
        big = sp.block_diag([base, sp.csr_matrix((m, m))], format="csr") + extra
        return big.tocsr(), n + np.arange(m)

    def _access_time(self, snap: Snap) -> np.ndarray:
        return snap.access_m / (self.params.access_speed_kmh / 3.6)

    def nearest(self, src: Snap, dst: Snap, limit_m: float = np.inf):
        """For every destination point, the nearest source along the network.

        Returns
        -------
        dist_m : float array (inf when no source is reachable / within ``limit_m``)
        time_s : travel time (s) along that same shortest path, access legs included
        source : index into ``src`` of the nearest source (-1 when none)
        """
        nd = len(dst)
        if len(src) == 0:
            return np.full(nd, np.inf), np.full(nd, np.inf), np.full(nd, -1)
        if not self.has_roads:
            return self._nearest_straight(src, dst, limit_m)
        big, virt = self._augmented(src, "length")
        ok = src.on_network
        if not ok.any():
            return np.full(nd, np.inf), np.full(nd, np.inf), np.full(nd, -1)
        dist, pred, sources = dijkstra(big, directed=True, indices=virt[ok], min_only=True,
                                       return_predecessors=True, limit=limit_m)
        # travel time along the same tree: accumulate edge times from each node's predecessor
        time_tree = self._tree_times(dist, pred, src)
        d_node = dist[dst.node]
        t_node = time_tree[dst.node]
        s_node = sources[dst.node]
        d = d_node + dst.access_m
        t = t_node + self._access_time(dst)
        reach = np.isfinite(d_node) & dst.on_network & (d <= limit_m)
        d = np.where(reach, d, np.inf)
        t = np.where(reach, t, np.inf)
        s = np.where(reach, s_node - self.n, -1)
        return d, t, s.astype(int)

    def _tree_times(self, dist, pred, src: Snap) -> np.ndarray:
        n_all = len(dist)
        t = np.full(n_all, np.inf)
        virt_time = self._access_time(src)
        roots = self.n + np.arange(len(src))
        t[roots] = 0.0
        has = (pred >= 0)
        idx = np.flatnonzero(has)
        p = pred[idx]
        # edge time for each (pred -> node) step: virtual edges use the access time
        et = np.empty(len(idx))
        virt = p >= self.n
        et[virt] = virt_time[p[virt] - self.n]
        keys = p[~virt].astype(np.int64) * self.n + idx[~virt]
        pos = np.searchsorted(self._edge_key, keys)
        et[~virt] = self._edge_time[pos]
        step = np.full(n_all, 0.0)
        step[idx] = et
        parent = np.arange(n_all)
        parent[idx] = p
        # pointer jumping: acc(v) = sum of steps from v up to anc(v); O(log depth) vectorised rounds
        acc = step
        anc = parent
        while True:
            nxt = anc[anc]
            if np.array_equal(nxt, anc):
                break
            acc = acc + acc[anc]
            anc = nxt
        out = np.where(np.isfinite(dist), acc, np.inf)
        return out

    def _nearest_straight(self, src: Snap, dst: Snap, limit_m: float):
        tree = cKDTree(np.column_stack([src.x, src.y]))
        d, k = tree.query(np.column_stack([dst.x, dst.y]))
        d = d * self.params.circuity
        t = d / (self.params.default_speed_kmh / 3.6)
        reach = d <= limit_m
        return np.where(reach, d, np.inf), np.where(reach, t, np.inf), np.where(reach, k, -1)

    def pairs_within(self, src: Snap, dst: Snap, cutoff_m: float):
        """All (source, destination) pairs within ``cutoff_m`` along the network.

        One cut-off Dijkstra per tile of sources on the tile's neighbourhood of the
        graph (see :meth:`_pairs_tiled`).  Returns arrays ``(i_src, j_dst, dist_m)``
        sorted by source, then destination.
        """
        if len(src) == 0 or len(dst) == 0:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        if not self.has_roads:
            tree_d = cKDTree(np.column_stack([dst.x, dst.y]))
            tree_s = cKDTree(np.column_stack([src.x, src.y]))
            m = tree_s.sparse_distance_matrix(tree_d, cutoff_m / self.params.circuity, output_type="coo_matrix")
            d = m.data * self.params.circuity
            # sparse_distance_matrix drops exact zeros: add coincident points back
            co = tree_s.query_ball_tree(tree_d, 1e-9)
            zi = [i for i, js in enumerate(co) for _ in js]
            zj = [j for js in co for j in js]
            i = np.concatenate([m.row, np.asarray(zi, int)])
            j = np.concatenate([m.col, np.asarray(zj, int)])
            d = np.concatenate([d, np.zeros(len(zi))])
            key = np.unique(i.astype(np.int64) * len(dst) + j, return_index=True)[1]
            return i[key], j[key], d[key]
        if not np.isfinite(cutoff_m):
            return self._pairs_all(src, dst)
        return self._pairs_tiled(src, dst, cutoff_m)

    def _pairs_all(self, src: Snap, dst: Snap):
        """Every reachable (source, destination) pair, no cut-off: one Dijkstra per source node."""
        ok = np.flatnonzero(src.on_network)
        nodes, inv = np.unique(src.node[ok], return_inverse=True)
        dist = dijkstra(self.length_csr, directed=True, indices=nodes)[:, dst.node]
        d = dist[inv] + src.access_m[ok][:, None] + dst.access_m[None, :]
        d[:, ~dst.on_network] = np.inf
        r, c = np.nonzero(np.isfinite(d))
        return ok[r], c, d[r, c]

    def _pairs_tiled(self, src: Snap, dst: Snap, cutoff: float, tile_m: float = 15_000.0, margin: float = 1.01):
        """Cut-off Dijkstra per tile of sources, on the CSR sliced to the tile's neighbourhood.

        Sources are grouped into ``tile_m`` squares; each group searches only the nodes within
        ``cutoff`` (× ``margin`` + 100 m, for UTM scale and rounding) of the group's bounding box.
        Exact: a path no longer than the cut-off never leaves that box, since an edge is never
        shorter than the straight line between its ends.  scipy's dense per-source output then
        covers the neighbourhood, not the whole graph — which is what makes it fast.
        """
        reach = cutoff * margin + 100.0
        ok = np.flatnonzero(src.on_network & (src.access_m <= cutoff))
        bx_all = np.floor(self.x / tile_m).astype(np.int64)
        by_all = np.floor(self.y / tile_m).astype(np.int64)
        bx_min, by_min = bx_all.min(), by_all.min()
        bx_all -= bx_min
        by_all -= by_min
        width = int(by_all.max()) + 1
        node_key = bx_all * width + by_all
        node_order = np.argsort(node_key, kind="stable")
        keys_sorted = node_key[node_order]
        tkey = (np.floor(src.x[ok] / tile_m).astype(np.int64) * 1_000_003
                + np.floor(src.y[ok] / tile_m).astype(np.int64))
        order = np.argsort(tkey, kind="stable")
        ok, tkey = ok[order], tkey[order]
        pos = np.full(self.n, -1, np.int64)
        oi, oj, od = [], [], []
        for s_idx in np.split(ok, np.flatnonzero(np.diff(tkey)) + 1):
            if not len(s_idx):
                continue
            x0, x1 = src.x[s_idx].min() - reach, src.x[s_idx].max() + reach
            y0, y1 = src.y[s_idx].min() - reach, src.y[s_idx].max() + reach
            b0 = max(int(np.floor(x0 / tile_m) - bx_min), 0), max(int(np.floor(y0 / tile_m) - by_min), 0)
            b1 = int(np.floor(x1 / tile_m) - bx_min), min(int(np.floor(y1 / tile_m) - by_min), width - 1)
            pieces = [node_order[np.searchsorted(keys_sorted, bx * width + b0[1]):
                                 np.searchsorted(keys_sorted, bx * width + b1[1], side="right")]
                      for bx in range(b0[0], b1[0] + 1)]
            nodes = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
            nodes = nodes[(self.x[nodes] >= x0) & (self.x[nodes] <= x1) & (self.y[nodes] >= y0) & (self.y[nodes] <= y1)]
            pos[nodes] = np.arange(len(nodes))
            cand = np.flatnonzero(dst.on_network & (dst.x >= x0) & (dst.x <= x1) & (dst.y >= y0) & (dst.y <= y1))
            cand = cand[pos[dst.node[cand]] >= 0]
            s_loc = pos[src.node[s_idx]]
            s_idx, s_loc = s_idx[s_loc >= 0], s_loc[s_loc >= 0]
            if len(s_idx) and len(cand):
                rows = self.length_csr[nodes]  # the neighbourhood's rows; columns mapped with pos (O(nnz))
                cols = pos[rows.indices]
                keep = cols >= 0
                row_of = np.repeat(np.arange(len(nodes)), np.diff(rows.indptr))
                sub = sp.csr_matrix((rows.data[keep], (row_of[keep], cols[keep])), shape=(len(nodes), len(nodes)))
                u, inv = np.unique(s_loc, return_inverse=True)
                dist = dijkstra(sub, directed=True, indices=u, limit=cutoff)
                d = dist[inv][:, pos[dst.node[cand]]] + src.access_m[s_idx][:, None] + dst.access_m[cand][None, :]
                r, c = np.nonzero(d <= cutoff)
                oi.append(s_idx[r])
                oj.append(cand[c])
                od.append(d[r, c])
            pos[nodes] = -1
        if not oi:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        i, j, d = np.concatenate(oi), np.concatenate(oj), np.concatenate(od)
        order = np.lexsort((j, i))
        return i[order], j[order], d[order]

    def full_matrix(self, points: Snap, weight: str = "length") -> np.ndarray:
        """Dense point × point matrix of network length (m) or travel time (s); inf = unreachable."""
        if not self.has_roads:
            dx = points.x[:, None] - points.x[None, :]
            dy = points.y[:, None] - points.y[None, :]
            d = np.hypot(dx, dy) * self.params.circuity
            return d if weight == "length" else d / (self.params.default_speed_kmh / 3.6)
        acc = points.access_m if weight == "length" else self._access_time(points)
        nodes, inv = np.unique(points.node, return_inverse=True)
        dist = self._node_rows(weight, nodes)[:, points.node]
        out = dist[inv] + acc[:, None] + acc[None, :]
        out[~points.on_network, :] = np.inf
        out[:, ~points.on_network] = np.inf
        np.fill_diagonal(out, 0.0)
        return out

    def warm(self, *lonlat) -> None:
        """Compute and cache the shortest-path rows of the points ``lon1, lat1, lon2, lat2, …`` (both weights),
        within :data:`ROW_CACHE_BYTES`: worker processes forked afterwards share them."""
        if not self.has_roads or not lonlat:
            return
        lon = np.concatenate([np.asarray(a, float) for a in lonlat[0::2]])
        lat = np.concatenate([np.asarray(a, float) for a in lonlat[1::2]])
        nodes = np.unique(self.snap(lon, lat).node)[: max(1, self._rows_kept())]
        for weight in ("length", "travel_time"):
            self._node_rows(weight, nodes)

    def _rows_kept(self) -> int:
        """How many shortest-path rows (float64, one per node) fit in :data:`ROW_CACHE_BYTES`."""
        return ROW_CACHE_BYTES // max(1, self.n * 8)

    def _node_rows(self, weight: str, nodes: np.ndarray) -> np.ndarray:
        """Shortest-path rows (node → every node, m or s) of ``nodes`` (unique node indices), from a cache.

        A county plans many routing models over the same villages and stations (every block, every mode,
        every coalition), so each node's Dijkstra row is computed once per network and kept, up to
        :data:`ROW_CACHE_BYTES` per weight; rows beyond that are computed each time.  The values are those
        of one ``dijkstra`` call per node, so the cache never changes a result.
        """
        base = self.length_csr if weight == "length" else self.time_csr
        cache = self._rows.setdefault(weight, {})
        missing = np.array([k for k in nodes.tolist() if k not in cache], dtype=np.int64)
        fresh: dict = {}
        if len(missing):
            rows = dijkstra(base, directed=True, indices=missing)
            room = max(0, self._rows_kept() - len(cache))
            for k, row in zip(missing.tolist(), rows):
                (cache if room > 0 else fresh)[k] = row
                room -= 1
        return np.stack([cache[k] if k in cache else fresh[k] for k in nodes.tolist()]) if len(nodes) \
            else np.zeros((0, self.n))

    def distances_between(self, src: Snap, dst: Snap) -> np.ndarray:
        """Dense source × destination network distance (m; inf = unreachable): one uncut Dijkstra per
        distinct source node (a county has tens of depots and stations), access legs added at both ends.
        Without roads, straight lines × ``circuity``."""
        if len(src) == 0 or len(dst) == 0:
            return np.full((len(src), len(dst)), np.inf)
        if not self.has_roads:
            return np.hypot(src.x[:, None] - dst.x[None, :], src.y[:, None] - dst.y[None, :]) * self.params.circuity
        nodes, inv = np.unique(src.node, return_inverse=True)
        d = dijkstra(self.length_csr, directed=True, indices=nodes)[:, dst.node][inv]
        d = d + src.access_m[:, None] + dst.access_m[None, :]
        d[~src.on_network, :] = np.inf
        d[:, ~dst.on_network] = np.inf
        return d

    def node_distances(self, points: Snap, limit_m: float = np.inf) -> np.ndarray:
        """Network distance (m) from the nearest of ``points`` to every node.

        Each point starts at its snapped node with its access leg already walked, so a node's value is
        access leg + shortest road path, as in :meth:`nearest`.  Points off the network are ignored;
        ``inf`` beyond ``limit_m``.
        """
        n = self.n
        ok = np.flatnonzero(points.on_network)
        if n == 0 or len(ok) == 0:
            return np.full(n, np.inf)
        m = len(ok)
        w = np.maximum(points.access_m[ok], 1e-6)  # an explicit 0 would be read as "no edge"
        extra = sp.csr_matrix((w, (n + np.arange(m), points.node[ok])), shape=(n + m, n + m))
        big = (sp.block_diag([self.length_csr, sp.csr_matrix((m, m))], format="csr") + extra).tocsr()
        dist = dijkstra(big, directed=True, indices=n + np.arange(m), min_only=True, limit=limit_m)
        return dist[:n]

    def paths_lonlat(self, pairs) -> dict:
        """{(node a, node b): [(lon, lat), …]}: the shortest road path (by length) of every node pair, for
        drawing; ``[]`` when b cannot be reached from a.  Pairs with a negative node or a == b are left out.
        One Dijkstra per distinct start node, in blocks of 128 so the predecessor arrays stay small."""
        out: dict = {}
        pairs = sorted({(int(a), int(b)) for a, b in pairs if a >= 0 and b >= 0 and a != b})
        if not pairs or not self.has_roads:
            return {p: [] for p in pairs}
        starts = sorted({a for a, _ in pairs})
        for k in range(0, len(starts), 128):
            block = starts[k:k + 128]
            row = {a: i for i, a in enumerate(block)}
            _, pred = dijkstra(self.length_csr, directed=True, indices=block, return_predecessors=True)
            for a, b in pairs:
                if a not in row:
                    continue
                pr = pred[row[a]]
                seq = [b]
                while seq[-1] != a and pr[seq[-1]] >= 0:
                    seq.append(int(pr[seq[-1]]))
                seq.reverse()
                out[(a, b)] = [(float(self.lon[n]), float(self.lat[n])) for n in seq] if seq[0] == a else []
        return out
