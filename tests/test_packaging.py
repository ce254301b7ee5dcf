"""The package works installed from a wheel, away from the checkout: the embedded data (the checkout's top-level
``data/``) and map assets are package data, and ``demo`` writes into the current folder."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT


def site_dirs_of_this_interpreter() -> list[str]:
    """Where the interpreter running the tests finds its installed packages: its own site-packages when it is a
    venv (the README's ``.venv``, or the one ``.ci/run`` makes), the base's too when that venv sees them."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def build_wheel(dest: Path, tmp_path: Path) -> Path:
    """The wheel, built from a clean copy of what it is made of (no stale ``build/`` of the checkout in it)."""
    src = tmp_path / "source"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("src", "data"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dest), str(src)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    (wheel,) = dest.glob("culture_logistics-*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_installed_elsewhere_finds_its_data(tmp_path):
    wheel = build_wheel(tmp_path / "wheels", tmp_path)
    env_dir = tmp_path / "venv"
    # A venv of its own whose dependencies are the ones of the environment running the tests. (venv's
    # system_site_packages would give the *base* interpreter's packages: inside a venv those lack geopandas.)
    venv.create(env_dir, system_site_packages=False, with_pip=True)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # a path .pth: after the venv's own site-packages, and the .pth files in those folders are not run (so an
    # editable install of the checkout there cannot shadow the wheel)
    Path(purelib, "test_dependencies.pth").write_text("\n".join(site_dirs_of_this_interpreter()) + "\n")
    res = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CULTURE_LOGISTICS_DATA")}
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import culture_logistics as cl, culture_logistics.resources as r;"
            "print(r.PACKAGE_DIR); s = cl.load_scenario('370782'); print(len(s.villages));"
            "print((r.static_dir() / 'leaflet' / 'leaflet.js').is_file()); print(r.data_dir())")
    res = subprocess.run([str(py), "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    pkg, villages, assets, data = res.stdout.split()
    assert str(env_dir) in pkg and str(ROOT) not in pkg          # the installed copy, not the checkout
    assert data == str(Path(pkg) / "data")                       # the wheel's copy of the checkout's data/
    assert int(villages) == 259 and assets == "True"             # 诸城市's embedded villages; Leaflet inlined
    res = subprocess.run([str(env_dir / "bin" / "culture-logistics"), "coverage", "370782", "--out", "cov",
                          "--no-map"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert (work / "cov" / "village_reach.csv").is_file()
