"""Inline SVG charts for the county report: no JavaScript, no library, work offline and print sharply.

Every function returns one ``<svg>`` element as text, sized in CSS pixels with a ``viewBox`` so it
scales to the column width on a phone and on an A4 page.  Every label is HTML-escaped.
Hand-written (about a hundred lines) because the charts are three kinds of bar and a plotting
library would add a JavaScript runtime or a raster image to a page that must print and work offline.
"""
from __future__ import annotations

from html import escape

from culture_logistics.reports.workbooks import display_width

GREEN, AMBER, RED, GREY, BLUE = "#2e7d32", "#f9a825", "#c62828", "#e0e0e0", "#1565c0"


def _label_width(labels, px_per_unit: float = 6.2) -> float:
    return max([display_width(s) for s in labels] + [4]) * px_per_unit + 8


def percent_bar(pct: float, width: int = 160, height: int = 14, target: float = 100.0) -> str:
    """A bar of ``pct`` % (0–100) against the target (a dark tick at 100 %)."""
    p = max(0.0, min(100.0, float(pct)))
    colour = GREEN if p >= target else (AMBER if p >= 60 else RED)
    w = width * p / 100
    return (f'<svg class="pbar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{p:.1f} %"><rect width="{width}" height="{height}" fill="{GREY}"/>'
            f'<rect width="{w:.1f}" height="{height}" fill="{colour}"/>'
            f'<rect x="{width - 2}" width="2" height="{height}" fill="#212121"/></svg>')


def stacked_bars(rows: list[tuple[str, list[int], str]], legend: list[tuple[str, str]], title: str,
                 width: int = 680, bar_h: int = 13, gap: int = 4) -> str:
    """Horizontal stacked bars, one per row: ``(label, [part counts…], right-hand note)``.

    ``legend`` gives ``(colour, text)`` for each part, in order.  Bars share one scale (the largest total).
    """
    colours = [c for c, _ in legend]
    lw = _label_width([r[0] for r in rows])
    note_w = 120
    plot_w = max(width - lw - note_w, 100)
    top = 22
    biggest = max([sum(parts) for _, parts, _ in rows] + [1])
    h = top + len(rows) * (bar_h + gap) + 6
    out = [f'<svg class="chart" viewBox="0 0 {width} {h}" width="100%" role="img" aria-label="{escape(title)}" '
           f'preserveAspectRatio="xMinYMin meet">']
    x = 0.0
    for colour, text in legend:
        out.append(f'<rect x="{x:.0f}" y="4" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x + 14:.0f}" y="13" class="lg">{escape(text)}</text>')
        x += 14 + _label_width([text]) + 6
    for i, (label, parts, note) in enumerate(rows):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{lw - 6:.0f}" y="{y + bar_h - 3}" text-anchor="end" class="lb">{escape(label)}</text>')
        x = lw
        for part, colour in zip(parts, colours):
            w = plot_w * part / biggest
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                           f'<title>{escape(label)}: {part}</title></rect>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + bar_h - 3}" class="nt">{escape(note)}</text>')
    out.append("</svg>")
    return "".join(out)


def paired_bars(rows: list[tuple[str, float, float]], names: tuple[str, str], title: str, unit: str = "",
                width: int = 680, bar_h: int = 11) -> str:
    """Two bars per row (e.g. separate against shared), each row on its own scale, each bar with its value."""
    lw = _label_width([r[0] for r in rows] + list(names))
    plot_w = max(width - lw - 110, 100)
    top = 22
    step = 2 * bar_h + 8
    h = top + len(rows) * step + 4
    out = [f'<svg class="chart" viewBox="0 0 {width} {h}" width="100%" role="img" aria-label="{escape(title)}" '
           f'preserveAspectRatio="xMinYMin meet">',
           f'<rect x="0" y="4" width="10" height="10" fill="{GREY}" stroke="#757575"/>'
           f'<text x="14" y="13" class="lg">{escape(names[0])}</text>'
           f'<rect x="{_label_width([names[0]]) + 30:.0f}" y="4" width="10" height="10" fill="{BLUE}"/>'
           f'<text x="{_label_width([names[0]]) + 44:.0f}" y="13" class="lg">{escape(names[1])}</text>']
    for i, (label, a, b) in enumerate(rows):
        y = top + i * step
        biggest = max(a, b, 1e-9)
        out.append(f'<text x="{lw - 6:.0f}" y="{y + bar_h + 4}" text-anchor="end" class="lb">{escape(label)}</text>')
        for j, (v, colour) in enumerate(((a, GREY), (b, BLUE))):
            w = plot_w * v / biggest
            yy = y + j * (bar_h + 1)
            out.append(f'<rect x="{lw}" y="{yy}" width="{w:.1f}" height="{bar_h}" fill="{colour}" stroke="#757575" '
                       f'stroke-width="0.5"/><text x="{lw + w + 4:.1f}" y="{yy + bar_h - 2}" class="nt">'
                       f'{escape(f"{v:,.0f}")} {escape(unit)}</text>')
    out.append("</svg>")
    return "".join(out)
