#!/usr/bin/env python
"""Siting benchmark: our OR-Tools models against PySAL spopt on identical cost matrices.

Run one at a time (the machine has 2 cores shared with other work; timings are wall-clock and noisy)::

    pip install spopt            # the project's `bench` extra; only the benchmark needs it
    PYTHONPATH=src python benchmarks/bench_siting.py                     # county + province
    PYTHONPATH=src python benchmarks/bench_siting.py --scale county
    PYTHONPATH=src python benchmarks/bench_siting.py --scale province --no-spopt

What it does
------------
County scale: the ten pilot counties (``data/counties/<adcode>``, or built with
:func:`culture_logistics.synth.build_county` into the cache when absent).  For each county the gap
instance is made exactly as ``culture-logistics site`` makes it (coverage → gap villages →
candidates → network pairs within the radius).  One dense client × candidate matrix (coverable gap
villages × candidates that reach one of them) is then handed to *both* solvers:

* ours   — :class:`~culture_logistics.siting.CoverInstance` ``.from_cost_matrix`` (kept sparse) and
  ``solve_mclp`` / ``solve_lscp`` / ``solve_pmedian`` (pywraplp + SCIP; HiGHS shown too),
  primary objective only (spopt has no tie-break);
* spopt  — ``MCLP`` / ``LSCP`` / ``PMedian`` ``.from_cost_matrix`` + ``.solve(PULP_CBC_CMD)``
  (spopt's default solver path).

Both objectives are printed and must be equal; the time ratio is spopt / ours (build + solve).
For p-median both get the same matrix ``min(d, baseline)`` (baseline = the village's distance to the
nearest existing shared point, capped at 3 × radius), so that "stay with the existing shared point"
is a column every village can use.

Province scale: all 62,074 Shandong village-level units (``data/divisions/shandong_villages.csv``)
placed by the data builder ``culture_logistics.synth.build_county`` county by county (synthetic
coordinates, populations, facilities and roads), with their candidates (every non-shared facility and
every village).  Two sparse instances are solved by ours: the *gap* instance (clients = the
province's gap villages, candidates = non-shared facilities + every village: what ``site`` solves)
and the *greenfield* instance (clients = all 62,074 villages as if nothing reached them yet,
candidates = every existing facility; the shape of the issue's 60,000 × 7,950 measurement).  spopt cannot hold the province densely, so it runs on a 4,000-village subset
(the first counties in code order holding ≥ 4,000 villages: their clients with the candidates that
reach them), where ours runs too.  (spopt writes every client's constraint over *all* candidates,
zeros included, so its build time grows with clients × candidates.)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from culture_logistics.config.siting import SitingParams
from culture_logistics.errors import SolverError  # noqa: E402
from culture_logistics.resources import PILOT_COUNTIES, counties_dir  # noqa: E402
from culture_logistics.siting.instance import CoverInstance
from culture_logistics.siting.models import solve_lscp, solve_mclp, solve_pmedian
from culture_logistics.siting.solve import build_candidates

BIG = 1e9  # "unreachable" in the dense matrices handed to spopt (any value > every radius / baseline)


# ------------------------------------------------------------------------------------ data


def county_scenario(adcode: str, cache: Path) -> Path:
    """The embedded dataset when present, else one built by the data builder into ``cache``."""
    p = counties_dir() / adcode / "scenario.toml"
    if p.exists():
        return p
    out = cache / "counties" / adcode
    if not (out / "scenario.toml").exists() or not (out / "roads.geojson").exists():
        from culture_logistics.synth.builder import build_county

        build_county(adcode, out)
    return out / "scenario.toml"


def gap_pairs(scenario_path: Path, greenfield: bool = False, pmedian: bool = False):
    """Load a county and return its siting data as plain arrays (the same steps as solve_siting).

    Returns dict with pairs (cand, client, dist_m), client weight/baseline, candidate cost, counts.
    With ``greenfield`` every village is a client; with ``pmedian`` pairs go to the 3 × radius cutoff.
    """
    from culture_logistics.coverage.reach import compute_coverage
    from culture_logistics.inputs.scenario import load_scenario

    scn = load_scenario(scenario_path)
    params = SitingParams.from_scenario(scn)
    radius = params.radius_m or scn.coverage.radius_m
    cov = compute_coverage(scn, radius_m=radius)
    if greenfield:  # as if nothing reached the villages yet: every existing facility is a candidate
        f = scn.facilities
        cands = pd.DataFrame({"lon": f["lon"].to_numpy(float), "lat": f["lat"].to_numpy(float),
                              "cost": np.full(len(f), params.convert_cost)})
    else:
        cands = build_candidates(scn, params)
    v = cov.villages
    mask = np.ones(len(v), bool) if greenfield else ~v["reached"].to_numpy(bool)
    gaps = v[mask]
    net = cov.network
    cs = net.snap(cands["lon"].to_numpy(float), cands["lat"].to_numpy(float))
    gs = net.snap(gaps["lon"].to_numpy(float), gaps["lat"].to_numpy(float))
    cutoff = 3.0 * radius if pmedian else radius
    i, j, d = net.pairs_within(cs, gs, cutoff)
    base = np.minimum(np.where(np.isfinite(gaps["dist_shared_m"].to_numpy(float)),
                               gaps["dist_shared_m"].to_numpy(float), np.inf), 3.0 * radius)
    return {"adcode": scn.adcode, "name": scn.name, "villages": len(v), "gaps": int((~v["reached"]).sum()),
            "clients": len(gaps), "candidates": len(cands), "cand": i, "client": j, "dist": d, "radius": radius,
            "weight": gaps["population"].to_numpy(float), "baseline": base, "cost": cands["cost"].to_numpy(float),
            "codes": gaps["village_code"].to_numpy()}


def dense_for(data, model: str):
    """Dense client × candidate matrix over coverable clients and useful candidates (what spopt needs).

    Returns (matrix, weight, candidate index array, client index array).
    """
    cand, client, dist = data["cand"], data["client"], data["dist"]
    if model == "pmedian":
        keep = dist < data["baseline"][client]
    else:
        keep = dist <= data["radius"]
    cand, client, dist = cand[keep], client[keep], dist[keep]
    cu = np.unique(cand)
    ju = np.unique(client)
    if model == "pmedian":  # every client with positive weight, even those no candidate improves
        ju = np.flatnonzero(data["weight"] > 0)
    ci = np.searchsorted(cu, cand)
    jj = np.searchsorted(ju, client)
    if model == "pmedian":
        m = np.repeat(data["baseline"][ju][:, None], len(cu), axis=1)
        m[jj, ci] = np.minimum(dist, m[jj, ci])
    else:
        m = np.full((len(ju), len(cu)), BIG)
        m[jj, ci] = dist
    return m, data["weight"][ju], cu, ju


# ------------------------------------------------------------------------------------ solvers


def ours(model: str, matrix, weight, radius, k, time_limit, solver="scip", baseline=None, cost=None):
    t0 = time.perf_counter()
    if model == "pmedian":
        inst = CoverInstance.from_cost_matrix(matrix, radius, weight=weight, cost=cost,
                                              cutoff_m=np.inf, baseline_m=baseline)
        # entries equal to the baseline carry no saving: drop them (the sparse form)
        keep = inst.dist_m < np.asarray(baseline)[inst.client]
        inst = CoverInstance.from_pairs(inst.cand[keep], inst.client[keep], inst.dist_m[keep], inst.n_candidates,
                                        inst.n_clients, radius, weight=weight, cost=cost, baseline_m=baseline)
    else:
        inst = CoverInstance.from_cost_matrix(matrix, radius, weight=weight, cost=cost)
    conv = time.perf_counter() - t0
    return ours_inst(model, inst, k, time_limit, solver, conv)


def ours_inst(model, inst, k, time_limit, solver="scip", extra_s=0.0):
    if model == "mclp":
        sol = solve_mclp(inst, k=k, time_limit_s=time_limit, tie_break=False, solver=solver)
    elif model == "lscp":
        sol = solve_lscp(inst, time_limit_s=time_limit, tie_break=False, solver=solver)
    else:
        sol = solve_pmedian(inst, k=k, time_limit_s=time_limit, solver=solver)
    return {"objective": sol.objective, "optimal": sol.optimal, "gap": sol.gap,
            "build": sol.build_seconds + extra_s, "solve": sol.solve_seconds,
            "total": sol.build_seconds + extra_s + sol.solve_seconds, "sites": int(sol.open.sum())}


def spopt_run(model: str, matrix, weight, radius, k, time_limit):
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
    t0 = time.perf_counter()
    if model == "mclp":
        m = MCLP.from_cost_matrix(matrix, weight, service_radius=radius, p_facilities=k)
    elif model == "lscp":
        m = LSCP.from_cost_matrix(matrix, service_radius=radius)
    else:
        m = PMedian.from_cost_matrix(matrix, weight, p_facilities=k)
    t1 = time.perf_counter()
    m = m.solve(solver, results=False)
    t2 = time.perf_counter()
    status = pulp.LpStatus[m.problem.status]
    obj = float(pulp.value(m.problem.objective))
    return {"objective": obj, "optimal": status == "Optimal", "build": t1 - t0, "solve": t2 - t1,
            "total": t2 - t0, "status": status}


def have_spopt() -> bool:
    try:
        import spopt.locate  # noqa: F401
        return True
    except Exception:
        return False


def same(a: float, b: float, integral: bool) -> bool:
    if integral:
        return round(a) == round(b)
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


# ------------------------------------------------------------------------------------ runs


def warm_up(use_spopt: bool) -> None:
    """One tiny solve per solver first, so no instance's time includes loading a solver library."""
    m = np.array([[1.0, 50.0], [5.0, 5.0], [50.0, 2.0]])
    w = np.array([10.0, 1.0, 20.0])
    for model in ("mclp", "lscp", "pmedian"):
        base = np.full(3, 60.0) if model == "pmedian" else None
        ours(model, m, w, 10.0, 1, 10.0, baseline=base)
        if use_spopt:
            spopt_run(model, m if model != "pmedian" else np.minimum(m, 60.0), w, 10.0, 1, 10.0)


