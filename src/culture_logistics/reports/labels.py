"""Column headers and operator labels of the coverage tables, in English and Chinese.
"""
from __future__ import annotations

from culture_logistics.config.model import CARRIERS, OPERATOR_ZH

_HEAD = {
    "zh": {
        "village_code": "村代码", "village_name": "村名", "township_code": "乡镇代码", "township_name": "乡镇(街道)",
        "population": "人口", "reached": "全部运营方覆盖", "reached_any": "至少一家覆盖", "reached_by": "覆盖的运营方",
        "missing_operators": "未覆盖的运营方", "nearest_facility_id": "最近设施编号",
        "nearest_facility_name": "最近设施名称", "nearest_operator": "最近设施运营方",
        "distance_m": "网络距离(米)", "travel_time_min": "行程时间(分钟)", "villages": "村数",
        "villages_reached": "全覆盖村数", "villages_reached_any": "至少一家覆盖村数",
        "villages_unreachable": "路网不可达村数", "population_reached": "全覆盖人口",
        "population_reached_any": "至少一家覆盖人口", "reach_rate": "村覆盖率(%)",
        "population_reach_rate": "人口覆盖率(%)", "mean_distance_m": "平均距离(米)",
        "worst_distance_m": "最远距离(米)",
    },
    "en": {
        "village_code": "Village code", "village_name": "Village", "township_code": "Township code",
        "township_name": "Township", "population": "Population", "reached": "Reached (every operator)",
        "reached_any": "Reached (any operator)", "reached_by": "Reached by", "missing_operators": "Missing operators",
        "nearest_facility_id": "Nearest facility ID", "nearest_facility_name": "Nearest facility",
        "nearest_operator": "Nearest facility operator", "distance_m": "Network distance (m)",
        "travel_time_min": "Travel time (min)", "villages": "Villages", "villages_reached": "Villages reached",
        "villages_reached_any": "Villages reached by any", "villages_unreachable": "Villages not on the road network",
        "population_reached": "Population reached", "population_reached_any": "Population reached by any",
        "reach_rate": "Village reach rate (%)", "population_reach_rate": "Population reach rate (%)",
        "mean_distance_m": "Mean distance (m)", "worst_distance_m": "Worst distance (m)",
    },
}


_TEXT_COLUMNS = ("village_code", "township_code", "nearest_facility_id")


def _op(op: str, lang: str) -> str:
    return OPERATOR_ZH.get(op, op) if lang == "zh" else op


def _ops(text: str, lang: str) -> str:
    return "、".join(_op(o, lang) for o in text.split(";") if o) if lang == "zh" else text


def _head(col: str, lang: str) -> str:
    h = _HEAD[lang]
    if col in h:
        return h[col]
    for op in CARRIERS:
        if col == f"{op}_distance_m":
            return f"{OPERATOR_ZH[op]}最近设施距离(米)" if lang == "zh" else f"Nearest {op} facility (m)"
        if col == f"{op}_nearest_id":
            return f"{OPERATOR_ZH[op]}最近设施编号" if lang == "zh" else f"Nearest {op} facility ID"
        if col == f"villages_reached_by_{op}":
            return f"{OPERATOR_ZH[op]}覆盖村数" if lang == "zh" else f"Villages reached by {op}"
    return col
