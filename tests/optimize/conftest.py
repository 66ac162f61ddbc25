"""Digits networks trained once per module for the optimize tests."""
import pytest

from optimize_helpers import trained


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    return trained(tmp_path_factory.mktemp("cnn"), "cnn_digits", 8)


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    return trained(tmp_path_factory.mktemp("mlp"), "mlp_digits", 8)


