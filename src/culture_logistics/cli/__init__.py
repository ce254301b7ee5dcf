"""The command line: ``culture-logistics`` and its commands, one module each.

The CLI only parses arguments, calls the application layer (:mod:`culture_logistics.app`) and formats its
results; errors are reported by one handler (:mod:`culture_logistics.cli.errors`).  The commands register on the
group in :mod:`culture_logistics.cli.main`, which loads each one when it is asked for.
"""
from __future__ import annotations

from culture_logistics.cli.main import main

__all__ = ["main"]
