"""Warnings people can read: duplicates merged, one line per kind of note with its count and first names.

A comparison plans the same county three times (separate, shared, 邮快合作), and each plan notes, one
township at a time, every township without a station of an operator: 16–20 lines.  :func:`group_warnings`
lists each plan's notes once, a plan's townships without a station of one operator on one line.
"""
from __future__ import annotations

import re

#: names shown in a grouped line before "…"
FIRST_NAMES = 4

_NO_STATION = re.compile(r"^(?P<op>[\w]+): township (?P<code>\d+) (?P<name>\S+) has no (?P<what>[\w ]+?); "
                         r"served from (?P<from>.+)$")


def _mode_split(line: str, modes: tuple[str, ...]) -> tuple[str, str]:
    for m in modes:
        if line.startswith(f"{m}: "):
            return m, line[len(m) + 2:]
    return "", line


def group_warnings(lines: list[str], modes: tuple[str, ...] = ("separate", "shared", "postal_courier")) -> list[str]:
    """``lines`` (each maybe prefixed ``<mode>: ``) with repeats dropped and like notes of one plan grouped.

    * a note repeated within one plan is listed once;
    * "township T has no X station; served from S" notes of one plan and operator become one line when there
      are several: ``separate: supply_coop: 3 township(s) have no supply_coop station (马头镇, 杨集镇, 港上镇);
      each is served from a neighbouring township's station``, the first :data:`FIRST_NAMES` names then "…"
      (a single one is kept as it is, naming its station).

    Each plan's notes keep their plan's prefix (a note of 邮快合作 is about that plan, even when the separate
    plan notes the same).  Order: the order in which each group's first note came.
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
        out.append(f"{mode}: {msg}" if mode else msg)
    return out
