"""Every label of the non-map outputs, in English and Chinese: one i18n table.

* :func:`column_label` — column headers of the coverage, siting and comparison tables;
* :data:`METRIC_LABELS` / :data:`UNIT_LABELS` — the rows of ``comparison.csv``;
* :data:`REASON_LABELS` — why a stop was not served (``unserved.csv`` ``reason_code``; also the route map);
* :func:`text` — the sentences and headings of the county report (:mod:`culture_logistics.reports.report`).

Every key has an ``en`` and a ``zh`` entry (a test checks it).  The maps keep their own labels.
"""
from __future__ import annotations

import re

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
        # siting (sites.csv, assignment.csv, gaps_after.csv)
        "site_id": "站点编号", "name": "名称", "operator": "运营方", "kind": "方式", "lon": "经度(WGS-84)",
        "lat": "纬度(WGS-84)", "villages_newly_reached": "新覆盖村数", "population_newly_reached": "新覆盖人口",
        "cost": "费用(元)", "parcels_per_week": "每周件数", "site_name": "服务站点", "newly_reached": "新覆盖",
        "reason": "原因",
        # comparison.csv
        "metric": "指标", "unit": "单位", "separate": "各自配送", "shared": "共同配送",
        "difference": "差值(共同−各自)", "saving_pct": "节省(%)",
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
        "site_id": "Site ID", "name": "Name", "operator": "Operator", "kind": "Kind", "lon": "Longitude (WGS-84)",
        "lat": "Latitude (WGS-84)", "villages_newly_reached": "Villages newly reached",
        "population_newly_reached": "Population newly reached", "cost": "Cost (CNY)",
        "parcels_per_week": "Parcels per week", "site_name": "Serving site", "newly_reached": "Newly reached",
        "reason": "Reason",
        "metric": "metric", "unit": "unit", "separate": "separate", "shared": "shared", "difference": "difference",
        "saving_pct": "saving_pct",
    },
}


TEXT_COLUMNS = ("village_code", "township_code", "nearest_facility_id", "site_id")


#: comparison.csv metric names (the ``metric`` column); English keeps the contract's identifiers.
METRIC_LABELS = {
    "vehicles": ("vehicles", "车辆数"), "vehicles_trunk": ("vehicles_trunk", "干线车辆数"),
    "vehicles_last_mile": ("vehicles_last_mile", "末端车辆数"), "trips_last_mile": ("trips_last_mile", "末端车次"),
    "distance": ("distance", "行驶里程"),
    "distance_trunk": ("distance_trunk", "干线里程"), "distance_last_mile": ("distance_last_mile", "末端里程"),
    "driver_hours": ("driver_hours", "司机工时"), "cost": ("cost", "总成本"),
    "cost_vehicles": ("cost_vehicles", "车辆固定成本"), "cost_distance": ("cost_distance", "里程成本"),
    "cost_per_parcel": ("cost_per_parcel", "单件成本"), "unserved_stops": ("unserved_stops", "未服务站点"),
    "parcels_delivered": ("parcels_delivered", "送达件数"), "parcels_picked_up": ("parcels_picked_up", "揽收件数"),
    "village_stops": ("village_stops", "村级停靠次数"), "visits_per_week": ("visits_per_week", "每周到村次数"),
}


UNIT_LABELS = {
    "vehicles/day": ("vehicles/day", "辆/天"), "trips/day": ("trips/day", "车次/天"), "km/day": ("km/day", "公里/天"),
    "h/day": ("h/day", "小时/天"),
    "CNY/day": ("CNY/day", "元/天"), "CNY/parcel": ("CNY/parcel", "元/件"), "stops": ("stops", "个"),
    "parcels/day": ("parcels/day", "件/天"), "stops/day": ("stops/day", "次/天"), "visits/week": ("visits/week", "次/周"),
    "%": ("%", "%"), "CNY": ("CNY", "元"), "km": ("km", "公里"),
}


def metric_label(metric: str, lang: str) -> str:
    """A comparison metric's name: the contract identifier in English, Chinese with ``lang="zh"``."""
    pair = METRIC_LABELS.get(metric)
    return metric if pair is None else pair[1 if lang == "zh" else 0]


def unit_label(unit: str, lang: str) -> str:
    pair = UNIT_LABELS.get(unit)
    return unit if pair is None else pair[1 if lang == "zh" else 0]


