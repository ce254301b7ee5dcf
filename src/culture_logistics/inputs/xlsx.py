"""Reading one sheet of an Excel workbook (.xlsx, also .xlsm/.xls/.ods) as rows of text, with Excel's row numbers.

python-calamine (a maintained Rust reader, fast and with no formula evaluation) reads the workbook;
every cell becomes text the way a person reads it in Excel: a numeric cell holding a whole number is
written without a decimal point (a village code typed as a number, 370782001001, stays
``"370782001001"``, never ``3.70782e11`` or ``"370782001001.0"``), other numbers in their shortest
exact form (``119.4103``), dates in ISO form, empty cells as ``""``.  Rows are numbered as Excel shows
them (the first row of the sheet is row 1, whatever the first used cell).

Untrusted input: the file size and the uncompressed size of the workbook's parts are bounded before
calamine reads it (a "zip bomb" of a few KB that expands to GBs is refused), and so is the number of
rows.  calamine allocates every cell of a sheet's range at once, so a 12 KB file with one cell at
XFD1048576 would ask for 17 billion cells: the extent of every sheet is read from the XML first
(:func:`check_workbook_extent`: the ``<dimension>``, each row's and cell's reference, and the shared
strings' count of an .xlsx; the repeated rows and columns of an .ods), and a sheet larger than
:data:`MAX_WORKBOOK_CELLS` cells, :data:`MAX_WORKBOOK_COLUMNS` columns or the row limit is refused with
a problem naming the file, the sheet, the cell and the limit.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from pathlib import Path

from python_calamine import CalamineWorkbook

from culture_logistics.config.schema import did_you_mean
from culture_logistics.errors import ProblemList

MAX_XLSX_BYTES = 100_000_000             # a county's list is well under 1 MB


MAX_XLSX_UNCOMPRESSED = 300_000_000      # the XML of every part, once unzipped (a county list: a few MB)


#: cells of one sheet's used range (calamine holds every cell of it, ~32 bytes each: 160 MB)
MAX_WORKBOOK_CELLS = 5_000_000


#: columns of one sheet (a county list has a few dozen)
MAX_WORKBOOK_COLUMNS = 1_000


ZIP_MAGIC = b"PK\x03\x04"


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # legacy .xls


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


#: a value (a sheet name, a library's message) quoted in a problem is cut to this many characters
MAX_QUOTED_CHARS = 80


def cut_text(value, n: int = MAX_QUOTED_CHARS) -> str:
    """``value`` as text of at most ``n`` characters, "…" where it was cut."""
    s = str(value)
    return s if len(s) <= n else s[: n - 1] + "…"


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
        if not check_workbook_extent(path, problems, max_rows + 20):
            return None
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception as exc:  # calamine raises its own types for every kind of unreadable file
        problems.error(path, f"cannot be read as an Excel workbook: {cut_text(exc, 200)}",
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
        shown = ", ".join(f"'{cut_text(n)}'" for n in names[:20])
        problems.error(path, f"has no sheet '{cut_text(sheet)}'{did_you_mean(sheet, names)}", column="inputs.sheet",
                       hint=f"its sheets are {shown}; set [inputs] sheet to one of them, or remove the key to "
                            "read the first sheet")
        return None
    label = f"{path}, sheet '{cut_text(name)}'"
    try:
        ws = wb.get_sheet_by_name(name)
    except Exception as exc:
        problems.error(label, f"cannot be read: {cut_text(exc, 200)}", hint="open it in Excel or WPS and save it again")
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


# ------------------------------------------------------------------------------------ extent checks
class _TooLarge(Exception):
    """A sheet larger than the limits (args: message)."""


def column_index(letters: str) -> int:
    """Excel's column letters as a 1-based index (A → 1, XFD → 16384)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


class _Extent:
    """The used range of one sheet as its cells are seen; raises :class:`_TooLarge` past a limit."""

    def __init__(self, sheet: str, max_rows: int):
        self.sheet, self.max_rows = cut_text(sheet), max_rows
        self.row0 = self.col0 = math.inf
        self.row1 = self.col1 = 0

    def add(self, row: int, col: int, ref: str) -> None:
        """A non-empty cell at 1-based ``row``, ``col`` (``ref`` as the file writes it, for the message)."""
        grew = row > self.row1 or col > self.col1
        self.row0, self.col0 = min(self.row0, row), min(self.col0, col)
        self.row1, self.col1 = max(self.row1, row), max(self.col1, col)
        if grew:
            self.check(f"cell {ref}")

    def check(self, where: str) -> None:
        rows, cols = self.row1 - self.row0 + 1, self.col1 - self.col0 + 1
        if rows > self.max_rows:
            raise _TooLarge(f"sheet '{self.sheet}': {where} makes it {rows:,} rows, more than the limit of "
                            f"{self.max_rows:,}; a county has a few thousand at most")
        if cols > MAX_WORKBOOK_COLUMNS:
            raise _TooLarge(f"sheet '{self.sheet}': {where} makes it {cols:,} columns wide, more than the limit of "
                            f"{MAX_WORKBOOK_COLUMNS:,}")
        if rows * cols > MAX_WORKBOOK_CELLS:
            raise _TooLarge(f"sheet '{self.sheet}': {where} makes it {rows:,} rows × {cols:,} columns = "
                            f"{rows * cols:,} cells, more than the limit of {MAX_WORKBOOK_CELLS:,}")


