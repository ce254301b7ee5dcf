"""Writing results safely: atomic files, formula-safe tables, stable JSON.

Every file is written to a temporary file in the same folder and renamed into
place (``os.replace`` is atomic on POSIX and Windows), so an interrupted run
leaves either the previous complete file or none — never half a file.

Text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are written with a leading
apostrophe, which Excel and WPS show as text; numbers stay numbers and codes
stay text with their leading digits.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it into place on success, delete it on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
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


def _is_number_text(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def safe_cell(value):
    """Neutralise a text value that a spreadsheet would read as a formula."""
    if isinstance(value, str) and value and value.startswith(FORMULA_START) and not _is_number_text(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def write_csv(df: pd.DataFrame, path: str | Path, float_format: str | None = None) -> Path:
    """Write a table as UTF-8 CSV with a BOM (so Excel on Chinese Windows reads the names), atomically."""
    text = safe_frame(df).to_csv(index=False, lineterminator="\n", float_format=float_format)
    return atomic_write_bytes(path, ("\ufeff" + text).encode("utf-8"))


def _clean_json(obj):
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_json(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalar
        return _clean_json(obj.item())
    return obj


def write_json(obj, path: str | Path) -> Path:
    text = json.dumps(_clean_json(obj), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    return atomic_write_text(path, text)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path, text_columns: set[str] = frozenset()) -> Path:
    """Write several tables to one workbook atomically; text columns stay text cells.

    Sheet names are cut to Excel's 31 characters and cleaned of ``[]:*?/\\``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used = set()
    for name, df in sheets.items():
        title = "".join("_" if ch in '[]:*?/\\' else ch for ch in str(name))[:31] or "sheet"
        base, k = title, 2
        while title in used:
            suffix = f"~{k}"
            title = base[: 31 - len(suffix)] + suffix
            k += 1
        used.add(title)
        ws = wb.create_sheet(title)
        ws.append([safe_cell(str(c)) for c in df.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in df.itertuples(index=False):
            values = []
            for col, v in zip(df.columns, row):
                if v is None or (isinstance(v, float) and not math.isfinite(v)):
                    values.append(None)
                elif col in text_columns or isinstance(v, str):
                    values.append(safe_cell(str(v)))
                elif hasattr(v, "item"):
                    values.append(v.item())
                else:
                    values.append(v)
            ws.append(values)
        for j, col in enumerate(df.columns, start=1):
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
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)
