"""The official indicators of a finished output folder (the step of ``report`` and ``demo`` before the page).

:func:`folder_kpis` reads the tables the stages wrote (``village_reach.csv``; the shared plan's
``routing/shared/route_plan.csv`` and ``unserved.csv``; ``routing/summary.json``) and computes the indicators
(:func:`culture_logistics.kpis.indicators.compute_kpis`); :func:`write_folder_kpis` also writes ``kpis.csv``, the
``upload/`` tables and ``kpis`` in the folder's ``summary.json`` (:mod:`culture_logistics.reports.kpis`).
A stage that belongs to another county (a reused folder) is not read.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from culture_logistics.config.routing import RoutingParams
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.inputs.scenario import Scenario
from culture_logistics.kpis.indicators import KpiInputs, KpiTable, compute_kpis
from culture_logistics.reports.kpis import add_to_summary, write_kpis

#: text columns of the plan tables (codes keep their leading zeros)
_TEXT = {c: str for c in ("route_id", "vehicle_id", "operator", "echelon", "stop_id", "stop_name", "stop_kind",
                          "service_point_id", "village_code", "township_code", "depot_id")}


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=_TEXT, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise CultureLogisticsError(f"{path}: not a readable table ({exc}); run `culture-logistics report` with "
                                    "--rerun to write it again") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise CultureLogisticsError(f"{path}: column(s) {', '.join(missing)} missing; the file is not the one this "
                                    "version writes — run with --rerun")
    for c in _TEXT:
        if c in df.columns:
            df[c] = df[c].fillna("")
    return df


def folder_kpis(scn: Scenario, out_dir: str | Path, stages: dict[str, dict]) -> KpiTable | None:
    """The indicators of ``out_dir`` (``stages``: the folder's stage summaries of this county); None without a
    coverage stage."""
    out = Path(out_dir)
    if "coverage" not in stages or not (out / "village_reach.csv").is_file():
        return None
    villages = _read(out / "village_reach.csv", ("village_code", "township_code", "reached_any", "distance_m"))
    plan = unserved = None
    routing = stages.get("routing")
    shared = out / "routing" / "shared"
    if routing is not None and (shared / "route_plan.csv").is_file():
        plan = _read(shared / "route_plan.csv", ("route_id", "echelon", "seq", "stop_id", "stop_kind", "delivered",
                                                  "picked_up", "arrival_min", "departure_min", "service_start_min",
                                                  "service_point_id", "trip"))
        if (shared / "unserved.csv").is_file():
            unserved = _read(shared / "unserved.csv", ("stop_id", "stop_kind", "delivery"))
    return compute_kpis(KpiInputs(scn, villages, plan, unserved, routing, RoutingParams.from_scenario(scn)))


def write_folder_kpis(scn: Scenario, out_dir: str | Path, stages: dict[str, dict]) -> KpiTable | None:
    """:func:`folder_kpis`, then write ``kpis.csv``, ``upload/*.csv`` and ``kpis`` in ``out_dir/summary.json``."""
    table = folder_kpis(scn, out_dir, stages)
    if table is not None:
        write_kpis(table, out_dir)
        add_to_summary(table, Path(out_dir) / "summary.json")
    return table