def run_county(args, cache: Path, use_spopt: bool) -> list[dict]:
    print(f"\n== County scale: the ten pilot counties' gap instances (radius 3000 m; MCLP K={args.k_county}, "
          f"LSCP fewest sites, p-median K={args.k_county}) ==")
    print("   objective units: MCLP persons newly reached; LSCP sites; p-median person·m. Times in s = build + solve.")
    hdr = (f"{'county':<14} {'model':<8} {'clients':>7} {'cands':>6} {'ours obj':>15} {'spopt obj':>15} {'same':>5} "
           f"{'ours s':>8} {'HiGHS s':>8} {'spopt s':>8} {'spopt/ours':>10}")
    print(hdr)
    rows = []
    for adcode in args.counties:
        t0 = time.perf_counter()
        path = county_scenario(adcode, cache)
        data = gap_pairs(path)
        pdata = gap_pairs(path, pmedian=True)
        prep = time.perf_counter() - t0
        for model in ("mclp", "lscp", "pmedian"):
            d = pdata if model == "pmedian" else data
            matrix, weight, cu, ju = dense_for(d, model)
            if matrix.size == 0 or (model != "lscp" and len(cu) == 0):
                print(f"{adcode} {data['name']:<7} {model:<8} no gap villages a candidate reaches")
                continue
            k = min(args.k_county, matrix.shape[1])
            base = d["baseline"][ju] if model == "pmedian" else None
            r = ours(model, matrix, weight, d["radius"], k, args.time_limit, baseline=base)
            h = {"total": float("nan"), "optimal": True, "objective": r["objective"]}
            if args.highs:
                try:
                    h = ours(model, matrix, weight, d["radius"], k, args.time_limit, solver="highs", baseline=base)
                except SolverError:
                    h = {"total": float("nan"), "optimal": False, "objective": float("nan")}
            s = None
            if use_spopt:
                if model == "pmedian" and matrix.size > args.pmedian_dense_max:
                    s = {"skipped": f"dense {matrix.shape[0]}×{matrix.shape[1]}"}
                else:
                    s = spopt_run(model, matrix, weight, d["radius"], k, args.time_limit)
            integral = model != "pmedian"
            ok = "-" if not s or "skipped" in s else ("yes" if same(r["objective"], s["objective"], integral)
                                                      else "NO")
            ratio = (s["total"] / r["total"]) if s and "total" in s and r["total"] > 0 else float("nan")
            s_obj = (f"{s['objective']:>15,.1f}" if s and "objective" in s
                     else f"{(s or {}).get('skipped', 'n/a'):>15}")
            print(f"{adcode} {data['name']:<7} {model:<8} {matrix.shape[0]:>7} {matrix.shape[1]:>6} "
                  f"{r['objective']:>15,.1f} {s_obj} {ok:>5} {r['total']:>8.3f} {h['total']:>8.3f} "
                  f"{(s['total'] if s and 'total' in s else float('nan')):>8.3f} {ratio:>10.1f}"
                  + ("" if r["optimal"] else f"  (ours gap {r['gap']:.2%})")
                  + ("" if h["optimal"] and same(h["objective"], r["objective"], integral) else "  (HiGHS differs!)"))
            rows.append({"adcode": adcode, "model": model, "ours": r, "highs": h, "spopt": s, "same": ok,
                         "prep_s": prep})
    return rows


