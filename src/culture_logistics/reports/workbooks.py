"""Reproducible, formula-safe XLSX workbooks (``write_xlsx``, :class:`Sheet`), split from
:mod:`culture_logistics.reports.writers`, which holds the atomic files and the CSV/JSON writers.

``write_xlsx`` fixes what openpyxl would otherwise stamp with the clock: the workbook's created/modified
properties and every zip entry's date (both set to :data:`~culture_logistics.reports.writers.FIXED_TIMESTAMP`,
or to ``SOURCE_DATE_EPOCH`` when that environment variable is set), so a workbook is byte-identical run after
run (with the same openpyxl and zlib).  A text cell that a spreadsheet would run as a formula is kept exactly
as it is, in a text cell with Excel's "quote prefix" set.
"""
from __future__ import annotations

import copy
import datetime as _dt
import io as _io
import math
import re
import unicodedata
import zipfile
from collections.abc import Set
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell, MergedCell
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.merge import MergedCellRange

from culture_logistics.reports.writers import atomic_write_bytes, fixed_time, is_formula_like

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)                    # the earliest date a zip entry can hold


_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def reproducible_zip(data: bytes, when: _dt.datetime | None = None,
                     sheet_rows: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    """Re-pack an OOXML zip with fixed entry dates/attributes and fixed docProps timestamps.

    ``sheet_rows``: {worksheet entry (``xl/worksheets/sheet1.xml``): (``<row>`` elements, dimension ref)}
    rows to append to that worksheet's ``sheetData`` (see :func:`_data_rows_xml`), its ``dimension``
    set to the given range.
    """
    when = when or fixed_time()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    date_time = max(_ZIP_EPOCH, when.timetuple()[:6])
    sheet_rows = sheet_rows or {}
    out = _io.BytesIO()
    with zipfile.ZipFile(_io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), body)
            elif info.filename in sheet_rows:
                body = _splice_rows(body, *sheet_rows[info.filename])
            zi = zipfile.ZipInfo(info.filename, date_time=date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            dst.writestr(zi, body)
    return out.getvalue()


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"')


def _splice_rows(body: bytes, rows: bytes, ref: str) -> bytes:
    """A worksheet's XML with ``rows`` appended inside ``sheetData`` and its dimension set to ``ref``."""
    if not rows:
        return body
    if b"</sheetData>" in body:
        body = body.replace(b"</sheetData>", rows + b"</sheetData>", 1)
    elif b"<sheetData />" in body:
        body = body.replace(b"<sheetData />", b"<sheetData>" + rows + b"</sheetData>", 1)
    else:
        raise ValueError("worksheet XML without sheetData")
    return _DIMENSION.sub(b'<dimension ref="' + ref.encode("ascii") + b'"', body, count=1)


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


def sheet_name(base: str, suffix: str = "", used: set[str] | None = None) -> str:
    """An Excel sheet name from ``base`` + ``suffix``: forbidden characters ``[]:*?/\\`` replaced, cut to
    31 characters by shortening ``base`` (the suffix, e.g. ``-1号车``, is kept), unique (case-insensitive)
    among ``used`` (then added to it) by a ``~2``, ``~3`` … ending."""
    base, suffix = _sheet_title(base) if base else "", _sheet_title(suffix) if suffix else ""
    title = (base[: 31 - len(suffix)] + suffix).strip("'") or "sheet"
    if used is None:
        return title
    stem, k = title, 2
    while title.lower() in used:
        end = f"~{k}"
        title = stem[: 31 - len(end)] + end
        k += 1
    used.add(title.lower())
    return title


def display_width(value) -> int:
    """Columns a value takes in a spreadsheet cell: a wide (CJK) character counts two, others one.

    Numbers count as Excel's General format shows them (at most 11 characters)."""
    if value is None:
        return 0
    if isinstance(value, float):
        text = f"{value:.10g}"
        return min(len(text), 11)
    return _text_width(str(value))


@lru_cache(maxsize=65_536)
def _text_width(text: str) -> int:
    # cached: a workbook repeats its texts (stop kinds, names, times) on many rows
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


XLSX_MAX_COLUMN_WIDTH = 60   # characters; a longer cell wraps inside its column


@dataclass
class Sheet:
    """One printable worksheet: a table under an optional title block.

    Attributes
    ----------
    table : the rows (one header row of column names, then the data).
    title : a heading written in row 1 (merged across the table's columns), or ``""``.
    info : title-block pairs ``(label, value)`` written below the title, three pairs a row.
    row_height : points for every data row (e.g. 28 for a signature column), or ``None`` (Excel's default).
    landscape : ``None`` chooses landscape for tables wider than about an A4 portrait page.
    max_widths : {column name: the widest that column may be, in character widths}; longer cells wrap
        (default :data:`XLSX_MAX_COLUMN_WIDTH` for every column).
    min_widths : {column name: the narrowest that column may be} (e.g. room to sign).
    borders : thin borders round the header, every data cell and every title-block cell (a form to fill in).
    info_slots : where the title-block pairs go, one ``(label column, first value column, last value column)``
        (1-based) per pair of a row; the value cells are merged across their columns and wrap, and neither
        labels nor values widen a column.  ``None``: label and value side by side in columns 1–6.
    info_row_height : points for every title-block row (e.g. room for the driver's signature), or ``None``.
    """

    table: pd.DataFrame
    title: str = ""
    info: list[tuple[str, object]] = field(default_factory=list)
    row_height: float | None = None
    landscape: bool | None = None
    max_widths: dict[str, float] = field(default_factory=dict)
    min_widths: dict[str, float] = field(default_factory=dict)
    borders: bool = False
    info_slots: list[tuple[int, int, int]] | None = None
    info_row_height: float | None = None


INFO_PAIRS_PER_ROW = 3


_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


# one object per style (openpyxl stores each distinct style once; building a Font per cell was a tenth
# of writing a route workbook)
_TITLE_FONT = Font(bold=True, size=14)


_BOLD = Font(bold=True)


_HEADER_ALIGN = {wrap: Alignment(wrap_text=wrap, vertical="center") for wrap in (False, True)}


_THIN = Side(style="thin", color="000000")


#: the border of a form's cells (:attr:`Sheet.borders`)
THIN_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


_INFO_VALUE_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)