def check_workbook_extent(path: Path, problems: ProblemList, max_rows: int) -> bool:
    """Every sheet's extent read from the workbook's XML before calamine allocates it (see the module doc).

    ``False`` with a problem naming the file, sheet, cell and limit when a sheet is too large; ``True``
    otherwise (and for a damaged file, which calamine then reports).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if any(n.startswith("xl/worksheets/") and n.endswith(".bin") for n in names):
                raise _TooLarge("is a binary workbook (.xlsb), whose sheets' size cannot be checked before reading; "
                                "save it as .xlsx")
            if "content.xml" in names:
                _ods_extent(zf, max_rows)
            else:
                _xlsx_extent(zf, max_rows)
    except _TooLarge as exc:
        problems.error(path, str(exc), hint="open it in Excel or WPS, delete the cells outside the list (or copy "
                                            "the list into a new workbook) and save it again")
        return False
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return True  # damaged: calamine's own error names it
    return True


_SHEET = re.compile(rb'<(?:\w+:)?sheet\b([^>]*)>')


_REL = re.compile(rb'<(?:\w+:)?Relationship\b([^>]*)>')


def _attr(tag: bytes, name: bytes) -> str:
    """The value of attribute ``name`` (with any namespace prefix) in a tag's attribute text, or ``""``."""
    m = re.search(rb'(?:^|\s)(?:\w+:)?' + name + rb'="([^"]*)"', tag)
    return m.group(1).decode("utf-8", "replace") if m else ""


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\sref="([A-Za-z]{1,4})(\d{1,10})(?::([A-Za-z]{1,4})(\d{1,10}))?"')


_ROW_OR_CELL = re.compile(rb'<(?:\w+:)?(row|c)\b([^>]{0,2000})>')


_R_ATTR = re.compile(rb'\sr="([A-Za-z]{0,4})(\d{1,10})"')


_SST = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\suniqueCount="(\d{1,20})"')


_SCAN_CHUNK = 1 << 20


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part (``xl/worksheets/sheet1.xml``) → the sheet's name, from workbook.xml and its rels."""
    try:
        wb = zf.read("xl/workbook.xml")[:1 << 20]
        rels = zf.read("xl/_rels/workbook.xml.rels")[:1 << 20]
    except KeyError:
        return {}
    target = {_attr(a, b"Id"): _attr(a, b"Target").lstrip("/") for a in _REL.findall(rels)}
    out = {}
    for a in _SHEET.findall(wb):
        t = target.get(_attr(a, b"id"), "")
        out[t if t.startswith("xl/") else "xl/" + t] = _attr(a, b"name")
    return out


