"""Write constraints.txt: the exact versions of culture-logistics' dependency closure installed here.

Run it on purpose, after the full test suite passed in this environment, to move the tested versions forward:

    python scripts/refresh_constraints.py [--extras test,batch,dev,docs]

README's set-up and .ci/run install with ``pip install -c constraints.txt …``, so a fresh machine gets exactly the
versions the tests passed with.  Only the project's own dependency closure is written (not whatever else happens
to be installed).
"""
from __future__ import annotations

import argparse
import re
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str, extras: set[str]) -> dict[str, str]:
    """{distribution name: installed version} of ``root`` with ``extras`` and everything they require."""
    env = default_environment()
    seen: dict[str, str] = {}
    todo = [(root, frozenset(extras))]
    while todo:
        name, ex = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = _norm(dist.metadata["Name"])
        if key in seen and not ex:
            continue
        seen[key] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is not None:
                ok = any(req.marker.evaluate(dict(env, extra=e)) for e in (ex or {""}))
                if not ok:
                    continue
            todo.append((req.name, frozenset(req.extras)))
    seen.pop(_norm(root), None)
    return seen


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--extras", default="test,batch,dev,docs")
    p.add_argument("--out", type=Path, default=ROOT / "constraints.txt")
    a = p.parse_args()
    pins = closure("culture-logistics", set(a.extras.split(",")))
    lines = ["# The versions the test suite passed with (python scripts/refresh_constraints.py; see its docstring).",
             "# Used by README's set-up and .ci/run: pip install -c constraints.txt -e '.[test,batch,dev,docs]'"]
    lines += [f"{n}=={v}" for n, v in sorted(pins.items())]
    a.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{a.out}: {len(pins)} pins")


if __name__ == "__main__":
    main()
