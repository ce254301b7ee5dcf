"""Opening untrusted GIS and XML files with the network off (see docs/SECURITY.md).

GDAL follows references inside a file: a GDAL VRT (an XML file that may be named ``roads.geojson``)
opens its ``<SrcDataSource>`` — ``/vsicurl/http://…`` downloads it —, and a GeoJSON ``"crs"`` member of
type ``link`` (or a name that is a URL) makes GDAL fetch the URL and apply its answer.  Two defences,
both before GDAL sees the file:

1. :func:`check_gis_content` recognises the file's format from its first bytes and accepts only a
   whitelist (:data:`GIS_MAGIC`: GeoJSON, GeoPackage, Shapefile, FlatGeobuf); a VRT, a KML, any other
   text, or a GeoJSON whose ``crs`` member names a link, a URL or a ``/vsi…`` path is refused with a
   :class:`UnsafeFileError` naming the file and what was found.  After GDAL has opened it, the driver
   it chose must be the one the content said (:func:`check_driver`).
2. :func:`network_off` sets GDAL's configuration so that no request can leave the process: ``/vsicurl/``
   accepts no file name (``CPL_VSIL_CURL_ALLOWED_FILENAME``), every HTTP fetch (a CRS link, a schema)
   goes to a proxy on a closed local port and is not retried, sibling files are not listed, a
   remote resource may not open a local file; PROJ's network (grids from the CDN) is off.

XML files (.osm, .graphml) are read with expat, which never fetches external entities and stops entity
amplification; :func:`check_xml_prolog` refuses any document type declaration (``<!DOCTYPE``, where
entities are declared) before the parser runs, as defusedxml does.
"""
from __future__ import annotations

import re
from pathlib import Path

from culture_logistics.errors import CultureLogisticsError

#: GDAL configuration that keeps every read off the network (applied by :func:`network_off`)
NETWORK_OFF_OPTIONS = {
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/nonexistent/culture-logistics/no-network",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".culture-logistics-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:1",
    "GDAL_HTTPS_PROXY": "127.0.0.1:1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_NETRC": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
}

#: format (recognised from the first bytes by :func:`gis_format`) → the GDAL drivers accepted for it
GIS_MAGIC = {
    "GeoJSON": ("GeoJSON", "GeoJSONSeq", "ESRIJSON", "TopoJSON"),  # JSON layers that name no other source
    "GeoPackage": ("GPKG",),
    "Shapefile": ("ESRI Shapefile",),
    "FlatGeobuf": ("FlatGeobuf",),
}

SQLITE_MAGIC = b"SQLite format 3\x00"


SHP_MAGIC = b"\x00\x00\x27\x0a"


FGB_MAGIC = b"fgb\x03"


#: a GeoJSON ``crs`` member is read in this many bytes after its key
CRS_WINDOW = 4096


_CRS_KEY = re.compile(rb'"crs"\s*:')


_REMOTE = re.compile(rb'://|/vsi|"link"|"href"|file:|\\\\', re.IGNORECASE)


_CHUNK = 1 << 20


