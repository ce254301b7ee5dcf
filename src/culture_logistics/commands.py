"""Registers the stage commands on the CLI group; each command module imports its stage lazily."""
from __future__ import annotations

from .cli import main
from .cli_batch import batch
from .cli_coverage import coverage
from .cli_routing import route, solve_vrp
from .cli_siting import site

for command in (coverage, site, route, solve_vrp, batch):
    main.add_command(command)
