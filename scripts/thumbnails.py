"""Draw templates/thumbnails/<template>.png, the gallery's pictures, with the canvas itself
(run: .venv/bin/python scripts/thumbnails.py after changing a template)."""
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NETBUILDER_CONFIG_DIR", tempfile.mkdtemp())

from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.ui.gallery import TEMPLATES, draw_thumbnail  # noqa: E402


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)  # noqa: F841 - pixmaps need one
    out = TEMPLATES / "thumbnails"
    out.mkdir(exist_ok=True)
    for path in sorted(TEMPLATES.glob("*.json")):
        target = out / f"{path.stem}.png"
        draw_thumbnail(path).save(str(target))
        print("wrote", target)


if __name__ == "__main__":
    main()
