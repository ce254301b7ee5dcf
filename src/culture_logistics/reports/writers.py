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
import io as _io
import json
import math
import os
import re
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


FIXED_TIMESTAMP = _dt.datetime(2000, 1, 1, 0, 0, 0)   # workbook created/modified (UTC) unless SOURCE_DATE_EPOCH


_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)                    # the earliest date a zip entry can hold


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
    """Delete ``.<name>.<pid>.*.tmp`` beside ``path`` left by a writer process that no longer exists."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return
    try:
        siblings = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
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
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it into place on success, delete it on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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
def _fixed_time() -> _dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).replace(tzinfo=None)
    return FIXED_TIMESTAMP


_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def reproducible_zip(data: bytes, when: _dt.datetime | None = None) -> bytes:
    """Re-pack an OOXML zip with fixed entry dates/attributes and fixed docProps timestamps."""
    when = when or _fixed_time()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    date_time = max(_ZIP_EPOCH, when.timetuple()[:6])
    out = _io.BytesIO()
    with zipfile.ZipFile(_io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), body)
            zi = zipfile.ZipInfo(info.filename, date_time=date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            dst.writestr(zi, body)
    return out.getvalue()


def _xlsx_value(v):
    """A Python value openpyxl can store: None for missing/non-finite, plain int/float/bool/str."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, str):
        return v
    if hasattr(v, "item"):
        return _xlsx_value(v.item())
    return str(v)


XLSX_MAX_CHARS = 32_767  # Excel's limit for one cell; longer text makes Excel "repair" the workbook


_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


def _xlsx_text(text: str) -> str:
    """Text a workbook can hold: control characters XML forbids become U+FFFD; cut to Excel's cell limit."""
    text = _XLSX_ILLEGAL.sub("\ufffd", text)
    if len(text) > XLSX_MAX_CHARS:
        text = text[: XLSX_MAX_CHARS - 1] + "…"
    return text


def _set_text(cell, text: str) -> None:
    text = _xlsx_text(text)
    cell.value = text
    if cell.data_type != "s":  # openpyxl turns "=…" into a formula: force a plain text cell
        cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True  # Excel keeps it text when the cell is edited


def _sheet_title(name: str) -> str:
    title = "".join("_" if ch in '[]:*?/\\' or ord(ch) < 32 else ch for ch in str(name))[:31].strip("'")
    return title or "sheet"


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path, text_columns: set[str] = frozenset()) -> Path:
    """Write several tables to one workbook atomically and reproducibly; text columns stay text cells.

    Sheet names are cut to Excel's 31 characters and cleaned of ``[]:*?/\\``.  Text is never written
    as a formula (see the module docstring).
    """

    wb = Workbook()
    wb.remove(wb.active)
    when = _fixed_time()
    wb.properties.created = when
    wb.properties.modified = when
    used = set()
    for name, df in sheets.items():
        title = _sheet_title(name)
        base, k = title, 2
        while title.lower() in used:
            suffix = f"~{k}"
            title = base[: 31 - len(suffix)] + suffix
            k += 1
        used.add(title.lower())
        ws = wb.create_sheet(title)
        columns = list(df.columns)
        for j, c in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j)
            _set_text(cell, str(c))
            cell.font = Font(bold=True)
        text_flags = [c in text_columns for c in columns]
        for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
            for j, (v, is_text) in enumerate(zip(row, text_flags), start=1):
                value = _xlsx_value(v)
                if value is None:
                    continue
                cell = ws.cell(row=i, column=j)
                if is_text or isinstance(value, str):
                    _set_text(cell, str(value))
                else:
                    cell.value = value
        for j, col in enumerate(columns, start=1):
            letter = get_column_letter(j)
            if col in text_columns:
                for cell in ws[letter][1:]:
                    cell.number_format = "@"
            width = max([len(str(col))] + [len(str(x)) for x in df[col].head(200)]) + 2
            ws.column_dimensions[letter].width = min(max(width * 1.3, 8), 50)
        ws.freeze_panes = "A2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToHeight = 0
    if not wb.sheetnames:
        wb.create_sheet("empty")
    buf = _io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(path, reproducible_zip(buf.getvalue(), when))