class UnsafeFileError(CultureLogisticsError):
    """A file that could make a reader reach the network or another file (message and hint for a problem)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


_applied = False


def network_off() -> None:
    """Apply :data:`NETWORK_OFF_OPTIONS` to GDAL and switch PROJ's network off (idempotent, process-wide).

    Called before every GDAL read of a file; never undone, so no thread can read while it is off.
    """
    global _applied
    if _applied:
        return
    import pyogrio  # lazy: only the GIS readers need GDAL
    import pyproj.network

    pyogrio.set_gdal_config_options(NETWORK_OFF_OPTIONS)
    pyproj.network.set_network_enabled(False)  # type: ignore[attr-defined]  # re-exported from pyproj._network
    _applied = True


def _head(path: Path, n: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def gis_format(head: bytes) -> str | None:
    """The whitelisted format (a key of :data:`GIS_MAGIC`) a file starting with ``head`` is, or ``None``."""
    if head.startswith(SQLITE_MAGIC):
        return "GeoPackage"
    if head.startswith(SHP_MAGIC):
        return "Shapefile"
    if head.startswith(FGB_MAGIC):
        return "FlatGeobuf"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "GeoJSON"
    return None


def _looks_like(head: bytes) -> str:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:200]
    if b"OGRVRTDataSource" in text or b"VRTDataset" in text:
        return "a GDAL VRT (a file that makes GDAL open other sources, possibly on the network)"
    if text.startswith(b"<"):
        return "XML, not a GIS layer"
    if text.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if not text:
        return "empty"
    return "not a GeoJSON, GeoPackage, Shapefile or FlatGeobuf file"


def check_gis_content(path: Path) -> str:
    """The format of the GIS file at ``path`` from its content; :class:`UnsafeFileError` when it is not
    on the whitelist, or is GeoJSON whose ``crs`` names a link, URL or path.  Reads the file in chunks."""
    path = Path(path)
    text = str(path)
    if "/vsi" in text.lower() or "://" in text:
        raise UnsafeFileError("names a GDAL virtual or remote source (/vsi…, http://…); only local files are read",
                              hint="download the roads and name the local file in [inputs] roads")
    head = _head(path)
    fmt = gis_format(head)
    if fmt is None:
        raise UnsafeFileError(f"is {_looks_like(head)}; a road layer must be GeoJSON, GeoPackage, Shapefile or "
                              "FlatGeobuf (recognised by its content, whatever its name)",
                              hint="export the roads as GeoJSON (EPSG:4326) line features, e.g. with ogr2ogr or QGIS")
    if fmt == "GeoJSON":
        _check_geojson_crs(path)
    return fmt


def _check_geojson_crs(path: Path) -> None:
    """Every ``"crs":`` member of a GeoJSON file: no link, URL, ``/vsi`` path or UNC path within it."""
    pos = 0
    with open(path, "rb") as fh:
        while True:
            fh.seek(pos)
            buf = fh.read(_CHUNK + CRS_WINDOW + 64)  # a member starting in this chunk is read whole
            if not buf:
                return
            for m in _CRS_KEY.finditer(buf):
                if m.start() >= _CHUNK:
                    break  # the next chunk reads it
                bad = _REMOTE.search(buf[m.end(): m.end() + CRS_WINDOW])
                if bad:
                    raise UnsafeFileError(
                        "has a \"crs\" member naming a link, URL or path "
                        f"(at byte {pos + m.start():,}); GDAL would fetch it",
                        hint="remove the \"crs\" member (GeoJSON is WGS-84 lon/lat) or write "
                             "\"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"EPSG:4326\"}}")
            if len(buf) <= _CHUNK:
                return
            pos += _CHUNK


def check_driver(path: Path, fmt: str) -> None:
    """After GDAL has opened ``path``: the driver it chose must be one of ``fmt``'s (see :data:`GIS_MAGIC`)."""
    import pyogrio

    network_off()
    driver = pyogrio.read_info(path).get("driver")
    if driver not in GIS_MAGIC[fmt]:
        raise UnsafeFileError(f"starts like {fmt} but GDAL reads it as '{driver}'; only "
                              f"{', '.join(GIS_MAGIC)} are read",
                              hint="export the roads as GeoJSON (EPSG:4326) line features")


_PROLOG_BYTES = 65536


_DECL = re.compile(rb"<\?xml[^>]*\?>", re.S)


_COMMENT = re.compile(rb"<!--.*?-->", re.S)


def check_xml_prolog(path: Path) -> None:
    """Refuse an XML file with a document type declaration (``<!DOCTYPE`` or ``<!ENTITY`` before the root
    element): entities are declared there, and a county's .osm or .graphml never needs one."""
    head = _head(path, _PROLOG_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    text = head.removeprefix(b"\xef\xbb\xbf")
    text = _COMMENT.sub(b"", _DECL.sub(b"", text, count=1))
    root = re.search(rb"<[A-Za-z_]", text)
    prolog = text[: root.start()] if root else text
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", prolog, re.IGNORECASE):
        raise UnsafeFileError("has a document type declaration (<!DOCTYPE …>), where entities are declared "
                              "(external files, or an entity-amplification bomb); road files are read without one",
                              hint="save the file again from osmnx or an OSM editor, without a DTD")
