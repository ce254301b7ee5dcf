"""Command-line options shared by several commands (click only: imported at start-up)."""
from __future__ import annotations

import click

#: ``--effort`` of ``route``, ``demo`` and ``batch``: replaces ``[routing] effort``
#: (:func:`culture_logistics.app.options.with_effort`); the figures are benchmarks/bench_budget_sweep.py's (K, L).
effort_option = click.option(
    "--effort", type=float, default=None, metavar="X",
    help="Multiply every routing solve's deterministic work budget by X (0 < X ≤ 4): less plans faster at a slightly "
         "higher cost, e.g. 0.25 in 0.27 of the solver time at +1.6 % [default: the scenario's [routing] effort, "
         "else 1].")
