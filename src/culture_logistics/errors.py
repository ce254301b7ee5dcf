"""Specific exceptions and the problem list that validation collects.

Every user mistake becomes a :class:`Problem` naming the file, the row (1-based,
counting the header as row 1 so it matches what a spreadsheet shows) and the
column, with a hint on how to fix it.  Loading collects all problems and raises
one :class:`ScenarioError` carrying the whole list, so a user sees every
mistake at once instead of fixing them one run at a time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: exit codes of every command, defined once
EXIT_OK = 0
EXIT_FAILED = 1        # an internal error (a bug), a solver failure, or (batch) a county that failed
EXIT_INVALID = 2       # the input is invalid: every problem listed, nothing written
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # stdout closed by its reader (`… | head`): 128 + SIGPIPE, as the shell reports for Unix tools


class CultureLogisticsError(Exception):
    """Base class of every error this package raises on purpose.

    Every error a user can cause (a bad file, a bad setting, an impossible request) is one; the CLI reports
    it as a message and exits with :attr:`exit_code` (2: invalid input, nothing written).
    """

    exit_code = EXIT_INVALID


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in the user's input."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


@dataclass
class ProblemList:
    """Collects problems while reading; raise :class:`ScenarioError` when done."""

    items: list[Problem] = field(default_factory=list)

    def error(self, file, message, row=None, column=None, hint=None) -> None:
        self.items.append(Problem(_name(file), message, row, column, hint, "error"))

    def warning(self, file, message, row=None, column=None, hint=None) -> None:
        self.items.append(Problem(_name(file), message, row, column, hint, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ScenarioError(self.items)


def _name(file) -> str:
    return str(file) if not isinstance(file, Path) else str(file)


class ScenarioError(CultureLogisticsError):
    """The scenario's files have one or more errors; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        lines = [f"{len(errors)} problem(s) in the input:"]
        lines += [f"  - {p}" for p in errors]
        super().__init__("\n".join(lines))

    def __reduce__(self):  # pickled from a worker process (routing.parallel): rebuilt from its problems
        return (type(self), (self.problems,))


class InfeasibleError(CultureLogisticsError):
    """An optimisation model has no solution with the given parameters."""


class SolverError(CultureLogisticsError):
    """A solver failed or returned no usable result (not the user's input: exit code 1)."""

    exit_code = EXIT_FAILED


class InputTooLargeError(CultureLogisticsError):
    """An input file is far larger than any county could need."""
