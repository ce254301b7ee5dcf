"""Independent plans of one county in parallel processes.

``route --mode compare`` makes up to ten plans of the same county (separate, shared, 邮快合作 and the
coalitions of cost sharing).  They share nothing but the read-only :class:`~culture_logistics.routing.
specs._Context`, and every solve stops on a deterministic work budget with a fixed seed, so running them in
separate processes gives exactly the plans a single process gives, in about half the time on two cores.

How
    The worker processes are *forked* after the context is built (and its road network's shortest-path
    rows cached, :meth:`~culture_logistics.network.roads.RoadNetwork.warm`), so they inherit it without
    pickling.  A worker returns its :class:`~culture_logistics.routing.plan.RoutePlan` without the scenario
    and the network (the parent's are put back) and sends its progress lines through a queue, which the
    parent passes on, in the parent's thread, as they come.

When not
    ``[routing] workers = 1``, a single plan, or a platform without ``fork`` (Windows, and macOS where
    forking a process that has loaded the solvers is unsafe): the plans are made one after the other in
    this process.  Errors raised in a worker (an infeasible input, a solver error) are raised here
    unchanged.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from culture_logistics.routing.plan import RoutePlan
from culture_logistics.routing.specs import _Context

#: set in the parent just before the worker processes are forked; read by :func:`_work`
_JOBS: dict = {}


def workers_for(requested: int, jobs: int) -> int:
    """How many processes ``jobs`` plans get: ``requested`` (0 = one per CPU core the process may use),
    never more than there are plans; 1 where ``fork`` is not the safe way to start them."""
    if jobs <= 1 or not sys.platform.startswith("linux"):
        return 1
    if requested and requested > 0:
        n = requested
    else:
        try:
            n = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - platform dependent
            n = os.cpu_count() or 1
    return max(1, min(int(n), jobs))


def plan_many(ctx: _Context, jobs: dict, workers: int = 0, progress: Callable | None = None) -> dict:
    """Run ``jobs`` (key → function of ``ctx`` and a progress callable returning a RoutePlan); key → plan.

    The plans are those of calling every job in turn in this process, whatever ``workers`` is; the
    order of ``progress`` lines between plans may differ.
    """
    n = workers_for(workers, len(jobs))
    if n <= 1:
        return {k: fn(ctx, progress) for k, fn in jobs.items()}
    warm = getattr(ctx.net, "warm", None)
    if warm is not None:  # the children inherit the rows instead of each computing them again
        warm(ctx.villages["lon"], ctx.villages["lat"], ctx.facilities["lon"], ctx.facilities["lat"])
    keys = list(jobs)
    fork = mp.get_context("fork")
    lines = fork.SimpleQueue()
    _JOBS.clear()
    _JOBS.update(ctx=ctx, jobs=jobs, keys=keys, lines=lines)
    out: dict = {}
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=fork) as pool:
            pending = {pool.submit(_work, i): i for i in range(len(keys))}
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _relay(lines, progress)
                for f in done:
                    i = pending.pop(f)
                    plan = f.result()  # re-raises a worker's error here
                    plan.scenario, plan.net = ctx.scenario, ctx.net
                    out[keys[i]] = plan
            _relay(lines, progress)
    finally:
        _JOBS.clear()
    return {k: out[k] for k in keys}


def _relay(lines, progress: Callable | None) -> None:
    while not lines.empty():
        try:
            line = lines.get()
        except queue.Empty:  # pragma: no cover - SimpleQueue.get blocks rather than raising
            return
        if progress:
            progress(line)


def _work(i: int) -> RoutePlan:
    """In a worker: make plan ``i`` and return it without the (inherited) scenario and network."""
    ctx, key = _JOBS["ctx"], _JOBS["keys"][i]
    lines = _JOBS["lines"]
    plan = _JOBS["jobs"][key](ctx, lines.put)
    plan.scenario, plan.net = None, None
    return plan
