"""The package works installed from a wheel, away from the checkout: the embedded data and map assets are
package data, and ``demo`` writes into the current folder."""
from __future__ import annotations

import os
import subprocess
import sys
import venv

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_installed_elsewhere_finds_its_data(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)  # dependencies from this machine
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", *map(str, wheels.glob("*.whl"))],
                   check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CULTURE_LOGISTICS_DATA")}
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import culture_logistics as cl, culture_logistics.resources as r;"
            "print(r.PACKAGE_DIR); s = cl.load_scenario('370782'); print(len(s.villages));"
            "print((r.static_dir() / 'leaflet' / 'leaflet.js').is_file())")
    res = subprocess.run([str(py), "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    pkg, villages, assets = res.stdout.split()
    assert str(env_dir) in pkg and str(ROOT) not in pkg          # the installed copy, not the checkout
    assert int(villages) == 259 and assets == "True"             # 诸城市's embedded villages; Leaflet inlined
    res = subprocess.run([str(env_dir / "bin" / "culture-logistics"), "coverage", "370782", "--out", "cov",
                          "--no-map"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert (work / "cov" / "village_reach.csv").is_file()
