"""Readers for the scenario's input files (villages, facilities, townships, roads).

Each reader records every problem it finds in a :class:`ProblemList` (file,
row, column, how to fix) rather than stopping at the first, and returns what it
could read.  Rows are numbered as a spreadsheet shows them: the header is row 1,
the first data row is row 2.

A table is a CSV file or one sheet of a workbook (.xlsx; see :mod:`culture_logistics.inputs.xlsx`);
its header may use the aliases of :mod:`culture_logistics.inputs.aliases` (Chinese headers) and may sit
below a title row.  CSV files are read as UTF-8 (with or without BOM) or, failing that, GB18030 (a
superset of GBK, which Excel uses on Chinese Windows).  Every value is read as
text, so codes keep their leading digits.

Untrusted input (see docs/SECURITY.md): files are streamed, never read whole, and
every limit below ends in a problem that names the file and the limit — a file far
larger than a county (:data:`MAX_CSV_BYTES`, :data:`MAX_CSV_ROWS`,
:data:`MAX_LINE_CHARS`, :data:`MAX_ROAD_BYTES`, :data:`MAX_ROAD_FEATURES`), a value
with control characters, a number that is not finite or not plausible.  A reader
never raises for bad content: it records problems and returns ``None``.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import itertools
import math
import re
import stat as _stat
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from culture_logistics.errors import ProblemList
from culture_logistics.inputs.aliases import canonical_header
from culture_logistics.inputs.xlsx import WORKBOOK_SUFFIXES, is_workbook, sheet_rows

MAX_CSV_BYTES = 200_000_000         # a county's tables are a few MB; far larger is a mistake


MAX_CSV_ROWS = 200_000              # China's largest county has < 5,000 village units


MAX_FIELD_CHARS = 10_000


MAX_LINE_CHARS = 1_000_000          # one physical line; bounds the memory of a single row


MAX_BAD_ROWS = 100                  # malformed rows reported before giving up on a file


_CHUNK = 1 << 20


# C0/C1 control characters (and DEL) and the bidirectional overrides that can disguise text
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def regular_file_size(path: Path, problems: ProblemList, what: str, hint: str) -> int | None:
    """Size of ``path`` when it is a readable regular file, else ``None`` with a problem recorded."""
    try:
        st = path.stat()
    except FileNotFoundError:
        problems.error(path, "file not found", hint=hint)
        return None
    except (OSError, ValueError) as exc:  # permission, name too long, NUL in the name …
        problems.error(path, f"cannot be read ({getattr(exc, 'strerror', None) or exc})", hint=hint)
        return None

    if _stat.S_ISDIR(st.st_mode):
        problems.error(path, f"is a folder, not a {what}", hint=f"name the {what} itself in scenario.toml [inputs]")
        return None
    if not _stat.S_ISREG(st.st_mode):
        problems.error(path, f"is not a regular file (a device, pipe or socket), not a {what}",
                       hint=f"name a {what} in scenario.toml [inputs]")
        return None
    return st.st_size


def _sniff_encoding(path: Path, problems: ProblemList) -> tuple[str | None, bool]:
    """One streaming pass: NUL bytes, and UTF-8 (BOM optional) or else GB18030.

    Returns (python codec name or None when unusable, whether the text has anything but whitespace).
    """
    for enc in ("utf-8-sig", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)()
        content = False
        try:
            with open(path, "rb") as fh:
                read = 0
                while True:
                    chunk = fh.read(_CHUNK)
                    read += len(chunk)
                    if read > MAX_CSV_BYTES:  # the file grew since stat()
                        problems.error(path, f"is larger than {MAX_CSV_BYTES / 1e6:.0f} MB, far larger than any "
                                       f"county table (limit {MAX_CSV_BYTES / 1e6:.0f} MB)",
                                       hint="split the province into counties; each county's table is a few MB")
                        return None, False
                    final = not chunk
                    if b"\x00" in chunk:
                        problems.error(path, "contains NUL bytes: it is not a text CSV file",
                                       hint="export the sheet as 'CSV UTF-8' from Excel or WPS")
                        return None, False
                    text = dec.decode(chunk, final)
                    if not content and text.strip():
                        content = True
                    if final:
                        break
        except UnicodeDecodeError:
            continue
        except OSError as exc:
            problems.error(path, f"cannot be read ({exc.strerror or exc})")
            return None, False
        return enc, content
    problems.error(path, "is neither UTF-8 nor GBK/GB18030 text", hint="save it as 'CSV UTF-8'")
    return None, False


class _LineTooLong(Exception):
    pass


def _bounded_lines(fh):
    """The lines of a text file, each at most MAX_LINE_CHARS (never reads a longer line whole)."""
    while True:
        line = fh.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise _LineTooLong
        yield line


def read_table(path: Path | MemoryTable, problems: ProblemList, required: list[str], optional: Sequence[str] = (), *,
               aliases: dict[str, str] | None = None, sheet: str | None = None) -> pd.DataFrame | None:
    """Read a CSV file or one sheet of a workbook into a DataFrame of stripped strings, checking its columns.

    Parameters
    ----------
    path : a CSV (UTF-8 or GB18030) or a workbook (.xlsx, .xlsm, .xls, .ods — recognised by its content,
        whatever its name; see :mod:`culture_logistics.inputs.xlsx`).
    problems : where every problem is recorded.
    required, optional : the contract's columns.
    aliases : normalised header → contract column (:func:`culture_logistics.inputs.aliases.header_map`);
        ``None`` accepts only the contract's names.
    sheet : the workbook's sheet (default: the first); ignored for a CSV.

    Returns
    -------
    pandas.DataFrame or None
        ``None`` (with problems recorded) when the file cannot be used at all.  Columns are the contract's
        names; ``src_row`` is the row number a spreadsheet shows.  ``frame.attrs["source"]`` names the file
        (and sheet) for later problems, ``frame.attrs["headers"]`` maps each contract column to the header
        the file wrote.  The header is the first of the first :data:`HEADER_SEARCH_ROWS` non-blank rows
        that holds every required column (title rows above it are skipped).  Memory stays bounded by
        :data:`MAX_CSV_ROWS` rows of at most :data:`MAX_LINE_CHARS` characters whatever the file holds.
    """
    if isinstance(path, MemoryTable):  # a table in memory (Scenario.from_frames): the same header and row checks
        return _parse_rows(path.label, iter(path.rows), problems, required, optional, aliases)
    path = Path(path)
    size = regular_file_size(path, problems, "table (CSV or XLSX)",
                         "check the path in scenario.toml [inputs] (relative to the TOML file)")
    if size is None:
        return None
    if is_workbook(path):
        opened = sheet_rows(path, problems, sheet, MAX_CSV_ROWS)
        if opened is None:
            return None
        label, rows = opened
        return _parse_rows(label, rows, problems, required, optional, aliases, workbook=True)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        problems.error(path, f"is named {path.suffix} but is not an Excel workbook",
                       hint="save it from Excel or WPS as .xlsx, or rename a CSV file to .csv")
        return None
    if size > MAX_CSV_BYTES:
        problems.error(path, f"is {size / 1e6:.0f} MB, far larger than any county table (limit {MAX_CSV_BYTES / 1e6:.0f} MB)",
                       hint="split the province into counties; each county's table is a few MB")
        return None
    enc, content = _sniff_encoding(path, problems)
    if enc is None:
        return None
    if not content:
        problems.error(path, "is empty", hint=f"the first line must be the header: {','.join(required)}")
        return None
    try:
        with open(path, encoding=enc, newline="") as fh:
            return _parse_rows(path, _csv_rows(fh), problems, required, optional, aliases)
    except _LineTooLong:
        problems.error(path, f"has a line longer than {MAX_LINE_CHARS:,} characters (limit); "
                       "it is not a county table", hint="export the sheet as 'CSV UTF-8' from Excel or WPS")
        return None
    except _BadCsv as exc:
        problems.error(path, f"cannot be parsed as CSV: {exc.args[0]}", row=exc.args[1],
                       hint="check for an unmatched double quote")
        return None
    except UnicodeDecodeError:  # the file changed between the two passes
        problems.error(path, "changed while it was being read", hint="run again when nothing is writing it")
        return None
    except OSError as exc:
        problems.error(path, f"cannot be read ({exc.strerror or exc})")
        return None


class MemoryTable:
    """A table already in memory that :func:`read_table` checks like a file (see :mod:`culture_logistics.inputs.frames`).

    ``label`` names it in every problem (e.g. ``"villages (DataFrame)"``); ``rows`` holds (row number, cells as
    text) pairs, the header first (its row number ``None``: problems with the header name no row).
    """

    def __init__(self, label: str, rows: list[tuple[int | None, list[str]]]):
        self.label = label
        self.rows = rows

    def __str__(self) -> str:
        return self.label


class _BadCsv(Exception):
    """csv.Error with the line it happened on (args: message, line)."""


def _csv_rows(fh):
    """(line number, fields) of every CSV record; the number is the record's last physical line."""
    reader = csv.reader(_bounded_lines(fh))
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _BadCsv(str(exc), reader.line_num or 1) from exc
        yield reader.line_num, fields


