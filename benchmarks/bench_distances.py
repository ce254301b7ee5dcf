"""Benchmark: our bulk network distances (scipy csgraph) against a networkx Dijkstra baseline.

Three parts, each printing ours and the baseline side by side with ratios (medians of ``--repeat``
runs where a part is repeated):

1. **County (滕州市 370481, the largest pilot county):** every facility × village pair within
   ``--cutoff`` metres along the network (facility access leg + road path + village access leg).
   Ours: :meth:`RoadNetwork.pairs_within` (one cut-off ``scipy.sparse.csgraph.dijkstra`` per block of
   facilities).  Baseline: ``networkx.single_source_dijkstra_path_length`` from every facility with
   the same cut-off, on the scenario's own networkx graph.  Also the nearest facility of each operator
   for every village (what ``coverage`` needs): :meth:`RoadNetwork.nearest` vs
   ``networkx.multi_source_dijkstra_path_length`` per operator.  Both sides use the same snapped nodes
   and access legs; the pair sets and distances must agree (to 1e-6 m).
2. **Province-sized generated graph (~1 M nodes):** a jittered grid (``--grid`` × ``--grid`` nodes,
   200 m apart, each road 0–25 % longer than the straight line), ``--villages`` villages and
   ``--facilities`` facilities at random (seeded), cut into 5 × 5 "counties".  Ours on the whole graph
   (one csgraph call per block of 256 facilities over all nodes) and county by county (each county's
   facilities on the county's graph plus a 5.5 km buffer, destinations the villages within 5 km of
   the county), against networkx per facility on the whole graph.  Peak memory of the distance
   calls is measured with tracemalloc (numpy arrays are traced).
``RoadNetwork.pairs_within`` runs one cut-off Dijkstra per 15 km tile of sources on the CSR sliced to
the tile's neighbourhood; the "tiled search" rows time that search called directly.

3. **The whole ``coverage`` command on 370481**, start-up included (a fresh Python process, as a
   user runs it), median of ``--repeat`` runs.  Target: under 5 s.

Usage::

    PYTHONPATH=src python benchmarks/bench_distances.py                  # all three parts
    PYTHONPATH=src python benchmarks/bench_distances.py --skip-province  # county + command only
    PYTHONPATH=src python benchmarks/bench_distances.py --grid 400        # a smaller province graph

The machine has 2 cores shared with other work: run one benchmark at a time and read the figures as
noisy (the load average is printed).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import networkx as nx  # noqa: E402

from culture_logistics.config.model import NetworkParams  # noqa: E402
from culture_logistics.network.roads import RoadNetwork  # noqa: E402


# ------------------------------------------------------------------------------ helpers
def timed(fn, repeat: int = 1):
    """(median seconds, last result) of ``repeat`` calls."""
    times, out = [], None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def peak_mb(fn):
    """(result, peak traced MB) of one call."""
    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak / 1e6


def nx_pairs(G, node_ids, fsnap, vsnap, cutoff: float):
    """Baseline: single-source Dijkstra (networkx) from every facility, with the cut-off.

    ``node_ids[k]`` is the graph label of the network's node ``k`` (the snaps hold indices).
    """
    index_of = {n: k for k, n in enumerate(node_ids)}
    by_node: dict[int, list[int]] = {}
    for j in np.flatnonzero(vsnap.on_network):
        by_node.setdefault(int(vsnap.node[j]), []).append(int(j))
    out_i, out_j, out_d = [], [], []
    for i in np.flatnonzero(fsnap.on_network):
        a = float(fsnap.access_m[i])
        if a > cutoff:
            continue
        dist = nx.single_source_dijkstra_path_length(G, node_ids[fsnap.node[i]], cutoff=cutoff - a, weight="length")
        for node_label, d in dist.items():
            for j in by_node.get(index_of[node_label], ()):
                t = a + d + float(vsnap.access_m[j])
                if t <= cutoff:
                    out_i.append(int(i))
                    out_j.append(j)
                    out_d.append(t)
    return np.asarray(out_i), np.asarray(out_j), np.asarray(out_d)


def same_pairs(a, b, tol: float = 1e-6) -> tuple[bool, int, float]:
    """Whether two (i, j, d) pair sets are equal (distances to ``tol`` m); (equal, count, max |Δd|)."""
    ka = {(int(i), int(j)): d for i, j, d in zip(*a)}
    kb = {(int(i), int(j)): d for i, j, d in zip(*b)}
    if ka.keys() != kb.keys():
        return False, len(ka), float("nan")
    diff = max((abs(ka[k] - kb[k]) for k in ka), default=0.0)
    return diff <= tol, len(ka), diff


def nx_nearest(G, node_ids, fsnap, vsnap, mask):
    """Baseline nearest facility distance for every village: one multi-source Dijkstra (networkx).

    networkx's multi-source Dijkstra starts every source at distance 0, so facilities' access legs
    are added as a virtual source node joined by edges of the access length.
    """
    src = "__virtual__"  # added to G for the run and removed after: no copy of the graph
    w_by_node: dict = {}
    for i in np.flatnonzero(mask & fsnap.on_network):
        u = node_ids[fsnap.node[i]]
        w_by_node[u] = min(w_by_node.get(u, np.inf), max(float(fsnap.access_m[i]), 1e-6))
    G.add_node(src)
    try:
        G.add_edges_from((src, u, {"length": w}) for u, w in w_by_node.items())
        dist = nx.single_source_dijkstra_path_length(G, src, weight="length")
    finally:
        G.remove_node(src)
    out = np.full(len(vsnap.node), np.inf)
    for j in np.flatnonzero(vsnap.on_network):
        d = dist.get(node_ids[vsnap.node[j]])
        if d is not None:
            out[j] = d + float(vsnap.access_m[j])
    return out


def load() -> str:
    try:
        return "load average %.1f %.1f %.1f" % os.getloadavg()
    except OSError:
        return "load average n/a"


# ------------------------------------------------------------------------------ prototype
def pairs_tiled(net: RoadNetwork, src, dst, cutoff: float):
    """The tiled search that ``RoadNetwork.pairs_within`` uses (timed here on its own, no dispatch)."""
    return net._pairs_tiled(src, dst, cutoff)


def bench_county(adcode: str, cutoff: float, repeat: int) -> None:
    from culture_logistics.config.model import CARRIERS
    from culture_logistics.inputs.scenario import load_scenario

    path = ROOT / "data" / "counties" / adcode / "scenario.toml"
    scn = load_scenario(path)
    t0 = time.perf_counter()
    net = RoadNetwork.from_scenario(scn)
    t_build = time.perf_counter() - t0
    v, f = scn.villages, scn.facilities
    vs = net.snap(v["lon"].to_numpy(), v["lat"].to_numpy())
    fs = net.snap(f["lon"].to_numpy(), f["lat"].to_numpy())
    G = scn.graph
    print(f"\n== 1. County {adcode} {scn.name}: {len(v):,} villages, {len(f):,} facilities, road graph "
          f"{G.number_of_nodes():,} nodes / {G.number_of_edges():,} edges; cut-off {cutoff:,.0f} m; "
          f"RoadNetwork built in {t_build:.2f} s; {load()}")
    t_ours, ours = timed(lambda: net.pairs_within(fs, vs, cutoff), repeat)
    t_nx, base = timed(lambda: nx_pairs(G, net.node_ids, fs, vs, cutoff), repeat)
    ok, n, diff = same_pairs(ours, base)
    print(f"{'all pairs within cut-off':<34} {'ours (csgraph)':>15} {'networkx':>12} {'ratio':>8}   pairs, check")
    print(f"{'  RoadNetwork.pairs_within (tiled)':<34} {t_ours:>13.3f} s {t_nx:>10.3f} s {t_nx / t_ours:>7.1f}×   "
          f"{n:,} pairs, {'same pairs' if ok else 'DIFFERENT'} (max |Δd| {diff:.1e} m)")
    t_tl, tl = timed(lambda: pairs_tiled(net, fs, vs, cutoff), repeat)
    ok_t, n_t, diff_t = same_pairs(tl, base)
    print(f"{'  tiled search, called directly':<34} {t_tl:>13.3f} s {t_nx:>10.3f} s {t_nx / t_tl:>7.1f}×   "
          f"{n_t:,} pairs, {'same pairs' if ok_t else 'DIFFERENT'} (max |Δd| {diff_t:.1e} m)")
    fops = f["operator"].to_numpy()
    masks = {op: (fops == op) | (fops == "shared") for op in CARRIERS}

    def ours_nearest():
        from culture_logistics.coverage.reach import snap_subset

        return {op: net.nearest(snap_subset(fs, np.flatnonzero(m)), vs)[0] for op, m in masks.items()}

    def nx_near():
        return {op: nx_nearest(G, net.node_ids, fs, vs, m) for op, m in masks.items()}

    t_on, on = timed(ours_nearest, repeat)
    t_nn, nn = timed(nx_near, repeat)
    agree = all(np.allclose(on[op], nn[op], atol=1e-6, equal_nan=True) and
                np.array_equal(np.isfinite(on[op]), np.isfinite(nn[op])) for op in masks)
    print(f"{'  nearest facility per operator':<34} {t_on:>13.3f} s {t_nn:>10.3f} s {t_nn / t_on:>7.1f}×   "
          f"{len(masks)} operators × {len(v):,} villages, {'same distances' if agree else 'DIFFERENT'}")


# ------------------------------------------------------------------------------ part 2
def jittered_grid(n_side: int, spacing: float = 200.0, jitter: float = 60.0, seed: int = 7):
    """A province-sized road graph in UTM zone 50N (metres) around 117°E: node x/y (m), edges, lengths."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    x0, y0 = 500_000.0 - n_side * spacing / 2, 3_900_000.0
    x = (x0 + jj * spacing + rng.uniform(-jitter, jitter, ii.shape)).ravel()
    y = (y0 + ii * spacing + rng.uniform(-jitter, jitter, ii.shape)).ravel()
    ids = np.arange(n_side * n_side).reshape(n_side, n_side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.25, len(u))
    return x, y, u, v, length


