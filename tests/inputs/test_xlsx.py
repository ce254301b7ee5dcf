"""Officials' files: villages and facilities as .xlsx (and CSV) with Chinese headers and values.

Every workbook here is written by the test with openpyxl, the way Excel or WPS would save it: a title
row above the header, codes typed as numbers, Chinese operator and tier values.
"""
from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook

from conftest import LAT, LON0, STEP, default_facilities, default_villages, run_cli, write_scenario
from culture_logistics import ScenarioError, load_scenario
from culture_logistics.inputs.aliases import VILLAGE_ALIASES, header_map, normalise
from culture_logistics.inputs.tables import _column_letter
from culture_logistics.inputs.xlsx import cell_text

V_HEAD = ["村代码", "村名称", "乡镇代码", "经度", "纬度", "常住人口"]
F_HEAD = ["站点编号", "站点名称", "运营方", "层级", "品牌", "日处理能力", "经度", "纬度"]


def _village_rows(numeric_codes=True):
    rows = []
    for k in range(1, 9):
        code = 370782001000 + k
        rows.append([code if numeric_codes else str(code), f"测试村{k}", 370782001 if numeric_codes else "370782001",
                     round(LON0 + STEP * 2 * (k - 1), 6), LAT, 1000 * k])
    return rows


FACILITY_ROWS = [
    ["HUB", "诸城县级共配中心", "共配", "县级", None, None, LON0 + 0.10, LAT],
    ["P1", "邮政站", "中国邮政", "乡镇", None, 200, LON0, LAT],
    ["C1", "快递站", "快递", "村", "中通", 50, LON0 + 0.14, LAT],
    ["S1", "供销社服务站", "供销社", "镇", "", 80.0, LON0 + 0.04, LAT],
    ["S2", "街道邮政所", "邮政", "街道", "", "", LON0 + 0.06, LAT],
]


def _sheet(wb, title, head, rows, title_row="诸城市村庄名单（2024年）"):
    ws = wb.create_sheet(title)
    if title_row:
        ws.append([title_row])
        ws.append([])                      # a blank row between title and header, as officials' sheets have
    ws.append(head)
    for r in rows:
        ws.append(r)
    return ws


def _workbook(path, sheets):
    wb = Workbook()
    wb.remove(wb.active)
    for title, head, rows in sheets:
        _sheet(wb, title, head, rows)
    wb.save(path)
    return path


def _xlsx_scenario(folder, village_rows=None, facility_rows=None, toml_extra="", v_head=V_HEAD, f_head=F_HEAD,
                   v_sheet="村名单", f_sheet="站点"):
    toml = write_scenario(folder, toml_extra=toml_extra)
    _workbook(folder / "villages.xlsx", [(v_sheet, v_head, _village_rows() if village_rows is None else village_rows)])
    _workbook(folder / "facilities.xlsx", [(f_sheet, f_head, FACILITY_ROWS if facility_rows is None else facility_rows)])
    text = toml.read_text(encoding="utf-8").replace("villages.csv", "villages.xlsx").replace(
        "facilities.csv", "facilities.xlsx")
    toml.write_text(text, encoding="utf-8")
    return toml


