"""A Code layer's code in a window of its own (the inspector's editor is narrow): the same editor, as large as
the screen allows, beside the canvas. It follows the document as the inspector's does: Ctrl+Enter or Apply
applies the code as one undoable edit, Close applies and closes, and what is wrong with the applied code is
said under it, its line highlighted and in sight."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from .code_editor import CodeField
from .layer_reference import bring_forward

COLUMNS, LINES = 88, 32  # the editor's size when the screen has room for it


class CodeDialog(QDialog):
    def __init__(self, document, node_id: str, param: str = "code", parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.node_id = document, node_id
        self.setObjectName(f"code_dialog_{node_id}")
        self.setSizeGripEnabled(True)
        self.code = CodeField(document, node_id, param, larger=False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setToolTip("Apply the code (Ctrl+Enter); Close applies it too")
        self.apply_button.clicked.connect(self.code.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.code, 1)
        layout.addWidget(buttons)
        document.problemsChanged.connect(self._follow)
        self._follow()
        self.resize(self._good_size())

    def _good_size(self) -> QSize:
        metrics = self.code.editor.fontMetrics()
        editor = QSize(self.code.editor.gutter_width() + metrics.horizontalAdvance("m") * COLUMNS + 40,
                       metrics.lineSpacing() * LINES + 200)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:
            editor = editor.boundedTo(QSize(screen.width() * 9 // 10, screen.height() * 9 // 10))
        return editor

    def _follow(self) -> None:
        """The title names the layer as it is called now; a deleted layer's window closes."""
        graph = self.document.graph
        if self.node_id not in graph:
            self.close()
            return
        title = f"Code of '{graph.node(self.node_id).name}'"
        if self.windowTitle() != title:
            self.setWindowTitle(title)

    def reject(self) -> None:
        """Close, Escape and the window's close button: the typed code is applied, not lost."""
        self.code.apply()
        super().reject()


def open_code_dialog(document, node_id: str, param: str, parent: QWidget) -> CodeDialog:
    """The code of `node_id` in its window (one a layer: an open one is brought forward), not modal."""
    found = parent.findChild(CodeDialog, f"code_dialog_{node_id}")
    if found is not None and found.document is document:
        bring_forward(found)
        return found
    dialog = CodeDialog(document, node_id, param, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.code.editor.setFocus()
    return dialog
