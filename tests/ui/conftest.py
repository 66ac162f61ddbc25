import pytest
from PySide6.QtCore import Qt
from uihelpers import make_window


@pytest.fixture
def window(qtbot):
    return make_window(qtbot)  # qtbot closes it after the test




@pytest.fixture(autouse=True)
def no_button_left_held():
    """A test that ends with a mouse button held (by Qt's test events) would leave every later test's hover dead."""
    yield
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.mouseButtons() == Qt.MouseButton.NoButton, "a mouse button is still held: release it"
