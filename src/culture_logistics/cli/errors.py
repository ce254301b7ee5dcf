"""The one place where the CLI turns an exception into a message and an exit code.

Every command runs through :func:`guarded` (the ``culture-logistics`` group does, and each stage command does
when run on its own with ``python -m culture_logistics.cli.<stage>``): a user's mistake becomes the list of
problems and exit code 2, a solver failure or a bug one line and exit code 1 (``--debug`` shows the
traceback), an interrupt exit code 130.  Output piped into a reader that stops early (``… | head -3``) is
not an error: the command stops quietly with exit code 141, as a Unix tool killed by SIGPIPE does
(Python docs, "Note on SIGPIPE").  The codes are defined once, in :mod:`culture_logistics.errors`.
"""
from __future__ import annotations

import errno
import functools
import os
import select
import sys

import click

from culture_logistics.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    CultureLogisticsError,
    ScenarioError,
)

MAX_WARNINGS_SHOWN = 50


#: an OSError with one of these is the output folder's fault (read-only, full, not a folder), not a bug
OUTPUT_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
                           errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.EEXIST})


#: a value quoted in a message is cut to this many characters
MAX_QUOTED_CHARS = 80


def cut(value, n: int = MAX_QUOTED_CHARS) -> str:
    """``value`` as text of at most ``n`` characters ("…" where it was cut)."""
    s = str(value)
    return s if len(s) <= n else s[: n - 1] + "…"


def output_error_message(exc: OSError) -> str:
    """The one-line message of an output folder that cannot be written (see :data:`OUTPUT_ERRNOS`)."""
    where = f" {cut(exc.filename)}" if exc.filename else ""
    return (f"error: cannot write{where}: {exc.strerror or exc}\n"
            "Choose an --out folder you can write to, on a disk with free space, and run again.")


def echo_problems(problems, err: bool = True) -> None:
    """Every error, then at most :data:`MAX_WARNINGS_SHOWN` warnings, one per line."""
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if errors:
        click.echo(f"{len(errors)} error(s):", err=err)
        for p in errors:
            click.echo(f"  ERROR   {p}", err=err)
    if warnings:
        click.echo(f"{len(warnings)} warning(s):", err=err)
        for p in warnings[:MAX_WARNINGS_SHOWN]:
            click.echo(f"  WARNING {p}", err=err)
        if len(warnings) > MAX_WARNINGS_SHOWN:
            click.echo(f"  … and {len(warnings) - MAX_WARNINGS_SHOWN} more warnings", err=err)


def fail(message: str, code: int = EXIT_INVALID) -> None:
    """Print ``message`` on stderr and exit with ``code`` (a bad option: nothing was written).

    A stderr whose reader has gone (``2>&1 | head -1``) loses the message but not the exit code.
    """
    _quietly(functools.partial(click.echo, message, err=True))
    sys.exit(code)


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    return bool(root and isinstance(root.obj, dict) and root.obj.get("debug"))


def _closed_outputs() -> list[int]:
    """The file descriptors of stdout and stderr whose reader has gone (a pipe whose read end is closed).

    ``poll`` reports ``POLLERR`` on such a pipe (Linux, macOS); where ``poll`` is missing (Windows) stdout
    is taken to be the one.
    """
    fds = []
    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):  # replaced by a StringIO (tests), or closed
            continue
        if not hasattr(select, "poll"):
            return [fd]
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        if any(events & select.POLLERR for _, events in poller.poll(0)):
            fds.append(fd)
    return fds


def _silence_closed_outputs() -> bool:
    """Point stdout/stderr at /dev/null where their reader has gone, so that no later write (nor the
    interpreter's final flush) fails again; ``False`` when neither was closed (the broken pipe is another)."""
    fds = _closed_outputs()
    if fds:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in fds:
            os.dup2(devnull, fd)
        os.close(devnull)
    return bool(fds)


def _quietly(write) -> None:
    """Call ``write()``; a closed stdout/stderr is silenced instead of raising ``BrokenPipeError``."""
    try:
        write()
    except BrokenPipeError:
        if not _silence_closed_outputs():
            raise


def guarded(run, *args, **kwargs):
    """Call ``run(*args, **kwargs)``; report any exception as described in the module docstring."""
    try:
        return run(*args, **kwargs)
    except ScenarioError as exc:
        _quietly(functools.partial(echo_problems, exc.problems))
        fail("The input is invalid; nothing was written. Fix the problems above and run again.")
    except CultureLogisticsError as exc:
        if exc.exit_code == EXIT_INVALID:
            fail(f"error: {exc}\nNothing was written.")
        fail(f"error: {exc}", exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted; outputs already written are complete, the rest were not written", EXIT_INTERRUPTED)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
        raise
    except Exception as exc:  # a bug: one line, plus the traceback only on request
        if isinstance(exc, BrokenPipeError) and _silence_closed_outputs():
            sys.exit(EXIT_BROKEN_PIPE)  # `culture-logistics … | head`: the reader has all it wanted
        if isinstance(exc, OSError) and exc.errno in OUTPUT_ERRNOS and not _debug():
            fail(output_error_message(exc), EXIT_INVALID)
        if _debug():
            raise
        fail(f"internal error: {type(exc).__name__}: {exc}\n"
             "This is a bug in culture-logistics; run again with --debug and report the traceback.", EXIT_FAILED)


def guard(command_fn):
    """Decorator: run a click command's callback through :func:`guarded`."""
    @functools.wraps(command_fn)
    def wrapper(*args, **kwargs):
        return guarded(command_fn, *args, **kwargs)
    return wrapper
