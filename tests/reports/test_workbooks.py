"""Print-ready workbooks: widths by display width, print titles, A4 fit to width, driver sheets a driver can use.

The workbooks are the real ones the stages write (诸城市 coverage and siting in Chinese, a route plan of
conftest's county), opened again with openpyxl.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from conftest import write_scenario
from culture_logistics.app.coverage import run_coverage
from culture_logistics.app.routing import run_routing
from culture_logistics.inputs.scenario import load_scenario
from culture_logistics.reports.routes import DRIVER_ROW_HEIGHT_PT, comparison_csv
from culture_logistics.reports.siting import write_siting
from culture_logistics.reports.workbooks import XLSX_MAX_COLUMN_WIDTH, Sheet, display_width, sheet_name, write_xlsx
from culture_logistics.resources import counties_dir
from culture_logistics.siting.solve import solve_siting


def test_display_width_counts_cjk_as_two():
    assert display_width("密州街道") == 8 and display_width("ab1") == 3 and display_width("密州 A") == 6
    assert display_width(12345) == 5 and display_width(None) == 0 and display_width(1 / 3) == 11


def test_sheet_names_keep_the_vehicle_number_within_31_characters():
    used = set()
    long = "诸城市某某某某某某某某某某某某某某某某某某某某某某某某县级共配中心"
    a = sheet_name(long, "-1号车", used)
    assert len(a) == 31 and a.endswith("-1号车")
    b = sheet_name(long, "-1号车", used)
    assert b != a and len(b) <= 31 and b.lower() not in {a.lower()}
    assert sheet_name("a/b:c*d?[e]", "-2号车") == "a_b_c_d__e_-2号车"


def overflowing_cells(path) -> list[str]:
    """Cells whose display width exceeds their column's (merged cells: the merged columns' sum),
    unless the cell wraps its text."""
    wb = load_workbook(path)
    bad = []
    for ws in wb.worksheets:
        merged = {}
        for rng in ws.merged_cells.ranges:
            merged[(rng.min_row, rng.min_col)] = range(rng.min_col, rng.max_col + 1)
        for row in ws.iter_rows():
            for c in row:
                if c.value is None or (c.alignment is not None and c.alignment.wrap_text):
                    continue
                cols = merged.get((c.row, c.column), [c.column])
                width = 0.0
                for j in cols:
                    width += ws.column_dimensions[get_column_letter(j)].width or 8.43
                bold = 1 if c.font is not None and c.font.b else 0
                if display_width(c.value) + bold > width:
                    bad.append(f"{ws.title}!{c.coordinate} {c.value!r} ({display_width(c.value)} > {width})")
    return bad


def check_print_setup(path) -> None:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        assert ws.print_title_rows, ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title   # A4
        # the repeated row is the header: the first row with a value in every table column
        r = int(re.match(r"\$?(\d+)", ws.print_title_rows.split(":")[0]).group(1))
        assert all(c.value is not None for c in ws[r][: ws.max_column]), ws.title
        assert max(ws.column_dimensions[x].width or 0 for x in ws.column_dimensions) <= XLSX_MAX_COLUMN_WIDTH


@pytest.fixture(scope="module")
def zhucheng():
    return load_scenario(counties_dir() / "370782" / "scenario.toml")


@pytest.mark.slow
def test_chinese_coverage_workbook_fits_its_columns(zhucheng, tmp_path):
    _, paths = run_coverage(zhucheng, tmp_path, lang="zh", with_map=False)
    path = paths["village_reach.xlsx"]
    assert overflowing_cells(path) == []
    check_print_setup(path)
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["全县汇总", "缺口村"] and len(wb.sheetnames) == 2 + 14
    # CJK counts twice: the township-name column of a township sheet is at least 2 × its longest name
    ws = wb[wb.sheetnames[2]]
    head = [c.value for c in ws[1]]
    col = head.index("村名") + 1
    longest = max(len(str(ws.cell(i, col).value)) for i in range(2, ws.max_row + 1))
    assert ws.column_dimensions[ws.cell(1, col).column_letter].width >= 2 * longest


@pytest.mark.slow
def test_siting_workbook_in_both_languages(zhucheng, tmp_path):
    res = solve_siting(zhucheng, "mclp", k=5)
    for lang, sheets, header in (("zh", ["选址结果", "村庄分配", "仍未覆盖"], "新覆盖人口"),
                                 ("en", ["Sites", "Assignment", "Gaps after"], "Population newly reached")):
        paths = write_siting(res, tmp_path / lang, map_html=False, lang=lang)
        path = paths["workbook"]
        assert path.name == "siting.xlsx"
        assert overflowing_cells(path) == []
        check_print_setup(path)
        wb = load_workbook(path)
        assert wb.sheetnames == sheets
        ws = wb[sheets[0]]
        hrow = int(ws.print_title_rows.split(":")[0].lstrip("$"))
        head = [c.value for c in ws[hrow]]
        assert header in head
        # the sites sheet lists exactly sites.csv, with its population figures
        csv = pd.read_csv(tmp_path / lang / "sites.csv", dtype={"site_id": str})
        col = head.index(header) + 1
        got = [ws.cell(i, col).value for i in range(hrow + 1, ws.max_row + 1)]
        assert got == csv["population_newly_reached"].tolist() and sum(got) == res.summary()["objective"]
        id_col = head.index("站点编号" if lang == "zh" else "Site ID") + 1
        assert all(ws.cell(i, id_col).data_type == "s" for i in range(hrow + 1, ws.max_row + 1))


def test_driver_sheets_have_a_title_block_and_room_to_sign(tmp_path):
    scn = load_scenario(write_scenario(tmp_path / "c"))
    res, paths = run_routing(scn, "shared", tmp_path / "r", time_limit_s=0.3, map_html=False, lang="zh")
    path = paths["route_sheets.xlsx"]
    assert overflowing_cells(path) == []
    check_print_setup(path)
    wb = load_workbook(path)
    routes = res.routes
    drivers = [n for n in wb.sheetnames if n.endswith("号车")]
    assert len(drivers) == len(routes) and len(set(drivers)) == len(drivers)
    trunk = [n for n in drivers if "干线" in n]
    assert len(trunk) == int((routes["echelon"] == "trunk").sum())
    # 邮政站 is the township station of the last mile: its vehicles are 邮政站-1号车, 邮政站-2号车 …
    n_lm = int((routes["echelon"] == "last_mile").sum())
    assert [n for n in drivers if "干线" not in n] == [f"邮政站-{i}号车" for i in range(1, n_lm + 1)]
    ws = wb[drivers[0]]
    # the title block: three label / value pairs a row (labels in columns 2, 5, 10, values beside them)
    labels = {ws.cell(r, c).value: ws.cell(r, c + 1).value for r in range(2, 8) for c in (2, 5, 10)
              if ws.cell(r, c).value}
    for key in ("车辆", "运营方", "日期", "出发站", "出发", "返回", "里程(公里)", "送达", "揽收", "驾驶员签名"):
        assert key in labels, key
    route = routes.iloc[0]
    assert labels["里程(公里)"] == round(route["distance_m"] / 1000, 1)
    assert labels["送达"] == int(route["delivered"]) and re.fullmatch(r"\d\d:\d\d", labels["出发"])
    hrow = int(ws.print_title_rows.split(":")[0].lstrip("$"))
    head = [c.value for c in ws[hrow]]
    sign = head.index("签收") + 1
    assert ws.column_dimensions[ws.cell(hrow, sign).column_letter].width >= 16
    for r in range(hrow + 1, ws.max_row + 1):
        assert ws.row_dimensions[r].height >= DRIVER_ROW_HEIGHT_PT >= 28
    assert ws.page_setup.orientation == "landscape"


#: Excel's column width unit: the maximum digit width of the workbook's Normal font (Calibri 11: 7 px at 96 dpi)
DIGIT_PX = 7
A4_WIDTH_IN = {"portrait": 210 / 25.4, "landscape": 297 / 25.4}


def print_scale(ws) -> float:
    """The scale a sheet prints at: with fit to one page wide, the A4 width inside the margins over the columns'
    width (a width of w characters is w × 7 + 5 px, ECMA-376 §18.3.1.13), rounded down to a whole percent and
    never above 100 %; without fit to width, the page setup's own scale."""
    ps = ws.page_setup
    if not (ws.sheet_properties.pageSetUpPr.fitToPage and ps.fitToWidth == 1):
        return (ps.scale or 100) / 100
    assert int(ps.paperSize) == 9   # A4
    inside_px = (A4_WIDTH_IN[ps.orientation] - ws.page_margins.left - ws.page_margins.right) * 96
    columns_px = sum((ws.column_dimensions[get_column_letter(j)].width or 8.43) * DIGIT_PX + 5
                     for j in range(1, ws.max_column + 1))
    return min(100, int(100 * inside_px / columns_px)) / 100


