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
from datetime import UTC
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


#: nodes kept inside the clip rectangle (24 bytes each, sorted once: a county plus buffer has < 5 M)
MAX_NODES_IN_CLIP = 20_000_000

#: candidate POIs and places kept (each a dict of its tags): more than a county's facilities.csv may hold
MAX_POIS = 200_000

#: road parts kept (the road layer's features; the road file's own limit)
MAX_ROAD_PARTS = 2_000_000


@dataclass
class NodeTable:
    """The nodes inside the clip rectangle, sorted by id: id, lon, lat (WGS-84 degrees), inside the clip shape."""

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    inside: np.ndarray

    def lookup(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position of each node reference in the table, whether it is a known node inside the clip)."""
        pos = np.searchsorted(self.node_id, refs)
        pos = np.minimum(pos, max(len(self.node_id) - 1, 0))
        if not len(self.node_id):
            return pos, np.zeros(len(refs), bool)
        return pos, (self.node_id[pos] == refs) & self.inside[pos]


def _too_many(path: Path, what: str, limit: int, hint: str) -> OsmImportError:
    return OsmImportError(f"{path}: more than {limit:,} {what} inside the county's area (limit); reading stopped "
                          f"there — {hint}")


def _unreadable(path: Path, exc: Exception) -> OsmImportError:
    return OsmImportError(f"{path}: cannot be read as OSM data ({str(exc)[:200]}) — is it a complete .osm.pbf/.osm "
                          "file?")


def _clip_box(clip: BaseGeometry | None) -> tuple[int, int, int, int]:
    """The clip's bounding rectangle in OSM's integer 1e-7° units (the whole world without a clip)."""
    minx, miny, maxx, maxy = clip.bounds if clip is not None else (-180.0, -90.0, 180.0, 90.0)
    return round(minx * 1e7), round(miny * 1e7), round(maxx * 1e7), round(maxy * 1e7)


def _read_nodes(path: Path, clip: BaseGeometry | None):
    """Pass 1: the nodes inside the clip rectangle, and the tagged ones that are places or POIs.

    Returns (:class:`NodeTable`, tagged ``(id, x, y, place, tags)``, newest timestamp, nodes read).  Stops as
    soon as :data:`MAX_NODES_IN_CLIP` or :data:`MAX_POIS` is passed, with an :class:`OsmImportError` naming
    ``path``.
    """
    ix0, iy0, ix1, iy1 = _clip_box(clip)
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
            if not (ix0 <= x <= ix1 and iy0 <= y <= iy1):
                continue
            ids.append(n.id)
            xs.append(x)
            ys.append(y)
            if len(ids) > MAX_NODES_IN_CLIP:
                raise _too_many(path, "nodes", MAX_NODES_IN_CLIP, "clip the extract to the county first (e.g. "
                                "osmium extract --bbox)")
            ts = n.timestamp  # type: ignore[union-attr]
            if newest is None or ts > newest:
                newest = ts
            if n.tags:
                tags = n.tags
                place = tags.get("place")
                if place in PLACE_KINDS or _is_poi(tags):
                    tagged.append((n.id, x, y, place, dict(tags)))
                    if len(tagged) > MAX_POIS:
                        raise _too_many(path, "places and candidate POIs", MAX_POIS, "is it an extract of a "
                                        "real area? give the facilities with --facilities FILE and a clipped extract")
    except (RuntimeError, ValueError) as exc:  # libosmium: RuntimeError, or ValueError for an illegal id
        raise _unreadable(path, exc) from exc
    node_id = np.frombuffer(ids, dtype=np.int64) if len(ids) else np.zeros(0, np.int64)
    lon = np.frombuffer(xs, dtype=np.int32).astype(np.float64) / 1e7 if len(xs) else np.zeros(0)
    lat = np.frombuffer(ys, dtype=np.int32).astype(np.float64) / 1e7 if len(ys) else np.zeros(0)
    inside = np.ones(len(node_id), bool) if clip is None else shapely.contains_xy(clip, lon, lat)
    order = np.argsort(node_id, kind="stable")
    return NodeTable(node_id[order], lon[order], lat[order], inside[order]), tagged, newest, n_read


def _add_tagged(ext: Extract, tagged: list[tuple], clip: BaseGeometry | None) -> None:
    """Places and POIs among the tagged nodes inside the clip shape (not only its rectangle)."""
    if tagged and clip is not None:
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


def _drivable(tags, hw: str) -> bool:
    return not (hw not in DRIVABLE or tags.get("area") == "yes" or tags.get("access") in NO_ACCESS
                or tags.get("motor_vehicle") in NO_ACCESS or tags.get("motorcar") in NO_ACCESS)


def _add_way_poi(ext: Extract, w, nodes: NodeTable) -> None:
    """A POI way, placed at the mean of its known nodes inside the clip."""
    if not (_is_poi(w.tags) and len(w.nodes)):
        return
    pos, ok = nodes.lookup(_refs(w))
    if ok.any():
        ext.pois.append({"osm_type": "way", "osm_id": w.id, "lon": float(nodes.lon[pos[ok]].mean()),
                         "lat": float(nodes.lat[pos[ok]].mean()), "tags": _poi_tags(w.tags)})
        if len(ext.pois) > MAX_POIS:
            raise _too_many(ext.path, "candidate POIs", MAX_POIS, "give the facilities with --facilities FILE")


def _add_road(ext: Extract, w, hw: str, nodes: NodeTable, stats: dict) -> bool:
    """A drivable way as its runs of consecutive known nodes (each of two or more); ``False`` when none is."""
    tags = w.tags
    pos, ok = nodes.lookup(_refs(w))
    if ok.sum() < 2:
        stats["ways_outside"] += 1
        return False
    missing = int((~ok).sum())
    stats["node_refs_missing"] += missing
    stats["ways_cut"] += bool(missing)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.astype(np.int8), [0]))))
    part = 0
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a < 2:
            continue
        p = pos[a:b]
        ext.roads.append({"way_id": w.id, "part": part, "highway": hw, "maxspeed": tags.get("maxspeed", ""),
                          "name": tags.get("name", "") or tags.get("name:zh", ""),
                          "ref": tags.get("ref", ""), "oneway": tags.get("oneway", "") in ("yes", "1", "true"),
                          "coords": list(zip(nodes.lon[p].tolist(), nodes.lat[p].tolist()))})
        part += 1
    if len(ext.roads) > MAX_ROAD_PARTS:
        raise _too_many(ext.path, "road parts", MAX_ROAD_PARTS, "clip the extract to the county first")
    if part:
        stats["ways_kept"] += 1
        stats["road_parts"] += part
    return bool(part)


def _read_ways(ext: Extract, nodes: NodeTable, stats: dict, newest):
    """Pass 2: drivable roads and POI ways (osmium's C++ filter passes only ways with a road or POI key);
    returns the newest timestamp of the nodes and drivable ways read."""
    fp = osmium.FileProcessor(str(ext.path), osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter(*POI_KEYS, "highway"))
    try:
        for w in fp:
            hw = w.tags.get("highway")
            if hw is None:
                _add_way_poi(ext, w, nodes)
                continue
            stats["highway_ways_read"] += 1
            if not _drivable(w.tags, hw):
                stats["ways_not_drivable"] += 1
                continue
            if _add_road(ext, w, hw, nodes, stats):
                ts = w.timestamp  # type: ignore[union-attr]
                newest = ts if newest is None or (ts and ts > newest) else newest
    except (RuntimeError, ValueError) as exc:
        raise _unreadable(ext.path, exc) from exc
    return newest


def read_extract(path: str | Path, clip: BaseGeometry | None = None, progress=None) -> Extract:
    """Stream an OSM extract and keep the drivable roads, places and POIs inside ``clip``.

    Two passes (:func:`_read_nodes`, then :func:`_read_ways`) share a :class:`NodeTable` of the nodes
    inside the clip rectangle and nothing else: no per-object Python object outlives its pass.  The limits
    :data:`MAX_NODES_IN_CLIP`, :data:`MAX_POIS` and :data:`MAX_ROAD_PARTS` are enforced while streaming:
    reading stops at the first object past one, with an :class:`OsmImportError` naming ``path``.

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
    nodes, tagged, newest, n_read = _read_nodes(path, clip)
    if progress:
        progress("nodes", n_read)
    _add_tagged(ext, tagged, clip)
    del tagged
    stats = dict(nodes_read=n_read, nodes_in_clip=int(nodes.inside.sum()), highway_ways_read=0, ways_not_drivable=0,
                 ways_outside=0, ways_kept=0, road_parts=0, ways_cut=0,
                 node_refs_missing=0)
    newest = _read_ways(ext, nodes, stats, newest)
    if progress:
        progress("ways", stats["highway_ways_read"])
    stats["places"] = len(ext.places)
    stats["pois"] = len(ext.pois)
    ext.stats = stats
    ext.timestamp = _header_timestamp(path) or _iso(newest)
    return ext


