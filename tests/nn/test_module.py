"""nn.Module and nn.Parameter: registration, traversal order and names, train/eval, zero_grad,
state_dict / load_state_dict (atomic on error), repr, containers, copying and dtype casts."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(3, 4, generator=0)
        self.norm = nn.BatchNorm1d(4)
        self.out = nn.Linear(4, 2, generator=1)
        self.scale = nn.Parameter(np.ones(1))

    def forward(self, x):
        return self.out(ag.relu(self.norm(self.hidden(x)))) * self.scale


def _torch_twin():
    torch = pytest.importorskip("torch")

    class TorchTwoLayer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden = torch.nn.Linear(3, 4)
            self.norm = torch.nn.BatchNorm1d(4)
            self.out = torch.nn.Linear(4, 2)
            self.scale = torch.nn.Parameter(torch.ones(1))

    return TorchTwoLayer()


# ---- Parameter ------------------------------------------------------------------------------------

def test_parameter_requires_grad_and_keeps_array_dtype():
    p64 = nn.Parameter(np.zeros(3))
    p32 = nn.Parameter(np.zeros(3, dtype=np.float32))
    assert isinstance(p64, ag.Tensor) and p64.requires_grad and p64.is_leaf
    assert p64.dtype == np.float64 and p32.dtype == np.float32


def test_parameter_from_python_floats_uses_the_default_dtype(float64_default):
    assert nn.Parameter([1.0, 2.0]).dtype == np.float64
    ag.set_default_dtype(np.float32)
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32


def test_parameter_from_tensor_shares_its_data_and_rejects_integers():
    t = ag.tensor(np.arange(3.0))
    p = nn.Parameter(t)
    assert p.data is t.data
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    with pytest.raises(DTypeError):
        nn.Parameter(np.arange(3))


def test_parameter_repr_and_pickle():
    p = nn.Parameter(np.ones(2))
    assert repr(p).startswith("Parameter containing:\ntensor(")
    clone = pickle.loads(pickle.dumps(p))
    assert isinstance(clone, nn.Parameter) and clone.requires_grad
    np.testing.assert_array_equal(clone.data, p.data)


# ---- registration and traversal -----------------------------------------------------------------

def test_attributes_register_parameters_buffers_and_children_in_order():
    model = TwoLayer()
    assert [name for name, _ in model.named_children()] == ["hidden", "norm", "out"]
    assert [name for name, _ in model.named_parameters()] == [
        "scale", "hidden.weight", "hidden.bias", "norm.weight", "norm.bias", "out.weight", "out.bias"]
    assert [name for name, _ in model.named_buffers()] == [
        "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "norm", "out"]
    assert len(list(model.parameters())) == 7
    assert model.num_parameters() == 1 + 16 + 8 + 10


def test_named_parameters_and_state_dict_keys_match_torch():
    torch_model = _torch_twin()
    model = TwoLayer()
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in torch_model.named_parameters()]
    assert list(model.state_dict()) == list(torch_model.state_dict())
    assert [n for n, _ in model.named_modules()] == [n for n, _ in torch_model.named_modules()]


def test_sequential_names_match_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 3), nn.Tanh()),
                         nn.ModuleList([nn.Linear(3, 1)]))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh()),
                                 torch.nn.ModuleList([torch.nn.Linear(3, 1)]))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert "2.0.weight" in dict(ours.named_parameters())
    assert "3.0.bias" in dict(ours.named_parameters())


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_reassigning_keeps_position_and_type_errors_are_clear():
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(np.zeros((3, 2)))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    with pytest.raises(DTypeError, match="parameter 'weight'"):
        layer.weight = ag.tensor(np.zeros((3, 2)))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    model[0] = nn.Tanh()
    assert [type(m).__name__ for m in model] == ["Tanh", "ReLU"]


def test_assigning_before_init_is_an_error():
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.weight = nn.Parameter(np.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_register_buffer_persistent_and_not():
    module = nn.Module()
    module.register_buffer("kept", ag.tensor(np.ones(2)))
    module.register_buffer("scratch", np.zeros(3), persistent=False)
    assert [n for n, _ in module.named_buffers()] == ["kept", "scratch"]
    assert list(module.state_dict()) == ["kept"]
    with pytest.raises(InvalidArgumentError):
        module.register_buffer("a.b", ag.tensor(np.ones(1)))
    with pytest.raises(KeyError):
        module.register_buffer("training", ag.tensor(np.ones(1)))


def test_del_attribute_unregisters():
    layer = nn.Linear(2, 2)
    del layer.bias
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_get_submodule_and_parameter():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 1)))
    assert model.get_submodule("1.0") is model[1][0]
    assert model.get_parameter("1.0.bias") is model[1][0].bias
    with pytest.raises(AttributeError, match="no submodule"):
        model.get_submodule("5")


# ---- modes, zero_grad, apply, dtype -----------------------------------------------------------------

def test_train_eval_propagate():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.BatchNorm1d(2)))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(DTypeError):
        model.train("yes")


def test_zero_grad_to_none_or_to_zeros(rng):
    model = nn.Linear(3, 2)
    model(ag.tensor(rng.standard_normal((4, 3)).astype(np.float32))).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and not model.weight.grad.data.any()
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_apply_visits_children_first_and_returns_self():
    visited = []
    model = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_requires_grad_freezes():
    model = nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    assert model.num_parameters(trainable_only=True) == 0


def test_to_double_keeps_parameter_objects_and_integer_buffers():
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float32), nn.BatchNorm1d(2, dtype=np.float32))
    weight = model[0].weight
    model.double()
    assert model[0].weight is weight and weight.dtype == np.float64
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    with pytest.raises(DTypeError):
        model.to(np.int32)


def test_deepcopy_is_independent(rng):
    model = TwoLayer()
    clone = copy.deepcopy(model)
    assert clone.hidden.weight is not model.hidden.weight
    assert isinstance(clone.hidden.weight, nn.Parameter)
    clone.hidden.weight.data[...] = 0
    assert model.hidden.weight.data.any()
    x = ag.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    assert clone.eval()(x).shape == (5, 2)


# ---- state_dict ---------------------------------------------------------------------------------------

def test_state_dict_is_a_copy_with_buffers():
    model = TwoLayer()
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    assert all(isinstance(v, np.ndarray) for v in state.values())
    counter = state["norm.num_batches_tracked"]
    assert counter.dtype == np.int64 and counter.shape == ()
    state["hidden.weight"][...] = 123.0
    assert not np.any(model.hidden.weight.data == 123.0)
    live = model.state_dict(keep_vars=True)
    assert live["hidden.weight"] is model.hidden.weight


def test_load_state_dict_round_trip_accepts_arrays_and_tensors():
    source, target = TwoLayer(), TwoLayer()
    source.norm.running_mean.data[...] = 3.0
    state = source.state_dict()
    state["out.bias"] = ag.tensor(state["out.bias"])
    weight = target.hidden.weight
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.hidden.weight is weight
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key], value)


def _assert_unchanged(model, before):
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_missing_key_changes_nothing():
    model = TwoLayer()
    before = model.state_dict()
    state = TwoLayer().state_dict()
    state["hidden.weight"] += 1
    del state["out.bias"]
    with pytest.raises(InvalidArgumentError, match='Missing key.*"out.bias"'):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_load_state_dict_unexpected_key_changes_nothing():
    model = TwoLayer()
    before = model.state_dict()
    state = TwoLayer().state_dict()
    state["hidden.weight"] += 1
    state["extra.weight"] = np.zeros(2)
    with pytest.raises(InvalidArgumentError, match='Unexpected key.*"extra.weight"'):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_load_state_dict_shape_mismatch_changes_nothing_even_when_not_strict():
    model = TwoLayer()
    before = model.state_dict()
    state = TwoLayer().state_dict()
    state["hidden.weight"] += 1
    state["out.weight"] = np.zeros((3, 4))
    with pytest.raises(ShapeError, match=r"size mismatch for out.weight.*\(3, 4\).*\(2, 4\)"):
        model.load_state_dict(state)
    with pytest.raises(ShapeError):
        model.load_state_dict(state, strict=False)
    _assert_unchanged(model, before)


def test_load_state_dict_not_strict_reports_keys():
    model = TwoLayer()
    state = TwoLayer().state_dict()
    del state["scale"]
    state["bogus"] = np.ones(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["scale"] and result.unexpected_keys == ["bogus"]
    np.testing.assert_array_equal(model.hidden.weight.data, state["hidden.weight"])


def test_load_state_dict_rejects_non_mapping_and_non_numeric():
    model = nn.Linear(1, 1)
    with pytest.raises(DTypeError):
        model.load_state_dict([("weight", np.ones((1, 1)))])
    with pytest.raises(InvalidArgumentError, match="'weight'"):
        model.load_state_dict({"weight": np.array([["a"]]), "bias": np.zeros(1)})


def test_state_dict_round_trip_into_torch_linear():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2, dtype=np.float64, generator=5)
    theirs = torch.nn.Linear(3, 2).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(ag.tensor(x)).data)
    fresh = nn.Linear(3, 2, dtype=np.float64)
    fresh.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(fresh.weight.data, ours.weight.data)


def test_state_dict_of_equivalent_model_loads_into_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3))
    theirs.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in ours.state_dict().items()},
                           strict=True)
    assert list(theirs.state_dict()) == list(ours.state_dict())
    theirs.double().eval()
    ours.double().eval()
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(ours(ag.tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-12)
    with torch.no_grad():
        theirs[0].weight.add_(1.0)
        theirs[1].running_mean.fill_(0.5)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours[0].weight.data, theirs[0].weight.detach().numpy())
    np.testing.assert_array_equal(ours[1].running_mean.data, np.full(8, 0.5))


# ---- repr ----------------------------------------------------------------------------------------------

def test_repr_matches_torch_exactly():
    torch = pytest.importorskip("torch")
    t = torch.nn

    def build(m):
        return m.Sequential(
            m.Conv2d(1, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
            m.Linear(64, 10), m.LayerNorm(10), m.Dropout(0.1),
            m.ModuleList([m.Linear(10, 10), m.Linear(10, 10), m.Tanh()]),
            m.ModuleDict({"head": m.Linear(10, 2)}),
            m.Embedding(5, 2, padding_idx=1), m.Conv2d(2, 4, 3, stride=2, padding=1, groups=2, bias=False),
            m.AvgPool2d(3, 1, 1), m.Softmax(dim=1), m.LogSoftmax(dim=1), m.LeakyReLU(0.2),
            m.BatchNorm1d(3, affine=False, momentum=None), m.GELU(), m.Softplus(), m.Sigmoid(), m.Identity(),
            m.MSELoss(), m.CrossEntropyLoss(), m.Sequential())

    assert repr(build(nn)) == repr(build(t))


def test_repr_of_the_brief_example():
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU())
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=2, out_features=16, bias=True)\n"
                           "  (1): ReLU()\n)")


# ---- containers ------------------------------------------------------------------------------------

def test_sequential_indexing_len_iteration_append_and_slices(rng):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    model.append(nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear) and isinstance(model[1], nn.ReLU)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    x = ag.tensor(rng.standard_normal((4, 2)).astype(np.float32))
    np.testing.assert_allclose(model(x).data, model[2](model[1](model[0](x))).data)
    with pytest.raises(IndexError):
        model[3]
    del model[1]
    assert list(model._modules) == ["0", "1"]
    model.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear"]
    assert isinstance(model.pop(1), nn.Tanh) and len(model) == 2


def test_sequential_from_ordered_dict():
    model = nn.Sequential(OrderedDict([("encoder", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert [n for n, _ in model.named_parameters()] == ["encoder.weight", "encoder.bias"]
    assert model[0] is model.encoder


def test_module_list_registers_and_renumbers():
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "Linear", "Linear", "Linear", "ReLU", "Tanh"]
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    assert isinstance(layers[-1], nn.Tanh) and isinstance(layers[1:3], nn.ModuleList)
    with pytest.raises(NotImplementedError):
        layers(1)


def test_module_dict():
    heads = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.Linear(1, 3)})
    heads["c"] = nn.ReLU()
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert isinstance(heads.pop("c"), nn.ReLU) and list(heads.keys()) == ["a", "b"]
    with pytest.raises(KeyError, match="'z'"):
        heads["z"]


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)