def smallest_font_pt(ws) -> float:
    return min(c.font.sz or 11 for row in ws.iter_rows() for c in row if c.value is not None)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_driver_sheets_print_at_10_pt_on_a4_with_borders_and_signature_boxes(tmp_path, lang):
    """A stop with a 40-character name and a depot with a 70-character internal id: no column grows past its
    cap (long text wraps), the sheet prints on A4 at ≥ 10 pt, every stop row is bordered with a signature box."""
    from conftest import LAT, LON0, default_facilities, default_villages

    villages = default_villages()
    villages[2] = villages[2].replace("测试村3", "测试村" + "很长的村名" * 8)
    long_id = "P1-" + "internal-id-" * 6
    facilities = [f.replace("P1,", f"{long_id},") for f in default_facilities()]
    assert any(long_id in f for f in facilities) and LAT and LON0
    scn = load_scenario(write_scenario(tmp_path / "c", villages=villages, facilities=facilities))
    res, paths = run_routing(scn, "shared", tmp_path / "r", time_limit_s=0.3, map_html=False, lang=lang)
    path = paths["route_sheets.xlsx"]
    assert overflowing_cells(path) == []
    wb = load_workbook(path)
    drivers = wb.sheetnames[1:1 + len(res.routes)]
    assert drivers and all(n.endswith("号车") for n in drivers) if lang == "zh" else all(" van " in n for n in drivers)
    sign_head = "签收" if lang == "zh" else "Signature"
    for name in drivers:
        ws = wb[name]
        widths = [ws.column_dimensions[get_column_letter(j)].width for j in range(1, ws.max_column + 1)]
        assert max(widths) <= 22, (name, widths)
        hrow = int(ws.print_title_rows.split(":")[0].lstrip("$"))
        # every title-block label fits its column or merged box (set in rows of a fixed height, it must not wrap)
        for r in range(2, hrow):
            for c in (2, 5, 10):
                v = ws.cell(r, c).value
                assert v is None or display_width(v) + 1 <= ws.column_dimensions[get_column_letter(c)].width, v
        scale = print_scale(ws)
        assert smallest_font_pt(ws) * scale >= 10, (name, scale, sum(widths))
        head = [c.value for c in ws[hrow]]
        sign = head.index(sign_head) + 1
        assert ws.column_dimensions[get_column_letter(sign)].width >= 20   # ≈ 35 mm printed at 100 %
        # numbers are centred in their boxes: a stop's number does not run into its name
        assert all(ws.cell(r, 1).alignment.horizontal == "center" for r in range(hrow + 1, ws.max_row + 1))
        for r in range(hrow, ws.max_row + 1):   # the header and every stop row, each cell boxed
            for c in range(1, len(head) + 1):
                b = ws.cell(r, c).border
                assert all(getattr(b, side).style == "thin" for side in ("left", "right", "top", "bottom")), \
                    (name, r, c)
        # the title block: the driver signs in a bordered box; no raw codes for people to read
        cells = {ws.cell(r, c).value: (r, c) for r in range(2, hrow) for c in range(1, len(head) + 1)}
        r, c = cells["驾驶员签名" if lang == "zh" else "Driver signs"]
        assert ws.cell(r, c + 1).border.left.style == "thin" and ws.cell(r, c + 1).value is None
        values = [str(v) for v in cells]
        assert not any(code in v for v in values for code in ("light_van", "trunk_van", "supply_coop", "last_mile"))
        # numbers in the title block are left-aligned in their own boxes, not against the next label
        assert all(ws.cell(r, c).alignment.horizontal == "left" for v, (r, c) in cells.items()
                   if isinstance(v, (int, float)))
        if "干线" not in name and "trunk" not in name:   # a last-mile van leaves from the long-id station
            depot_row = [ws.cell(hrow + 1, c) for c in range(1, len(head) + 1)]
            assert depot_row[2].value == long_id and depot_row[2].alignment.wrap_text
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "light_van" not in text and "supply_coop" not in text
    if lang == "en":
        assert not re.search(r"[\u4e00-\u9fff]", text.replace("诸城市", "").replace("邮政站", "")
                             .replace("诸城县级共配中心", "").replace("测试村", "").replace("很长的村名", "")
                             .replace("快递站", "").replace("测试路", ""))


