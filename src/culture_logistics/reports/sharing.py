"""Cost-sharing outputs: coalitions.csv, cost_sharing.csv, cost_sharing.xlsx and console lines.
"""
from __future__ import annotations

import pandas as pd

from culture_logistics.reports.labels import op_label
from culture_logistics.routing.sharing import CostSharing

SHARING_FILES = ("coalitions.csv", "cost_sharing.csv", "cost_sharing.xlsx")


_SHEETS = {
    "operator": ("Operator", "运营方"), "parcels": ("Parcels/day", "件数/日"),
    "standalone": ("Standalone (CNY/day)", "单独运营成本(元/日)"), "shapley": ("Shapley share (CNY/day)",
                                                                    "Shapley 分摊(元/日)"),
    "proportional": ("Proportional share (CNY/day)", "按件数分摊(元/日)"),
    "saving": ("Saving vs standalone (%)", "较单独节省(%)"), "in_core": ("In core", "在核心内"),
    "coalition": ("Coalition", "联盟"), "cost": ("Cost (CNY/day)", "成本(元/日)"),
    "vehicles": ("Vehicles", "车辆"), "km": ("km", "公里"), "yes": ("yes", "是"), "no": ("no", "否"),
    "shares": ("Shares", "分摊"), "coalitions": ("Coalitions", "联盟"),
}


def sharing_sheets(cs: CostSharing, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The cost-sharing workbook in ``lang`` (``zh``/``en``): the operators' shares, then every coalition's plan;
    operators by name (邮政 / China Post), never by code."""
    def w(key):
        return _SHEETS[key][1 if lang == "zh" else 0]

    def ops_text(text: str) -> str:
        return ("、" if lang == "zh" else ", ").join(op_label(o, lang) for o in str(text).replace("+", ";").split(";")
                                                    if o)
    t = cs.sharing_table()
    ops = pd.DataFrame({
        w("operator"): [op_label(o, lang) for o in t["operator"]],
        w("parcels"): t["parcels"],
        w("standalone"): t["standalone_cost"],
        w("shapley"): t["shapley_share"],
        w("proportional"): t["proportional_share"],
        w("saving"): t["saving_vs_standalone_pct"],
        w("in_core"): [w("yes") if v else w("no") for v in t["in_core"]],
    })
    c = cs.coalitions_table()
    coal = pd.DataFrame({w("coalition"): [ops_text(x) for x in c["coalition"]],
                         w("cost"): c["cost"], w("vehicles"): c["vehicles"], w("km"): c["km"]})
    return {w("shares"): ops, w("coalitions"): coal}


def sharing_artifacts(cs: CostSharing, lang: str = "zh") -> dict:
    """{file name: (kind, payload)} of the cost-sharing files (written beside the plan's); the workbook in
    ``lang``."""
    return {"coalitions.csv": ("csv", cs.coalitions_table()),
            "cost_sharing.csv": ("csv", cs.sharing_table()),
            "cost_sharing.xlsx": ("xlsx", (sharing_sheets(cs, lang), set()))}


def sharing_lines(cs: CostSharing, lang: str = "en") -> list[str]:
    """Console lines: each operator's standalone cost and shares, and whether the shares are in the core
    (``lang`` ``en``/``zh``)."""
    t = cs.sharing_table()
    total = cs.cost[cs.grand]
    if lang == "zh":
        lines = [f"共同配送成本分摊（{total:,.2f} 元/天，{len(cs.coalitions())} 个联盟方案）：",
                 "  运营方：件/天，单独配送，Shapley 分摊，按件分摊（元/天），较单独节省"]
        for r in t.itertuples():
            pct = "–" if r.saving_vs_standalone_pct is None else f"{r.saving_vs_standalone_pct:.1f}%"
            lines.append(f"  {op_label(r.operator, lang)}：{r.parcels:,}，{r.standalone_cost:,.2f}，"
                         f"{r.shapley_share:,.2f}，{r.proportional_share:,.2f}，{pct}")
        lines.append("  Shapley 分摊在核心内：任何运营方或组合都不比单独配送多付。" if cs.in_core else
                     "  Shapley 分摊不在核心内：" + "；".join(
                         f"{v['coalition']} 分摊 {v['pays']:,.2f} > 单独 {v['alone']:,.2f}" for v in cs.violations))
        if cs.noise:
            lines.append(f"  {len(cs.noise)} 个联盟数字与理想规划不符（见 summary.json cost_sharing.noise）")
        return lines
    lines = [f"Cost sharing of the shared plan ({total:,.2f} CNY/day, {len(cs.coalitions())} coalition plans):",
             f"  {'operator':<14}{'parcels':>9}{'alone':>12}{'Shapley':>12}{'by parcels':>12}{'saving':>9}"]
    for r in t.itertuples():
        pct = "" if r.saving_vs_standalone_pct is None else f"{r.saving_vs_standalone_pct:.1f}%"
        lines.append(f"  {r.operator:<14}{r.parcels:>9,}{r.standalone_cost:>12,.2f}{r.shapley_share:>12,.2f}"
                     f"{r.proportional_share:>12,.2f}{pct:>9}")
    if cs.in_core:
        lines.append("  The Shapley shares are in the core: no operator or group of operators pays more than "
                     "its own plan would cost.")
    else:
        lines.append("  The Shapley shares are NOT in the core: " + "; ".join(
            f"{v['coalition']} pays {v['pays']:,.2f} > {v['alone']:,.2f} alone" for v in cs.violations))
    if cs.noise:
        kinds = sorted({n["kind"] for n in cs.noise})
        lines.append(f"  {len(cs.noise)} coalition figure(s) a perfect planner would not give ({', '.join(kinds)}); "
                     "see summary.json cost_sharing.noise")
    return lines