#: unserved.csv ``reason_code`` (routing/solving.py, README "Why was a stop dropped?"): {code: (en, zh)}.
REASON_LABELS = {
    "unreachable": ("not on the road network", "路网不可达"),
    "demand_exceeds_capacity": ("more parcels than any vehicle carries", "件量超过最大车辆容量"),
    "beyond_shift": ("farther than a shift allows", "超出班次时长"),
    "beyond_range": ("beyond the vehicles' range", "超出车辆续航里程"),
    "driving_rule": ("driving-time rule (4 h, then a 20 min rest)", "连续驾驶时间规定（4小时后休息20分钟）"),
    "time_window": ("time window closes too early", "时间窗过早关闭"),
    "station_capacity": ("station capacity used up", "站点日处理能力已满"),
    "fleet_too_small": ("fleet too small for the day", "车辆不足"),
    "no_depot": ("no depot of the operator", "该运营方无站点"),
}


def reason_label(code: str, lang: str) -> str:
    """An unserved stop's reason code in words (``lang`` ``en``/``zh``); an unknown code as it is."""
    pair = REASON_LABELS.get(code)
    return code if pair is None else pair[1 if lang == "zh" else 0]


KIND_LABELS = {"existing": ("convert existing", "改造现有站点"), "new": ("open new", "新建服务点")}


def kind_label(kind: str, lang: str) -> str:
    pair = KIND_LABELS.get(kind)
    return kind if pair is None else pair[1 if lang == "zh" else 0]


def table_operator(op: str, lang: str) -> str:
    """An operator code as a table cell: its Chinese name with ``lang="zh"``, else the code."""
    return OPERATOR_ZH.get(op, op) if lang == "zh" else op


def table_operators(text: str, lang: str) -> str:
    """A ``;``-separated list of operator codes as a table cell (``、``-separated Chinese names with ``zh``)."""
    return "、".join(table_operator(o, lang) for o in text.split(";") if o) if lang == "zh" else text


def column_label(col: str, lang: str) -> str:
    """The header of table column ``col`` in ``lang`` (``en``/``zh``); an unknown column keeps its name."""
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


