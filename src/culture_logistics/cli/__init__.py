"""The command line: ``culture-logistics`` and its commands, one module each.

The CLI only parses arguments, calls the library and formats its results; errors are
reported by one handler (:mod:`culture_logistics.cli.errors`).
"""
from __future__ import annotations

from culture_logistics.cli.batch import batch
from culture_logistics.cli.coverage import coverage
from culture_logistics.cli.import_osm import import_osm_cmd
from culture_logistics.cli.main import main
from culture_logistics.cli.report import report
from culture_logistics.cli.routing import route, solve_vrp
from culture_logistics.cli.siting import site

for _command in (coverage, site, route, solve_vrp, batch, import_osm_cmd, report):
    main.add_command(_command)

__all__ = ["main"]
