import pytest
from uihelpers import make_window


@pytest.fixture
def window(qtbot):
    return make_window(qtbot)  # qtbot closes it after the test


