"""Warnings people can read: duplicates merged, one line per kind of note with its count and first names.

A comparison plans the same county three times (separate, shared, 邮快合作), and each plan notes the same
facts (a township without a supply co-op station, villages served from a neighbouring township): listed one
plan at a time they were 16–20 lines with repeats.  :func:`group_warnings` merges them.
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
    """``lines`` (each maybe prefixed ``<mode>: ``) with duplicates merged and like notes grouped.

    * the same note of several plans is one line, prefixed with the plans it applies to (``separate,
      postal_courier: …``);
    * "township T has no X station; served from S" notes of one operator become one line: ``supply_coop: 3
      townships have no supply_coop station (马头镇, 杨集镇, 港上镇); each is served from a neighbouring one``,
      the first :data:`FIRST_NAMES` names then "…".

    Order: the order in which each group's first note came.
    """
    order: list[str] = []
    plans: dict[str, list[str]] = {}
    towns: dict[tuple[str, str], list[str]] = {}
    for line in lines:
        mode, msg = _mode_split(str(line), modes)
        m = _NO_STATION.match(msg)
        if m:
            key = f"\0no-station\0{m['op']}\0{m['what']}"
            names = towns.setdefault((m["op"], m["what"]), [])
            if m["name"] not in names:
                names.append(m["name"])
        else:
            key = msg
        if key not in plans:
            plans[key] = []
            order.append(key)
        if mode and mode not in plans[key]:
            plans[key].append(mode)
    out = []
    for key in order:
        if key.startswith("\0no-station\0"):
            _, _, op, what = key.split("\0")
            names = towns[(op, what)]
            shown = ", ".join(names[:FIRST_NAMES]) + (", …" if len(names) > FIRST_NAMES else "")
            msg = (f"{op}: {len(names)} township(s) have no {what} ({shown}); each is served from a "
                   "neighbouring township's station")
        else:
            msg = key
        prefix = ", ".join(plans[key])
        out.append(f"{prefix}: {msg}" if prefix else msg)
    return out
