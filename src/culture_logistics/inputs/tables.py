"""Readers for the scenario's input files (villages, facilities, townships, roads).

Each reader records every problem it finds in a :class:`ProblemList` (file,
row, column, how to fix) rather than stopping at the first, and returns what it
could read.  Rows are numbered as a spreadsheet shows them: the header is row 1,
the first data row is row 2.

CSV files are read as UTF-8 (with or without BOM) or, failing that, GB18030 (a
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
import math
import re
import stat as _stat
from pathlib import Path

import pandas as pd

from culture_logistics.errors import ProblemList

MAX_CSV_BYTES = 200_000_000         # a county's tables are a few MB; far larger is a mistake


MAX_CSV_ROWS = 200_000              # China's largest county has < 5,000 village units


MAX_FIELD_CHARS = 10_000


MAX_LINE_CHARS = 1_000_000          # one physical line; bounds the memory of a single row


MAX_BAD_ROWS = 100                  # malformed rows reported before giving up on a file


_CHUNK = 1 << 20


# C0/C1 control characters (and DEL) and the bidirectional overrides that can disguise text
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def decode_text(raw: bytes) -> tuple[str | None, str]:
    """Decode bytes as UTF-8 (BOM optional) or GB18030; return (text, encoding)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None, ""
    return text, "gb18030"


def _regular_file(path: Path, problems: ProblemList, what: str, hint: str) -> int | None:
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


def read_table(path: Path, problems: ProblemList, required: list[str], optional: list[str] = ()) -> pd.DataFrame | None:
    """Read a CSV into a DataFrame of stripped strings, checking its columns.

    Returns ``None`` (with problems recorded) when the file cannot be used at
    all.  The frame carries a ``src_row`` column: the spreadsheet row number.
    The file is streamed: memory stays bounded by :data:`MAX_CSV_ROWS` rows of
    at most :data:`MAX_LINE_CHARS` characters whatever the file holds.
    """
    path = Path(path)
    size = _regular_file(path, problems, "CSV file",
                         "check the path in scenario.toml [inputs] (relative to the TOML file)")
    if size is None:
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
            return _parse_table(path, fh, problems, required, optional)
    except _LineTooLong:
        problems.error(path, f"has a line longer than {MAX_LINE_CHARS:,} characters (limit); "
                       "it is not a county table", hint="export the sheet as 'CSV UTF-8' from Excel or WPS")
        return None
    except UnicodeDecodeError:  # the file changed between the two passes
        problems.error(path, "changed while it was being read", hint="run again when nothing is writing it")
        return None
    except OSError as exc:
        problems.error(path, f"cannot be read ({exc.strerror or exc})")
        return None


def _parse_table(path: Path, fh, problems: ProblemList, required, optional) -> pd.DataFrame | None:
    reader = csv.reader(_bounded_lines(fh))
    try:
        header = next(reader, [])
    except csv.Error as exc:
        problems.error(path, f"cannot be parsed as CSV: {exc}", row=1)
        return None
    header = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    ok = True
    for col in required:
        if col not in header:
            close = difflib.get_close_matches(col, header[:1000], n=1, cutoff=0.6)
            hint = (f"rename column '{_short(close[0])}' to '{col}'" if close
                    else f"add a '{col}' column; the header must contain {', '.join(required)}")
            problems.error(path, f"missing column '{col}'", row=1, column=col, hint=hint)
            ok = False
    counts: dict[str, int] = {}
    for h in header:
        counts[h] = counts.get(h, 0) + 1
    for d in sorted(h for h, n in counts.items() if h and n > 1):
        problems.error(path, f"column '{_short(d)}' appears more than once", row=1, column=_short(d),
                       hint="keep one of them")
        ok = False
    if not ok:
        return None
    known = set(required) | set(optional)
    for h in header:
        if h and h not in known and not h.startswith("_"):
            close = difflib.get_close_matches(h, list(known), n=1, cutoff=0.75)
            if close:
                problems.warning(path, f"column '{_short(h)}' is not used", row=1, column=_short(h),
                                 hint=f"did you mean '{close[0]}'?")
    rows = []
    row_numbers = []
    line_no = 1
    bad = 0
    try:
        for fields in reader:
            line_no += 1
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line
            if len(rows) >= MAX_CSV_ROWS:
                problems.error(path, f"has more than {MAX_CSV_ROWS:,} rows (limit); a county has a few thousand "
                               "at most", hint="split the data by county")
                return None
            row = reader.line_num if reader.line_num else line_no
            if len(fields) != len(header):
                problems.error(path, f"has {len(fields)} fields where the header has {len(header)}", row=line_no,
                               hint="check for an unquoted comma in a name, or a missing value")
                bad += 1
            else:
                long = [header[i] for i, f in enumerate(fields) if len(f) > MAX_FIELD_CHARS]
                if long:
                    problems.error(path, f"a value is longer than {MAX_FIELD_CHARS:,} characters", row=row,
                                   column=_short(long[0]))
                    bad += 1
                else:
                    stripped = [f.strip() for f in fields]
                    ctl = [(header[i], m.group()) for i, f in enumerate(stripped) if (m := _CONTROL.search(f))]
                    if ctl:
                        col, ch = ctl[0]
                        problems.error(path, f"a value contains the invisible control character U+{ord(ch):04X}",
                                       row=row, column=_short(col), hint="delete it (retype the value)")
                        bad += 1
                    else:
                        rows.append(stripped)
                        row_numbers.append(row)
            if bad >= MAX_BAD_ROWS:
                problems.error(path, f"stopped reading after {MAX_BAD_ROWS} malformed rows: is it the right file, "
                               "and a CSV?", hint="export the sheet as 'CSV UTF-8' from Excel or WPS")
                return None
    except csv.Error as exc:
        problems.error(path, f"cannot be parsed as CSV: {exc}", row=reader.line_num or line_no,
                       hint="check for an unmatched double quote")
        return None
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame["src_row"] = row_numbers
    for col in optional:
        if col not in frame.columns:
            frame[col] = ""
    return frame


def _number(value: str, path, row, column, problems: ProblemList, *, required=True, minimum=None,
            integer=False, maximum=None) -> float | None:
    """Parse one numeric cell, recording a clear problem when it is not a usable number."""
    if value is None or value == "":
        if required:
            problems.error(path, "is empty", row=row, column=column, hint="fill in a number")
        return None
    try:
        x = float(value.replace(",", "")) if isinstance(value, str) else float(value)
    except ValueError:
        problems.error(path, f"'{_short(value)}' is not a number", row=row, column=column,
                       hint="use digits with a decimal point, e.g. 119.4103")
        return None
    if not math.isfinite(x):
        problems.error(path, f"'{_short(value)}' is not a finite number", row=row, column=column)
        return None
    if minimum is not None and x < minimum:
        problems.error(path, f"{_short(value)} is negative", row=row, column=column,
                       hint=f"must be ≥ {minimum:g}")
        return None
    if maximum is not None and x > maximum:
        problems.error(path, f"{_short(value)} is implausibly large (limit {maximum:,.0f})", row=row, column=column,
                       hint="check the value and its unit")
        return None
    if integer and x != int(x):
        problems.error(path, f"{_short(value)} is not a whole number", row=row, column=column)
        return None
    return x


def _short(value, n: int = 40) -> str:
    """A value quoted in a message: control characters spelt out (a terminal never receives them), cut to n."""
    s = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    return s if len(s) <= n else s[: n - 1] + "…"
