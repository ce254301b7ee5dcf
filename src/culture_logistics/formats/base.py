"""What the benchmark readers share: their error, their size limits, a line reader, and format detection."""
from __future__ import annotations

from pathlib import Path

from culture_logistics.errors import CultureLogisticsError

#: the largest number of customers a benchmark file may announce (checked before allocating)
MAX_CUSTOMERS = 10_000

#: the largest number of depots (MDVRP), days (PVRP) or satellites (2E-CVRP) a file may announce
MAX_DEPOTS = 1_000
MAX_DAYS = 31
MAX_SATELLITES = 1_000

#: the largest file read (bytes): far above any published instance
MAX_FILE_BYTES = 64 * 1024 * 1024

#: format names accepted by ``solve-vrp --format`` for these readers
FORMATS = ("cordeau-mdvrp", "cordeau-pvrp", "breunig", "perboli")


class BenchmarkFormatError(CultureLogisticsError, ValueError):
    """A malformed benchmark file: ``path``, ``line`` (1-based, None = the whole file) and ``field`` locate it."""

    def __init__(self, path: str | Path, line: int | None, field: str, message: str, fix: str = ""):
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {field}: {message}" + (f" ({fix})" if fix else ""))


def read_text(path: str | Path) -> str:
    """The text of ``path`` (UTF-8), or a :class:`BenchmarkFormatError` saying why it cannot be read."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BenchmarkFormatError(p, None, "file", f"{size} bytes, more than the {MAX_FILE_BYTES} a benchmark "
                                       "file may have", "is this the right file?")
        return p.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        raise BenchmarkFormatError(p, None, "file", f"not a text file ({exc.reason})") from exc
    except OSError as exc:
        raise BenchmarkFormatError(p, None, "file", f"cannot read file: {exc.strerror or exc}") from exc


def numbered_lines(text: str) -> list[tuple[int, list[str]]]:
    """(1-based line number, whitespace-separated tokens) of every non-blank line."""
    out = []
    for ln, raw in enumerate(text.splitlines(), start=1):
        toks = raw.split()
        if toks:
            out.append((ln, toks))
    return out


def detect(path: str | Path) -> str | None:
    """The benchmark format of ``path`` from its content: ``cordeau-mdvrp`` (a first line ``2 m n t``),
    ``cordeau-pvrp`` (``1 m n t``), ``perboli`` (a ``TYPE : 2ECVRP`` header or a ``SATELLITE_SECTION``),
    ``breunig`` (``!`` comment lines, then ``K1,Q1,c1,f1``); None for anything else (CVRPLIB, LKH-3…)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    upper = head.upper()
    if "SATELLITE_SECTION" in upper or any(
            line.split(":", 1)[0].strip() == "TYPE" and "2ECVRP" in line.replace(" ", "")
            for line in upper.splitlines()):
        return "perboli"
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    if not lines:
        return None
    data = [ln for ln in lines if not ln.startswith("!")]
    if lines[0].startswith("!") and data and data[0].count(",") == 3:
        return "breunig"
    toks = lines[0].split()
    if len(toks) == 4 and all(t.lstrip("-").isdigit() for t in toks) and toks[0] in ("1", "2"):
        return "cordeau-pvrp" if toks[0] == "1" else "cordeau-mdvrp"
    return None
