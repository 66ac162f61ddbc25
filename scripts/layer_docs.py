"""Write docs/layers.md from the layer catalog (a test checks it is up to date). The formulas, shape rules
and examples are the in-app layer reference's (netbuilder/layers/reference.py)."""
from pathlib import Path

from netbuilder.layers import CATEGORIES
from netbuilder.layers.reference import entries

PATH = Path(__file__).resolve().parent.parent / "docs" / "layers.md"


def render() -> str:
    lines = ["# Layers", "", "Generated from the catalog by `scripts/layer_docs.py`; do not edit. The same reference,"
             " searchable, is in the app: Help > Layer Reference (F1), or the inspector's link.", ""]
    found = entries()
    for category in CATEGORIES:
        specs = [e for e in found if e.spec.category == category]
        lines += [f"## {category}", "", "| layer | what it does | what it computes; shape rule; example | parameters |",
                  "|---|---|---|---|"]
        for e in specs:
            s = e.spec
            params = "<br>".join(f"`{p.name}` = {p.default!r}: {p.help}" for p in s.all_params) or "none"
            ports = f" (inputs: {'in0, in1, ...' if s.variadic else ', '.join(s.inputs) or 'none'})"
            maths = "<br>".join(f"`{_cell(t)}`" for t in (e.formula, e.rule) if t)
            maths += f"<br>e.g. `{e.example}`" if e.example else ""
            lines.append(f"| {s.type} | {s.help}{ports if s.variadic else ''} | {maths} | {params} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text in a table cell: a | would end the cell."""
    return text.replace("|", "\\|")


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    print("wrote", PATH)
