"""Market days: the weekdays a village may be visited (villages.csv ``market_days``, ``[routing.market_days]``).

A value lists weekdays 1…7 (1 = Monday): ``"1,4"``, ``"1 4"``, ``"1、4"``, ``"周一,周四"``, ``"星期二 星期五"``,
``"Mon,Thu"`` or a TOML array ``[1, 4]``.  A rural market "逢三六九" / "逢1、6" follows the dates of the lunar
month, so it falls on other weekdays every week and a weekly plan (the same days every week) cannot follow it:
such a value is refused with a hint to state the weekdays the van should come instead.

It lives in ``config`` so that the villages reader (``inputs``) and ``[routing]`` share one parser.
"""
from __future__ import annotations

import itertools
import re

from culture_logistics.errors import ProblemList

#: Weekday words accepted in a market-days value → day 1…7 (Monday = 1)
WEEKDAY_WORDS: dict[str, int] = {
    **{f"{p}{c}": k for p in ("周", "星期", "礼拜") for k, c in enumerate("一二三四五六", start=1)},
    **{f"{p}{c}": 7 for p in ("周", "星期", "礼拜") for c in ("日", "天")},
    **{w: k for k, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start=1)},
    **{w: k for k, w in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
                                  start=1)},
}

MARKET_DAYS_HINT = ('list weekdays 1-7 (1 = Monday), e.g. "1,4" or "周一,周四"; a lunar-calendar market (逢三六九) '
                    "moves through the week, so state the weekdays the van should come instead")

_SPLIT = re.compile(r"[\s,，、;；/|]+")


def parse_market_days(value) -> tuple[int, ...] | None:
    """The sorted, distinct weekdays (1…7) of a market-days value; None when it is empty (no restriction).

    Raises
    ------
    ValueError
        with a message saying what is wrong (the caller adds file, row, field and :data:`MARKET_DAYS_HINT`).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected weekdays 1-7, got {value!r}")
    if isinstance(value, (list, tuple)):
        parts = [str(x) for x in value]
    else:
        text = str(value).strip()
        if text == "" or text.lower() == "nan":
            return None
        if "逢" in text or re.fullmatch(r"[一二三四五六七八九十]{2,}", text):
            raise ValueError(f"{text!r} is a lunar-calendar market (逢…), which falls on other weekdays every week")
        if re.fullmatch(r"\d+\.0", text):   # a spreadsheet's number 3 read as 3.0
            text = text[:-2]
        parts = [p for p in _SPLIT.split(text) if p]
    days = []
    for p in parts:
        w = p.strip().lower()
        if w in WEEKDAY_WORDS:
            days.append(WEEKDAY_WORDS[w])
        elif w.isdigit() and 1 <= int(w) <= 7:
            days.append(int(w))
        else:
            raise ValueError(f"{p!r} is not a weekday 1-7" + (" (separate the days: \"1,4\")"
                                                                if w.isdigit() and len(w) > 1 else ""))
    if not days:
        raise ValueError(f"no weekday in {value!r}")
    return tuple(sorted(set(days)))


def format_market_days(days: tuple[int, ...] | None) -> str:
    """The canonical text of market days (``"1,4"``; ``""`` for none)."""
    return "" if not days else ",".join(map(str, days))


def market_day_patterns(k: int, market_days: tuple[int, ...], days: int) -> list[tuple[int, ...]]:
    """The visit-day combinations of ``k`` visits a week on market days only (days 1…``days``): the
    ``min(k, number of market days)``-subsets of the market days that spread the visits most evenly over
    the week (largest smallest cyclic gap between two visits), in lexicographic order.

    >>> market_day_patterns(2, (1, 3, 4, 6), 6)
    [(1, 4), (3, 6)]
    >>> market_day_patterns(3, (2, 5), 6)
    [(2, 5)]
    """
    md = sorted(d for d in set(market_days) if 1 <= d <= days)
    k = min(k, len(md))
    if k <= 0:
        return [()]

    def spread(pat: tuple[int, ...]) -> int:
        return min(((pat[(j + 1) % k] - pat[j]) % days) or days for j in range(k))

    subsets = list(itertools.combinations(md, k))
    best = max(spread(p) for p in subsets)
    return [p for p in subsets if spread(p) == best]


def parse_market_days_table(rt: dict, days_per_week: int, file, P: ProblemList) -> dict[str, tuple[int, ...]]:
    """``[routing.market_days]`` of the ``[routing]`` table ``rt``: village code (12 digits) or township code
    (9 digits) → weekdays 1…D, each problem reported to ``P`` with ``file`` and the key."""
    md = rt.get("market_days", {})
    out: dict[str, tuple[int, ...]] = {}
    if not isinstance(md, dict):
        P.error(file, "[routing.market_days] must be a table of village or township code = weekdays",
                column="routing.market_days", hint='e.g. [routing.market_days] "370782101" = "2,5"')
        md = {}
    for code, v in md.items():
        col = f"routing.market_days.{code}"
        if not (str(code).isdigit() and len(str(code)) in (9, 12)):
            P.error(file, f"[routing.market_days] {code!r} is not a village code (12 digits) or a township code "
                          "(9 digits)", column=col, hint='e.g. "370782101" = "2,5" for a township\'s villages')
            continue
        try:
            days = parse_market_days(v)
        except ValueError as exc:
            P.error(file, f"[routing.market_days] {code}: {exc}", column=col, hint=MARKET_DAYS_HINT)
            continue
        if days is None:
            P.error(file, f"[routing.market_days] {code}: no weekday given", column=col, hint=MARKET_DAYS_HINT)
            continue
        late = [d for d in days if d > days_per_week]
        if late:
            P.error(file, f"[routing.market_days] {code}: day {late[0]} is not a delivery day (delivery_days_per_week "
                          f"= {days_per_week}: days 1-{days_per_week})", column=col,
                    hint="give delivery days only, or raise delivery_days_per_week")
            continue
        out[str(code)] = days
    return out