def province_instances(cache: Path, greenfield: bool):
    from culture_logistics.geo import divisions as divisions

    codes = sorted(divisions.counties()["code"])
    parts = []
    t0 = time.perf_counter()
    for n, adcode in enumerate(codes, 1):
        path = county_scenario(adcode, cache)
        parts.append(gap_pairs(path, greenfield=greenfield))
        if n % 25 == 0:
            print(f"   … {n}/{len(codes)} counties loaded ({time.perf_counter() - t0:.0f} s)", flush=True)
    c_off = np.cumsum([0] + [p["candidates"] for p in parts])
    j_off = np.cumsum([0] + [p["clients"] for p in parts])
    inst = CoverInstance.from_pairs(
        np.concatenate([p["cand"] + c_off[k] for k, p in enumerate(parts)]),
        np.concatenate([p["client"] + j_off[k] for k, p in enumerate(parts)]),
        np.concatenate([p["dist"] for p in parts]), int(c_off[-1]), int(j_off[-1]), parts[0]["radius"],
        weight=np.concatenate([p["weight"] for p in parts]), cost=np.concatenate([p["cost"] for p in parts]))
    info = {"county_villages": np.array([p["villages"] for p in parts]),
            "county_clients": np.array([p["clients"] for p in parts]),
            "counties": len(parts), "villages": sum(p["villages"] for p in parts),
            "gap_villages": sum(p["gaps"] for p in parts), "clients": inst.n_clients,
            "candidates": inst.n_candidates, "pairs": len(inst.cand), "prep_s": time.perf_counter() - t0}
    return inst, info