_INFO_LABEL_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)


_CENTRE_WRAP = Alignment(wrap_text=True, vertical="center")


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _data_rows_xml(ws, df: pd.DataFrame, first_row: int, text_flags: list[bool], widths: list[float],
                   row_height: float | None, caps: list[float] | None = None,
                   borders: bool = False) -> tuple[bytes, int]:
    """The table's rows as worksheet XML (``<row>``/``<c>`` elements as openpyxl writes them), widening
    ``widths`` by each value's display width; returns (XML, last column written, 0 for none).

    Written here rather than cell by cell through openpyxl, whose per-cell ElementTree serialisation
    was half of writing the route workbooks (~35 µs a cell); the cells are the same: numbers as numeric
    cells, text as inline strings (never a formula; a formula-like text gets Excel's quote prefix), the
    ``text_flags`` columns in the ``@`` text format, values wider than their column's cap (``caps``, default
    :data:`XLSX_MAX_COLUMN_WIDTH`) wrapped, every cell bordered with ``borders``.  Their styles are openpyxl's
    own, registered through a detached cell's ``style_id``.
    """
    styles: dict[tuple[bool, bool, bool, bool], str] = {} if borders else {(False, False, False, False): ""}
    caps = caps or [XLSX_MAX_COLUMN_WIDTH] * len(text_flags)

    def style(text_format: bool, wrap: bool, quote: bool, number: bool = False) -> str:
        number = number and borders   # a form's numbers are centred in their boxes, clear of the next text
        key = (text_format, wrap, quote, number)
        if key not in styles:
            probe = Cell(ws)   # never placed in the sheet: it only registers the style with the workbook
            if text_format:
                probe.number_format = "@"
            if wrap:
                probe.alignment = _WRAP_TOP if not borders else _CENTRE_WRAP
            if quote:
                probe.quotePrefix = True
            if borders:
                probe.border = THIN_BORDER
                if number:
                    probe.alignment = Alignment(horizontal="center", vertical="center", wrap_text=wrap or None)
                elif not wrap:
                    probe.alignment = Alignment(vertical="center")
            styles[key] = f' s="{probe.style_id}"'
        return styles[key]

    letters = [get_column_letter(j) for j in range(1, len(text_flags) + 1)]
    height = f' ht="{safe_string(row_height)}" customHeight="1"' if row_height else ""
    parts: list[str] = []
    max_col = 0
    columns = [df.iloc[:, j].tolist() for j in range(df.shape[1])]   # plain Python values, column by column
    for i, values in enumerate(zip(*columns), start=first_row):
        parts.append(f'<row r="{i}"{height}>')
        for j, (v, is_text) in enumerate(zip(values, text_flags)):
            value = _xlsx_value(v)
            ref = f"{letters[j]}{i}"
            if value is None:
                if is_text or borders:
                    parts.append(f'<c r="{ref}"{style(is_text, False, False)} t="n" />')
                    max_col = max(max_col, j + 1)
                continue
            w = display_width(value)
            wrap = w > caps[j]
            if w > widths[j]:
                widths[j] = w
            max_col = max(max_col, j + 1)
            if is_text or isinstance(value, str):
                text = _xlsx_text(str(value))
                s = style(is_text, wrap, is_formula_like(text))
                if not text:
                    parts.append(f'<c r="{ref}"{s} t="inlineStr" />')
                    continue
                stripped = text.strip()
                space = ' xml:space="preserve"' if stripped and stripped != text else ""
                parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>')
            else:
                parts.append(f'<c r="{ref}"{style(False, wrap, False, True)} t="{"b" if isinstance(value, bool) else "n"}">'
                             f"<v>{safe_string(value)}</v></c>")
        parts.append("</row>")
    if not parts:   # openpyxl writes the (empty) row below the frozen header of an empty table
        parts.append(f'<row r="{first_row}"></row>')
    return "".join(parts).encode("utf-8"), max_col


