"""The house rules of issue 19 that no linter checks for us.

* no private (underscore) name is imported from another module of the package: a name another module
  needs is public in the module that defines it;
* no module of the package is longer than 600 lines.

(McCabe complexity ≤ 25 is ruff's C901 rule, on in pyproject.toml; the one-way imports, type-checking
imports included, are import-linter's layers contract — both run in ``.ci/run``.)
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "culture_logistics"
MAX_MODULE_LINES = 600


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def private_imports(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``module:line name`` for every ``from culture_logistics… import _name`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("culture_logistics"):
            found += [f"{path.relative_to(root)}:{node.lineno} {node.module}.{a.name}"
                      for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
        if isinstance(node, ast.Import):
            found += [f"{path.relative_to(root)}:{node.lineno} {a.name}"
                      for a in node.names if a.name.startswith("culture_logistics")
                      and any(p.startswith("_") and not p.startswith("__") for p in a.name.split("."))]
    return found


def test_the_checker_finds_a_private_import(tmp_path):
    fake = tmp_path / "x.py"
    fake.write_text("from culture_logistics.routing.plan import _hidden, shown, __all__\n"
                    "import culture_logistics._internal as i\n", encoding="utf-8")
    assert private_imports(fake, tmp_path) == ["x.py:1 culture_logistics.routing.plan._hidden",
                                               "x.py:2 culture_logistics._internal"]


def test_no_private_name_crosses_a_module():
    offenders = [hit for path in _modules() for hit in private_imports(path)]
    assert offenders == [], "private names imported across modules:\n" + "\n".join(offenders)


def test_no_module_over_600_lines():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: {long}"