def errors_of(path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    return [p for p in exc.value.problems if p.severity == "error"]


def test_xlsx_with_title_row_chinese_headers_numeric_codes_and_chinese_values(tmp_path):
    s = load_scenario(_xlsx_scenario(tmp_path / "x"))
    ref = load_scenario(write_scenario(tmp_path / "csv"))
    v = s.villages
    # numeric code cells stay 12-digit text, never 3.70782e11 or "…001.0"
    assert v["code"].tolist() == [f"37078200100{k}" for k in range(1, 9)]
    assert v["township_code"].unique().tolist() == ["370782001"]
    assert v["population"].tolist() == [1000 * k for k in range(1, 9)]
    # the same villages as the CSV of the same data
    for col in ("code", "name", "township_code", "population", "lon", "lat", "parcels_in_per_week"):
        assert v[col].tolist() == ref.villages[col].tolist(), col
    # Excel's row numbers: title (1), blank (2), header (3), first village on row 4
    assert v["src_row"].tolist() == list(range(4, 12))
    f = s.facilities.set_index("id")
    assert f["operator"].to_dict() == {"C1": "courier", "HUB": "shared", "P1": "postal", "S1": "supply_coop",
                                       "S2": "postal"}
    assert f["tier"].to_dict() == {"C1": "village", "HUB": "county", "P1": "township", "S1": "township",
                                   "S2": "township"}
    assert f.loc["P1", "capacity_per_day"] == 200 and f.loc["S1", "capacity_per_day"] == 80
    assert f["capacity_per_day"].isna().tolist() == [False, True, False, False, True]  # C1 HUB P1 S1 S2
    assert f.loc["C1", "brand"] == "中通"


def test_bad_cell_names_file_sheet_excel_row_and_the_header_as_written(tmp_path):
    rows = _village_rows()
    rows[3][5] = "一千"            # the 4th village: Excel row 3 + 4 = 7
    rows[5][0] = 37078200100       # 11 digits: a code that lost a digit
    errs = errors_of(_xlsx_scenario(tmp_path / "x", village_rows=rows))
    by_col = {e.column: e for e in errs}
    pop = by_col["常住人口"]
    assert pop.row == 7 and "一千" in pop.message
    assert pop.file.endswith("villages.xlsx, sheet '村名单'")
    assert "villages.xlsx, sheet '村名单', row 7, column '常住人口'" in str(pop)
    code = by_col["村代码"]
    assert code.row == 9 and "37078200100" in code.message and "12 digits" in code.hint
    assert len(errs) == 2


def test_bad_chinese_value_gets_the_chinese_alternatives_in_its_hint(tmp_path):
    rows = [list(r) for r in FACILITY_ROWS]
    rows[1][2] = "邮电"
    rows[2][3] = "地市级"
    errs = errors_of(_xlsx_scenario(tmp_path / "x", facility_rows=rows))
    assert [(e.row, e.column) for e in errs] == [(5, "运营方"), (6, "层级")]
    assert "邮政" in errs[0].hint and "乡镇" in errs[1].hint
    assert all(e.file.endswith("facilities.xlsx, sheet '站点'") for e in errs)


def test_sheet_key_picks_the_sheet_and_a_wrong_name_is_named(tmp_path):
    folder = tmp_path / "x"
    toml = _xlsx_scenario(folder, toml_extra="")
    # one workbook, the list on its second sheet; [inputs] sheet applies to every .xlsx input
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由乡镇填报"])
    _sheet(wb, "名单", V_HEAD, _village_rows())
    wb.save(folder / "villages.xlsx")
    wb = Workbook()
    wb.active.title = "说明"
    _sheet(wb, "名单", F_HEAD, FACILITY_ROWS)
    wb.save(folder / "facilities.xlsx")
    text = toml.read_text(encoding="utf-8")
    errs = errors_of(toml)                          # the first sheet, 说明, holds no list
    assert errs[0].file.endswith("villages.xlsx, sheet '说明'") and "missing column" in errs[0].message
    toml.write_text(text.replace('[inputs]\n', '[inputs]\nsheet = "名单"\n'), encoding="utf-8")
    s = load_scenario(toml)
    assert len(s.villages) == 8 and len(s.facilities) == 5
    toml.write_text(text.replace('[inputs]\n', '[inputs]\nsheet = "名 单"\n'), encoding="utf-8")
    errs = errors_of(toml)
    assert "has no sheet '名 单'" in errs[0].message and "did you mean '名单'" in errs[0].message
    assert "'说明', '名单'" in errs[0].hint


def test_duplicate_meaning_and_values_outside_the_header_are_errors(tmp_path):
    head = V_HEAD + ["户籍人口"]
    rows = [r + [r[5] + 10] for r in _village_rows()]
    errs = errors_of(_xlsx_scenario(tmp_path / "a", v_head=head, village_rows=rows))
    assert len(errs) == 1 and "'常住人口' and '户籍人口' both mean 'population'" in errs[0].message
    assert errs[0].row == 3
    rows = _village_rows()
    rows[2] = rows[2] + ["备注：已撤并"]   # a note right of the last header column (G), row 6
    errs = errors_of(_xlsx_scenario(tmp_path / "b", village_rows=rows))
    assert len(errs) == 1 and "cell G6" in errs[0].message and errs[0].row == 6


def test_workbook_named_csv_is_read_and_the_old_refusal_is_gone(tmp_path):
    folder = tmp_path / "x"
    toml = write_scenario(folder)
    _workbook(folder / "villages.csv", [("Sheet1", V_HEAD, _village_rows())])  # an .xlsx saved under .csv
    s = load_scenario(toml)
    assert s.villages["code"].iloc[0] == "370782001001"
    (folder / "villages.xlsx").write_text("code,name\n", encoding="utf-8")  # a CSV named .xlsx
    toml.write_text(toml.read_text(encoding="utf-8").replace("villages.csv", "villages.xlsx"), encoding="utf-8")
    errs = errors_of(toml)
    assert "is named .xlsx but is not an Excel workbook" in errs[0].message


def test_csv_accepts_the_same_chinese_headers_and_values_in_gb18030(tmp_path):
    villages = default_villages()
    facilities = [r.replace(",shared,county,", ",共配点,县级,").replace(",postal,township,", ",邮政,乡镇级,")
                  .replace(",courier,village,", ",快递,村级,") for r in default_facilities()]
    toml = write_scenario(tmp_path / "x", villages=villages, facilities=facilities,
                          village_header="行政区划代码,村名,乡镇代码,经度,纬度,户籍人口",
                          facility_header="编号,名称,所属,级别,经度,纬度,品牌,日处理能力", encoding="gb18030")
    s = load_scenario(toml)
    assert s.villages["population"].sum() == 36000
    assert sorted(s.facilities["operator"]) == ["courier", "postal", "shared"]
    assert sorted(s.facilities["tier"]) == ["county", "township", "village"]


def test_cell_text_is_what_excel_shows():
    assert cell_text(370782001001.0) == "370782001001"
    assert cell_text(370782001001) == "370782001001"
    assert cell_text(119.4103) == "119.4103"
    assert cell_text(None) == "" and cell_text(True) == "true"
    assert _column_letter(0) == "A" and _column_letter(25) == "Z" and _column_letter(27) == "AB"


def test_report_labels_map_back_to_the_contract():
    """The planner's --lang zh / en village table headers are accepted where they make sense."""
    from culture_logistics.reports.labels import _HEAD

    m = header_map(VILLAGE_ALIASES)
    for lang in ("zh", "en"):
        for col in ("village_code", "village_name", "township_code", "population"):
            want = {"village_code": "code", "village_name": "name"}.get(col, col)
            assert m[normalise(_HEAD[lang][col])] == want, (lang, col)


@pytest.mark.slow
def test_the_planners_own_chinese_village_table_feeds_back_in(tmp_path):
    """coverage --lang zh writes village_reach.xlsx (a sheet per township); with 经度/纬度 added, that sheet is
    a villages input again (picked with [inputs] sheet)."""
    toml = write_scenario(tmp_path / "x")
    out = tmp_path / "out"
    proc = run_cli("coverage", toml, "--out", out, "--lang", "zh", "--no-map")
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(out / "village_reach.xlsx")
    assert wb.sheetnames == ["全县汇总", "缺口村", "370782001 密州街道"]
    ws = wb["370782001 密州街道"]
    head = [c.value for c in ws[1]]
    assert head[:3] == ["村代码", "村名", "乡镇代码"]
    ref = load_scenario(toml).villages.set_index("code")
    ws.cell(1, ws.max_column + 1, "经度")
    ws.cell(1, ws.max_column + 1, "纬度")
    for r in range(2, ws.max_row + 1):
        code = str(ws.cell(r, 1).value)
        ws.cell(r, ws.max_column - 1, float(ref.loc[code, "lon"]))
        ws.cell(r, ws.max_column, float(ref.loc[code, "lat"]))
    wb.save(tmp_path / "x" / "villages.xlsx")
    _workbook(tmp_path / "x" / "facilities.xlsx", [("370782001 密州街道", F_HEAD, FACILITY_ROWS)])
    toml.write_text(toml.read_text(encoding="utf-8").replace("villages.csv", "villages.xlsx").replace(
        "facilities.csv", "facilities.xlsx").replace("[inputs]\n", '[inputs]\nsheet = "370782001 密州街道"\n'),
        encoding="utf-8")
    s = load_scenario(toml)
    assert s.villages["code"].tolist() == ref.index.tolist()
    assert s.villages["population"].tolist() == ref["population"].tolist()


def test_readme_alias_table_is_the_aliases_module():
    """README's "XLSX and Chinese headers" tables list exactly the aliases and values the readers accept."""
    from pathlib import Path

    from culture_logistics.inputs.aliases import FACILITY_ALIASES, OPERATOR_VALUES, TIER_VALUES

    text = (Path(__file__).resolve().parents[2] / "docs" / "guide" / "inputs.md").read_text(encoding="utf-8")
    section = text.split("### XLSX and Chinese headers", 1)[1].split("\n## ", 1)[0]
    listed: dict[tuple[str, str], set[str]] = {}
    values: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("file", "column", "---"):
            continue
        if cells[0] in ("villages", "facilities"):
            cols = [c.strip(" `") for c in cells[1].split("/")]
            groups = [g for g in cells[2].split(" / ")]
            for col, g in zip(cols, groups):
                listed[(cells[0], col)] = {a.strip() for a in g.split(",")}
        elif cells[0] in ("`operator`", "`tier`"):
            for v in cells[1].split(","):
                values[v.strip()] = cells[2].strip("`")
    for table, aliases in (("villages", VILLAGE_ALIASES), ("facilities", FACILITY_ALIASES)):
        for col, names in aliases.items():
            if col in ("lon", "lat"):
                continue
            assert {normalise(n) for n in listed[(table, col)]} == {normalise(n) for n in names}, (table, col)
    assert values == {**OPERATOR_VALUES, **TIER_VALUES}


def test_damaged_and_oversized_workbooks_are_refused_with_a_message(tmp_path, monkeypatch):
    from culture_logistics.inputs import xlsx

    folder = tmp_path / "x"
    toml = _xlsx_scenario(folder)
    good = (folder / "villages.xlsx").read_bytes()
    (folder / "villages.xlsx").write_bytes(good[: len(good) // 2])          # cut off mid-file
    errs = errors_of(toml)
    assert errs[0].file.endswith("villages.xlsx") and "cannot be read as an Excel workbook" in errs[0].message
    assert "save it again" in errs[0].hint
    (folder / "villages.xlsx").write_bytes(good)
    # a "zip bomb": the parts unpack to more than the limit (lowered here so the test writes a few KB)
    monkeypatch.setattr(xlsx, "MAX_XLSX_UNCOMPRESSED", 5_000)
    errs = errors_of(toml)
    assert "unpacks to" in errs[0].message and "limit" in errs[0].message


def test_csv_with_a_title_row_numbers_rows_as_a_spreadsheet_does(tmp_path):
    toml = write_scenario(tmp_path / "x", village_header="诸城市村庄名单,,,,,\n\n村代码,村名,乡镇代码,经度,纬度,人口")
    s = load_scenario(toml)
    assert s.villages["src_row"].tolist() == list(range(4, 12))   # title 1, blank 2, header 3
    rows = default_villages()
    rows[0] = rows[0].replace(",1000", ",-5")
    errs = errors_of(write_scenario(tmp_path / "y", villages=rows,
                                    village_header="诸城市村庄名单\n村代码,村名,乡镇代码,经度,纬度,人口"))
    assert [(e.row, e.column) for e in errs] == [(3, "人口")]