def digraph(lon, lat, u, v, length, nodes=None) -> nx.DiGraph:
    """A two-way networkx DiGraph (osmnx-style attributes) of the given nodes (default all)."""
    G = nx.DiGraph()
    keep = None
    if nodes is not None:
        keep = np.zeros(len(lon), bool)
        keep[nodes] = True
        sel = keep[u] & keep[v]
        u, v, length = u[sel], v[sel], length[sel]
        node_list = np.flatnonzero(keep)
    else:
        node_list = np.arange(len(lon))
    G.add_nodes_from((int(k), {"x": float(lon[k]), "y": float(lat[k])}) for k in node_list)
    tt = length / 10.0
    G.add_edges_from((int(a), int(b), {"length": float(l_), "travel_time": float(t)})
                     for a, b, l_, t in zip(u, v, length, tt))
    G.add_edges_from((int(b), int(a), {"length": float(l_), "travel_time": float(t)})
                     for a, b, l_, t in zip(u, v, length, tt))
    return G


def bench_province(n_side: int, n_villages: int, n_facilities: int, cutoff: float, blocks: int = 5) -> None:
    from pyproj import CRS, Transformer


    crs = CRS.from_epsg(32650)
    t0 = time.perf_counter()
    x, y, u, v, length = jittered_grid(n_side)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(x, y)
    rng = np.random.default_rng(11)
    xmin, xmax, ymin, ymax = x.min(), x.max(), y.min(), y.max()
    vx, vy = rng.uniform(xmin, xmax, n_villages), rng.uniform(ymin, ymax, n_villages)
    fx, fy = rng.uniform(xmin, xmax, n_facilities), rng.uniform(ymin, ymax, n_facilities)
    vlon, vlat = to_ll.transform(vx, vy)
    flon, flat = to_ll.transform(fx, fy)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    G = digraph(lon, lat, u, v, length)
    t_nxg = time.perf_counter() - t0
    params = NetworkParams()
    t0 = time.perf_counter()
    whole = RoadNetwork(G, crs, params)
    t_whole_build = time.perf_counter() - t0
    print(f"\n== 2. Generated province graph: {whole.n:,} nodes, {G.number_of_edges():,} directed edges "
          f"({(xmax - xmin) / 1000:.0f} × {(ymax - ymin) / 1000:.0f} km), {n_villages:,} villages, "
          f"{n_facilities:,} facilities, cut-off {cutoff:,.0f} m; {load()}")
    print(f"   generated in {t_gen:.1f} s; networkx graph built in {t_nxg:.1f} s; RoadNetwork (whole) in "
          f"{t_whole_build:.1f} s")
    vs = whole.snap(vlon, vlat)
    fs = whole.snap(flon, flat)

    # ours, whole graph
    t0 = time.perf_counter()
    ours_whole, mb_whole = peak_mb(lambda: whole.pairs_within(fs, vs, cutoff))
    t_whole = time.perf_counter() - t0

    # ours, county by county (each county + a 5.5 km buffer)
    edges_x = np.linspace(xmin, xmax + 1e-6, blocks + 1)
    edges_y = np.linspace(ymin, ymax + 1e-6, blocks + 1)
    buf_graph, buf_dst = cutoff + 500.0, cutoff
    t_build_c = t_query_c = 0.0
    mb_c = 0.0
    parts_i, parts_j, parts_d = [], [], []
    sizes = []
    for bx in range(blocks):
        for by in range(blocks):
            x0, x1, y0, y1 = edges_x[bx], edges_x[bx + 1], edges_y[by], edges_y[by + 1]
            fsel = np.flatnonzero((fx >= x0) & (fx < x1) & (fy >= y0) & (fy < y1))
            if not len(fsel):
                continue
            nsel = np.flatnonzero((x >= x0 - buf_graph) & (x < x1 + buf_graph) & (y >= y0 - buf_graph)
                                  & (y < y1 + buf_graph))
            vsel = np.flatnonzero((vx >= x0 - buf_dst) & (vx < x1 + buf_dst) & (vy >= y0 - buf_dst)
                                  & (vy < y1 + buf_dst))
            t0 = time.perf_counter()
            net = RoadNetwork(G.subgraph(nsel.tolist()), crs, params)
            t_build_c += time.perf_counter() - t0
            sizes.append(net.n)
            t0 = time.perf_counter()
            (res, mb) = peak_mb(lambda: net.pairs_within(net.snap(flon[fsel], flat[fsel]),
                                                         net.snap(vlon[vsel], vlat[vsel]), cutoff))
            t_query_c += time.perf_counter() - t0
            mb_c = max(mb_c, mb)
            i, j, d = res
            parts_i.append(fsel[i])
            parts_j.append(vsel[j])
            parts_d.append(d)
    ours_county = (np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_d))

    # prototype: tiles on the whole graph (no county split, no per-county RoadNetwork)
    t0 = time.perf_counter()
    ours_tiled, mb_t = peak_mb(lambda: pairs_tiled(whole, fs, vs, cutoff))
    t_tiled = time.perf_counter() - t0

    # baseline: networkx from every facility, whole graph
    t0 = time.perf_counter()
    base = nx_pairs(G, whole.node_ids, fs, vs, cutoff)
    t_nx = time.perf_counter() - t0

    ok_w, n_w, d_w = same_pairs(ours_whole, base)
    ok_c, n_c, d_c = same_pairs(ours_county, base)
    print(f"{'all pairs within cut-off':<40} {'query':>9} {'peak MB':>9} {'vs networkx':>12}   check")
    print(f"{'  networkx, per facility, whole graph':<40} {t_nx:>7.2f} s {'':>9} {1.0:>11.1f}×   "
          f"{len(base[0]):,} pairs")
    print(f"{'  ours, whole graph (blocks of 256)':<40} {t_whole:>7.2f} s {mb_whole:>9.0f} {t_nx / t_whole:>11.1f}×   "
          f"{n_w:,} pairs, {'same' if ok_w else 'DIFFERENT'} (max |Δd| {d_w:.1e} m)")
    print(f"{'  ours, county by county (+5.5 km)':<40} {t_query_c:>7.2f} s {mb_c:>9.0f} {t_nx / t_query_c:>11.1f}×   "
          f"{n_c:,} pairs, {'same' if ok_c else 'DIFFERENT'} (max |Δd| {d_c:.1e} m)")
    ok_t, n_t, d_t = same_pairs(ours_tiled, base)
    print(f"{'  tiled search, whole graph':<40} {t_tiled:>7.2f} s {mb_t:>9.0f} {t_nx / t_tiled:>11.1f}×   "
          f"{n_t:,} pairs, {'same' if ok_t else 'DIFFERENT'} (max |Δd| {d_t:.1e} m)")
    print(f"   county by county vs whole graph: {t_whole / t_query_c:.1f}× faster, "
          f"{mb_whole / max(mb_c, 1e-9):.0f}× less peak memory; {len(sizes)} counties of "
          f"{int(np.median(sizes)):,} nodes (median) incl. buffer, RoadNetwork builds {t_build_c:.1f} s in total")