#: The county report's words: {key: (en, zh)}.  ``{name}`` fields are filled by :func:`text`.
TEXT = {
    "title": ("{county} cultural-product logistics: county report", "{county}文化产品物流 县域报告"),
    "subtitle": ("County {adcode} · coverage radius {radius} m along the road network · {date}",
                 "县代码 {adcode} · 覆盖半径 沿路网 {radius} 米 · {date}"),
    "target": ("National target: a service point in every township, service in every village (100 %)",
               "国家目标：乡乡有网点、村村有服务（100%）"),
    "synthetic_banner": ("SYNTHETIC DATA — coordinates, populations, facilities and roads are generated; "
                         "do not read a real village's service level off this report.",
                         "合成数据——村庄坐标、人口、设施与道路为生成数据，不代表真实村庄的服务水平。"),
    "h_reach": ("1. Villages and people reached", "一、村庄与人口覆盖"),
    "h_gaps": ("2. Gaps per township", "二、各乡镇缺口"),
    "h_siting": ("3. Closing the gaps: shared service points", "三、补齐缺口：共享服务点选址"),
    "h_routes": ("4. Daily delivery: shared co-delivery against separate", "四、每日配送：共同配送与各自配送"),
    "h_sources": ("5. Data and files", "五、数据来源与文件"),
    "measure": ("Measure", "指标"), "villages": ("Villages", "村数"), "population": ("Population", "人口"),
    "of_target": ("of target", "目标完成"),
    "reached": ("Reached by every operator", "全部运营方覆盖"),
    "reached_any": ("Reached by at least one operator", "至少一家覆盖"),
    "reached_by": ("Reached by {op}", "{op}覆盖"),
    "total": ("All villages", "全部村庄"),
    "reach_note": ("A village is reached by an operator when one of its facilities, or a shared co-delivery point, "
                   "lies within {radius} m along the road network.",
                   "某运营方的设施或共享共配点沿路网 {radius} 米内可达，即视为该运营方覆盖该村。"),
    "gaps_chart": ("Villages not reached by every operator, per township", "各乡镇未全覆盖村数"),
    "gaps_none": ("Every village is reached by every operator.", "所有村庄均已被全部运营方覆盖。"),
    "gap_villages": ("gap villages", "缺口村"),
    "township": ("Township", "乡镇(街道)"),
    "reach_rate": ("Village reach rate", "村覆盖率"),
    "siting_model": ("Model {model}{k}: {proof}", "模型 {model}{k}：{proof}"),
    "optimal": ("proved optimal", "已证明最优"), "not_optimal": ("gap {gap} % to the bound", "距下界差 {gap}%"),
    "sites_convert": ("Existing sites to convert into shared points", "改造为共享点的现有站点"),
    "sites_new": ("New shared points to open", "新建共享服务点"),
    "newly_villages": ("Villages newly reached", "新覆盖村数"),
    "newly_people": ("People newly reached", "新覆盖人口"),
    "siting_cost": ("One-off cost", "一次性投入"),
    "after": ("Reached by every operator afterwards", "选址后全覆盖"),
    "siting_none": ("No siting result (every village is already reached, or siting was not run).",
                    "无选址结果（所有村庄已覆盖或未运行选址）。"),
    "site": ("Site", "站点"), "kind": ("Action", "方式"),
    "sites_more": ("… and {n} more sites (see sites.csv / siting.xlsx)", "……另有 {n} 个站点（见 sites.csv / siting.xlsx）"),
    "separate": ("Separate", "各自配送"), "shared": ("Shared", "共同配送"), "saving": ("Saving", "节省"),
    "vehicles_day": ("Vehicles", "车辆"), "km_day": ("Distance (km/day)", "里程(公里/天)"),
    "cny_day": ("Cost (CNY/day)", "成本(元/天)"), "cny_parcel": ("Cost per parcel (CNY)", "单件成本(元)"),
    "visits_week": ("Village visits per week", "每周到村次数"),
    "unserved": ("Stops not served", "未服务站点"),
    "saving_line": ("Shared co-delivery saves {pct} % of the daily cost ({a} → {b} CNY/day).",
                    "共同配送每日节省成本 {pct}%（{a} → {b} 元/天）。"),
    "saving_parts": ("Where the saving comes from", "节省来源"),
    "not_like_for_like": ("Not like for like: {note}", "口径不一致：{note}"),
    "routing_none": ("No routing result (routing was not run).", "无配送结果（未运行线路规划）。"),
    "cost_chart": ("Separate against shared (each row on its own scale)", "各自配送与共同配送对比（每行单独比例）"),
    "src_data": ("Data", "数据"), "src_synthetic": ("synthetic (generated, seeded)", "合成数据（固定种子生成）"),
    "src_user": ("user files", "用户提供文件"),
    "src_osm": ("roads from OpenStreetMap, © OpenStreetMap contributors", "道路来自 OpenStreetMap，© OpenStreetMap contributors"),
    "src_divisions": ("Division names and codes: NBS 统计用区划代码 2023", "区划名称与代码：国家统计局统计用区划代码 2023"),
    "src_files": ("Input files", "输入文件"), "src_boundary": ("County boundary", "县界"),
    "src_note": ("Note", "说明"), "generated": ("Generated", "生成日期"),
    "src_effort": ("Routing search", "线路搜索"),
    "src_effort_note": ("planned at {effort} × the default work budget ([routing] effort / --effort): a quick re-plan; "
                        "at 0.25 the ten embedded counties' shared plans cost 1.6 % more than at the default",
                        "按默认搜索量的 {effort} 倍规划（[routing] effort / --effort），为快速重算；"
                        "在 0.25 倍时，十个内置县的共同配送方案成本比默认高 1.6%"),
    "maps": ("Maps", "地图"), "workbooks": ("Workbooks and tables", "工作簿与表格"),
    "figures_from": ("Every figure comes from the stages' summary.json files listed here.",
                     "本报告所有数字均取自下列各环节的 summary.json。"),
    "print_hint": ("Prints on two A4 pages.", "可打印为两页 A4。"),
    "pct": ("{v} %", "{v}%"),
    "band_line": ("Published county co-delivery savings: {lo}–{hi} % ({cases}); ours: {ours}.",
                  "公开的县域共同配送降本：{lo}–{hi}%（{cases}）；本方案：{ours}。"),
    "band_ours": ("{pct} % against separate", "对各自配送 {pct}%"),
    "band_ours_pc": ("{pct} % against 邮快合作", "对邮快合作 {pct}%"),
    "band_within": ("Within the published band.", "在公开区间之内。"),
    "band_above": ("Above the band: the separate vans run part-loaded, and the shared plan pays no sorting or "
                   "coordination cost at the co-delivery centre.",
                   "高于公开区间：各自配送车辆装载不足，且共同配送方案未计共配中心的分拣与协调成本。"),
    "band_below": ("Below the band: with the whole parcel flow every operator's vans already run well loaded, so "
                   "pooling saves mostly distance; the published cases also count savings outside the vans (bus "
                   "carriage, fewer pickup trips).",
                   "低于公开区间：承载全部快件后各家车辆本已装载较满，共同配送主要节省里程；公开案例还计入车辆之外的节省"
                   "（公交代运、减少取件往返）。"),
    "band_sources": ("Sources", "来源"),
    "h_peak": ("Peak plan (every flow ×{f}, e.g. 双11)", "高峰方案（全部流量 ×{f}，如双11）"),
    "peak_none": ("No peak plan (run `culture-logistics report --rerun`).", "无高峰方案（请运行 report --rerun）。"),
    "peak_day": ("normal day", "平日"),
    "peak_all_served": ("Every stop is served at the peak.", "高峰时所有站点均可服务。"),
    "peak_unserved": ("{n} stop(s) not served at the peak (all with reasons in routing_peak/unserved.csv):",
                      "高峰时 {n} 个站点无法服务（原因逐一见 routing_peak/unserved.csv）："),
    "peak_more": ("… and {n} more", "……另有 {n} 个"),
}