def test_long_text_wraps_instead_of_overflowing(tmp_path):
    long = "很长的说明" * 20   # display width 200 > the 60 cap
    path = write_xlsx({"s": Sheet(pd.DataFrame({"说明": [long, "短"]}), title="标题")}, tmp_path / "w.xlsx")
    ws = load_workbook(path)["s"]
    assert ws.column_dimensions["A"].width == XLSX_MAX_COLUMN_WIDTH
    cell = next(c for row in ws.iter_rows() for c in row if c.value == long)
    assert cell.alignment.wrap_text
    assert overflowing_cells(path) == []


def test_comparison_csv_in_chinese_keeps_the_english_contract():
    table = pd.DataFrame([{"metric": "cost", "unit": "CNY/day", "separate": 100.0, "shared": 60.0,
                           "difference": -40.0, "saving_pct": 40.0}], dtype=object)
    en = comparison_csv(table, "en")
    assert list(en.columns) == ["metric", "unit", "separate", "shared", "difference", "saving_pct"]
    assert en.iloc[0].tolist() == ["cost", "CNY/day", "100", "60", "-40", 40.0]
    zh = comparison_csv(table, "zh")
    assert list(zh.columns) == ["指标", "单位", "各自配送", "共同配送", "差值(共同−各自)", "节省(%)"]
    assert zh.iloc[0].tolist() == ["总成本", "元/天", "100", "60", "-40", 40.0]