#: the header row is looked for in this many non-blank rows (a title, a date or a blank row above it is common)
HEADER_SEARCH_ROWS = 10


def _find_header(rows, mapping: dict[str, str], required) -> tuple[int, list[str], list[str], list]:
    """Read rows until the header: (its row number, canonical names, headers as written, rows read after it).

    The header is the first of the first :data:`HEADER_SEARCH_ROWS` non-blank rows holding every required
    column; failing that the one holding most of them; failing that the first non-blank row (whose missing
    columns are then reported).
    """
    seen = []
    for number, fields in rows:
        if not fields or all(not str(f).strip() for f in fields):
            continue
        seen.append((number, fields))
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    best, best_hits = 0, -1
    for i, (_, fields) in enumerate(seen):
        names = {canonical_header(f, mapping) for f in fields}
        hits = sum(c in names for c in required)
        if hits == len(required):
            best = i
            break
        if hits > best_hits:
            best, best_hits = i, hits
    if not seen:
        return 1, [], [], []
    number, fields = seen[best]
    written = [str(f).strip().lstrip("\ufeff").strip() for f in fields]
    while written and not written[-1]:  # a workbook pads rows to the sheet's width
        written.pop()
    return number, [canonical_header(h, mapping) if h else "" for h in written], written, seen[best + 1:]


