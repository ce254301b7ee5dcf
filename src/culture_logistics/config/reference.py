"""The scenario.toml reference, rendered from the schema (``docs/CONFIG.md``).

``python -m culture_logistics.config.reference > docs/CONFIG.md`` refreshes the file; a test fails
when it and the schema differ, so the reference cannot drift from what the code checks.
"""
from __future__ import annotations

from culture_logistics.config.schema import SECTIONS, Key, Section, toml_literal


def _default(k: Key) -> str:
    if k.required:
        return "required"
    if k.default is None:
        return "—"
    return f"`{toml_literal(k.default)}`"


def _range(k: Key) -> str:
    if k.kind == "choice":
        return ", ".join(f"`{c}`" for c in k.choices)
    if k.kind in ("float", "int"):
        lo = "" if k.minimum is None else (f"> {k.minimum:g}" if k.min_open else f"≥ {k.minimum:g}")
        hi = "" if k.maximum is None else f"≤ {k.maximum:g}"
        return " and ".join(x for x in (lo, hi) if x)
    return ""


def _title(s: Section) -> str:
    return f"[[{s.name}]]" if s.array else f"[{s.name}]"


def render_markdown() -> str:
    """Markdown tables of every section and key: type, unit, default, range, meaning."""
    out = ["# scenario.toml reference", "",
           "Generated from `culture_logistics.config.schema` by `python -m culture_logistics.config.reference`;",
           "do not edit by hand. Every key is checked by `culture-logistics validate` and by every command: an",
           "unknown section or key, a wrong type or a value out of range is an error (exit 2, nothing written).", ""]
    for s in SECTIONS:
        out += [f"## `{_title(s)}`", "", s.doc[:1].upper() + s.doc[1:] + ("." if s.doc and not s.doc.endswith(".") else ""), ""]
        if s.free_keys:
            out += [f"Any key; each value: {s.value.doc if s.value else 'checked by the section'}.", ""]
            continue
        out += ["| key | type | unit | default | range | meaning |", "| --- | --- | --- | --- | --- | --- |"]
        for k in s.keys:
            out.append(f"| `{k.name}` | {k.kind} | {k.unit} | {_default(k)} | {_range(k)} | {k.doc} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