def _xlsx_extent(zf: zipfile.ZipFile, max_rows: int) -> None:
    names = _sheet_names(zf)
    for info in zf.infolist():
        if info.filename == "xl/sharedStrings.xml":
            with zf.open(info) as fh:
                m = _SST.search(fh.read(4096))
            # a shared string takes at least "<si></si>" (9 bytes): more than the part can hold is a lie
            if m and int(m.group(1)) > min(MAX_WORKBOOK_CELLS, info.file_size // 9 + 1):
                raise _TooLarge(f"declares {int(m.group(1)):,} shared strings in {info.file_size:,} bytes "
                                f"(limit {MAX_WORKBOOK_CELLS:,})")
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        ext = _Extent(names.get(info.filename, info.filename), max_rows)
        with zf.open(info) as fh:
            head = fh.read(_SCAN_CHUNK)
            dim = _DIMENSION.search(head[:65536])
            if dim and dim.group(3):
                a, b = column_index(dim.group(1).decode()), column_index(dim.group(3).decode())
                r0, r1 = int(dim.group(2)), int(dim.group(4))
                probe = _Extent(ext.sheet, max_rows)
                probe.row0, probe.col0, probe.row1, probe.col1 = min(r0, r1), min(a, b), max(r0, r1), max(a, b)
                ref = dim.group(0).split(b"ref=")[1].strip(b'"').decode()
                probe.check(f"its dimension {ref}")
            quick = _quick_extent(fh, head)
        if quick is not None:
            probe = _Extent(ext.sheet, max_rows)
            probe.row0, probe.row1, probe.col0, probe.col1 = quick
            try:
                probe.check("a cell")
                continue
            except _TooLarge:
                pass  # read again, cell by cell, to name the cell
        with zf.open(info) as fh:
            _scan_cells(fh, fh.read(_SCAN_CHUNK), ext)


_CELL_R = re.compile(rb'<c r="([A-Z]{1,4})(\d{1,10})"')


def _quick_extent(fh, buf: bytes) -> tuple[int, int, int, int] | None:
    """(first row, last row, first column, last column) of a worksheet from its cells' references, in bulk
    (as Excel, WPS and openpyxl write them: ``<c r="B7" …>``); ``None`` when a cell is written otherwise (no
    ``r``, ``r`` not first, a namespace prefix): then only :func:`_scan_cells` can place it."""
    row0 = col0 = 1 << 62
    row1 = col1 = 0
    letters: set[bytes] = set()
    while True:
        more = fh.read(_SCAN_CHUNK)
        cut = buf.rfind(b"<") if more else len(buf)
        cut = len(buf) if cut < 0 else cut
        part = buf[:cut]
        if b":c " in part or b":c>" in part:
            return None
        cells = _CELL_R.findall(part)
        if len(cells) != part.count(b"<c ") + part.count(b"<c>"):
            return None
        if cells:
            letters.update(c for c, _ in cells)
            numbers = [int(r) for _, r in cells]
            row0, row1 = min(row0, min(numbers)), max(row1, max(numbers))
        if not more:
            break
        buf = buf[cut:] + more
    if not letters:
        return 1, 1, 1, 1
    cols = [column_index(c.decode()) for c in letters]
    col0, col1 = min(cols), max(cols)
    return row0, row1, col0, col1


def _scan_cells(fh, buf: bytes, ext: _Extent) -> None:
    """Every ``<row>`` and ``<c>`` of a worksheet's XML, read in chunks: a cell's place is its ``r`` reference,
    else the one after the previous cell (the next row after the previous row), as Excel reads it."""
    row = col = 0
    while True:
        more = fh.read(_SCAN_CHUNK)
        cut = buf.rfind(b"<") if more else len(buf)  # an element cut in two is read with the next chunk
        cut = len(buf) if cut < 0 else cut
        for m in _ROW_OR_CELL.finditer(buf, 0, cut):
            ref = _R_ATTR.search(m.group(2))
            if m.group(1) == b"row":
                row = int(ref.group(2)) if ref and not ref.group(1) else row + 1
                col = 0
                continue
            if ref and ref.group(1):
                col, row = column_index(ref.group(1).decode()), int(ref.group(2))
            else:
                col += 1
            ext.add(row, col, f"{_letters(col)}{row}")
        if not more:
            return
        buf = buf[cut:] + more


_ODS_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


_ODS_NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _ods_extent(zf: zipfile.ZipFile, max_rows: int) -> None:
    """The extent of every table of an .ods content.xml: repeated rows and cells counted, streaming (expat)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    state = {"ext": None, "row": 0, "col": 0, "rep": 1, "cell_rep": 1, "cell_full": False, "row_last": 0}
    T, O = _ODS_NS_TABLE + " ", _ODS_NS_OFFICE + " "

    def repeat(attrs, name) -> int:
        try:
            return max(1, int(attrs.get(T + name, "1")))
        except ValueError:
            return 1

    def start(tag, attrs):
        if tag == T + "table":
            state["ext"] = _Extent(attrs.get(T + "name", "?"), max_rows)
            state["row"] = 0
        elif tag == T + "table-row":
            state["rep"] = repeat(attrs, "number-rows-repeated")
            state["col"], state["row_last"] = 0, 0
        elif tag in (T + "table-cell", T + "covered-table-cell"):
            state["cell_rep"] = repeat(attrs, "number-columns-repeated")
            state["cell_full"] = (O + "value-type") in attrs
        elif state["ext"] is not None and tag.startswith("urn:oasis:names:tc:opendocument:xmlns:text:1.0 "):
            state["cell_full"] = True  # text in a cell

    def end(tag):
        ext = state["ext"]
        if tag in (T + "table-cell", T + "covered-table-cell"):
            state["col"] += state["cell_rep"]
            if state["cell_full"]:
                state["row_last"] = state["col"]
            state["cell_full"] = False
        elif tag == T + "table-row" and ext is not None:
            first = state["row"] + 1
            state["row"] += state["rep"]
            if state["row_last"]:
                ref = f"{_letters(state['row_last'])}{state['row']}"
                ext.add(first, 1, ref)
                ext.add(state["row"], state["row_last"], ref)
        elif tag == T + "table":
            state["ext"] = None

    def no_dtd(*_):
        raise _TooLarge("content.xml has a document type declaration; a spreadsheet never needs one")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    with zf.open("content.xml") as fh:
        while True:
            chunk = fh.read(_SCAN_CHUNK)
            parser.Parse(chunk, not chunk)
            if not chunk:
                break


def _letters(col: int) -> str:
    out = ""
    while col:
        col, r = divmod(col - 1, 26)
        out = chr(65 + r) + out
    return out
