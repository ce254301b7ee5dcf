"""Independent plans of one county in parallel processes.

``route --mode compare`` makes up to ten plans of the same county (separate, shared, 邮快合作 and the
coalitions of cost sharing).  They share nothing but the read-only :class:`~culture_logistics.routing.
specs.PlanContext`, and every solve stops on a deterministic work budget with a fixed seed, so running them in
separate processes gives exactly the plans a single process gives, in about half the time on two cores.

How
    The worker processes are *forked* after the context is built (and its road network's shortest-path
    rows cached, :meth:`~culture_logistics.network.roads.RoadNetwork.warm`), so they inherit it without
    pickling.  A worker returns its :class:`~culture_logistics.routing.plan.RoutePlan` without the scenario
    and the network (the parent's are put back) and sends its progress lines through a queue, which the
    parent passes on, in the parent's thread, as they come.

When not
    ``[routing] workers = 1``, a single plan, a daemonic process (a worker of ``batch``, which already
    plans one county per worker), a worker of this module, a process with other threads running (a
    notebook kernel, a Dask client: forking it could deadlock the children), or a platform without
    ``fork`` (Windows, and macOS where forking a process that has loaded the solvers is unsafe): the
    plans are made one after the other in this process.  Errors raised in a worker (an infeasible input, a solver error) are raised here
    unchanged.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Generic, TypeVar

from culture_logistics.routing.specs import PlanContext

T = TypeVar("T")

#: set in the parent just before the worker processes are forked; read by :func:`_work`
_JOBS: dict = {}
#: True in a worker process: its own calls run in it, one after the other (no processes of processes)
_IN_WORKER = False


def workers_for(requested: int, jobs: int) -> int:
    """How many processes ``jobs`` plans get: ``requested`` (0 = one per CPU core the process may use),
    never more than there are plans; 1 where ``fork`` is not the safe way to start them."""
    if jobs <= 1 or _IN_WORKER or not sys.platform.startswith("linux"):
        return 1  # in a worker, its own calls run in it: no processes of processes
    if mp.current_process().daemon:
        return 1  # a daemonic process (a dask or multiprocessing worker: batch) may not have children
    if threading.active_count() > 1:
        return 1  # forking a process while another of its threads may hold a lock can deadlock the child
    if requested and requested > 0:
        n = requested
    else:
        try:
            n = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - platform dependent
            n = os.cpu_count() or 1
    return max(1, min(int(n), jobs))


def plan_many(ctx: PlanContext, jobs: dict, workers: int = 0, progress: Callable | None = None) -> dict:
    """Run ``jobs`` (key → function of ``ctx`` and a progress callable returning a RoutePlan, or a part of
    one); key → result.

    The plans are those of calling every job in turn in this process, whatever ``workers`` is; the
    order of ``progress`` lines between plans may differ.
    """
    keys = list(jobs)
    plans = map_forked(lambda k, pr: _bare(jobs[k](ctx, pr)), keys, workers, progress, warm=ctx)
    for plan in plans:
        if getattr(plan, "scenario", False) is None:
            plan.scenario, plan.net = ctx.scenario, ctx.net
    return dict(zip(keys, plans))


def _bare(plan: object) -> object:
    """``plan`` (a RoutePlan, or any other result) without the scenario and the network, when made in a
    worker (the parent's are put back)."""
    if _IN_WORKER and hasattr(plan, "net") and hasattr(plan, "scenario"):
        plan.scenario, plan.net = None, None
    return plan


def map_forked(fn: Callable, items: list, workers: int = 0, progress: Callable | None = None,
               warm: PlanContext | None = None) -> list:
    """``[fn(item, progress) for item in items]``, in forked worker processes when there are several.

    ``fn`` and everything it reads are inherited by the workers (nothing is pickled but the results and
    the index of each item); a worker's ``progress`` lines reach ``progress`` here, in this thread.  In a
    worker, or with one process, the calls run here one after the other.  An error raised by ``fn`` is
    raised here.  ``warm``: a context whose road network's shortest-path rows of every village and
    facility are cached before forking, so the workers inherit them instead of each computing them again.
    """
    n = workers_for(workers, len(items))
    if n <= 1:
        return [fn(x, progress) for x in items]
    if warm is not None and hasattr(warm.net, "warm"):
        warm.net.warm(warm.villages["lon"], warm.villages["lat"], warm.facilities["lon"], warm.facilities["lat"])
    fork = mp.get_context("fork")
    lines = fork.SimpleQueue()
    _JOBS.clear()
    _JOBS.update(fn=fn, items=items, lines=lines)
    out: dict = {}
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=fork, initializer=_enter_worker) as pool:
            pending = {pool.submit(_work, i): i for i in range(len(items))}
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _relay(lines, progress)
                for f in done:
                    out[pending.pop(f)] = f.result()  # re-raises a worker's error here
            _relay(lines, progress)
    finally:
        _JOBS.clear()
    return [out[i] for i in range(len(items))]


