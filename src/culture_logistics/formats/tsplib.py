"""What the CVRPLIB and LKH-3 readers share: the error, ``KEY : value`` header lines, size limits.

Both formats are TSPLIB-style text: header lines, then sections of numbers.  A file may ask for far
more than it holds (``DIMENSION : 10000000`` in a few bytes, or tens of thousands of nodes whose
distance matrix needs gigabytes), so sizes are checked where they are read, before any array of that
size exists: :data:`MAX_FILE_BYTES` before the file is read, :data:`MAX_DIMENSION` and
:data:`MAX_VEHICLES` on their header line.
"""
from __future__ import annotations

import re
from pathlib import Path

from culture_logistics.errors import CultureLogisticsError

#: largest DIMENSION (nodes, depot included) read: the dense distance matrix and the engines' copies of it
#: grow with its square (5,000 nodes: about 1 GiB at the peak of reading; CVRPLIB's X set has up to 1,001,
#: LKH-3's VRPTW/VRPSPD sets up to 1,001)
MAX_DIMENSION = 5_000

#: largest VEHICLES (fleet limit) read: an engine builds every vehicle it is given
MAX_VEHICLES = MAX_DIMENSION

#: largest instance or solution file read (the bundled benchmark files are 4–20 KB)
MAX_FILE_BYTES = 16 * 2**20

#: a ``KEY : value`` header line (the value is stripped by :func:`parse_header`; no backtracking on long lines)
HEADER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$")

_LIMITS = {"DIMENSION": MAX_DIMENSION, "VEHICLES": MAX_VEHICLES}


class CVRPLibFormatError(CultureLogisticsError, ValueError):
    """A malformed CVRPLIB file.  ``path`` and ``line`` (1-based, or None) locate it."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


def check_file_size(path: Path, read_error=None) -> None:
    """Refuse a file above :data:`MAX_FILE_BYTES` before it is read (:class:`CVRPLibFormatError`).

    A file that cannot be stat-ed is left to the reader, which reports it."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size > MAX_FILE_BYTES:
        raise CVRPLibFormatError(path, None, f"the file is {size / 2**20:.1f} MiB; instance and solution files "
                                             f"above {MAX_FILE_BYTES // 2**20} MiB are refused (the benchmark sets' "
                                             "files are a few KB)")


def read_text(path: Path, strict: bool = True) -> str:
    """The text of an instance file (UTF-8, BOM allowed), its size checked first.

    ``strict``: a file that is not UTF-8 text says so; otherwise (``.sol`` files) any read error is
    reported as "cannot read file"."""
    check_file_size(path)
    if not strict:
        try:
            return path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CVRPLibFormatError(path, None, f"cannot read file: {exc}") from exc
    try:
        return path.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise CVRPLibFormatError(path, None, f"not a text file ({exc.reason})") from exc
    except OSError as exc:
        raise CVRPLibFormatError(path, None, f"cannot read file: {exc.strerror or exc}") from exc


def parse_header(line: str) -> tuple[str, str] | None:
    """``(KEY, value)`` of a ``KEY : value`` line as written (value without surrounding blanks), or None."""
    m = HEADER.match(line)
    return (m.group(1), m.group(2).strip()) if m else None


def read_header(line: str, ln: int, headers: dict, err) -> bool:
    """Record a ``KEY : value`` header line in ``headers`` (key → (value, line number)); False when
    ``line`` is not a header.  A key given twice, or a size above its limit (``DIMENSION``,
    ``VEHICLES``), raises ``err(ln, …)``.  Shared by the CVRPLIB and LKH-3 readers."""
    kv = parse_header(line)
    if kv is None or line[0].isdigit() or line[0] in "-+.":
        return False
    key = kv[0].upper()
    if key in headers:
        raise err(ln, f"duplicate header {key}")
    check_size(key, kv[1], ln, err)
    headers[key] = (kv[1], ln)
    return True


def section_lines(text: str, sections, headers: dict, err):
    """Walk a TSPLIB-style file once (up to ``EOF``): header lines go to ``headers`` (by
    :func:`read_header`); yields ``(section, None, ln)`` where a section in ``sections`` starts and
    ``(section, line, ln)`` for each of its lines.  A line outside every section raises ``err(ln, …)``.
    Shared by the CVRPLIB and LKH-3 readers."""
    section = None
    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        upper = line.upper()
        if upper == "EOF":
            return
        word = upper.split()[0].rstrip(":")
        if word in sections:
            section = word
            yield section, None, ln
            continue
        if read_header(line, ln, headers, err):
            section = None
            continue
        if section is None:
            raise err(ln, f"unexpected line outside any section: {line[:60]!r}")
        yield section, line, ln


def check_size(key: str, value: str, ln: int, err) -> None:
    """Refuse a ``DIMENSION`` or ``VEHICLES`` header above its limit, naming the field and the limit.

    A value that is not a number is left to the reader's own check (which names it)."""
    limit = _LIMITS.get(key)
    if limit is None:
        return
    try:
        n = float(value)
    except ValueError:
        return
    if n > limit:
        what = "nodes" if key == "DIMENSION" else "vehicles"
        raise err(ln, f"{key} {value} is above the limit of {limit:,} {what} this reader accepts "
                      f"(the instance's distance matrix alone would need {n * n * 8 / 2**30:,.1f} GiB)"
                  if key == "DIMENSION" else
                  f"{key} {value} is above the limit of {limit:,} {what} this reader accepts")
