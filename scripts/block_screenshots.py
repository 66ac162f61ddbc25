"""Render blocks offscreen into assets/screenshots/ (run: .venv/bin/python scripts/block_screenshots.py): the
ResNet template with its ResBlock collapsed (its menu open), and the block opened with the breadcrumb."""
from screenshots import OUT, settle  # offscreen, a fresh config folder (it sets both on import)

from edit_screenshots import window_on, with_menu  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def main() -> None:
    app = QApplication.instance() or QApplication([])
    window = window_on(app, "resnet_digits.json")
    scene, graph = window.scene, window.document.graph
    blocks = graph.by_name("blocks").id
    window.fit()
    settle(app)
    item = scene.node_items[blocks]
    scene.select_nodes([blocks])
    settle(app)
    with_menu(window, item, item.sceneBoundingRect().bottomLeft()).save(str(OUT / "block_collapsed.png"))
    window.blocks.open(blocks)  # shown at a readable zoom from its start, as a double-click does
    settle(app)
    inner = window.scene.graph.by_name("conv_a").id
    window.scene.select_nodes([inner])
    settle(app)
    window.grab().save(str(OUT / "block_open.png"))
    window.stack.leave_all()
    window.close()
    for name in ("block_collapsed.png", "block_open.png"):
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