def test_data_rows_read_back_as_openpyxl_writes_them_cell_by_cell(tmp_path):
    """write_xlsx writes the data rows' XML itself (reports/writers.py ``_data_rows_xml``): read back by openpyxl
    and by calamine they are the cells openpyxl writes one by one (text forced to text, codes in ``@``)."""
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    from culture_logistics.reports.writers import is_formula_like

    rows = [["007", "  lead", 1, "#N/A", True],
            [None, "tail  ", 2.5, "line1\nline2", False],
            ["=1+1", " " * 16, None, "x" * 70, 12345678901234],
            ["a&b<c>\"'", "", -3, "-3", 0.1 + 0.2],
            ["+86 536", "@home", 7, "=SUM(A1:A3)", -0.0]]
    df = pd.DataFrame(rows, columns=["代码 Code", "name", "n", "note", "mixed"])
    write_xlsx({"t": Sheet(df, row_height=28)}, tmp_path / "ours.xlsx", text_columns={"代码 Code"})
    ref = Workbook()
    ws = ref.active
    ws.title = "t"
    for j, c in enumerate(df.columns, start=1):
        ws.cell(1, j).value = c
    for i, row in enumerate(rows, start=2):
        for j, v in enumerate(row, start=1):
            if v is None:
                if j == 1:
                    ws.cell(i, j).number_format = "@"
                continue
            cell = ws.cell(i, j)
            cell.value = v
            if isinstance(v, str):
                cell.data_type = "s"
                cell.quotePrefix = is_formula_like(v)
            if j == 1:
                cell.number_format = "@"
    ref.save(tmp_path / "ref.xlsx")

    def cells(path):
        sheet = load_workbook(path)["t"]
        return {(c.row, c.column): (c.value, c.data_type, c.number_format, bool(c.quotePrefix))
                for r in sheet.iter_rows(min_row=2) for c in r if c.value is not None or c.number_format != "General"}

    ours, theirs = cells(tmp_path / "ours.xlsx"), cells(tmp_path / "ref.xlsx")
    assert ours == theirs
    assert ours[(4, 1)] == ("=1+1", "s", "@", True) and ours[(3, 1)] == (None, "n", "@", False)
    assert ours[(2, 4)] == ("#N/A", "s", "General", False) and ours[(6, 5)][0] == 0
    assert ours[(4, 5)] == (12345678901234, "n", "General", False)
    wrapped = load_workbook(tmp_path / "ours.xlsx")["t"]
    assert wrapped.cell(4, 4).alignment.wrap_text and not wrapped.cell(4, 3).alignment.wrap_text
    assert all(wrapped.row_dimensions[i].height == 28 for i in range(2, 7)) and wrapped.dimensions == "A1:E6"
    cal = [CalamineWorkbook.from_path(str(tmp_path / f)).get_sheet_by_name("t").to_python() for f in
           ("ours.xlsx", "ref.xlsx")]
    assert cal[0] == cal[1] and cal[0][1][1] == "  lead" and cal[0][5][1] == "@home"
    # a table without rows: its title block and header, frozen below the header
    write_xlsx({"none": Sheet(df.iloc[:0], title="空表 Empty", info=[("a", 1)])}, tmp_path / "empty.xlsx")
    ws = load_workbook(tmp_path / "empty.xlsx")["none"]
    assert ws.freeze_panes == "A5" and [c.value for c in ws[4]][:5] == list(df.columns) and ws["A1"].value == "空表 Empty"


