"""Turning the library's progress events into terminal lines (see :mod:`culture_logistics.progress`).

``"stage"`` lines go to stdout (the run's summary); ``"model"`` lines and ``"warning"`` lines go to
stderr, one line each, so a redirected stdout stays the summary.  On a terminal the model lines are
dimmed and warnings yellow (rich); in a pipe or a log they are plain text.
"""
from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape


def printer(quiet: bool = False, warnings: bool = True, lang: str = "en"):
    """A ``progress(event, **fields)`` callback that prints each event as one line.

    Parameters
    ----------
    quiet : do not print ``"model"`` lines (one per solver model).
    warnings : print ``"warning"`` lines (off where the command lists the warnings itself).
    lang : language of the line's own word (``WARNING`` / ``警告``); the messages come in the run's language.
    """
    tty = sys.stderr.isatty()
    console = Console(stderr=True, highlight=False) if tty else None
    counts = {"warning": 0}

    def progress(event: str, **fields) -> None:
        message = str(fields.get("message", ""))
        stage = fields.get("stage", "")
        if event == "stage":
            click.echo(message)
        elif event == "model" and not quiet:
            line = f"  [{stage}] {message}"
            if console:
                console.print(f"[dim]{escape(line)}[/dim]")
            else:
                click.echo(line, err=True)
        elif event == "warning" and warnings:
            counts["warning"] += 1
            line = f"  {'警告' if lang == 'zh' else 'WARNING'} [{stage}] {message}"
            if console:
                console.print(f"[yellow]{escape(line)}[/yellow]")
            else:
                click.echo(line, err=True)

    progress.counts = counts  # type: ignore[attr-defined]  # the caller reads the counts off the function
    return progress