def text(key: str, lang: str, **fields) -> str:
    """The report's words for ``key`` in ``lang`` (``en``/``zh``), with ``{fields}`` filled in."""
    en, zh = TEXT[key]
    return (zh if lang == "zh" else en).format(**fields) if fields else (zh if lang == "zh" else en)


def op_label(op: str, lang: str) -> str:
    """An operator's name for people: ``邮政`` / ``China Post`` (never the code ``supply_coop``)."""
    if lang == "zh":
        return OPERATOR_ZH.get(op, op)
    return {"postal": "China Post", "supply_coop": "supply co-op", "courier": "couriers",
            "shared": "shared co-delivery"}.get(op, op)


#: Vehicle types of the default fleet and of common [[fleet]] entries: {name: (en, zh)}; a name not listed
#: here is the user's own word for the vehicle and is shown as it is.
VEHICLE_TYPE_LABELS = {
    "trunk_van": ("trunk van", "干线厢式货车"), "light_van": ("light van", "轻型厢式货车"),
    "e_trike": ("electric tricycle", "电动三轮车"), "bus": ("bus", "客货邮公交"),
    "e_tricycle": ("electric tricycle", "电动三轮车"), "ev_van": ("micro electric van", "微型电动厢式车"),
    "van": ("light van", "轻型厢式货车"), "truck": ("truck", "货车"),
}


def vehicle_type_label(name: str, lang: str) -> str:
    """A fleet entry's vehicle type in words (``light_van`` → ``轻型厢式货车``); an unknown name as it is."""
    pair = VEHICLE_TYPE_LABELS.get(str(name))
    return str(name) if pair is None else pair[1 if lang == "zh" else 0]


ECHELON_LABELS = {"trunk": ("trunk", "干线"), "last_mile": ("last mile", "末端"), "bus": ("bus", "客货邮公交")}


def echelon_label(echelon: str, lang: str) -> str:
    """``trunk`` → ``干线`` / ``trunk``; ``last_mile`` → ``末端`` / ``last mile``."""
    pair = ECHELON_LABELS.get(echelon)
    return echelon if pair is None else pair[1 if lang == "zh" else 0]


def vehicle_names(routes, lang: str) -> dict[str, str]:
    """{route_id: the name a driver knows the vehicle by}: the depot's name and the vehicle's number there,
    e.g. ``密州街道邮政支局-1号车`` / ``密州街道邮政支局 van 1`` (last mile) or ``…-干线1号车`` / ``… trunk van 1``;
    a county bus by its line and departure (``诸城县级共配中心 B1@07:00``).

    ``routes``: a table with ``route_id, depot_id, depot_name, operator, echelon`` (``RoutePlan.routes``).
    Vehicles are numbered 1, 2, … per depot, operator and echelon in route order; when several operators
    leave from one depot the operator's name comes first.
    """
    ops_at = routes.groupby("depot_id")["operator"].nunique().to_dict()
    counter: dict[tuple, int] = {}
    out = {}
    vids = routes["vehicle_id"] if "vehicle_id" in routes else routes["route_id"]
    for rid, did, dname, op, ech, vid in zip(routes["route_id"], routes["depot_id"], routes["depot_name"],
                                             routes["operator"], routes["echelon"], vids):
        if ech == "bus":   # a county bus is known by its line and departure, e.g. 诸城县级共配中心 B1@07:00
            out[rid] = f"{dname if isinstance(dname, str) and dname else did} {str(vid).rsplit('/', 1)[-1]}"
            continue
        key = (did, op, ech)
        counter[key] = counter.get(key, 0) + 1
        n = counter[key]
        depot = str(dname if isinstance(dname, str) and dname else did)
        if lang == "zh":
            base = (OPERATOR_ZH.get(op, op) if ops_at.get(did, 1) > 1 else "") + depot
            out[rid] = base + (f"-干线{n}号车" if ech == "trunk" else f"-{n}号车")
        else:
            base = (op_label(op, lang) + " " if ops_at.get(did, 1) > 1 else "") + depot
            out[rid] = base + (f" trunk van {n}" if ech == "trunk" else f" van {n}")
    return out


