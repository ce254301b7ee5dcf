"""docs/quickstart.md runs: every ```python block, in order, in one namespace; the ```text block right after
a python block is what that block must print."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "quickstart.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    """(language, body) of every fenced block of the page, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]


def test_quickstart_page_runs_and_prints_what_it_says():
    found = blocks()
    python = [i for i, (lang, _) in enumerate(found) if lang == "python"]
    assert len(python) >= 5  # an embedded county, from_frames and its error, MCLP/LSCP, a routing model
    namespace: dict = {"__name__": "quickstart"}
    checked = 0
    for i in python:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(found[i][1], f"{DOC.name} block {i}", "exec"), namespace)
        if i + 1 < len(found) and found[i + 1][0] == "text":
            assert out.getvalue().rstrip("\n") == found[i + 1][1].rstrip("\n"), f"block {i} printed:\n{out.getvalue()}"
            checked += 1
    assert checked == len(python)  # every block states its output
