"""Maps for every screen: a window-relative fit, a metric scale bar, and controls that fold away on a phone.

:func:`~culture_logistics.reports.maps.assets.render_map` adds the two elements of this module last:

* :class:`LayerList` — folium's layer control, collapsed to its icon when the window is at most
  ``SMALL_SCREEN_PX`` wide (tap it to open), expanded otherwise.
* :class:`ScreenFit` — a metric scale bar (``L.control.scale({imperial: false})``: m / km) and the
  fit of the map to its bounds with a padding measured on the page: the title box's height on top,
  ``SIDE_PAD_SHARE`` of the window width (at most ``SIDE_PAD_MAX_PX``) left and right for the legend and
  the layer list on a wide screen, ``PHONE_PAD_PX`` on a small one.  The legend starts folded on a small
  screen.  The fit is redone when the window is resized, until the user moves the map.  Zoom snaps to
  quarter levels so the county fills the window instead of jumping by a factor of two.
"""
from __future__ import annotations

import json

import folium
from branca.element import MacroElement
from folium.template import Template

#: windows at most this wide (CSS px) are "small": layer list and legend start folded
SMALL_SCREEN_PX = 600


#: side padding on a wide window, as a share of its width, and its cap (CSS px)
SIDE_PAD_SHARE = 0.12


SIDE_PAD_MAX_PX = 220


#: padding on every side on a small window (CSS px)
PHONE_PAD_PX = 12


SCREEN_CSS = f"""<style>
@media (max-width:{SMALL_SCREEN_PX}px){{
.cl-title{{left:50px;right:54px;max-width:none;min-width:0;padding:4px 8px;font-size:11px;line-height:1.3}}
.cl-title b{{font-size:13px}}
.cl-legend{{bottom:16px;left:6px;max-width:calc(100vw - 90px);max-height:55vh;padding:4px 8px}}
.leaflet-control-layers-expanded{{max-width:calc(100vw - 24px)}}
}}
@media print{{.leaflet-control-layers,.leaflet-control-zoom{{display:none}}}}
</style>"""


class LayerList(folium.LayerControl):
    """folium's layer control, folded to its icon on a small screen (see module doc)."""

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }}_layers = {base_layers: {
{%- for key, val in this.base_layers.items() %}{{ key|tojson }}: {{ val }},{%- endfor %}},
overlays: {{ '{' }}{%- for key, val in this.overlays.items() %}{{ key|tojson }}: {{ val }},{%- endfor %}}};
var {{ this.get_name() }} = L.control.layers({{ this.get_name() }}_layers.base_layers,
 {{ this.get_name() }}_layers.overlays,
 Object.assign({{ this.options|tojavascript }}, {collapsed: window.innerWidth <= {{ this.small }}})
).addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, position: str = "topright"):
        super().__init__(position=position, collapsed=False)
        self._name = "LayerList"
        self.small = SMALL_SCREEN_PX


class ScreenFit(MacroElement):
    """Metric scale bar and a window-relative fit to ``bounds`` ``[[south, west], [north, east]]`` (map
    coordinates, degrees); see the module doc."""

    _template = Template("""{% macro script(this, kwargs) %}
(function(){var map={{ this._parent.get_name() }},B={{ this.bounds_js }},SMALL={{ this.small }};
L.control.scale({imperial:false,metric:true,maxWidth:140,position:'bottomright'}).addTo(map);
function small(){return map.getSize().x<=SMALL;}
if(small()){document.querySelectorAll('.cl-legend details').forEach(function(d){d.open=false;});}
var moved=false,fitting=false;
function fit(){var s=map.getSize(),t=document.querySelector('.cl-title'),top={{ this.phone }};
 if(t){var r=t.getBoundingClientRect(),c=map.getContainer().getBoundingClientRect();top=Math.max(top,r.bottom-c.top+6);}
 var side=small()?{{ this.phone }}:Math.min({{ this.share }}*s.x,{{ this.side_max }});
 fitting=true;map.fitBounds(B,{paddingTopLeft:[side,top],paddingBottomRight:[side,{{ this.phone }}],animate:false});
 fitting=false;}
fit();
map.on('dragstart',function(){moved=true;});
map.on('zoomstart',function(){if(!fitting){moved=true;}});
map.on('resize',function(){if(!moved){fit();}});
map.clFit=fit;})();
{% endmacro %}""")

    def __init__(self, bounds):
        super().__init__()
        self._name = "ScreenFit"
        (s, w), (n, e) = bounds
        self.bounds_js = json.dumps([[float(s), float(w)], [float(n), float(e)]])
        self.small = SMALL_SCREEN_PX
        self.share = SIDE_PAD_SHARE
        self.side_max = SIDE_PAD_MAX_PX
        self.phone = PHONE_PAD_PX
