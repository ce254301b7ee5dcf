"""Shared fixtures: a tiny hand-made county scenario written as real files.

The network is one straight east–west road along lat 36.0 through 诸城市, with
a vertex every 0.01° of longitude (≈ 900.6 m there), so distances along it can
be counted by hand.  Village codes are real codes of 密州街道 (370782001).
"""
from __future__ import annotations

import bz2
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

LAT = 36.0
LON0 = 119.30
STEP = 0.01

VILLAGE_HEADER = "code,name,township_code,lon,lat,population"
FACILITY_HEADER = "id,name,operator,tier,lon,lat,brand,capacity_per_day"


#: the hand-built test scenarios carry cultural parcels only (their numbers are checked by hand): the
#: calibrated whole-flow defaults of [demand] are switched off unless a test's TOML sets [demand] itself
CULTURAL_ONLY = "\n[demand]\nother_in_per_capita_week = 0.0\nother_out_per_capita_week = 0.0\n"


def road_line(n_vertices: int = 21) -> dict:
    coords = [[round(LON0 + STEP * i, 6), LAT] for i in range(n_vertices)]
    return {"type": "Feature", "properties": {"road_class": "secondary", "maxspeed": 36, "name": "测试路"},
            "geometry": {"type": "LineString", "coordinates": coords}}


def default_villages() -> list[str]:
    # villages on the road at vertex 0, 2, 4, ... (every ≈1.8 km)
    rows = []
    for k in range(1, 9):
        lon = round(LON0 + STEP * 2 * (k - 1), 6)
        rows.append(f"37078200100{k},测试村{k},370782001,{lon},{LAT},{1000 * k}")
    return rows


def default_facilities() -> list[str]:
    return [
        f"HUB,诸城县级共配中心,shared,county,{LON0 + 0.10:.2f},{LAT},,",
        f"P1,邮政站,postal,township,{LON0:.2f},{LAT},,200",
        f"C1,快递站,courier,village,{LON0 + 0.14:.2f},{LAT},中通,50",
    ]


def write_scenario(folder: Path, villages: list[str] | None = None, facilities: list[str] | None = None,
                   roads: dict | str | None = "default", toml_extra: str = "", village_header: str = VILLAGE_HEADER,
                   facility_header: str = FACILITY_HEADER, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    villages = default_villages() if villages is None else villages
    facilities = default_facilities() if facilities is None else facilities
    (folder / "villages.csv").write_bytes(("\n".join([village_header] + villages) + "\n").encode(encoding))
    (folder / "facilities.csv").write_bytes(("\n".join([facility_header] + facilities) + "\n").encode(encoding))
    roads_line = ""
    if roads == "default":
        roads = {"type": "FeatureCollection", "features": [road_line()]}
    if isinstance(roads, dict):
        (folder / "roads.geojson").write_text(json.dumps(roads, ensure_ascii=False), encoding="utf-8")
        roads_line = 'roads = "roads.geojson"\n'
    elif isinstance(roads, str):
        roads_line = f'roads = "{roads}"\n'
    toml = ('[county]\nadcode = "370782"\nname = "诸城市"\n\n[inputs]\nvillages = "villages.csv"\n'
            f'facilities = "facilities.csv"\n{roads_line}\n{toml_extra}\n')
    if "[demand]" not in toml_extra:
        toml += CULTURAL_ONLY
    (folder / "scenario.toml").write_text(toml, encoding="utf-8")
    return folder / "scenario.toml"


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_scenario(tmp_path / "tiny")


def run_cli(*args, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess (as a user would), returning the completed process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class CpuClock:
    """Wall and CPU time of this process over a block (``with CpuClock() as c: …``; then ``c.wall_s``,
    ``c.cpu_s``, ``c.share``: the share of one CPU the process got, 1 on an idle machine)."""

    def __enter__(self) -> CpuClock:
        self._wall0, self._cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall_s = time.perf_counter() - self._wall0
        self.cpu_s = time.process_time() - self._cpu0
        self.share = min(1.0, self.cpu_s / self.wall_s) if self.wall_s > 0 else 1.0


def work_past_deadline_s(overrun_s: float, clock: CpuClock) -> float:
    """How much work a solver did after its wall-clock deadline, in seconds of a whole CPU: the measured
    overrun scaled by the share of a CPU the process had (the cap checks the clock between search steps;
    on a loaded machine the last step and the extraction take the same work but more wall time: with 2
    cores shared by ten busy processes the share is ~0.1–0.2).  On an idle machine it is the overrun."""
    return max(0.0, overrun_s) * clock.share


SHIPPED_DATA = ROOT / "tests" / "data"
"""Small real data the tests ship (tests/data/README.md: OSM extracts © OpenStreetMap contributors, ODbL)."""


def osm_extracts() -> Path:
    """The folder of the real OSM test extracts (``guixi_360681.osm``, ``helsinki.osm.pbf``,
    ``finland_test.osm.pbf``, ``west_oakland.osm.bz2``), made once from ``tests/data/osm``: a temporary
    folder (named by the shipped files' digest) with ``guixi_360681.osm`` unpacked from its ``.bz2``."""
    shipped = sorted((SHIPPED_DATA / "osm").glob("*.osm*"))
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in shipped)).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"culture-logistics-test-osm-{digest}"
    if folder.is_dir():
        return folder
    work = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    for p in shipped:
        if p.name == "guixi_360681.osm.bz2":
            (work / "guixi_360681.osm").write_bytes(bz2.decompress(p.read_bytes()))
        else:
            shutil.copyfile(p, work / p.name)
    try:
        work.rename(folder)
    except OSError:  # another process made it first
        shutil.rmtree(work, ignore_errors=True)
    return folder


def station_capacity_scenario(folder: Path) -> Path:
    """One township station of capacity 25 parcels a day with two vans of 25, and four villages of 10 parcels
    on the road: the plan leaves two villages out for the station's capacity (reason ``station_capacity``)."""
    header = "code,name,township_code,lon,lat,population,parcels_in_per_week,parcels_out_per_week"
    villages = [f"370782001{k:03d},测试村{k},370782001,{LON0 + STEP * 2 * k:.6f},{LAT},1000,10,0" for k in range(1, 5)]
    facilities = [f"HUB,诸城县级共配中心,shared,county,{LON0 + 10 * STEP:.2f},{LAT},,",
                  f"P1,密州邮政站,postal,township,{LON0:.2f},{LAT},,25"]
    fleet = '[[fleet]]\noperator = "shared"\nechelon = "last_mile"\nname = "van25"\ncount = 2\ncapacity = 25\n'
    return write_scenario(folder, villages=villages, facilities=facilities, village_header=header,
                          toml_extra="[routing]\ndelivery_days_per_week = 1\ntime_limit_s = 1\n\n" + fleet)


DESTINATION_HEADER = "id,name,kind,village_code,lon,lat,in_per_week,out_per_week,days"


def destinations_scenario(folder: Path, rows: list[str], header: str = DESTINATION_HEADER, toml_extra: str = "",
                          **kwargs) -> Path:
    """The tiny county (:func:`write_scenario`) with a destinations.csv of ``rows`` named in [inputs]."""
    toml = write_scenario(folder, toml_extra=toml_extra, **kwargs)
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'facilities = "facilities.csv"\n', 'facilities = "facilities.csv"\ndestinations = "destinations.csv"\n'),
        encoding="utf-8")
    (folder / "destinations.csv").write_text("\n".join([header] + rows) + "\n", encoding="utf-8")
    return toml
