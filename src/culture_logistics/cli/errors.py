"""How a stage command reports a user mistake when it runs on its own (``python -m …cli_<stage>``).

Inside ``culture-logistics`` the CLI group does the same; this keeps each stage command usable alone.
"""
from __future__ import annotations

import sys

import click

from culture_logistics.errors import CultureLogisticsError, ScenarioError

EXIT_INVALID = 2


def exit_on_user_error(run, *args, **kwargs):
    """Call ``run``; a ScenarioError or CultureLogisticsError becomes a message and exit code 2."""
    try:
        return run(*args, **kwargs)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        click.echo("The input is invalid; nothing was written. Fix the problems above and run again.", err=True)
        sys.exit(EXIT_INVALID)
    except CultureLogisticsError as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo("Nothing was written.", err=True)
        sys.exit(EXIT_INVALID)
