"""The routing core's structure (issue 19): named, not private, types and steps; no hidden cycles."""
from __future__ import annotations

import ast

import pytest

from conftest import ROOT

SRC = ROOT / "src"
CORE = ("culture_logistics.routing", "culture_logistics.formats")


def test_no_underscore_name_of_the_routing_core_is_imported_from_another_module():
    """What another module needs from routing/ or formats/ has a public name (the shared types and steps)."""
    bad = []
    for f in sorted(list(SRC.rglob("*.py")) + list((ROOT / "tests").rglob("*.py"))):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(CORE):
                bad += [f"{f.relative_to(ROOT)}:{node.lineno} {node.module}.{a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    assert bad == []


def test_routing_core_has_no_import_cycle_even_through_type_checking_imports():
    """routing.assign → parallel ⇢ plan was a cycle hidden behind a TYPE_CHECKING import."""
    grimp = pytest.importorskip("grimp")
    g = grimp.build_graph("culture_logistics", exclude_type_checking_imports=False)
    core = sorted(m for m in g.modules if m.startswith(CORE))
    cycles = [(a, b) for a in core for b in core
              if a < b and g.chain_exists(importer=a, imported=b) and g.chain_exists(importer=b, imported=a)]
    assert cycles == []
