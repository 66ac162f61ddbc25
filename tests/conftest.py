import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Each test gets its own settings, recent files and recovery folder."""
    folder = tmp_path / "config"
    monkeypatch.setenv("NETBUILDER_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Each test gets its own (empty) dataset cache: no test reads or fills the user's."""
    folder = tmp_path / "datasets"
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(folder))
    return folder