def _check_header(source, header, written, hrow, problems: ProblemList, required, optional) -> bool:
    """Missing, duplicate (also through aliases) and misspelt columns; False when the table is unusable."""
    ok = True
    for col in required:
        if col not in header:
            close = difflib.get_close_matches(col, header[:1000], n=1, cutoff=0.6)
            hint = (f"rename column '{short_text(close[0])}' to '{col}'" if close
                    else f"add a '{col}' column; the header must contain {', '.join(required)}")
            problems.error(source, f"missing column '{col}'", row=hrow, column=col, hint=hint)
            ok = False
    by_col: dict[str, list[str]] = {}
    for h, w in zip(header, written):
        if h:
            by_col.setdefault(h, []).append(w)
    for col in sorted(c for c, ws in by_col.items() if len(ws) > 1):
        ws = by_col[col]
        if len(set(ws)) == 1:
            problems.error(source, f"column '{short_text(col)}' appears more than once", row=hrow, column=short_text(col),
                           hint="keep one of them")
        else:
            shown = " and ".join(f"'{short_text(w)}'" for w in ws)
            problems.error(source, f"columns {shown} both mean '{col}'", row=hrow, column=short_text(ws[0]),
                           hint="keep one of them, or rename the other (e.g. start its name with '_' to ignore it)")
        ok = False
    if not ok:
        return False
    known = set(required) | set(optional)
    for h, w in zip(header, written):
        if h and h not in known and not h.startswith("_"):
            close = difflib.get_close_matches(h, list(known), n=1, cutoff=0.75)
            if close:
                problems.warning(source, f"column '{short_text(w)}' is not used", row=hrow, column=short_text(w),
                                 hint=f"did you mean '{close[0]}'?")
    return True