def _enter_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True


def _relay(lines, progress: Callable | None) -> None:
    while not lines.empty():
        line = lines.get()
        if progress:
            progress(line)


def _work(i: int):
    """In a worker: call the function on item ``i``."""
    return _JOBS["fn"](_JOBS["items"][i], _JOBS["lines"].put)


class Background(Generic[T]):
    """``fn()`` started now in one forked process, beside whatever this process does next (another stage's plans
    in their own processes); :meth:`result` waits for it.

    For a plan that does not depend on the work in between (``demo``'s peak plan beside the comparison): the
    machine's cores are shared by both instead of the second waiting for the first.  The child is a worker
    (:data:`_IN_WORKER`: its own plans run in it, one after the other) and daemonic (it ends with this process).
    Where forking is not safe (see the module notes; a second process must also be allowed,
    :func:`workers_for`), nothing starts now and :meth:`result` calls ``fn`` here.  The result is the same
    either way: every solve stops on a deterministic work budget.  An error raised by ``fn`` is raised by
    :meth:`result`.
    """

    def __init__(self, fn: Callable[[], T], workers: int = 0):
        self._fn = fn
        self._proc = self._conn = None
        self._done = False
        self._value: T | None = None
        if workers_for(workers, 2) < 2:
            return
        fork = mp.get_context("fork")
        recv, send = fork.Pipe(duplex=False)
        proc = fork.Process(target=_background, args=(fn, send), daemon=True)
        proc.start()
        send.close()
        self._proc, self._conn = proc, recv

    @property
    def forked(self) -> bool:
        """Whether ``fn`` runs in a process of its own."""
        return self._proc is not None

    def result(self) -> T:
        """``fn()``'s value (waiting for the process), or its error raised here."""
        if self._done:
            return self._value
        if self._proc is None:
            self._value, self._done = self._fn(), True
            return self._value
        try:
            kind, value = self._conn.recv()
        except EOFError:
            kind, value = "error", RuntimeError(f"the background process ended without a result (exit code "
                                                f"{self._proc.exitcode})")
        finally:
            self._conn.close()
            self._proc.join()
            self._proc = None
        if kind == "error":
            raise value
        self._value, self._done = value, True
        return value

    def cancel(self) -> None:
        """Stop the process (when its result is no longer wanted: an earlier stage failed)."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.join()
            self._conn.close()
            self._proc = None
        self._done = True


def _background(fn: Callable[[], object], send) -> None:
    """In the background child: run ``fn`` and send ("ok", value) or ("error", the error)."""
    _enter_worker()
    try:
        out: tuple = ("ok", fn())
    except BaseException as exc:  # noqa: BLE001 - every error goes back to the parent, which raises it
        out = ("error", exc)
    try:
        send.send(out)
    except Exception as exc:  # an unpicklable value or error
        send.send(("error", RuntimeError(f"the background result could not be sent back: {exc}")))
    send.close()
