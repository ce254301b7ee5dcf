"""The province tables and outputs of a batch.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from culture_logistics.batch.county import CountyOutcome
from culture_logistics.batch.jobs import DONE_FILE, FAILURE_COLUMNS, REACH_COLUMNS
from culture_logistics.kpis.indicators import KPI_COLUMNS
from culture_logistics.reports.maps.base import render_map
from culture_logistics.reports.maps.province import province_map
from culture_logistics.reports.numbers import pct
from culture_logistics.reports.writers import atomic_write_text, write_csv


@dataclass
class BatchResult:
    """The outcome of a batch.

    Attributes
    ----------
    out_dir : the batch folder.
    outcomes : one :class:`CountyOutcome` per county, sorted by adcode.
    reach : the ``province_reach.csv`` table; ``failures`` the ``failures.csv`` table.
    wall_s : wall time of the whole batch (s), cluster start-up included; ``compute_s`` from the first
        submission to the last result.
    workers : number of Dask workers; ``scheduler`` the scheduler address (``None`` for a LocalCluster).
    files : {name: path} of the province files written.
    effort : ``batch --effort`` (the routing work budget's multiplier in every county), None when not given.
    """

    out_dir: Path
    outcomes: list[CountyOutcome]
    reach: pd.DataFrame
    failures: pd.DataFrame
    steps: tuple[str, ...]
    wall_s: float
    compute_s: float
    workers: int
    scheduler: str | None
    files: dict = field(default_factory=dict)
    map_bytes: int = 0
    effort: float | None = None

    @property
    def done(self) -> list[CountyOutcome]:
        return [o for o in self.outcomes if o.status == "ok"]

    @property
    def failed(self) -> list[CountyOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def skipped(self) -> list[CountyOutcome]:
        """Counties finished by an earlier run (read back, not recomputed)."""
        return [o for o in self.outcomes if o.resumed]

    def peak_rss_mb_by_worker(self) -> dict[str, float]:
        """Largest peak resident memory (MB) seen in each worker process, over the counties it ran."""
        out: dict[str, float] = {}
        for o in self.outcomes:
            if not o.resumed and o.worker:
                out[o.worker] = max(out.get(o.worker, 0.0), o.peak_rss_mb)
        return dict(sorted(out.items()))

    def summary(self) -> dict:
        ok = [o for o in self.outcomes if o.status == "ok"]
        vil = sum(int(o.row["villages"]) for o in ok if o.row["villages"])
        reached = sum(int(o.row["villages_reached"]) for o in ok if o.row["villages_reached"])
        pop = sum(int(o.row["population"]) for o in ok if o.row["population"])
        pop_r = sum(int(o.row["population_reached"]) for o in ok if o.row["population_reached"])
        computed = [o for o in self.outcomes if not o.resumed]
        return {
            "out_dir": str(self.out_dir), "steps": list(self.steps), "workers": self.workers,
            "scheduler": self.scheduler, "counties": len(self.outcomes), "ok": len(ok),
            "failed": len(self.failed), "skipped_already_done": len(self.skipped),
            "computed": len(computed), "villages": vil, "villages_reached": reached,
            "reach_rate": round(reached / vil, 4) if vil else 0.0, "population": pop,
            "population_reached": pop_r, "wall_s": round(self.wall_s, 2), "compute_s": round(self.compute_s, 2),
            "counties_per_s": round(len(computed) / self.compute_s, 3) if self.compute_s > 0 else None,
            "task_seconds_total": round(sum(o.seconds for o in computed), 2),
            "task_cpu_seconds_total": round(sum(o.cpu_seconds for o in computed), 2),
            "peak_rss_mb_by_worker": self.peak_rss_mb_by_worker(),
            "map_bytes": self.map_bytes,
            "county_seconds": {o.adcode: o.seconds for o in computed},
            "step_seconds_total": step_totals(computed),
            "county_step_seconds": {o.adcode: dict(o.step_seconds) for o in computed},
        } | ({} if self.effort is None else {"effort": float(self.effort)})


def _pct_of(num: str, den: str) -> str:
    """``num / den`` in percent with one decimal (the report's rounding), ``""`` when ``den`` is 0 or missing."""
    if not num or not den or int(den) == 0:
        return ""
    return f"{pct(int(num) / int(den)):.1f}"


def reach_row(row: dict) -> dict:
    """One county's ``province_reach.csv`` row from its stored outcome row: reach rates in percent (0–100, one
    decimal, as the county report shows them), ``sites_mclp`` the sites chosen with at most K (the report's
    siting table, ``siting/summary.json``) and ``sites_lscp`` the fewest sites that reach every gap village
    (the report's LSCP line).  Rows stored by earlier versions (``reach_rate`` a fraction, ``sites_proposed``
    the LSCP count) are read the same way."""
    out = {k: ("" if v is None else str(v)) for k, v in row.items()}
    out["village_reach_pct"] = _pct_of(out.get("villages_reached", ""), out.get("villages", ""))
    out["population_reach_pct"] = _pct_of(out.get("population_reached", ""), out.get("population", ""))
    out["sites_lscp"] = out.get("sites_lscp", out.get("sites_proposed", ""))
    out["sites_mclp"] = out.get("sites_mclp", "")
    return {c: out.get(c, "") for c in REACH_COLUMNS}


def step_totals(outcomes: Sequence[CountyOutcome]) -> dict[str, float]:
    """Wall seconds per step (input, load, coverage, site, route) summed over ``outcomes``, in that order."""
    out: dict[str, float] = {}
    for o in outcomes:
        for k, v in o.step_seconds.items():
            out[k] = out.get(k, 0.0) + float(v)
    order = ("input", "load", "coverage", "site", "route")
    keys = sorted(out, key=lambda k: (order.index(k) if k in order else len(order), k))
    return {k: round(out[k], 2) for k in keys}


def reach_table(outcomes: Sequence[CountyOutcome]) -> pd.DataFrame:
    """``province_reach.csv``: one row per county (``REACH_COLUMNS``, text, see :func:`reach_row`), by adcode."""
    rows = [reach_row(o.row) for o in sorted(outcomes, key=lambda o: o.adcode)]
    return pd.DataFrame(rows, columns=REACH_COLUMNS, dtype=str)


def failure_table(outcomes: Sequence[CountyOutcome]) -> pd.DataFrame:
    """``failures.csv``: one row per failed county (``FAILURE_COLUMNS``), sorted by adcode."""
    rows = [o.failure for o in sorted(outcomes, key=lambda o: o.adcode) if o.failure]
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS, dtype=str)


#: province_kpis.csv: the county, then its kpis.csv row
PROVINCE_KPI_COLUMNS = ["adcode", "name"] + KPI_COLUMNS


def kpi_table(outcomes: Sequence[CountyOutcome], out_dir: str | Path) -> pd.DataFrame:
    """``province_kpis.csv``: every row of each finished county's ``<adcode>/kpis.csv`` (text, as written), the
    county's adcode and name first, counties by adcode; a county finished by a version that wrote no kpis.csv
    has no rows."""
    parts = []
    for o in sorted(outcomes, key=lambda o: o.adcode):
        path = Path(out_dir) / o.adcode / "kpis.csv"
        if o.status != "ok" or not path.is_file():
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        df.insert(0, "name", o.name)
        df.insert(0, "adcode", o.adcode)
        parts.append(df)
    if not parts:
        return pd.DataFrame(columns=PROVINCE_KPI_COLUMNS, dtype=str)
    return pd.concat(parts, ignore_index=True).reindex(columns=PROVINCE_KPI_COLUMNS)


def write_province_outputs(result: BatchResult) -> dict[str, Path]:
    """Write ``province_reach.csv``, ``province_kpis.csv``, ``failures.csv`` and ``province_map.html`` into the
    batch folder."""

    out = Path(result.out_dir)
    html_text = render_map(province_map(result.outcomes, out))
    stale = out / "logs"
    failed = {o.adcode for o in result.outcomes if o.status == "failed"}
    if stale.is_dir():  # logs of counties that have since succeeded
        for log in stale.glob("*.log"):
            if log.stem not in failed and (out / log.stem / DONE_FILE).exists():
                log.unlink()
    return {
        "province_reach.csv": write_csv(result.reach, out / "province_reach.csv"),
        "province_kpis.csv": write_csv(kpi_table(result.outcomes, out), out / "province_kpis.csv"),
        "failures.csv": write_csv(result.failures, out / "failures.csv"),
        "province_map.html": atomic_write_text(out / "province_map.html", html_text),
    }
