"""Progress and warnings from the library to whoever drives it, without printing.

The library never prints.  A long-running call (``run_demo``, routing, siting, OSM import …) takes
an optional ``progress`` callable and reports through it::

    progress(event: str, **fields) -> None

Events (``fields`` always include ``stage`` and ``message``; more may be added, so read them with
``fields.get``):

``"stage"``
    a stage started or finished (``message`` is one human line; ``seconds`` when it finished).
``"model"``
    one solver model or one unit of work inside a stage (``message``; optional ``index``/``total``).
``"warning"``
    something the user should know and may want to fix (a station over its capacity, a village off the
    road network); ``message`` is one human line.

The CLI turns the events into one line each (or a bar on a terminal); a test collects them in a list.
This module sits at the bottom layer (beside :mod:`culture_logistics.errors`), so every layer may use it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

EVENTS = ("stage", "model", "warning")


class Progress(Protocol):
    """What a ``progress`` argument is: ``progress(event, **fields)`` (see the module docstring)."""

    def __call__(self, event: str, **fields) -> None: ...


def null_progress(event: str, **fields) -> None:
    """A progress callback that ignores everything (the default)."""


def emit(progress: Progress | None, event: str, stage: str, message: str, **fields) -> None:
    """Send one event when ``progress`` is given (``None`` is silently nothing)."""
    if progress is not None:
        progress(event, stage=stage, message=message, **fields)


def line_reporter(progress: Progress | None, stage: str, event: str = "model") -> Callable[[str], None] | None:
    """Adapt ``progress`` to an older callback that takes one line of text (e.g. the routing planner's).

    Returns ``None`` when ``progress`` is ``None``, so callees that skip work for ``None`` still do.
    """
    if progress is None:
        return None

    def report(line: str) -> None:
        progress(event, stage=stage, message=str(line))

    return report


class Collector:
    """A progress callback that keeps every event: ``[(event, fields), …]`` (for tests and batch logs)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def __call__(self, event: str, **fields) -> None:
        self.events.append((event, dict(fields)))

    def messages(self, event: str | None = None) -> list[str]:
        return [f.get("message", "") for e, f in self.events if event is None or e == event]
