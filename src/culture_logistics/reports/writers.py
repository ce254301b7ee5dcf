"""Writing results safely: atomic files, formula-safe tables, stable JSON, reproducible workbooks.

Atomic files
    Every file is written to a hidden temporary file in the same folder
    (``.<name>.<pid>.<random>.tmp``), flushed and fsynced, then renamed into place
    (``os.replace`` is atomic on POSIX and Windows) and the folder is fsynced, so an
    interrupted run (Ctrl-C, kill, power cut) leaves either the previous complete
    file or the new complete one — never half a file.  A temporary file left behind
    by a run that was killed outright (SIGKILL cannot be caught) is removed by the
    next write of the same output once its process is gone (POSIX).  New files get
    the usual permissions (``0666 & ~umask``); a file that is replaced keeps its mode.

Formula-safe tables
    A text cell that a spreadsheet would run as a formula — one starting (after any
    leading spaces) with ``=``, ``+``, ``-``, ``@``, tab or carriage return and that is
    not a plain decimal number — is written to CSV with a leading apostrophe, which
    Excel and WPS show as text (OWASP "CSV injection").  In XLSX such a value is kept
    exactly as it is, in a text cell (``t="inlineStr"``, never a ``<f>`` formula) with
    Excel's "quote prefix" set, so editing the cell keeps it text.  Numbers stay
    numeric cells (negative numbers too); codes stay text with their leading digits.

Reproducible outputs
    CSV and JSON are byte-identical for identical tables.  ``write_xlsx`` fixes what
    openpyxl would otherwise stamp with the clock: the workbook's created/modified
    properties and every zip entry's date (both set to :data:`FIXED_TIMESTAMP`, or to
    ``SOURCE_DATE_EPOCH`` when that environment variable is set), so a workbook is
    byte-identical too (with the same openpyxl and zlib).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


FIXED_TIMESTAMP = _dt.datetime(2000, 1, 1, 0, 0, 0)   # workbook created/modified (UTC) unless SOURCE_DATE_EPOCH




_UMASK = os.umask(0)


os.umask(_UMASK)


# ------------------------------------------------------------------------------------ atomic files
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:
        return True
    return True


def _remove_stale_temps(path: Path) -> None:
    """Delete ``.<name>.<pid>.*.tmp`` (or ``….tmp.<ext>``, see :func:`atomic_path`) beside ``path`` left by a
    writer process that no longer exists."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return
    try:
        siblings = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp")) + \
            list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp.*"))
    except OSError:
        return
    for tmp in siblings:
        rest = tmp.name[len(path.name) + 2:]
        pid_text = rest.split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        try:
            tmp.unlink()
        except OSError:
            pass


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | Path, keep_extension: bool = False):
    """Yield a temporary path beside ``path``; rename it into place on success, delete it on failure.

    ``keep_extension``: the temporary name ends in ``.tmp`` plus ``path``'s own extension (``….tmp.gpkg``),
    for writers (GDAL) that check the extension of the file they write."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    suffix = ".tmp" + (path.suffix if keep_extension else "")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


# ------------------------------------------------------------------------------------ formulas
def _is_number_text(s: str) -> bool:
    return bool(_NUMBER_TEXT.match(s))


def is_formula_like(value) -> bool:
    """True for text a spreadsheet would take as a formula (see the module docstring)."""
    if not isinstance(value, str) or not value:
        return False
    t = value.lstrip(" ")
    return bool(t) and t.startswith(FORMULA_START) and not _is_number_text(t)


def safe_cell(value):
    """Neutralise a text value that a spreadsheet would read as a formula (a leading apostrophe)."""
    if is_formula_like(value):
        return "'" + value
    return value


def _is_text_column(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
                or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s))


def _csv_cell(value):
    """Formula-safe, with every line break inside a value written as LF: the CSV writer quotes a value
    holding LF, but a bare CR would be written unquoted and split the row in Excel and in readers."""
    value = safe_cell(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (in any object, string or categorical column) are formula-safe
    (and hold no bare CR), ready for :func:`write_csv`."""
    out = df.copy()
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if _is_text_column(col):
            # element by element into an object column: Series.map would re-infer the dtype and turn a
            # column of whole numbers with gaps into floats ("1.0")
            out.isetitem(j, pd.Series([_csv_cell(v) for v in col.astype(object)], index=col.index, dtype=object))
    out.columns = [_csv_cell(str(c)) for c in out.columns]
    return out


def write_csv(df: pd.DataFrame, path: str | Path, float_format: str | None = None) -> Path:
    """Write a table as UTF-8 CSV with a BOM (so Excel on Chinese Windows reads the names), atomically.

    Rows end with LF; a value holding a line break or a comma is quoted (RFC 4180).
    """
    text = safe_frame(df).to_csv(index=False, lineterminator="\n", float_format=float_format)
    return atomic_write_bytes(path, ("\ufeff" + text).encode("utf-8"))


# ------------------------------------------------------------------------------------ JSON
def _clean_json(obj):
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean_json(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    if hasattr(obj, "item"):  # numpy scalar
        return _clean_json(obj.item())
    return obj


def write_json(obj, path: str | Path) -> Path:
    text = json.dumps(_clean_json(obj), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    return atomic_write_text(path, text)


# ------------------------------------------------------------------------------------ XLSX
def fixed_time() -> _dt.datetime:
    """The timestamp written into workbooks and GeoPackages: ``SOURCE_DATE_EPOCH`` when set, else
    :data:`FIXED_TIMESTAMP` (naive UTC), so that the files are byte-identical run after run."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).replace(tzinfo=None)
    return FIXED_TIMESTAMP
