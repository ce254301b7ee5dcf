"""Warnings people can read: duplicates merged, one line per kind of note with its count and first names.

A comparison plans the same county three times (separate, shared, 邮快合作), and each plan notes, one
township at a time, every township without a station of an operator: 16–20 lines.  :func:`group_warnings`
lists each plan's notes once, a plan's townships without a station of one operator on one line.
"""
from __future__ import annotations

import re

from culture_logistics.reports.labels import op_label

#: names shown in a grouped line before "…"
FIRST_NAMES = 4

_NO_STATION = re.compile(r"^(?P<op>[\w]+): township (?P<code>\d+) (?P<name>\S+) has no (?P<what>[\w ]+?); "
                         r"served from (?P<from>.+)$")


def _mode_split(line: str, modes: tuple[str, ...]) -> tuple[str, str]:
    for m in modes:
        if line.startswith(f"{m}: "):
            return m, line[len(m) + 2:]
    return "", line


_MOVED = re.compile(r"^(?P<n>[\d,]+) village\(s\) are served from another township's station (?P<rest>\(.*\))$")
_NO_DEADLINES = re.compile(r"^(?P<op>\w+): its trunk runs without station deadlines and each station's vans leave "
                           r"once it has unloaded: (?P<b>[\d,]+) instead of (?P<a>[\d,]+) CNY/day for its trunk and "
                           r"last mile$")
_GROUPED = re.compile(r"^(?P<op>\w+): (?P<n>\d+) township\(s\) have no (?P<what>[\w ]+?) \((?P<names>.*)\); each is "
                      r"served from a neighbouring township's station$")
_MODE_ZH = {"separate": "各自配送", "shared": "共同配送", "postal_courier": "邮快合作"}


def _zh(msg: str) -> str:
    """A routing note in Chinese where its wording is known (the notes :func:`group_warnings` groups, the
    trunk timing note); any other note as it is."""
    m = _GROUPED.match(msg)
    if m:
        op = op_label(m["op"], "zh")
        return (f"{op}：{m['n']} 个乡镇没有{op}站点（{m['names'].replace(', ', '、')}），"
                "各由相邻乡镇的站点配送")
    m = _NO_STATION.match(msg)
    if m:
        op = op_label(m["op"], "zh")
        return f"{op}：乡镇 {m['name']}（{m['code']}）没有{op}站点，由 {m['from']} 配送"
    m = _MOVED.match(msg)
    if m:
        return f"{m['n']} 个村由其他乡镇的站点配送（assignment = \"county\"；见 summary.json villages_moved）"
    m = _NO_DEADLINES.match(msg)
    if m:
        return (f"{op_label(m['op'], 'zh')}：干线不设站点到达时限，各站车辆卸货后即出发：干线与末端合计 "
                f"{m['b']} 元/天（设时限为 {m['a']} 元/天）")
    return msg


def group_warnings(lines: list[str], modes: tuple[str, ...] = ("separate", "shared", "postal_courier"),
                   lang: str = "en") -> list[str]:
    """``lines`` (each maybe prefixed ``<mode>: ``) with repeats dropped and like notes of one plan grouped.

    * a note repeated within one plan is listed once;
    * "township T has no X station; served from S" notes of one plan and operator become one line when there
      are several: ``separate: supply_coop: 3 township(s) have no supply_coop station (马头镇, 杨集镇, 港上镇);
      each is served from a neighbouring township's station``, the first :data:`FIRST_NAMES` names then "…"
      (a single one is kept as it is, naming its station).

    Each plan's notes keep their plan's prefix (a note of 邮快合作 is about that plan, even when the separate
    plan notes the same).  Order: the order in which each group's first note came.  ``lang="zh"``: the plans
    and the notes whose wording is known in Chinese.
    """
    order: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    towns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for line in lines:
        mode, msg = _mode_split(str(line), modes)
        m = _NO_STATION.match(msg)
        if m:
            key = (mode, f"\0no-station\0{m['op']}\0{m['what']}")
            names = towns.setdefault(key, [])
            if all(m["name"] != n for n, _ in names):
                names.append((m["name"], msg))
        else:
            key = (mode, msg)
        if key not in seen:
            seen.add(key)
            order.append(key)
    out = []
    for mode, msg in order:
        if msg.startswith("\0no-station\0"):
            _, _, op, what = msg.split("\0")
            names = towns[(mode, msg)]
            if len(names) == 1:
                msg = names[0][1]
            else:
                shown = ", ".join(n for n, _ in names[:FIRST_NAMES]) + (", …" if len(names) > FIRST_NAMES else "")
                msg = (f"{op}: {len(names)} township(s) have no {what} ({shown}); each is served from a "
                       "neighbouring township's station")
        if lang == "zh":
            out.append(f"{_MODE_ZH.get(mode, mode)}：{_zh(msg)}" if mode else _zh(msg))
        else:
            out.append(f"{mode}: {msg}" if mode else msg)
    return out
