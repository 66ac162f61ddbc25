"""Write docs/layers.md from the layer catalog (a test checks it is up to date)."""
from pathlib import Path

from netbuilder.layers import CATALOG, CATEGORIES

PATH = Path(__file__).resolve().parent.parent / "docs" / "layers.md"


def render() -> str:
    lines = ["# Layers", "", "Generated from the catalog by `scripts/layer_docs.py`; do not edit.", ""]
    for category in CATEGORIES:
        specs = [s for s in CATALOG.values() if s.category == category]
        lines += [f"## {category}", "", "| layer | what it does | parameters |", "|---|---|---|"]
        for s in specs:
            params = "<br>".join(f"`{p.name}` = {p.default!r}: {p.help}" for p in s.all_params) or "none"
            ports = f" (inputs: {'in0, in1, ...' if s.variadic else ', '.join(s.inputs) or 'none'})"
            lines.append(f"| {s.type} | {s.help}{ports if s.variadic else ''} | {params} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    print("wrote", PATH)
