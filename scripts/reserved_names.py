"""Write netbuilder/graph/reserved_names.txt: the layer names the compiler refuses (compile/names.py), so the
document can check a name without importing torch. tests/compile/test_names.py keeps the file current.
Run: .venv/bin/python scripts/reserved_names.py"""
from pathlib import Path

from netbuilder.compile.names import reserved_names

OUT = Path(__file__).resolve().parents[1] / "netbuilder" / "graph" / "reserved_names.txt"


def text() -> str:
    return ("# Written by scripts/reserved_names.py from torch's nn.Module and fx.GraphModule: do not edit.\n"
            + "\n".join(sorted(reserved_names())) + "\n")


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
    print(f"wrote {OUT} ({len(reserved_names())} names)")