class StyleMemo:
    """The style changes of one workbook's cells, remembered: a change already made to a cell of the same
    style gives the same style again, copied instead of made anew.

    openpyxl registers every style it is given by hashing and comparing style objects (slow: merging the
    driver sheets' title cells was half of writing a route workbook).  A change met again registers nothing
    new (its result is already in the workbook's style lists), so copying its result leaves the workbook, and
    so its bytes, exactly as openpyxl makes them.  One memo per workbook (style ids are the workbook's).
    """

    #: False: every change made by openpyxl itself and merges by ``ws.merge_cells`` (what the memo must equal)
    remember = True

    def __init__(self) -> None:
        self.done: dict = {}

    def apply(self, cell, key: tuple, change) -> None:
        """``change(cell)`` (a style change), or its remembered result for a cell of the same style."""
        if not self.remember:
            change(cell)
            return
        k = (None if cell._style is None else tuple(cell._style),) + key
        new = self.done.get(k)
        if new is None:
            change(cell)
            self.done[k] = StyleArray(cell._style)
        else:
            cell._style = StyleArray(new)

    def set(self, cell, name: str, value) -> None:
        """``setattr(cell, name, value)`` for a style object ``value`` that lives as long as the memo (a
        module constant): it is known by its ``id``."""
        self.apply(cell, (name, id(value)), lambda c: setattr(c, name, value))

    def merge(self, ws, row: int, first_col: int, last_col: int) -> None:
        """``ws.merge_cells`` of the cells ``first_col``..``last_col`` of ``row``, with the same cells and styles
        (openpyxl's :class:`MergedCellRange` and ``Worksheet._clean_merge_range``, the style changes memoised)."""
        if not self.remember:
            ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)
            return
        mcr = _MemoMergedRange(ws, f"{get_column_letter(first_col)}{row}:{get_column_letter(last_col)}{row}", self)
        ws.merged_cells.add(mcr)
        cells = mcr.cells
        next(cells)   # the top-left cell stays
        for r, c in cells:
            ws._cells[r, c] = MergedCell(ws, r, c)
        start = mcr.start_cell
        bid = start._style.borderId
        for name in ("top", "left", "right", "bottom"):
            side = getattr(start.border, name)
            if side and side.style is None:
                continue   # no border on that side
            for coord in getattr(mcr, name):
                cell = ws._cells.get(coord)
                if cell is None:
                    cell = MergedCell(ws, row=coord[0], column=coord[1])
                    ws._cells[(cell.row, cell.column)] = cell
                self.apply(cell, ("edge", name, bid),
                           lambda c, n=name, sd=side: setattr(c, "border", c.border + Border(**{n: sd})))
        if start.protection is not None:
            protection = StyleArray(start._style).protectionId
            value = copy.copy(start.protection)
            for coord in mcr.cells:
                cell = ws._cells.get(coord)
                if cell is None:
                    cell = MergedCell(ws, row=coord[0], column=coord[1])
                    ws._cells[(cell.row, cell.column)] = cell
                self.apply(cell, ("protection", protection), lambda c, v=value: setattr(c, "protection", v))