def _parse_rows(source, rows, problems: ProblemList, required, optional, aliases, *, workbook: bool = False
                ) -> pd.DataFrame | None:
    """The header found and checked, then every data row checked (see :func:`read_table`)."""
    mapping = aliases or {}
    hrow, header, written, pending = _find_header(rows, mapping, required)
    if not _check_header(source, header, written, hrow, problems, required, optional):
        return None
    width = len(header)
    kept: list = []
    numbers: list = []
    bad = 0
    for number, fields in itertools.chain(pending, rows):
        if not fields or all(not str(f).strip() for f in fields):
            continue  # blank line
        if len(kept) >= MAX_CSV_ROWS:
            problems.error(source, f"has more than {MAX_CSV_ROWS:,} rows (limit); a county has a few thousand "
                           "at most", hint="split the data by county")
            return None
        row_error = None
        if workbook and len(fields) != width:  # cells right of the header: an error when they hold a value
            extra = [i for i in range(width, len(fields)) if fields[i].strip()]
            if extra:
                row_error = (f"cell {_column_letter(extra[0])}{number} holds '{short_text(fields[extra[0]])}' in a "
                             "column without a header", None, "give the column a header, or delete the value")
            fields = (fields + [""] * width)[:width]
        row_error = row_error or _row_problem(fields, header)
        if row_error:
            message, col, hint = row_error
            problems.error(source, message, row=number, column=col, hint=hint)
            bad += 1
        else:
            kept.append([f.strip() for f in fields])
            numbers.append(number)
        if bad >= MAX_BAD_ROWS:
            problems.error(source, f"stopped reading after {MAX_BAD_ROWS} malformed rows: is it the right file?",
                           hint="export the sheet as 'CSV UTF-8' from Excel or WPS, or save it as .xlsx")
            return None
    frame = pd.DataFrame(kept, columns=header, dtype=object)
    frame["src_row"] = numbers
    for col in optional:
        if col not in frame.columns:
            frame[col] = ""
    frame.attrs["source"] = str(source)
    frame.attrs["headers"] = {h: w for h, w in zip(header, written) if h}
    return frame


def _row_problem(fields: list[str], header: list[str]) -> tuple[str, str | None, str | None] | None:
    """(message, column, hint) of the first thing wrong with one record's fields, else None."""
    if len(fields) != len(header):
        return (f"has {len(fields)} fields where the header has {len(header)}", None,
                "check for an unquoted comma in a name, or a missing value")
    long = [header[i] for i, f in enumerate(fields) if len(f) > MAX_FIELD_CHARS]
    if long:
        return f"a value is longer than {MAX_FIELD_CHARS:,} characters", short_text(long[0]), None
    for i, f in enumerate(fields):
        m = _CONTROL.search(f.strip())
        if m:
            return (f"a value contains the invisible control character U+{ord(m.group()):04X}", short_text(header[i]),
                    "delete it (retype the value)")
    return None


def _column_letter(index: int) -> str:
    """Excel's column letters of a 0-based column index (0 → A, 27 → AB)."""
    out = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        out = chr(65 + r) + out
    return out


def parse_number(value: str, path, row, column, problems: ProblemList, *, required=True, minimum=None,
            integer=False, maximum=None) -> float | None:
    """Parse one numeric cell, recording a clear problem when it is not a usable number."""
    if value is None or value == "":
        if required:
            problems.error(path, "is empty", row=row, column=column, hint="fill in a number")
        return None
    try:
        x = float(value.replace(",", "")) if isinstance(value, str) else float(value)
    except ValueError:
        problems.error(path, f"'{short_text(value)}' is not a number", row=row, column=column,
                       hint="use digits with a decimal point, e.g. 119.4103")
        return None
    if not math.isfinite(x):
        problems.error(path, f"'{short_text(value)}' is not a finite number", row=row, column=column)
        return None
    if minimum is not None and x < minimum:
        problems.error(path, f"{short_text(value)} is negative", row=row, column=column,
                       hint=f"must be ≥ {minimum:g}")
        return None
    if maximum is not None and x > maximum:
        problems.error(path, f"{short_text(value)} is implausibly large (limit {maximum:,.0f})", row=row, column=column,
                       hint="check the value and its unit")
        return None
    if integer and x != int(x):
        problems.error(path, f"{short_text(value)} is not a whole number", row=row, column=column)
        return None
    return x


def short_text(value, n: int = 40) -> str:
    """A value quoted in a message: control characters spelt out (a terminal never receives them), cut to n."""
    s = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    return s if len(s) <= n else s[: n - 1] + "…"