def test_population_rates_of_a_county_without_people_are_a_dash(tmp_path):
    """conftest's county with every population 0: the workbook's township and county rows show "–" for the
    population reach rate (not 0.0), the coverage map's popups "(–)"; the village rate (a real 0–100) stays."""
    from conftest import default_villages

    zero = [",".join(r.split(",")[:-1] + ["0"]) for r in default_villages()]
    scn = load_scenario(write_scenario(tmp_path / "c", villages=zero))
    _, paths = run_coverage(scn, tmp_path / "out", lang="zh")
    ws = load_workbook(paths["village_reach.xlsx"])["全县汇总"]
    hrow = int(ws.print_title_rows.split(":")[0].lstrip("$"))
    head = [c.value for c in ws[hrow]]
    rate, vrate = head.index("人口覆盖率(%)") + 1, head.index("村覆盖率(%)") + 1
    rows = range(hrow + 1, ws.max_row + 1)
    assert [ws.cell(r, rate).value for r in rows] == ["–"] * len(rows)
    assert all(isinstance(ws.cell(r, vrate).value, (int, float)) for r in rows)
    page = paths["coverage_map.html"].read_text(encoding="utf-8")
    assert "0/0" not in page and "(0.0 %)" not in page and "<td>–</td>" in page.replace("<\\/td>", "</td>")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_memoised_styles_and_merges_write_the_bytes_openpyxl_writes(tmp_path, monkeypatch, lang):
    """The driver sheets (title blocks merged across bordered boxes) written with the style memo are byte for
    byte the workbook written with every style set, and every cell range merged, by openpyxl itself."""
    from culture_logistics.reports.routes import route_sheets, text_columns
    from culture_logistics.reports.workbooks import StyleMemo

    scn = load_scenario(write_scenario(tmp_path / "c"))
    res, _ = run_routing(scn, "shared", tmp_path / "r", time_limit_s=0.3, map_html=False, lang=lang)
    sheets = route_sheets(res, lang)
    fast = write_xlsx(sheets, tmp_path / "fast.xlsx", text_columns=text_columns(lang)).read_bytes()
    monkeypatch.setattr(StyleMemo, "remember", False)
    plain = write_xlsx(sheets, tmp_path / "plain.xlsx", text_columns=text_columns(lang)).read_bytes()
    assert fast == plain
    ws = load_workbook(tmp_path / "fast.xlsx").worksheets[1]   # the first driver sheet
    merged = [str(r) for r in ws.merged_cells.ranges]
    assert len(merged) >= 4, merged   # the title and the title block's value boxes
    box = max(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))   # a title-block value box
    assert box.max_col > box.min_col and ws.cell(box.min_row, box.max_col).border.right.style == "thin"