class _MemoMergedRange(MergedCellRange):
    """openpyxl's MergedCellRange whose first style change (the top-left cell takes the bottom-right cell's
    right and bottom borders) is memoised."""

    def __init__(self, worksheet, coord, memo: StyleMemo):
        self.memo = memo
        super().__init__(worksheet, coord)

    def _get_borders(self):
        self.start_cell = self.ws._cells.get((self.min_row, self.min_col))
        if self.start_cell is None:
            self.start_cell = self.ws.cell(row=self.min_row, column=self.min_col)
        end_cell = self.ws._cells.get((self.max_row, self.max_col))
        if end_cell is not None:
            right, bottom = end_cell.border.right, end_cell.border.bottom
            self.memo.apply(self.start_cell, ("corner", end_cell._style.borderId),
                            lambda c: setattr(c, "border", c.border + Border(right=right, bottom=bottom)))


def _write_info_slots(ws, sheet: Sheet, row: int, made: list, memo: StyleMemo) -> int:
    """The title block laid out in :attr:`Sheet.info_slots` (values merged across their columns, wrapped,
    left-aligned, so a number never runs into the next label); returns the next free row."""
    slots = sheet.info_slots or []
    for start in range(0, len(sheet.info), len(slots)):
        for (label, value), (lcol, v0, v1) in zip(sheet.info[start:start + len(slots)], slots):
            lc = ws.cell(row=row, column=lcol)
            _set_text(lc, str(label))
            memo.set(lc, "font", _BOLD)
            memo.set(lc, "alignment", _INFO_LABEL_ALIGN)
            made.append(lc)
            vc = ws.cell(row=row, column=v0)
            v = _xlsx_value(value)
            if isinstance(v, str):
                _set_text(vc, v)
            elif v is not None:
                vc.value = v
            memo.set(vc, "alignment", _INFO_VALUE_ALIGN)
            made.append(vc)
            if sheet.borders:
                memo.set(lc, "border", THIN_BORDER)
                for c in range(v0, v1 + 1):
                    cell = ws.cell(row=row, column=c) if c != v0 else vc
                    memo.set(cell, "border", THIN_BORDER)
                    if c != v0:
                        made.append(cell)
            if v1 > v0:
                memo.merge(ws, row, v0, v1)
        if sheet.info_row_height:
            ws.row_dimensions[row].height = sheet.info_row_height
        row += 1
    return row