#: Driver sheets (route_sheets.xlsx): {key: (en, zh)}.
SHEET_TEXT = {
    "seq": ("No.", "序号"), "stop_name": ("Stop", "站点"), "stop_id": ("Code", "代码"), "kind": ("Kind", "类型"),
    "point_name": ("Service point", "服务点"), "arrive": ("Arrive", "到达"), "leave": ("Leave", "离开"),
    "delivered": ("Deliver", "送达"), "picked_up": ("Pick up", "揽收"), "load_after": ("On board", "车上件数"),
    "leg_km": ("Leg km", "本段公里"), "sign": ("Signature", "签收"),
    "depot": ("depot", "出发/返回站"), "station": ("township station", "乡镇站点"),
    "village_point": ("village service point", "村级服务点"), "village_centre": ("village centre", "村委会"),
    "culture_store": ("culture store", "文化超市"), "cultural_centre": ("cultural service centre", "综合文化服务中心"),
    "library": ("village library", "农家书屋"),
    "depart": ("depart", "出发"), "return": ("return", "返回"), "rest": ("rest {n} min", "休息 {n} 分钟"),
    "reload": ("back to reload, then trip {n}", "回站装货，第 {n} 趟"),
    "stops_trips": ("{n} on {k} trips", "{n}（分 {k} 趟）"),
    "i_vehicle": ("Vehicle", "车辆"), "i_operator": ("Operator", "运营方"), "i_date": ("Date", "日期"),
    "i_depot": ("Depot", "出发站"), "i_start": ("Start", "出发"), "i_return": ("Return", "返回"),
    "i_km": ("Total km", "里程(公里)"), "i_deliver": ("Deliver", "送达"), "i_pickup": ("Pick up", "揽收"),
    "i_echelon": ("Echelon", "层级"), "i_stops": ("Stops", "站点数"), "i_type": ("Vehicle type", "车型"),
    "date_blank": ("____-__-__", "____年__月__日"),
    "vehicle_info": ("{type}, {cap} parcels", "{type}，载量 {cap} 件"),
    "parcels": ("{n} parcels", "{n} 件"), "km": ("{v} km", "{v} 公里"),
    "driver_sign": ("Driver signs", "驾驶员签名"), "handover_sign": ("Depot signs", "返站交接签名"),
    "sign_date": ("Date, time", "日期时间"),
    "title": ("{county} driver sheet: {name}", "{county} 配送路单：{name}"),
    "ov_title": ("{county} route overview ({mode})", "{county} 配送线路总览（{mode}）"),
    "overview": ("Overview", "总览"), "unserved": ("Unserved", "未服务"),
    "un_title": ("{county} unserved stops ({mode})", "{county} 未服务站点（{mode}）"),
    "ov_sheet": ("Sheet", "工作表"), "ov_route": ("Route", "线路"), "ov_vehicle": ("Vehicle", "车辆"),
    "ov_operator": ("Operator", "运营方"), "ov_echelon": ("Echelon", "层级"), "ov_depot": ("Depot", "出发站"),
    "ov_type": ("Type", "车型"), "ov_capacity": ("Capacity", "载量"), "ov_stops": ("Stops", "站点数"),
    "ov_leaves": ("Leaves", "出发"), "ov_returns": ("Returns", "返回"), "ov_km": ("km", "公里"),
    "ov_delivered": ("Delivered", "送达"), "ov_picked": ("Picked up", "揽收"), "ov_cost": ("Cost (CNY)", "成本(元)"),
    "un_reason": ("Reason", "原因"), "un_fix": ("Smallest fix", "最小改动"), "un_checked": ("Checked", "已验证"),
    "yes": ("yes", "是"), "no": ("no", "否"),
    "mode_shared": ("shared co-delivery", "共同配送"), "mode_separate": ("each operator separately", "各自配送"),
    "mode_postal_courier": ("邮快合作 post-courier cooperation", "邮快合作"),
}


