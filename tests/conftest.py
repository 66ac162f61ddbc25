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


@pytest.fixture
def fresh_code_session():
    """What one test trusted of Code layers (in this process) or cached of their shapes is not known to the
    next (tests of Code layers use it)."""
    from netbuilder.graph import trust
    from netbuilder.layers import code

    trust.forget_session()
    code.clear_cache()
    yield
    trust.forget_session()
    code.clear_cache()


@pytest.fixture
def one_thread():
    """Small networks train fastest on one thread (and do not fight parallel test runs for cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """A test fails when it leaves a training thread running (after its windows were closed)."""
    yield
    import sys

    worker = sys.modules.get("netbuilder.ui.training.worker")
    if worker is not None and worker.RUNNING:
        left = len(worker.RUNNING)
        worker.RUNNING.clear()
        pytest.fail(f"{item.nodeid} left {left} training thread(s) running", pytrace=False)
