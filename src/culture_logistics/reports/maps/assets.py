"""Saving a map: one self-contained offline page with Leaflet and its images inlined.
"""
from __future__ import annotations

import base64
import re
from pathlib import Path

import folium

from culture_logistics import resources
from culture_logistics.errors import CultureLogisticsError
from culture_logistics.reports.maps.layers import _LayerOrder
from culture_logistics.reports.maps.screen import LayerList, ScreenFit
from culture_logistics.reports.writers import atomic_write_text


class MapAssetError(CultureLogisticsError):
    """A map needs a script or stylesheet that is not bundled for offline use."""


def static_dir() -> Path:
    """The folder of bundled web assets (Leaflet and plugins, with their licences)."""
    return resources.static_dir()


# ---------------------------------------------------------------------------------- saving
_ASSETS = {
    # basename of the URL (folium's or ours) -> bundled file
    "leaflet.js": "leaflet/leaflet.js",
    "leaflet.css": "leaflet/leaflet.css",
    "leaflet.markercluster.js": "markercluster/leaflet.markercluster.js",
    "MarkerCluster.css": "markercluster/MarkerCluster.css",
    "MarkerCluster.Default.css": "markercluster/MarkerCluster.Default.css",
}


_SCRIPT_SRC = re.compile(r'<script\b[^>]*\bsrc\s*=\s*["\']([^"\']+)["\'][^>]*>\s*</script>', re.I)


_LINK_HREF = re.compile(r'<link\b[^>]*\bhref\s*=\s*["\']([^"\']+)["\'][^>]*/?>', re.I)


def _asset_text(url: str) -> str:
    base = url.rsplit("/", 1)[-1].split("?", 1)[0]
    rel = _ASSETS.get(base)
    if rel is None:
        raise MapAssetError(
            f"the map needs {url}, which is not bundled for offline use; use the helpers in "
            "culture_logistics.maps (e.g. facility_icon instead of folium.Icon) or add the file to "
            "culture_logistics/static and maps._ASSETS")
    path = static_dir() / rel
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*//# sourceMappingURL=.*$", "", text, flags=re.M)
    text = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", text)
    if rel.endswith(".css"):
        def data_uri(mo):
            ref = mo.group(1).strip("'\"")
            if ref.startswith(("data:", "#")):
                return mo.group(0)
            img = (path.parent / ref).resolve()
            if not img.is_file():
                raise MapAssetError(f"bundled stylesheet {rel} refers to missing file {ref}")
            b64 = base64.b64encode(img.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{b64})"
        text = re.sub(r"url\(([^)]+)\)", data_uri, text)
    return text.replace("</script", "<\\/script") if rel.endswith(".js") else text.replace("</style", "<\\/style")


_ICON_FIX = ("<script>(function(){var D=L.Icon.Default;D.imagePath='';"
             "D.mergeOptions({iconUrl:'%s',iconRetinaUrl:'%s',shadowUrl:'%s'});})();</script>")


def _walk(el):
    yield el
    for ch in list(el._children.values()):
        yield from _walk(ch)


def render_map(m: folium.Map, layer_control: bool = True) -> str:
    """The map as one self-contained HTML page (str), with Leaflet inlined and no external scripts.

    Adds a layer control when the map has none (:class:`~.screen.LayerList`: expanded on a wide window,
    folded on a phone), and last the metric scale bar and the window-relative fit (:class:`~.screen.ScreenFit`).  Raises :class:`MapAssetError` when an
    element needs a script or stylesheet that is not bundled.
    """
    if isinstance(m, folium.Map):
        for el in _walk(m):
            if isinstance(el, folium.Icon):
                raise MapAssetError("folium.Icon needs Font-Awesome/Bootstrap from CDNs, which are not bundled; "
                                    "use culture_logistics.maps.facility_icon / add_icon_points instead")
        if layer_control and not any(isinstance(c, folium.LayerControl) for c in m._children.values()):
            LayerList(position="topright").add_to(m)
        if not any(isinstance(c, _LayerOrder) for c in m._children.values()):
            m.add_child(_LayerOrder())
        if getattr(m, "cl_bounds", None) is not None and not any(isinstance(c, ScreenFit) for c in m._children.values()):
            m.add_child(ScreenFit(m.cl_bounds))  # type: ignore[attr-defined]
    root = m.get_root()
    for k, el in enumerate(_walk(root)):
        el._id = f"{k:06d}"
    text = root.render()
    used: list[str] = []

    def inline_js(mo):
        url = mo.group(1)
        used.append(url)
        return f"<script>{_asset_text(url)}</script>"

    def inline_css(mo):
        tag = mo.group(0)
        if not re.search(r'rel\s*=\s*["\']?stylesheet', tag, re.I):
            raise MapAssetError(f"unexpected <link> in the map page: {tag[:120]}")
        url = mo.group(1)
        used.append(url)
        return f"<style>{_asset_text(url)}</style>"

    text = _SCRIPT_SRC.sub(inline_js, text)
    text = _LINK_HREF.sub(inline_css, text)
    if any(u.rsplit("/", 1)[-1] == "leaflet.js" for u in used):
        img = static_dir() / "leaflet" / "images"
        uris = [f"data:image/png;base64,{base64.b64encode((img / n).read_bytes()).decode('ascii')}"
                for n in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")]
        # Leaflet finds its default marker images through the stylesheet's URL; inlined, it cannot.
        pos = text.find("</script>", text.find("leafletjs.com")) + len("</script>")
        text = text[:pos] + _ICON_FIX % tuple(uris) + text[pos:]
    text = text.replace('<meta http-equiv="content-type" content="text/html; charset=UTF-8" />',
                        '<meta charset="utf-8" />', 1)
    leftover = _SCRIPT_SRC.findall(text) + [u for u in _LINK_HREF.findall(text)]
    if leftover:
        raise MapAssetError(f"external assets remain in the map page: {leftover}")
    return text


def save_map(m: folium.Map, path: str | Path, layer_control: bool = True) -> Path:
    """Render ``m`` with :func:`render_map` and write it atomically to ``path`` (UTF-8)."""
    return atomic_write_text(path, render_map(m, layer_control=layer_control))