# ------------------------------------------------------------------------------ part 3
def bench_cli(adcode: str, repeat: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    times = []
    size = 0
    for _ in range(max(1, repeat)):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "coverage",
                                str(ROOT / "data" / "counties" / adcode / "scenario.toml"), "--out", tmp],
                               capture_output=True, text=True, env=env)
            if p.returncode != 0:  # not registered yet: the command's own module
                t0 = time.perf_counter()
                p = subprocess.run([sys.executable, "-m", "culture_logistics.cli.coverage",
                                    str(ROOT / "data" / "counties" / adcode / "scenario.toml"), "--out", tmp],
                                   capture_output=True, text=True, env=env)
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                raise SystemExit(p.stderr)
            size = (Path(tmp) / "coverage_map.html").stat().st_size
    print(f"\n== 3. `culture-logistics coverage` on {adcode}, fresh process each run (start-up included); {load()}")
    print(f"   runs: {', '.join(f'{t:.2f}' for t in times)} s; median {statistics.median(times):.2f} s "
          f"(target < 5 s); coverage_map.html {size / 1e6:.2f} MB")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--county", default="370481")
    ap.add_argument("--cutoff", type=float, default=5000.0, help="metres along the network")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--grid", type=int, default=1000, help="province graph: grid side (nodes = grid²)")
    ap.add_argument("--villages", type=int, default=60_000)
    ap.add_argument("--facilities", type=int, default=3_000)
    ap.add_argument("--skip-county", action="store_true")
    ap.add_argument("--skip-province", action="store_true")
    ap.add_argument("--skip-cli", action="store_true")
    a = ap.parse_args(argv)
    print("bench_distances: ours = RoadNetwork (scipy.sparse.csgraph), baseline = networkx Dijkstra; "
          "2 shared cores, figures are noisy")
    if not a.skip_county:
        bench_county(a.county, a.cutoff, a.repeat)
    if not a.skip_cli:
        bench_cli(a.county, a.repeat)
    if not a.skip_province:
        bench_province(a.grid, a.villages, a.facilities, a.cutoff)
    return 0


if __name__ == "__main__":
    sys.exit(main())
