"""Running the county jobs on a Dask cluster (local or remote), resuming finished ones.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from culture_logistics.batch.county import CountyOutcome, lost_outcome, one_line, run_county
from culture_logistics.batch.jobs import (
    PARTIAL_DIR,
    REACH_COLUMNS,
    BatchError,
    CountyJob,
    job_digest,
    normal_steps,
    plan_counties,
    read_done,
)
from culture_logistics.batch.results import (
    BatchResult,
    failure_table,
    reach_table,
    write_province_outputs,
)
from culture_logistics.config.routing import check_effort
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.reports.console import console_text
from culture_logistics.reports.writers import write_json
from culture_logistics.synth.common import DEFAULT_SEED


def _resumed(job: CountyJob, out_root: Path, digest: str) -> CountyOutcome | None:
    done = read_done(out_root / job.adcode)
    if not done or done.get("digest") != digest or not isinstance(done.get("row"), dict):
        return None
    row = {c: str(done["row"].get(c, "")) for c in REACH_COLUMNS}
    return CountyOutcome(job.adcode, job.name, row["status"] or "ok", row, None, True, centre=done.get("centre"))


def eta_seconds(computed: int, remaining: int, elapsed_s: float) -> float | None:
    """Seconds left for ``remaining`` counties at the pace of the ``computed`` ones so far (``elapsed_s`` since
    the first submission; the workers run in parallel, so the pace is the batch's, not one county's); None
    before the first county is computed."""
    if computed <= 0 or elapsed_s <= 0:
        return None
    return remaining * elapsed_s / computed


def _clock(seconds: float | None) -> str:
    """``1:02:03`` / ``2:03`` (h:mm:ss, m:ss); ``-:--`` for None."""
    if seconds is None:
        return "-:--"
    s = int(round(seconds))
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


class _Progress:
    """A rich progress bar on stderr: counties finished, with done / failed / skipped counts and the time
    left (:func:`eta_seconds`, counties skipped as already done not counted in the pace)."""

    def __init__(self, total: int, enabled: bool, lang: str = "en"):
        self.enabled = enabled
        self.lang = lang
        self.total = total
        self.counts = {"done": 0, "failed": 0, "skipped": 0}
        self.t0 = time.perf_counter()
        if not enabled:
            return

        self.bar = Progress(TextColumn("[bold]" + console_text("bar_counties", lang)), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.description}"), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task(self._text(), total=total)
        self.bar.start()

    def _text(self) -> str:
        c = self.counts
        computed = c["done"] + c["failed"]
        eta = eta_seconds(computed, self.total - computed - c["skipped"], time.perf_counter() - self.t0)
        return console_text("bar_counts", self.lang, done=c["done"], failed=c["failed"], skipped=c["skipped"],
                            eta=_clock(eta))

    def start_clock(self) -> None:
        """The pace is measured from here (the first submission)."""
        self.t0 = time.perf_counter()

    def advance(self, kind: str, label: str = "") -> None:
        self.counts[kind] += 1
        if self.enabled:
            self.bar.update(self.task, advance=1, description=self._text())

    def close(self) -> None:
        if self.enabled:
            self.bar.stop()


def _connect(scheduler: str | None, workers: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the batch extra is not installed
        raise BatchError("the batch command needs dask.distributed: pip install 'culture-logistics[batch]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}; start one with "
                             "`dask scheduler` and point --scheduler at its tcp://host:8786 address") from None
        return client, None

    cluster = None
    try:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        return Client(cluster), cluster
    except Exception:  # noqa: BLE001 - "Nanny failed to start", a start timeout: the batch runs in-process
        _close_quietly(None, cluster)
        return None, None


def _close_quietly(client, cluster) -> None:
    """Close the client and the local cluster; a nanny that fails while closing does not fail the batch."""
    for thing in (client, cluster):
        if thing is None:
            continue
        try:
            thing.close()
        except Exception:  # noqa: BLE001 - results are already collected; closing is best effort
            logging.getLogger(__name__).warning("closing %s failed", type(thing).__name__, exc_info=True)


def _wait_for_workers(client, scheduler: str | None, timeout_s: float = 60.0) -> int:
    """Number of workers of the cluster, waiting up to ``timeout_s`` for a first one to connect."""
    n = len(client.scheduler_info().get("workers", {}))
    if n == 0:
        try:
            client.wait_for_workers(1, timeout=timeout_s)
        except TimeoutError:
            raise BatchError(f"the Dask scheduler {scheduler or ''} has no workers after {timeout_s:.0f} s; start "
                             "some with `dask worker <scheduler address>` on machines that have this package "
                             "installed") from None
        n = len(client.scheduler_info().get("workers", {}))
    return n


def run_batch(out_dir: str | Path, province: str = "37", counties: Iterable[str] | str | None = None,
              steps: Iterable[str] | str | None = ("coverage",), scheduler: str | None = None,
              workers: int | None = None, time_limit_s: float | None = None, seed: int | None = None,
              data_dir: str | Path | None = None, progress: bool = True, client=None,
              echo: Callable[[str], None] | None = None, lang: str = "en",
              effort: float | None = None) -> BatchResult:
    """Plan every county of a province (or the ones named) on Dask, resumably, and write the province files.

    Parameters
    ----------
    out_dir : the batch folder ``DIR`` (created when missing).  On a multi-machine cluster it must be on a
        filesystem every worker and this process see under the same path.
    province, counties, data_dir : which counties and whose data; see :func:`plan_counties`.
    steps : ``coverage``, ``site``, ``route`` (list or comma-separated); coverage always runs.
    scheduler : address of an existing Dask scheduler (``tcp://host:8786``); default a LocalCluster.
    workers : worker processes of the LocalCluster (one thread each); default the number of CPUs, at most
        the number of counties to compute.  Ignored with ``scheduler``.
    time_limit_s : solver time limit per step (s) for siting and routing.
    seed : seed of the data builder for generated counties.
    progress : show the progress bar on stderr.
    client : an existing ``distributed.Client`` to use (overrides ``scheduler``/``workers``).
    echo : where to print one line per failed county, and a line starting ``note:`` when the cluster fails
        and the counties run in this process instead (default: nowhere).
    lang : ``"en"`` or ``"zh"``: the language of every county's workbooks and maps.
    effort : replaces every county's ``[routing] effort``, the multiplier of the routing work budget (None =
        each scenario's own; part of a county's digest when given).

    Returns
    -------
    BatchResult

    Raises
    ------
    BatchError
        bad arguments or an unreachable scheduler (before any county runs).

    Connecting, resuming, submitting and collecting share the Dask client's lifetime (opened and closed
    here).
    """

    t_wall = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out {out} is a file, not a folder; give a folder to write the batch into")
    steps_t = normal_steps(steps)
    if time_limit_s is not None and not (time_limit_s > 0):
        raise BatchError(f"--time-limit must be a positive number of seconds, got {time_limit_s}")
    if effort is not None:
        try:
            check_effort(effort)
        except CultureLogisticsError as exc:
            raise BatchError(str(exc)) from None
    if workers is not None and workers < 1:
        raise BatchError(f"--workers must be at least 1, got {workers}")
    seed = DEFAULT_SEED if seed is None else int(seed)
    jobs = plan_counties(province, counties, data_dir)
    if not jobs:
        raise BatchError("no counties to plan")
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()

    outcomes: dict[str, CountyOutcome] = {}
    todo: list[tuple[CountyJob, str, dict]] = []
    for job in jobs:
        digest, params = job_digest(job, steps_t, time_limit_s, seed, lang, effort)
        prev = _resumed(job, out, digest)
        if prev is not None:
            outcomes[job.adcode] = prev
        else:
            todo.append((job, digest, params))
    n_workers = 0
    own_cluster = None
    close_client = False
    if todo and client is None:  # connect first: a bad address fails before anything is drawn or written
        n = workers or os.cpu_count() or 1
        client, own_cluster = _connect(scheduler, min(n, len(todo)) if not scheduler else n)
        close_client = True
        if client is None and echo is not None:
            echo("note: the local Dask cluster did not start (a worker nanny failed); running the counties in "
                 "this process")
    bar = None
    t_compute = time.perf_counter()
    try:
        if todo and client is not None:
            try:
                n_workers = _wait_for_workers(client, scheduler)
            except BatchError:
                if scheduler:
                    raise
                n_workers = 0       # a local cluster whose workers never came up: in-process below
        bar = _Progress(len(jobs), progress, lang)
        for _ in range(len(outcomes)):
            bar.advance("skipped")
        t_compute = time.perf_counter()
        bar.start_clock()
        if todo:
            on_cluster = client if n_workers else None
            outcomes.update(_submit_all(on_cluster, todo, out, steps_t, time_limit_s, seed, bar, echo, lang, effort))
    finally:
        if bar is not None:
            bar.close()
        if close_client:
            _close_quietly(client, own_cluster)
    compute_s = time.perf_counter() - t_compute
    ordered = [outcomes[j.adcode] for j in jobs]
    result = BatchResult(out, ordered, reach_table(ordered), failure_table(ordered), steps_t, 0.0, compute_s,
                         n_workers, scheduler, effort=effort)
    result.files = write_province_outputs(result)
    result.map_bytes = result.files["province_map.html"].stat().st_size
    result.wall_s = time.perf_counter() - t_wall

    result.files["batch_summary.json"] = write_json(result.summary(), out / "batch_summary.json")
    partial = out / PARTIAL_DIR
    if partial.is_dir() and not any(partial.iterdir()):
        partial.rmdir()
    return result


#: times a county is given to another worker after the worker running it died (kill -9, out of memory)
LOST_WORKER_RETRIES = 2


def _submit_all(client, todo, out: Path, steps_t, time_limit_s, seed, bar: _Progress, echo, lang="en",
                effort=None) -> dict:
    """Every county's outcome: on the cluster, a county whose worker died given to a fresh worker (at most
    :data:`LOST_WORKER_RETRIES` times), and every county in this process when there is no usable cluster
    (``client`` None, or the cluster itself fails, e.g. a nanny that cannot restart its worker)."""
    results: dict[str, CountyOutcome] = {}
    args = {job.adcode: (job, str(out), steps_t, time_limit_s, seed, digest, params, lang, effort)
            for job, digest, params in todo}
    # the largest counties first, so that the last tasks to finish are short ones
    order = [job for job, _, _ in sorted(todo, key=lambda t: (-t[0].villages_hint, t[0].adcode))]
    if client is not None:
        try:
            _on_cluster(client, order, args, results, bar, echo)
        except Exception as exc:  # noqa: BLE001 - the cluster broke (nanny failed to start, scheduler gone)
            if echo is not None:
                echo(f"note: the Dask cluster failed ({type(exc).__name__}: {one_line(str(exc))[:200]}); running the "
                     f"{len(order) - len(results)} remaining counties in this process")
    for job in order:
        if job.adcode not in results:
            _record(results, job, run_county(*args[job.adcode]), bar, echo)
    return results


def _on_cluster(client, order, args, results: dict, bar: _Progress, echo) -> None:
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {}
    lost = dict.fromkeys(args, 0)

    def submit(job):
        key = f"culture-logistics-county-{job.adcode}-{token}-{lost[job.adcode]}"
        fut = client.submit(run_county, *args[job.adcode], key=key, pure=False, retries=0)
        futures[fut] = job
        return fut

    try:
        _collect(as_completed([submit(job) for job in order]), futures, submit, lost, results, bar, echo)
    except Exception:
        try:        # nothing of this cluster may still write a county the caller now runs in-process
            client.cancel(list(futures), force=True)
        except Exception:  # noqa: BLE001 - the cluster is already broken
            pass
        raise


def _collect(pending, futures: dict, submit, lost: dict, results: dict, bar: _Progress, echo) -> None:
    for fut in pending:
        job = futures.pop(fut)
        try:
            outcome = fut.result()
        except Exception as exc:  # noqa: BLE001 - the worker died (KilledWorker) or the task was lost
            lost[job.adcode] += 1
            fut.release()
            if lost[job.adcode] <= LOST_WORKER_RETRIES:
                pending.add(submit(job))
                continue
            outcome = lost_outcome(job, exc, note=f"{lost[job.adcode]} workers died running this county: ")
        _record(results, job, outcome, bar, echo)
        fut.release()


def _record(results: dict, job: CountyJob, outcome: CountyOutcome, bar: _Progress, echo) -> None:
    results[job.adcode] = outcome
    if outcome.status == "ok":
        bar.advance("done")
    else:
        bar.advance("failed")
        if echo is not None:
            f = outcome.failure or {}
            echo(f"{job.adcode} {job.name}: failed at {f.get('step')}: {f.get('error_type')}: "
                 f"{f.get('message', '')[:200]}")