def load_or_build_province(cache: Path, greenfield: bool):
    name = "province_greenfield_v2.npz" if greenfield else "province_gap_v2.npz"
    f = cache / name
    if f.exists():
        z = np.load(f, allow_pickle=False)
        inst = CoverInstance.from_pairs(z["cand"], z["client"], z["dist"], int(z["nc"]), int(z["nj"]),
                                        float(z["radius"]), weight=z["weight"], cost=z["cost"])
        info = {k: int(z[k]) for k in ("counties", "villages", "gap_villages", "clients", "candidates", "pairs")}
        info["county_villages"], info["county_clients"] = z["county_villages"], z["county_clients"]
        info["prep_s"] = float(z["prep_s"])
        info["cached"] = True
        return inst, info
    inst, info = province_instances(cache, greenfield)
    np.savez(f, cand=inst.cand, client=inst.client, dist=inst.dist_m, nc=inst.n_candidates, nj=inst.n_clients,
             radius=inst.radius_m, weight=inst.weight, cost=inst.cost, prep_s=info["prep_s"],
             **{k: info[k] for k in ("counties", "villages", "gap_villages", "clients", "candidates", "pairs",
                                     "county_villages", "county_clients")})
    info["cached"] = False
    return inst, info


def subset(inst: CoverInstance, n_clients: int):
    """The first ``n_clients`` clients and the candidates reaching them, as a dense matrix (for spopt)."""
    cover = inst.within(inst.radius_m) & (inst.client < n_clients)
    cand, client, dist = inst.cand[cover], inst.client[cover], inst.dist_m[cover]
    cu = np.unique(cand)
    ju = np.unique(client)
    m = np.full((len(ju), len(cu)), BIG)
    m[np.searchsorted(ju, client), np.searchsorted(cu, cand)] = dist
    return m, inst.weight[ju]


