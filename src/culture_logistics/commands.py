"""Registers the stage commands on the CLI group; each command module imports its stage lazily."""
from __future__ import annotations

from .cli import main
from .cli_coverage import coverage
from .cli_siting import site

main.add_command(coverage)
main.add_command(site)
