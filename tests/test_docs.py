"""The layer reference in docs/ is generated from the catalog and kept current."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_layer_docs_are_current():
    spec = importlib.util.spec_from_file_location("layer_docs", ROOT / "scripts" / "layer_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "layers.md").read_text(encoding="utf-8") == module.render(), \
        "docs/layers.md is stale: run .venv/bin/python scripts/layer_docs.py"


def test_the_readme_lists_every_system_package_the_window_needs():
    from netbuilder.ui.display_check import FONTS, PACKAGES

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text().replace("\\\n", " ")
    listed = set(text.split())
    assert set(PACKAGES.values()) | {FONTS, "xvfb"} <= listed
