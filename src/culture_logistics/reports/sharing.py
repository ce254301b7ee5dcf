"""Cost-sharing outputs: coalitions.csv, cost_sharing.csv, cost_sharing.xlsx and console lines.
"""
from __future__ import annotations

import pandas as pd

from culture_logistics.config.model import OPERATOR_ZH
from culture_logistics.routing.sharing import CostSharing

SHARING_FILES = ("coalitions.csv", "cost_sharing.csv", "cost_sharing.xlsx")


def sharing_sheets(cs: CostSharing) -> dict[str, pd.DataFrame]:
    """A bilingual workbook: the operators' shares, then every coalition's plan."""
    t = cs.sharing_table()
    ops = pd.DataFrame({
        "运营方 Operator": [f"{OPERATOR_ZH.get(o, o)} {o}" for o in t["operator"]],
        "件数/日 Parcels/day": t["parcels"],
        "单独运营成本 Standalone (CNY/day)": t["standalone_cost"],
        "Shapley 分摊 Shapley share (CNY/day)": t["shapley_share"],
        "按件数分摊 Proportional share (CNY/day)": t["proportional_share"],
        "较单独节省 Saving vs standalone (%)": t["saving_vs_standalone_pct"],
        "在核心内 In core": ["是 yes" if v else "否 no" for v in t["in_core"]],
    })
    c = cs.coalitions_table()
    coal = pd.DataFrame({"联盟 Coalition": c["coalition"], "运营方 Operators": c["operators"],
                         "成本 Cost (CNY/day)": c["cost"], "车辆 Vehicles": c["vehicles"], "公里 km": c["km"]})
    return {"分摊 Shares": ops, "联盟 Coalitions": coal}


def sharing_artifacts(cs: CostSharing) -> dict:
    """{file name: (kind, payload)} of the cost-sharing files (written beside the plan's)."""
    return {"coalitions.csv": ("csv", cs.coalitions_table()),
            "cost_sharing.csv": ("csv", cs.sharing_table()),
            "cost_sharing.xlsx": ("xlsx", sharing_sheets(cs))}


def sharing_lines(cs: CostSharing) -> list[str]:
    """Console lines: each operator's standalone cost and shares, and whether the shares are in the core."""
    t = cs.sharing_table()
    total = cs.cost[cs.grand]
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
