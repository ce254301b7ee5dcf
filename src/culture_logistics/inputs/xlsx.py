"""Reading one sheet of an Excel workbook (.xlsx, also .xlsm/.xls/.ods) as rows of text, with Excel's row numbers.

python-calamine (a maintained Rust reader, fast and with no formula evaluation) reads the workbook;
every cell becomes text the way a person reads it in Excel: a numeric cell holding a whole number is
written without a decimal point (a village code typed as a number, 370782001001, stays
``"370782001001"``, never ``3.70782e11`` or ``"370782001001.0"``), other numbers in their shortest
exact form (``119.4103``), dates in ISO form, empty cells as ``""``.  Rows are numbered as Excel shows
them (the first row of the sheet is row 1, whatever the first used cell).

Untrusted input: the file size and the uncompressed size of the workbook's parts are bounded before
calamine reads it (a "zip bomb" of a few KB that expands to GBs is refused), and so is the number of
rows.
"""
from __future__ import annotations

import datetime as _dt
import math
import zipfile
from collections.abc import Iterator
from pathlib import Path

from python_calamine import CalamineWorkbook

from culture_logistics.config.schema import did_you_mean
from culture_logistics.errors import ProblemList

MAX_XLSX_BYTES = 100_000_000             # a county's list is well under 1 MB


MAX_XLSX_UNCOMPRESSED = 300_000_000      # the XML of every part, once unzipped (a county list: a few MB)


ZIP_MAGIC = b"PK\x03\x04"


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # legacy .xls


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def is_workbook(path: Path) -> bool:
    """True when the file starts like a workbook (a zip container or a legacy OLE .xls), whatever its name."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith(ZIP_MAGIC) or head == OLE_MAGIC


def cell_text(value) -> str:
    """One cell as the text Excel shows (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2 ** 53:
            return str(int(value))
        return repr(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return str(value)
    return str(value)


def sheet_rows(path: Path, problems: ProblemList, sheet: str | None, max_rows: int
               ) -> tuple[str, Iterator[tuple[int, list[str]]]] | None:
    """Open ``sheet`` (default: the first) of the workbook at ``path``.

    Parameters
    ----------
    path : the workbook.
    problems : where a problem is recorded when the workbook or the sheet cannot be used.
    sheet : the sheet's name (``[inputs] sheet``), or ``None`` for the first sheet.
    max_rows : more rows than this is refused (a problem naming the limit).

    Returns
    -------
    (label, rows) or None
        ``label`` names file and sheet for problems (``"villages.xlsx, sheet '村名单'"``); ``rows`` yields
        ``(excel_row_number, [cell text …])`` for every row from the first used one.
    """
    size = path.stat().st_size
    if size > MAX_XLSX_BYTES:
        problems.error(path, f"is {size / 1e6:,.0f} MB, far larger than any county's list "
                       f"(limit {MAX_XLSX_BYTES / 1e6:,.0f} MB)", hint="split the province into counties")
        return None
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                unpacked = sum(i.file_size for i in zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            problems.error(path, f"is a damaged workbook ({exc})", hint="open it in Excel or WPS and save it again")
            return None
        if unpacked > MAX_XLSX_UNCOMPRESSED:
            problems.error(path, f"unpacks to {unpacked / 1e9:,.1f} GB (limit {MAX_XLSX_UNCOMPRESSED / 1e9:,.0f} GB); "
                           "it is not a county's list", hint="open it in Excel or WPS and save only the list")
            return None
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception as exc:  # calamine raises its own types for every kind of unreadable file
        problems.error(path, f"cannot be read as an Excel workbook: {str(exc)[:200]}",
                       hint="open it in Excel or WPS and save it again as .xlsx, or export the sheet as 'CSV UTF-8'")
        return None
    if not names:
        problems.error(path, "has no sheets", hint="put the list on the first sheet")
        return None
    if sheet is None:
        name = names[0]
    elif sheet in names:
        name = sheet
    else:
        shown = ", ".join(f"'{n}'" for n in names[:20])
        problems.error(path, f"has no sheet '{sheet}'{did_you_mean(sheet, names)}", column="inputs.sheet",
                       hint=f"its sheets are {shown}; set [inputs] sheet to one of them, or remove the key to "
                            "read the first sheet")
        return None
    label = f"{path}, sheet '{name}'"
    try:
        ws = wb.get_sheet_by_name(name)
    except Exception as exc:
        problems.error(label, f"cannot be read: {str(exc)[:200]}", hint="open it in Excel or WPS and save it again")
        return None
    if ws.height > max_rows + 20:
        problems.error(label, f"has {ws.height:,} rows, more than {max_rows:,} (limit); a county has a few thousand "
                       "at most", hint="split the data by county")
        return None
    first = (ws.start[0] + 1) if ws.start else 1

    def rows() -> Iterator[tuple[int, list[str]]]:
        for i, row in enumerate(ws.iter_rows()):
            yield first + i, [cell_text(c) for c in row]

    return label, rows()