def rest_minutes(arrival_min: float, departure_min: float) -> int:
    """The whole minutes of a ``stop_kind = rest`` row of route_plan.csv (its departure less its arrival)."""
    return int(round(float(departure_min) - float(arrival_min)))


def sheet_text(key: str, lang: str, **fields) -> str:
    """Words of the driver sheets (:data:`SHEET_TEXT`) in ``lang``, with ``{fields}`` filled in."""
    en, zh = SHEET_TEXT[key]
    s = zh if lang == "zh" else en
    return s.format(**fields) if fields else s


# ------------------------------------------------------------------ unserved stops: reason and fix in words
#: The sentence parts routing appends to a reason or a fix: (English pattern, Chinese template).
_OPENED = re.compile(r" \(the station's vehicles leave at (?P<t>\d{1,2}:\d{2}), when the trunk has unloaded there\)$")
_UNCHECKED = (
    (" (not checked: diagnosis is off ([routing] diagnose = false))", "（未验证：诊断已关闭，[routing] diagnose = false）"),
    (" (not confirmed by a re-solve within the diagnosis budget ([routing] max_resolves))",
     "（未在诊断预算内经重新求解确认，[routing] max_resolves）"),
)
_TOGETHER = re.compile(r" \(confirmed for these (?P<k>\d+) stops together\)$")

#: unserved.csv ``reason`` as routing words it (routing/solving.py, plan.py, cooperation.py), by reason code:
#: {code: [(pattern, zh template), …]}.  ``{T}`` is a vehicle type, ``{op}`` an operator (put in words).
REASON_TEXTS = {
    "unreachable": [
        (r"unreachable on the road network: its depot (?P<D>\S+) is (?P<a>[\d.,]+) m from the road network "
         r"\(more than max_access_m = (?P<b>[\d.,]+) m\)", "路网不可达：出发站 {D} 距路网 {a} 米（超过 max_access_m = {b} 米）"),
        (r"unreachable on the road network: its point is (?P<a>[\d.,]+) m from the road network's main component "
         r"\(more than max_access_m = (?P<b>[\d.,]+) m\)", "路网不可达：该点距路网主体 {a} 米（超过 max_access_m = {b} 米）"),
        (r"unreachable on the road network: no road path between it and the depot \(one-way roads\?\)",
         "路网不可达：与出发站之间无道路连通（单行道？）"),
    ],
    "demand_exceeds_capacity": [
        (r"demand larger than any vehicle: (?P<d>\d+) parcels to deliver, (?P<p>\d+) to pick up, largest vehicle "
         r"(?P<T>\S+) carries (?P<c>\d+)", "件量超过最大车辆容量：送达 {d} 件、揽收 {p} 件，最大车型{T}载量 {c} 件"),
    ],
    "beyond_shift": [
        (r"farther than a shift allows: the round trip to it alone ends (?P<n>\d+) min after the depot's closing "
         r"time (?P<t>\d{1,2}:\d{2})", "超出班次时长：单独往返也要在出发站 {t} 关门后 {n} 分钟才结束"),
        (r"farther than a shift allows: the round trip to it alone ends (?P<n>\d+) min after the (?P<T>\S+)'s shift "
         r"of (?P<h>[\d.]+) h", "超出班次时长：单独往返也比{T}的 {h} 小时班次多 {n} 分钟"),
    ],
    "beyond_range": [
        (r"beyond the vehicles' range: the out-and-back trip to it alone is (?P<a>[\d.]+) km, the (?P<T>\S+)'s "
         r"range_km is (?P<r>[\d.]+)", "超出车辆续航里程：单独往返也需 {a} 公里，{T}的 range_km 为 {r}"),
    ],
    "driving_rule": [
        (r"driving-time rule: the drive between it and the depot alone takes (?P<h>[\d.]+) h by (?P<T>\S+), more "
         r"than 4 h of continuous driving, then a rest of at least 20 min \(道路交通安全法实施条例 第六十二条\); rests "
         r"are taken at stops", "连续驾驶时间规定：{T}在该点与出发站之间单程行驶就需 {h} 小时，超过《道路交通安全法实施条例》"
                                "第六十二条连续驾驶4小时的上限（休息只能在站点进行）"),
        (r"driving-time rule: the routes that could serve it need the rests of 4 h of continuous driving, then a rest "
         r"of at least 20 min \(道路交通安全法实施条例 第六十二条\), and with them they no longer fit the shift and the "
         r"depot's hours", "连续驾驶时间规定：可服务该点的线路需按《道路交通安全法实施条例》第六十二条在连续驾驶4小时内"
                          "停车休息至少20分钟，加上休息后超出班次和出发站营业时间"),
    ],
    "time_window": [
        (r"time window closes at (?P<a>\d{1,2}:\d{2}) but the earliest arrival is (?P<b>\d{1,2}:\d{2})",
         "时间窗 {a} 关闭，但最早 {b} 才能到达"),
    ],
    "station_capacity": [
        (r"station capacity used up: station (?P<S>.+?) may send out at most (?P<C>[\d.]+) parcels a day "
         r"\(capacity_per_day\) and its vans leave with (?P<load>\d+); (?P<left>\d+) left for this stop's (?P<d>\d+)",
         "站点日处理能力已满：{S} 每天最多发出 {C} 件（capacity_per_day），车辆已装 {load} 件，只剩 {left} 件，"
         "不够本站点的 {d} 件"),
        (r"station capacity used up: station (?P<S>.+?) may send out at most (?P<C>[\d.]+) parcels a day "
         r"\(capacity_per_day\); the vans that add up to it leave with (?P<load>\d+) and cannot take this stop's "
         r"(?P<d>\d+) as well", "站点日处理能力已满：{S} 每天最多发出 {C} 件（capacity_per_day），车辆已装 {load} 件，"
                               "无法再带本站点的 {d} 件"),
    ],
    "fleet_too_small": [
        (r"fleet too small for the day: the stop can be served on its own, but the vehicles at (?P<D>\S+) cannot "
         r"serve it together with the other stops within capacity and shift limits",
         "车辆不足：该站点可单独配送，但 {D} 的车辆在载量和班次限制内无法同时配送它和其他站点"),
        (r"fleet too small for the day: the stop can be served on its own, but the vehicles at (?P<D>\S+) cannot "
         r"serve it together with the other stops within capacity and shift limits and range",
         "车辆不足：该站点可单独配送，但 {D} 的车辆在载量、班次和续航限制内无法同时配送它和其他站点"),
        (r"fleet too small for the day: no vehicle at (?P<D>\S+) \(\[\[fleet\]\] gives (?P<fo>\S+)/(?P<e>\S+) "
         r"count = 0\)", "车辆不足：{D} 没有车辆（[[fleet]] 中 {fo}/{e} 的 count = 0）"),
        (r"the solver found no plan at all in (?P<s>[\d.]+) s \(the stop can be served on its own\); run again with "
         r"a longer --time-limit", "求解器在 {s} 秒内未找到任何方案（该站点可单独配送）；请加大 --time-limit 重新运行"),
    ],
    "no_depot": [
        (r"(?P<op>\S+) has no county depot or township station in the county", "{op}在本县没有县级仓库或乡镇站点"),
    ],
}

