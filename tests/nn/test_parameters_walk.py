"""Issue 16: Module.parameters() walks the modules itself (no names, no generator per level) and
must yield exactly what named_parameters() yields, in the same order: shared modules and
parameters once, None placeholders skipped, recurse=False, and a subclass's own
named_parameters still decides. Checked against PyTorch's order too."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import nn

try:  # torch is the oracle only: without it the comparisons skip, the rest still runs
    import torch
except ImportError:  # pragma: no cover
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="torch (the test oracle) is not installed")


def _names_and_ids(module, recurse=True):
    return [id(p) for _, p in module.named_parameters(recurse=recurse)]


def _tree():
    shared = nn.Linear(3, 3)
    inner = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), shared)
    model = nn.Sequential(OrderedDict([("a", inner), ("b", shared), ("c", nn.Linear(3, 1, bias=False)),
                                       ("d", nn.Sequential(inner, nn.Linear(1, 1)))]))
    model.c.register_parameter("extra", None)
    model.extra = nn.Parameter(np.ones(2, np.float32))
    model.d[1].weight = model.c.weight  # a parameter shared across modules
    return model


def test_parameters_follow_named_parameters():
    model = _tree()
    assert [id(p) for p in model.parameters()] == _names_and_ids(model)
    assert [id(p) for p in model.parameters(recurse=False)] == _names_and_ids(model, recurse=False)
    assert len(list(model.parameters())) == len({id(p) for p in model.parameters()})
    assert list(nn.ReLU().parameters()) == []


@requires_torch
def test_parameters_order_matches_torch():
    ours = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 1)))
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]


def test_parameters_see_changes_made_between_calls():
    model = nn.Sequential(nn.Linear(2, 2))
    first = list(model.parameters())
    model.append(nn.Linear(2, 1))
    assert len(list(model.parameters())) == len(first) + 2


def test_a_subclass_named_parameters_still_decides():
    class OnlyWeights(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 2)

        def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
            for name, p in super().named_parameters(prefix, recurse, remove_duplicate):
                if name.endswith("weight"):
                    yield name, p

    module = OnlyWeights()
    assert [id(p) for p in module.parameters()] == [id(module.layer.weight)]
