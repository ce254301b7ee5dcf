"""Boxes on top of the map: title, legend, notes, and the legend swatches.
"""
from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import MacroElement
from jinja2 import Template

from culture_logistics.reports.maps.encode import css_color, esc


class HtmlBox(MacroElement):
    """A fixed box on top of the map (title, legend, note); ``body`` is trusted, already-escaped HTML."""

    _template = Template("""{% macro html(this, kwargs) %}
<div class="cl-box {{ this.css_class }}" style="{{ this.style }}">{{ this.body }}</div>
{% endmacro %}
{% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}""")

    def __init__(self, body: str, style: str, css_class: str = "", css: str = ""):
        super().__init__()
        self._name = "ClBox"
        self.body = body
        self.style = style
        self.css_class = css_class
        self.css = css


BOX_CSS = """<style>
.cl-box{position:fixed;z-index:1000;background:rgba(255,255,255,.94);border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.4);font:13px/1.35 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#222}
.cl-title{top:10px;left:56px;padding:6px 14px;max-width:calc(100vw - 560px);min-width:200px}
.cl-title b{font-size:16px}
.cl-legend{bottom:22px;left:10px;padding:6px 10px;max-height:62vh;overflow-y:auto;max-width:270px;font-size:12px}
.cl-legend summary{font-weight:bold;cursor:pointer}
.cl-legend h4{margin:6px 0 2px;font-size:13px}
.cl-legend .row{display:flex;align-items:center;gap:6px;margin:2px 0}
.cl-legend .sw{flex:0 0 26px;display:flex;justify-content:center;align-items:center}
.cl-legend .note{color:#555;font-size:11px;margin-top:6px}
.cl-pop table{border-collapse:collapse}.cl-pop td{padding:1px 6px 1px 0;vertical-align:top}
.cl-pop td:first-child{color:#666;white-space:nowrap}
.cl-fac{background:none;border:none}
.cl-label{font:11px/1.2 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;padding:1px 4px;background:rgba(255,255,255,.85);
 border:1px solid #888;box-shadow:none;color:#111}
.cl-label::before{display:none}
.leaflet-control-layers{font-size:12px}
.leaflet-container{background:#eef0f2}
</style>"""


# ---------------------------------------------------------------------------------- legend
def swatch_circle(color: str, radius: int = 5, border: str = "#ffffff", border_px: int = 1) -> str:
    """Legend swatch: a filled circle (radius px)."""
    d = 2 * radius
    return (f'<span style="display:inline-block;width:{d}px;height:{d}px;border-radius:50%;'
            f'background:{css_color(color)};border:{border_px}px solid {css_color(border)};box-shadow:0 0 0 1px #999">'
            "</span>")


def swatch_text(color: str, text: str, ring: str = "#ffffff", radius: int = 8) -> str:
    """Legend swatch: a filled circle with a ring and a character in it (plain text, escaped)."""
    d = 2 * radius
    return (f'<span style="display:inline-block;box-sizing:border-box;width:{d}px;height:{d}px;border-radius:50%;'
            f'background:{css_color(color)};border:3px solid {css_color(ring)};color:#fff;'
            f'font:bold 9px/{d - 6}px sans-serif;'
            f'text-align:center">{esc(text)}</span>')


def swatch_shape(color: str, shape: str, border: str = "#ffffff", size: int = 14) -> str:
    """Legend swatch: a filled square or diamond (the canvas marker shapes) with a coloured border."""
    rot = "transform:rotate(45deg);" if shape == "diamond" else ""
    s = round(size / 1.414) if shape == "diamond" else size
    return (f'<span style="display:inline-block;box-sizing:border-box;width:{s}px;height:{s}px;{rot}'
            f'background:{css_color(color)};border:2.5px solid {css_color(border)}"></span>')


def swatch_fill(color: str, opacity: float = 0.5, border: str | None = None) -> str:
    """Legend swatch: a filled rectangle (areas)."""
    b = f"border:1.5px solid {css_color(border)}" if border else "border:1px solid #999"
    return (f'<span style="display:inline-block;width:22px;height:13px;{b};background:{css_color(color)};'
            f'opacity:{float(opacity):.2f}"></span>')


def swatch_line(color: str, dash: bool = False, width: int = 3) -> str:
    """Legend swatch: a line."""
    style = "dashed" if dash else "solid"
    return f'<span style="display:inline-block;width:24px;border-top:{int(width)}px {style} {css_color(color)}"></span>'


def swatch_icon(icon: dict) -> str:
    """Legend swatch showing a :func:`facility_icon`."""
    s = icon["size"]
    return f'<span style="display:inline-block;width:{s}px;height:{s}px">{icon["html"]}</span>'


def add_legend(m: folium.Map, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
               notes: Sequence[str] = (), title: str | None = None, open_: bool = True) -> None:
    """A collapsible legend box (bottom left).

    Parameters
    ----------
    sections : ``[(heading, [(swatch_html, label), …]), …]``; swatches come from the ``swatch_*``
        helpers (trusted HTML), headings and labels are plain text (escaped here).
    notes : plain-text notes printed small under the sections (escaped here).
    """
    lang = getattr(m, "cl_lang", "en")
    title = title or ("图例" if lang == "zh" else "Legend")
    parts = [f"<details{' open' if open_ else ''}><summary>{esc(title)}</summary>"]
    for heading, items in sections:
        parts.append(f"<h4>{esc(heading)}</h4>")
        for sw, label in items:
            parts.append(f'<div class="row"><span class="sw">{sw}</span><span>{esc(label)}</span></div>')
    for n in notes:
        parts.append(f'<div class="note">{esc(n)}</div>')
    parts.append("</details>")
    m.add_child(HtmlBox("".join(parts), "", "cl-legend"))


def add_note(m: folium.Map, text: str, position: str = "bottom:52px;right:10px") -> None:
    """A small fixed note (plain text, escaped) e.g. for data provenance; by default above the scale bar."""
    m.add_child(HtmlBox(f'<span style="font-size:11px">{esc(text)}</span>',
                         position + ";padding:3px 8px;max-width:40vw", ""))