def _write_sheet(ws, sheet: Sheet, text_columns, memo: StyleMemo | None = None) -> tuple[bytes, str]:
    """Title block and header of one sheet, widths by display width and A4 print setup; returns the data
    rows' XML (:func:`_data_rows_xml`) and the sheet's dimension, for :func:`reproducible_zip` to splice in."""
    df = sheet.table
    columns = list(df.columns)
    info_cols = (max(c for slot in sheet.info_slots for c in slot) if sheet.info_slots else 2 * INFO_PAIRS_PER_ROW)
    ncol = max(len(columns), info_cols if sheet.info else 1)
    widths: list[float] = [0] * max(ncol, 1)
    made: list = []   # the cells above the data rows, row by row
    memo = memo if memo is not None else StyleMemo()
    row = 1
    if sheet.title:
        cell = ws.cell(row=1, column=1)
        _set_text(cell, sheet.title)
        cell.font = _TITLE_FONT
        made.append(cell)
        if ncol > 1:
            memo.merge(ws, 1, 1, ncol)
        ws.row_dimensions[1].height = 24
        row = 2
    if sheet.info_slots:
        row = _write_info_slots(ws, sheet, row, made, memo)
    for start in range(0, 0 if sheet.info_slots else len(sheet.info), INFO_PAIRS_PER_ROW):
        for j, (label, value) in enumerate(sheet.info[start:start + INFO_PAIRS_PER_ROW]):
            lc, vc = ws.cell(row=row, column=2 * j + 1), ws.cell(row=row, column=2 * j + 2)
            _set_text(lc, str(label))
            lc.font = _BOLD
            v = _xlsx_value(value)
            if isinstance(v, str):
                _set_text(vc, v)
            elif v is not None:
                vc.value = v
            made += [lc, vc]
            widths[2 * j] = max(widths[2 * j], display_width(label))
            widths[2 * j + 1] = max(widths[2 * j + 1], display_width(v))
        row += 1
    if sheet.title or sheet.info:
        row += 1   # a blank row between the title block and the table
    header = row
    caps = [min(float(sheet.max_widths.get(c, XLSX_MAX_COLUMN_WIDTH)), XLSX_MAX_COLUMN_WIDTH) for c in columns]
    caps += [XLSX_MAX_COLUMN_WIDTH] * (len(widths) - len(caps))
    for j, c in enumerate(columns, start=1):
        cell = ws.cell(row=header, column=j)
        _set_text(cell, str(c))
        cell.font = _BOLD
        if c in sheet.max_widths or sheet.borders:
            cell.alignment = _HEADER_ALIGN[display_width(c) + 1 > caps[j - 1]]
            if sheet.borders:
                cell.border = THIN_BORDER
        else:
            cell.alignment = _HEADER_ALIGN[display_width(c) > XLSX_MAX_COLUMN_WIDTH]
        made.append(cell)
        widths[j - 1] = max(widths[j - 1], min(display_width(c) + 1, caps[j - 1]))   # bold is a little wider
    top_cols = ws.max_column
    # register the styles in the order openpyxl's writer would meet them (row by row), so the style ids,
    # and so the bytes, are those of a workbook written cell by cell
    for cell in made:
        if cell.has_style:
            cell.style_id
    custom = bool(sheet.max_widths) or sheet.borders
    rows_xml, data_cols = _data_rows_xml(ws, df, header + 1, [c in text_columns for c in columns], widths,
                                         sheet.row_height, caps if custom else None, sheet.borders)
    last_row = header + max(len(df), 1)
    dimension = f"A1:{get_column_letter(max(top_cols, data_cols))}{last_row}"
    final = [min(max(w + 2, 6), XLSX_MAX_COLUMN_WIDTH) for w in widths]
    if custom:   # a column with a cap is at most as wide as its cap; a minimum width widens it
        mins = [float(sheet.min_widths.get(c, 0)) for c in columns] + [0.0] * (len(widths) - len(columns))
        final = [min(max(w + 2, 6, m), max(cap, m)) for w, cap, m in zip(widths, caps, mins)]
    for j, w in enumerate(final, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = f"A{header + 1}"   # a coordinate, not ws.cell(): no cell is created below the header
    ws.print_title_rows = f"{header}:{header}"
    ps = ws.page_setup
    ps.paperSize = ws.PAPERSIZE_A4
    total = sum(final)
    landscape = sheet.landscape if sheet.landscape is not None else total > 95
    ps.orientation = "landscape" if landscape else "portrait"
    ps.fitToWidth = 1
    ps.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "&P / &N"
    return rows_xml, dimension


def write_xlsx(sheets: dict[str, pd.DataFrame | Sheet], path: str | Path,
               text_columns: Set[str] = frozenset()) -> Path:
    """Write several tables to one print-ready workbook (:func:`xlsx_bytes`), atomically."""
    return atomic_write_bytes(path, xlsx_bytes(sheets, text_columns))


def xlsx_bytes(sheets: dict[str, pd.DataFrame | Sheet], text_columns: Set[str] = frozenset()) -> bytes:
    """Several tables as one print-ready workbook, reproducibly (the same tables give the same bytes).

    Each value is a DataFrame or a :class:`Sheet` (a table under a title block).  Sheet names are cut
    to Excel's 31 characters, cleaned of ``[]:*?/\\`` and made unique.  Text is never written as a
    formula (see the module docstring); ``text_columns`` stay text cells (codes keep leading zeros).
    Every sheet: column widths by display width (a CJK character counts two; capped at
    :data:`XLSX_MAX_COLUMN_WIDTH`, longer cells wrap), the header row repeated on every printed page,
    A4, fit to the page width (``fitToWidth=1``, ``fitToHeight=0``), page numbers in the footer.
    """

    wb = Workbook()
    wb.remove(wb.active)
    when = fixed_time()
    wb.properties.created = when
    wb.properties.modified = when
    used: set[str] = set()
    rows = []
    memo = StyleMemo()
    for name, sheet in sheets.items():
        ws = wb.create_sheet(sheet_name(name, used=used))
        rows.append((ws, _write_sheet(ws, sheet if isinstance(sheet, Sheet) else Sheet(sheet), text_columns, memo)))
    if not wb.sheetnames:
        wb.create_sheet("empty")
    buf = _io.BytesIO()
    wb.save(buf)
    # each worksheet's entry name (ws.path) is known once the workbook is saved
    sheet_rows = {ws.path.lstrip("/"): r for ws, r in rows}
    return reproducible_zip(buf.getvalue(), when, sheet_rows)
