"""Shared fixtures for the test suite: seeded random generators, a float64 default dtype that is
always restored, and small helpers to compare against PyTorch when it is installed."""

from __future__ import annotations

import os

import numpy as np
import pytest

import autograd_core as ag


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded numpy Generator: every test that draws random data is deterministic."""
    return np.random.default_rng(1234)


@pytest.fixture
def float64_default():
    """Sets the default dtype to float64 for one test and restores the previous default after."""
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    try:
        yield
    finally:
        ag.set_default_dtype(previous)


@pytest.fixture(autouse=True)
def _restore_global_modes():
    """Guards against one test leaking a global mode (default dtype, grad mode, anomaly) into the
    next: each test starts from the defaults and they are put back afterwards."""
    previous_dtype = ag.get_default_dtype()
    grad_enabled = ag.is_grad_enabled()
    anomaly = ag.is_anomaly_enabled()
    yield
    ag.set_default_dtype(previous_dtype)
    from autograd_core import mode

    mode.state.grad_enabled = grad_enabled
    mode.state.anomaly = anomaly


@pytest.fixture(scope="session")
def path_without_dot(tmp_path_factory) -> str:
    """PATH as it is, except that Graphviz's `dot` is not on it (a machine without Graphviz): each
    directory holding `dot` is replaced by a directory of links to everything else in it."""
    farm_root = tmp_path_factory.mktemp("path_without_dot")
    entries = []
    for i, directory in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        if directory and os.path.exists(os.path.join(directory, "dot")):
            farm = farm_root / str(i)
            farm.mkdir()
            for name in os.listdir(directory):
                if name != "dot":
                    (farm / name).symlink_to(os.path.join(directory, name))
            directory = str(farm)
        entries.append(directory)
    return os.pathsep.join(entries)


def pytest_configure(config) -> None:
    # torch.func imports torch.jit, which warns about its own deprecation: not ours to act on
    config.addinivalue_line("filterwarnings",
                            "ignore:`torch.jit.script` is deprecated:DeprecationWarning")
