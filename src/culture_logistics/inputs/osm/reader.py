"""Stream an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2) into roads, places and POIs.

The extract is read with pyosmium (package ``osmium``) in **two streaming passes**, so a
whole-province PBF of ~1 GB never sits in memory:

1. *nodes*: every node's location is tested against the clip rectangle (integer
   1e-7° coordinates, no object kept); only nodes inside it are kept, as three
   growing ``array`` columns (id, lon, lat: 24 bytes a node).  Tagged nodes inside
   it that are places (``place=*``) or possible logistics POIs are kept too.
2. *ways*: only ways with a ``highway`` or a POI tag reach Python (osmium's
   C++ ``KeyFilter``); their node references are looked up in the sorted node ids.

Memory is therefore proportional to the clipped area (one county plus its buffer),
not to the file.  A way whose nodes are missing — outside the clip area, or absent
from a clipped extract — is split into its runs of consecutive known nodes and
every run of at least two nodes is kept; nothing is guessed.

Coordinates are WGS-84 lon/lat degrees throughout (OSM's own system).
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import osmium
import osmium.filter
import shapely
from shapely.geometry.base import BaseGeometry

from culture_logistics.config.model import ROAD_SPEEDS_KMH
from culture_logistics.errors import CultureLogisticsError

#: highway classes kept as drivable: exactly the classes the network has typical speeds for
#: (motorway … residential, living_street, service, track, road and the ``_link`` ramps).
#: Footways, paths, cycleways, steps, pedestrian streets, bridleways and construction/proposed
#: ways are dropped: a delivery van cannot use them.
DRIVABLE = frozenset(ROAD_SPEEDS_KMH)

#: ``place=*`` values read as candidate village-level or township-level points
PLACE_KINDS = ("city", "town", "village", "hamlet", "isolated_dwelling", "neighbourhood", "quarter",
               "suburb", "locality", "borough", "allotments", "farm")

#: tags that make a node or way a candidate logistics POI (classified later by ``facilities``)
POI_KEYS = ("amenity", "office", "shop", "name", "operator", "brand")
POI_VALUES = {"amenity": {"post_office", "parcel_locker", "post_depot"},
              "office": {"courier", "logistics", "company"}, "shop": None}
POI_WORDS = ("邮", "快递", "快运", "物流", "速运", "速递", "供销", "驿站", "顺丰", "中通", "圆通", "申通",
             "韵达", "极兔", "京东", "德邦", "百世", "菜鸟", "共配", "寄递", "EMS", "DHL", "TNT", "FedEx",
             "UPS", "Posti", "post", "Post")

NO_ACCESS = {"no", "private"}

EXTENSIONS = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")


class OsmImportError(CultureLogisticsError):
    """An OSM extract that cannot be imported (missing, unreadable, outside the county)."""


@dataclass
class Extract:
    """What was read from an OSM extract inside the clip area.

    Attributes
    ----------
    roads : list of dict
        ``way_id, part, highway, maxspeed, name, oneway, coords`` (coords: list of
        ``(lon, lat)``, WGS-84 degrees); one dict per run of known nodes.
    places : list of dict
        ``osm_id, place, name, lon, lat`` of ``place=*`` nodes.
    pois : list of dict
        ``osm_type, osm_id, lon, lat, tags`` of possible logistics POIs (nodes, and
        ways at the mean of their known nodes).
    stats : dict
        counts of what was read, kept and cut (see :func:`read_extract`).
    timestamp : str
        ISO-8601 UTC time of the data: the header's replication timestamp when the
        file has one, else the newest node inside the clip rectangle or drivable way read.
    bbox : tuple
        the file header's (min lon, min lat, max lon, max lat), or ``None``.
    """

    path: Path
    roads: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    pois: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    timestamp: str = ""
    bbox: tuple[float, float, float, float] | None = None


def check_extract_path(path: Path) -> Path:
    """The extract's path, or an :class:`OsmImportError` saying what is wrong with it."""
    path = Path(path)
    if not path.exists():
        raise OsmImportError(f"{path}: file not found — give the path of an .osm.pbf, .osm or .osm.bz2 extract")
    if not path.is_file():
        raise OsmImportError(f"{path}: is not a file — give the extract file itself")
    name = path.name.lower()
    if not name.endswith(EXTENSIONS):
        raise OsmImportError(f"{path}: unknown extract format — import-osm reads .osm.pbf, .osm and .osm.bz2 "
                             f"(e.g. a province file from an OSM extract service)")
    return path


