"""MkDocs hooks of the culture-logistics docs site (``mkdocs.yml`` ``hooks:``), run by ``mkdocs build --strict``.

* The configuration reference page (``CONFIG.md``) is rendered from the schema at build time
  (:func:`culture_logistics.config.reference.render_markdown`), so the site can never show a key the code
  does not check. The committed ``docs/CONFIG.md`` (read on GitHub, checked by
  ``tests/config/test_schema.py``) must equal it: when it does not, the build warns, and strict mode fails.
* Every fully qualified ``culture_logistics.…`` name in a docstring of the package must name a module,
  class, function or attribute that exists; a stale one (a module moved or renamed) is a warning, so the
  strict build fails and names the file and line.
"""
from __future__ import annotations

import ast
import logging
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:  # the checkout's package, whatever is installed
    sys.path.insert(0, str(SRC))

log = logging.getLogger("mkdocs.hooks.culture_logistics")

CONFIG_PAGE = "CONFIG.md"
DOTTED = re.compile(r"culture_logistics(?:\.[A-Za-z_][A-Za-z_0-9]*)+")


def on_files(files, config):
    """Replace ``CONFIG.md`` with the reference rendered from the schema; warn when the committed copy drifted."""
    from mkdocs.structure.files import File

    from culture_logistics.config.reference import render_markdown

    text = render_markdown()
    committed = Path(config["docs_dir"]) / CONFIG_PAGE
    if not committed.is_file() or committed.read_text(encoding="utf-8") != text:
        log.warning("docs/%s differs from the schema: refresh it with "
                    "`python -m culture_logistics.config.reference > docs/%s`", CONFIG_PAGE, CONFIG_PAGE)
    old = files.get_file_from_path(CONFIG_PAGE)
    if old is not None:
        files.remove(old)
    files.append(File.generated(config, CONFIG_PAGE, content=text))
    return files


def docstring_references(src: Path = SRC) -> list[tuple[Path, int, str]]:
    """(file, line, dotted name) of every ``culture_logistics.…`` name written in a docstring under ``src``."""
    found = []
    for path in sorted((src / "culture_logistics").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = node.body
            if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                continue
            doc = body[0].value
            for k, line in enumerate(doc.value.splitlines()):
                for m in DOTTED.finditer(line):
                    found.append((path, doc.lineno + k, m.group(0)))
    return found


def _resolves(package, lazy_names: set[str], dotted: str) -> bool:
    """Whether ``dotted`` names something in the package (griffe's static view, plus the lazy top-level names)."""
    parts = dotted.split(".")[1:]
    if parts[0] in lazy_names:
        return True
    try:
        package[".".join(parts)]
    except KeyError:
        return False
    except Exception:  # an alias to another library that griffe did not load: the name itself exists
        return True
    return True


def on_pre_build(config):
    """Warn (fail the strict build) for every docstring cross-reference to a name that does not exist."""
    import griffe

    import culture_logistics

    package = griffe.load("culture_logistics", search_paths=[str(SRC)], resolve_aliases=False)
    lazy = set(dir(culture_logistics))
    stale = [(p, n, d) for p, n, d in docstring_references() if not _resolves(package, lazy, d)]
    for path, line, dotted in stale:
        log.warning("%s:%d: docstring names %s, which does not exist", path.relative_to(ROOT), line, dotted)
