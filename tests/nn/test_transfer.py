"""Transfer learning as in PyTorch (issue 15): load_state_dict(strict=False) returns torch's
(missing_keys, unexpected_keys), strict errors list missing/unexpected/size mismatches like torch,
requires_grad_(False) freezes a submodule, optimizers skip parameters without grads, and parameter
groups with their own learning rates give torch's numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.errors import InvalidArgumentError, ShapeError

torch = pytest.importorskip("torch")
tnn = torch.nn


def ours_model():
    return nn.Sequential(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8)), nn.Tanh(),
                         nn.Linear(8, 3)).double()


def torch_model():
    return tnn.Sequential(tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Linear(8, 8)), tnn.Tanh(),
                          tnn.Linear(8, 3)).double()


def copy_into_torch(model, reference):
    reference.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})


def test_loading_a_body_without_its_head_returns_torchs_incompatible_keys():
    model, reference = ours_model(), torch_model()
    body = {k: v for k, v in ours_model().state_dict().items() if not k.startswith("2.")}
    body["extra.scale"] = np.ones(1)
    result = model.load_state_dict(body, strict=False)
    expected = reference.load_state_dict({k: torch.from_numpy(v) for k, v in body.items()}, strict=False)
    assert isinstance(result, nn.IncompatibleKeys)
    assert result.missing_keys == expected.missing_keys == ["2.weight", "2.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["extra.scale"]
    missing, unexpected = result
    assert (missing, unexpected) == (["2.weight", "2.bias"], ["extra.scale"])
    np.testing.assert_array_equal(model[0][0].weight.data, body["0.0.weight"])


def torch_message(reference, state, strict=True):
    with pytest.raises(RuntimeError) as info:
        reference.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=strict)
    def as_tuple(match: re.Match) -> str:
        return str(tuple(int(d) for d in match.group(1).split(", ")))

    return re.sub(r"torch\.Size\(\[([^\]]*)\]\)", as_tuple, str(info.value))


def test_strict_errors_list_missing_unexpected_and_size_mismatches_like_torch():
    state = ours_model().state_dict()
    del state["2.bias"]
    state["head.weight"] = np.zeros((3, 8))
    state["0.2.weight"] = np.zeros((5, 8))
    with pytest.raises(InvalidArgumentError) as info:
        ours_model().load_state_dict(state)
    assert str(info.value) == torch_message(torch_model(), state)

    state = ours_model().state_dict()
    state["2.weight"] = np.zeros((4, 8))
    with pytest.raises(ShapeError) as info:
        ours_model().load_state_dict(state, strict=False)
    assert str(info.value) == torch_message(torch_model(), state, strict=False)


def data(rng):
    return rng.standard_normal((16, 4)), rng.integers(0, 3, size=16)


def train(model, optimizer, x, y, steps, framework):
    for _ in range(steps):
        optimizer.zero_grad()
        if framework == "ours":
            loss = nn.functional.cross_entropy(model(ag.tensor(x)), ag.tensor(y))
        else:
            loss = tnn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        optimizer.step()


def test_a_frozen_body_is_skipped_by_the_optimizer_as_in_torch(rng):
    model, reference = ours_model(), torch_model()
    copy_into_torch(model, reference)
    frozen_before = {k: v.copy() for k, v in model[0].state_dict().items()}
    assert model[0].requires_grad_(False) is model[0]
    reference[0].requires_grad_(False)
    assert all(not p.requires_grad for p in model[0].parameters())
    assert model.num_parameters(trainable_only=True) == 8 * 3 + 3

    x, y = data(rng)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    torch_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    train(model, optimizer, x, y, 4, "ours")
    train(reference, torch_optimizer, x, y, 4, "torch")

    assert all(p.grad is None for p in model[0].parameters())
    for key, value in model[0].state_dict().items():
        np.testing.assert_array_equal(value, frozen_before[key])
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, reference.state_dict()[key].numpy(), rtol=1e-10, atol=1e-12)
    assert len(optimizer.state) == len(torch_optimizer.state) == 2


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_parameter_groups_with_their_own_learning_rates_match_torch(rng, name):
    model, reference = ours_model(), torch_model()
    copy_into_torch(model, reference)
    kwargs = {"momentum": 0.9} if name == "SGD" else {"betas": (0.8, 0.99)}
    optimizer = getattr(optim, name)([{"params": model[0].parameters(), "lr": 1e-3},
                                      {"params": model[2].parameters()}], lr=0.1, **kwargs)
    torch_optimizer = getattr(torch.optim, name)([{"params": reference[0].parameters(), "lr": 1e-3},
                                                  {"params": reference[2].parameters()}], lr=0.1, **kwargs)
    assert [group["lr"] for group in optimizer.param_groups] == [1e-3, 0.1]
    x, y = data(rng)
    start = model.state_dict()
    train(model, optimizer, x, y, 5, "ours")
    train(reference, torch_optimizer, x, y, 5, "torch")
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, reference.state_dict()[key].numpy(), rtol=1e-9, atol=1e-12)
    body_change = np.abs(model.state_dict()["0.0.weight"] - start["0.0.weight"]).max()
    head_change = np.abs(model.state_dict()["2.weight"] - start["2.weight"]).max()
    assert head_change > 10 * body_change > 0