def header_bbox(path: Path) -> tuple[float, float, float, float] | None:
    """The bounding box written in the extract's header (WGS-84 degrees), or ``None``."""
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
        box = reader.header().box()
        reader.close()
    except RuntimeError as exc:
        raise OsmImportError(f"{path}: cannot be read as OSM data ({exc})") from exc
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def _header_timestamp(path: Path) -> str:
    r = osmium.io.Reader(str(path), osmium.osm.NOTHING)
    try:
        return r.header().get("osmosis_replication_timestamp", "") or r.header().get("timestamp", "")
    finally:
        r.close()


def _iso(ts) -> str:
    if ts is None:
        return ""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_poi(tags) -> bool:
    for key, values in POI_VALUES.items():
        v = tags.get(key)
        if v is not None and (values is None or v in values):
            if key != "shop" or _has_word(tags):
                return True
    return _has_word(tags)


def _has_word(tags) -> bool:
    for key in ("name", "operator", "brand", "name:zh"):
        v = tags.get(key)
        if v and any(w in v for w in POI_WORDS):
            return True
    return False


_POI_TAGS = ("name", "name:zh", "name:en", "operator", "operator:zh", "brand", "brand:zh", "amenity", "office", "shop",
             "building", "post_office", "vending")


def _poi_tags(tags) -> dict[str, str]:
    return {k: tags.get(k) for k in _POI_TAGS if tags.get(k)}


def _refs(way) -> np.ndarray:
    return np.fromiter((r.ref for r in way.nodes), dtype=np.int64, count=len(way.nodes))