#: unserved.csv ``smallest_fix`` as routing words it: [(pattern, zh template), …] (any reason code).
FIX_TEXTS = [
    (r"move depot (?P<D>\S+) next to a road, or add the road it stands on to the road file",
     "把出发站 {D} 移到道路旁，或在路网文件中加入它所在的道路"),
    (r"add the road that reaches it to the road file, or raise \[network\] max_access_m to (?P<n>\d+)",
     "在路网文件中加入通往该点的道路，或把 [network] max_access_m 提高到 {n}"),
    (r"check the road file's one-way tags around it", "检查路网文件中该点附近道路的单行标记"),
    (r"a larger vehicle: one (?P<T>\S+) of capacity (?P<C>\d+) instead of (?P<c>\d+) at (?P<D>\S+)",
     "换一辆更大的车：{D} 的一辆{T}载量由 {c} 件增至 {C} 件"),
    (r"one more vehicle of capacity (?P<C>\d+) \((?P<T>\S+) with capacity \d+\) at (?P<D>\S+)",
     "{D} 增加一辆载量 {C} 件的车（{T}）"),
    (r"shift longer by (?P<m>\d+) min: (?P<T>\S+) max_shift_h (?P<a>[\d.]+) → (?P<b>[\d.]+), depot open until "
     r"(?P<t>\d{1,2}:\d{2})", "班次延长 {m} 分钟：{T} max_shift_h {a} → {b}，出发站营业至 {t}"),
    (r"a vehicle with range_km ≥ (?P<n>\d+) \(the (?P<T>\S+) has (?P<r>[\d.]+)\) at (?P<D>\S+)",
     "{D} 使用 range_km ≥ {n} 的车辆（{T}为 {r}）"),
    (r"serve it from a station nearer to it, or with a faster vehicle than the (?P<T>\S+)",
     "改由更近的站点配送，或使用比{T}更快的车辆"),
    (r"keep its time window open until (?P<t>\d{1,2}:\d{2})", "把该站点的时间窗延长到 {t}"),
    (r"raise capacity_per_day of station (?P<S>.+?) from (?P<C>[\d.]+) to at least (?P<n>\d+) in facilities\.csv",
     "在 facilities.csv 中把 {S} 的 capacity_per_day 由 {C} 提高到至少 {n}"),
    (r"raise capacity_per_day of station (?P<S>.+?) from (?P<C>[\d.]+) to (?P<n>\d+) in facilities\.csv",
     "在 facilities.csv 中把 {S} 的 capacity_per_day 由 {C} 提高到 {n}"),
    (r"(?P<k>one|\d+) more (?P<T>\S+) \(capacity (?P<c>\d+)\) at (?P<D>\S+)(?: \((?P<j>\d+) (?:was|were) not "
     r"enough\))?(?:; serves (?P<o>\d+) other dropped stop\(s\) too)?",
     "{D} 增加 {k} 辆{T}（载量 {c} 件）{j}{o}"),
    (r"shifts longer by 60 min at (?P<D>\S+) \(depot open until (?P<t>\d{1,2}:\d{2})\)",
     "{D} 班次延长 60 分钟（出发站营业至 {t}）"),
    (r"one more (?P<T>\S+) at (?P<D>\S+)", "{D} 增加 1 辆{T}"),
    (r"add a (?P<op>\S+) township station or county depot to facilities\.csv(?P<x> \(or let the shared network "
     r"carry its parcels\))?", "在 facilities.csv 中为{op}增加一个乡镇站点或县级仓库{x}"),
]
_REASONS = {code: [(re.compile(p + "$"), zh) for p, zh in pairs] for code, pairs in REASON_TEXTS.items()}
_FIXES = [(re.compile(p + "$"), zh) for p, zh in FIX_TEXTS]