def run_province(args, cache: Path, use_spopt: bool) -> None:
    for greenfield in (False, True):
        label = ("greenfield: every village a client, every facility a candidate" if greenfield
                 else "gap villages as clients, non-shared facilities + every village as candidates")
        print(f"\n== Province scale ({label}) ==")
        inst, info = load_or_build_province(cache, greenfield)
        print(f"   {info['counties']} counties, {info['villages']:,} villages placed by culture_logistics.synth "
              f"(SYNTHETIC coordinates/roads), {info['gap_villages']:,} gap villages; instance: "
              f"{info['clients']:,} clients × {info['candidates']:,} candidates, {info['pairs']:,} pairs ≤ "
              f"{inst.radius_m:.0f} m (sparse; dense would be {info['clients'] * info['candidates'] * 8 / 2**30:.1f} GiB)")
        print(f"   data preparation (load, network, coverage, pairs): {info['prep_s']:.1f} s"
              + (" (from the cache)" if info.get("cached") else ""))
        print(f"   {'model':<22} {'solver':<6} {'objective':>14} {'optimal':>8} {'build s':>8} {'solve s':>8} "
              f"{'total s':>8} {'sites':>6}")
        for model, k in (("mclp", args.k_province), ("lscp", None)):
            for solver in (("scip", "highs") if args.highs else ("scip",)):
                try:
                    r = ours_inst(model, inst, k, args.time_limit, solver)
                except SolverError as exc:
                    print(f"   {model.upper():<22} {solver:<6} {exc}", flush=True)
                    continue
                name = f"{model.upper()}" + (f" K={k}" if k else " (fewest)")
                flag = "yes" if r["optimal"] else f"gap {r['gap']:.2%}"
                print(f"   {name:<22} {solver:<6} {r['objective']:>14,.0f} {flag:>8} {r['build']:>8.2f} "
                      f"{r['solve']:>8.2f} {r['total']:>8.2f} {r['sites']:>6}", flush=True)
        if not use_spopt:
            continue
        # the first counties (in code order) holding about args.subset villages, and their clients
        nc = int(np.searchsorted(np.cumsum(info["county_villages"]), args.subset)) + 1
        n_vil = int(np.sum(info["county_villages"][:nc]))
        n = int(np.sum(info["county_clients"][:nc]))
        m, w = subset(inst, n)
        k = max(1, min(args.k_province * m.shape[0] // max(1, inst.n_clients), m.shape[1]))
        print(f"   spopt on a {n_vil:,}-village subset (the first {nc} counties): {m.shape[0]:,} coverable clients × "
              f"{m.shape[1]:,} candidates (dense "
              f"{m.size * 8 / 2**20:.0f} MiB), MCLP K={k} and LSCP:")
        for model in ("mclp", "lscp"):
            r = ours(model, m, w, inst.radius_m, k, args.time_limit)
            s = spopt_run(model, m, w, inst.radius_m, k, args.time_limit)
            ok = "yes" if same(r["objective"], s["objective"], True) else "NO"
            print(f"   {model.upper():<6} ours {r['objective']:>12,.0f} in {r['total']:6.2f} s "
                  f"(build {r['build']:.2f} + solve {r['solve']:.2f}); spopt {s['objective']:>12,.0f} in "
                  f"{s['total']:6.2f} s (build {s['build']:.2f} + solve {s['solve']:.2f}); same: {ok}; "
                  f"spopt/ours = {s['total'] / r['total']:.1f}×", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", choices=["county", "province", "all"], default="all")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cl_bench_cache",
                    help="where built county datasets and province instances are kept")
    ap.add_argument("--time-limit", type=float, default=120.0, help="per solve (s), for every solver")
    ap.add_argument("--k-county", type=int, default=5)
    ap.add_argument("--k-province", type=int, default=2000)
    ap.add_argument("--subset", type=int, default=4000, help="clients in the province subset given to spopt")
    ap.add_argument("--pmedian-dense-max", type=int, default=400_000,
                    help="skip spopt p-median above this many matrix cells")
    ap.add_argument("--counties", default=",".join(PILOT_COUNTIES), help="county codes for the county scale")
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--highs", action="store_true",
                    help="also run OR-Tools' bundled HiGHS (it prints its banner on every solve)")
    args = ap.parse_args()
    args.counties = [c.strip() for c in args.counties.split(",") if c.strip()]
    args.cache.mkdir(parents=True, exist_ok=True)
    use_spopt = not args.no_spopt and have_spopt()
    if not args.no_spopt and not use_spopt:
        print("spopt is not installed: `pip install spopt` (the project's bench extra); running ours only")
    print(f"bench_siting: {os.cpu_count()} cores (shared; timings are noisy), ours = OR-Tools pywraplp "
          f"SCIP single-thread (--highs adds OR-Tools' bundled HiGHS), spopt = PuLP + CBC; time limit {args.time_limit:g} s")
    warm_up(use_spopt)
    print("   (one tiny warm-up solve per solver first: no instance's time includes loading a solver library)")
    if args.scale in ("county", "all"):
        run_county(args, args.cache, use_spopt)
    if args.scale in ("province", "all"):
        run_province(args, args.cache, use_spopt)


if __name__ == "__main__":
    main()