def read_extract(path: str | Path, clip: BaseGeometry | None = None, progress=None) -> Extract:
    """Stream an OSM extract and keep the drivable roads, places and POIs inside ``clip``.

    One piece on purpose: the two streaming passes share the node arrays, the clip mask and
    the newest-timestamp tracker, and splitting them would mean passing all of it around
    or keeping per-object Python objects alive between passes (the memory it must not use).

    Parameters
    ----------
    path : str or Path
        ``.osm.pbf``, ``.osm`` or ``.osm.bz2`` file.
    clip : shapely geometry, optional
        WGS-84 lon/lat area to keep (a county boundary plus buffer).  ``None`` keeps
        the whole file (e.g. a small foreign extract read for its roads only).
    progress : callable, optional
        ``progress(stage: str, count: int)`` called after each pass.

    Returns
    -------
    Extract
        ``stats`` holds ``nodes_read, nodes_in_clip, highway_ways_read, ways_kept,
        ways_outside`` (fewer than two nodes inside the clip), ``road_parts, ways_cut`` (ways split
        or shortened at missing nodes),
        ``node_refs_missing``, ``ways_not_drivable``, ``places, pois``.
    """
    path = check_extract_path(Path(path))
    ext = Extract(path=path, bbox=header_bbox(path))
    if clip is not None:
        minx, miny, maxx, maxy = clip.bounds
    else:
        minx, miny, maxx, maxy = -180.0, -90.0, 180.0, 90.0
    ix0, iy0, ix1, iy1 = (round(minx * 1e7), round(miny * 1e7), round(maxx * 1e7), round(maxy * 1e7))
    ids, xs, ys = array("q"), array("i"), array("i")
    tagged: list[tuple] = []
    newest = None
    n_read = 0
    try:
        for n in osmium.FileProcessor(str(path), osmium.osm.NODE):
            n_read += 1
            loc = n.location  # type: ignore[union-attr]
            if not loc.valid():
                continue
            x, y = loc.x, loc.y
            if ix0 <= x <= ix1 and iy0 <= y <= iy1:
                ids.append(n.id)
                xs.append(x)
                ys.append(y)
                ts = n.timestamp  # type: ignore[union-attr]
                if newest is None or ts > newest:
                    newest = ts
                if n.tags:
                    tags = n.tags
                    place = tags.get("place")
                    if place in PLACE_KINDS or _is_poi(tags):
                        tagged.append((n.id, x, y, place, dict(tags)))
    except RuntimeError as exc:
        raise OsmImportError(f"{path}: cannot be read as OSM data ({exc}) — is it a complete .osm.pbf/.osm file?") \
            from exc
    if progress:
        progress("nodes", n_read)
    node_id = np.frombuffer(ids, dtype=np.int64) if len(ids) else np.zeros(0, np.int64)
    lon = np.frombuffer(xs, dtype=np.int32).astype(np.float64) / 1e7 if len(xs) else np.zeros(0)
    lat = np.frombuffer(ys, dtype=np.int32).astype(np.float64) / 1e7 if len(ys) else np.zeros(0)
    del ids, xs, ys
    inside = np.ones(len(node_id), bool) if clip is None else shapely.contains_xy(clip, lon, lat)
    order = np.argsort(node_id, kind="stable")
    node_id, lon, lat, inside = node_id[order], lon[order], lat[order], inside[order]
    if tagged and clip is not None:   # tagged nodes inside the clip shape, not only its rectangle
        t_in = shapely.contains_xy(clip, [t[1] / 1e7 for t in tagged], [t[2] / 1e7 for t in tagged])
        tagged = [t for t, keep in zip(tagged, t_in) if keep]
    for nid, x, y, place, tags in tagged:
        if place in PLACE_KINDS and (tags.get("name") or tags.get("name:zh")):
            ext.places.append({"osm_id": nid, "place": place, "name": tags.get("name") or tags.get("name:zh"),
                               "name_zh": tags.get("name:zh", ""), "lon": x / 1e7, "lat": y / 1e7,
                               "place_cn": tags.get("place:CN", ""), "population": tags.get("population", "")})
        if _is_poi(tags):
            ext.pois.append({"osm_type": "node", "osm_id": nid, "lon": x / 1e7, "lat": y / 1e7,
                             "tags": _poi_tags(tags)})
    del tagged

    def lookup(refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.searchsorted(node_id, refs)
        pos = np.minimum(pos, max(len(node_id) - 1, 0))
        ok = (node_id[pos] == refs) & inside[pos] if len(node_id) else np.zeros(len(refs), bool)
        return pos, ok

    stats = dict(nodes_read=n_read, nodes_in_clip=int(inside.sum()), highway_ways_read=0, ways_not_drivable=0,
                 ways_outside=0, ways_kept=0, road_parts=0, ways_cut=0,
                 node_refs_missing=0)
    fp = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter(*POI_KEYS, "highway"))
    for w in fp:
        tags = w.tags
        hw = tags.get("highway")
        if hw is None:
            if _is_poi(tags) and len(w.nodes):  # type: ignore[union-attr]
                pos, ok = lookup(_refs(w))
                if ok.any():
                    ext.pois.append({"osm_type": "way", "osm_id": w.id, "lon": float(lon[pos[ok]].mean()),
                                     "lat": float(lat[pos[ok]].mean()), "tags": _poi_tags(tags)})
            continue
        stats["highway_ways_read"] += 1
        if (hw not in DRIVABLE or tags.get("area") == "yes" or tags.get("access") in NO_ACCESS
                or tags.get("motor_vehicle") in NO_ACCESS or tags.get("motorcar") in NO_ACCESS):
            stats["ways_not_drivable"] += 1
            continue
        pos, ok = lookup(_refs(w))
        if ok.sum() < 2:
            stats["ways_outside"] += 1
            continue
        ts = w.timestamp  # type: ignore[union-attr]
        newest = ts if newest is None or (ts and ts > newest) else newest
        missing = int((~ok).sum())
        stats["node_refs_missing"] += missing
        if missing:
            stats["ways_cut"] += 1
        # runs of consecutive known nodes
        edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.astype(np.int8), [0]))))
        part = 0
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a < 2:
                continue
            p = pos[a:b]
            ext.roads.append({"way_id": w.id, "part": part, "highway": hw, "maxspeed": tags.get("maxspeed", ""),
                              "name": tags.get("name", "") or tags.get("name:zh", ""),
                              "ref": tags.get("ref", ""), "oneway": tags.get("oneway", "") in ("yes", "1", "true"),
                              "coords": list(zip(lon[p].tolist(), lat[p].tolist()))})
            part += 1
        if part:
            stats["ways_kept"] += 1
            stats["road_parts"] += part
    if progress:
        progress("ways", stats["highway_ways_read"])
    stats["places"] = len(ext.places)
    stats["pois"] = len(ext.pois)
    ext.stats = stats
    header_ts = _header_timestamp(path)
    ext.timestamp = header_ts or _iso(newest)
    return ext


def parse_timestamp(text: str) -> datetime | None:
    """An ISO-8601 OSM timestamp as an aware UTC datetime, or ``None``."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