def _fill_zh(zh: str, fields: dict) -> str:
    f = {k: ("" if v is None else v) for k, v in fields.items()}
    if "T" in f:
        f["T"] = vehicle_type_label(f["T"], "zh")
    if "op" in f:
        f["op"] = op_label(f["op"], "zh")
    if "k" in f:
        f["k"] = "1" if f["k"] == "one" else f["k"]
    if "j" in f and f["j"]:
        f["j"] = f"（{f['j']} 辆不够）"
    if "o" in f and f["o"]:
        f["o"] = f"；同时配送另外 {f['o']} 个未服务站点"
    if "x" in f and f["x"]:
        f["x"] = "（或由共享网络配送其包裹）"
    return zh.format(**f)


def _split_suffixes(s: str) -> tuple[str, str]:
    """``s`` without the parts routing appends (unchecked, confirmed together, the late opening), and those
    parts in Chinese."""
    tail = ""
    for en, zh in _UNCHECKED:
        if s.endswith(en):
            s, tail = s[: -len(en)], zh + tail
    m = _TOGETHER.search(s)
    if m:
        s, tail = s[: m.start()], f"（这 {m['k']} 个站点一并验证）" + tail
    m = _OPENED.search(s)
    if m:
        s, tail = s[: m.start()], f"（干线到站卸货后，站点车辆 {m['t']} 出发）" + tail
    return s, tail


def reason_text(code: str, reason: str, lang: str) -> str:
    """An unserved stop's ``reason`` (routing's English sentence) in ``lang``: the sentence itself in ``en``; in
    ``zh`` the template of its reason code (:data:`REASON_TEXTS`) with its figures, else the code's label."""
    if lang != "zh":
        return reason
    body, tail = _split_suffixes(str(reason))
    for pattern, zh in _REASONS.get(code, []):
        m = pattern.match(body)
        if m:
            return _fill_zh(zh, m.groupdict()) + tail
    return reason_label(code, "zh")


def fix_text(fix: str, lang: str) -> str:
    """An unserved stop's ``smallest_fix`` in ``lang``: the sentence itself in ``en``; in ``zh`` from
    :data:`FIX_TEXTS` with its figures, else a pointer to unserved.csv (never an English sentence)."""
    if lang != "zh":
        return fix
    body, tail = _split_suffixes(str(fix))
    for pattern, zh in _FIXES:
        m = pattern.match(body)
        if m:
            return _fill_zh(zh, m.groupdict()) + tail
    return "见 unserved.csv 的 smallest_fix 列"
