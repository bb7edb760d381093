"""Issue 9: in-place writes are caught per buffer (one version counter shared by every tensor on
the same memory: slices, transposes, reshapes, detach(), squeeze/unsqueeze, expand), saved outputs
are checked too, and the bookkeeping is proportional to the views alive."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph
from autograd_core.errors import GraphError

TORCH_PHRASE = "one of the variables needed for gradient computation has been modified by an inplace"

VIEWS = {
    "slice": lambda x: x[:2],
    "T": lambda x: x.T,
    "transpose": lambda x: ag.transpose(x, (1, 0)),
    "permute": lambda x: x.permute(1, 0),
    "swapaxes": lambda x: x.swapaxes(0, 1),
    "reshape": lambda x: x.reshape(-1),
    "view": lambda x: x.view(3, 2),
    "flatten": lambda x: x.flatten(),
    "detach": lambda x: x.detach(),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "slice-of-detach": lambda x: x.detach()[1],
}

WRITES = {
    "iadd": lambda v: v.__iadd__(100.0),
    "setitem": lambda v: v.__setitem__(0, 1.0),
    "copy_": lambda v: v.copy_(np.full(v.shape, 7.0)),
    "zero_": lambda v: v.zero_(),
}


def _saved_product():
    w = ag.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    x = ag.tensor(np.arange(1.0, 7.0).reshape(2, 3))
    return w, x, (w * x).sum()


def test_issue_repro_a_write_through_a_slice_no_longer_gives_a_silently_wrong_gradient() -> None:
    w = ag.tensor([1.0, 2, 3], requires_grad=True)
    x = ag.tensor([1.0, 2, 3])
    y = (w * x).sum()
    x[:2] += 100
    with pytest.raises(GraphError, match=TORCH_PHRASE) as info:
        y.backward()
    assert "<MulBackward>" in str(info.value) and "input 1" in str(info.value)
    assert w.grad is None


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
@pytest.mark.parametrize("make_view", VIEWS.values(), ids=VIEWS.keys())
def test_a_write_through_any_view_of_a_saved_buffer_makes_backward_raise(make_view, write) -> None:
    w, x, y = _saved_product()
    view = make_view(x)
    assert view._vc is x._vc is not None  # one counter for the buffer
    write(view)
    assert x._version == view._version >= 1
    with pytest.raises(GraphError, match=r"<MulBackward>.*modified in place"):
        y.backward()


def test_a_write_into_the_base_is_seen_by_a_node_that_saved_a_view() -> None:
    w = ag.tensor(np.ones((2, 3)), requires_grad=True)
    base = ag.tensor(np.arange(3.0))
    expanded = base.reshape(1, 3).expand((2, 3))  # a read-only broadcast view of base's memory
    y = (w * expanded).sum()
    with ag.no_grad():
        base += 1
    with pytest.raises(GraphError, match="modified in place"):
        y.backward()


def test_views_made_under_no_grad_share_the_counter_too() -> None:
    w, x, y = _saved_product()
    with ag.no_grad():
        v = x[0]
        v += 1
    with pytest.raises(GraphError, match="modified in place"):
        y.backward()


def test_a_copy_does_not_share_the_counter_and_writing_it_is_fine() -> None:
    w, x, y = _saved_product()
    other = x * 1.0  # new memory
    other += 5
    y.backward()
    np.testing.assert_array_equal(w.grad.data, x.data)


def test_the_error_names_a_named_tensor() -> None:
    w, x, y = _saved_product()
    x.name = "inputs"
    x.detach().zero_()
    with pytest.raises(GraphError, match=r"input 1 'inputs' of <MulBackward> \(shape \(2, 3\)"):
        y.backward()


# ---- saved outputs ----------------------------------------------------------------------------

def _save_output_ops():
    ops = []
    for module in (ag.ops.elementwise, ag.ops.reductions):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, graph.Op) and value.save_output:
                fn = getattr(ag, value.name, None)
                if fn is not None:
                    ops.append(pytest.param(fn, id=value.name))
    return ops


def test_issue_repro_a_saved_exp_output_written_under_no_grad_is_caught() -> None:
    x = ag.tensor([0.5, 1.0], requires_grad=True)
    y = ag.exp(x)
    with ag.no_grad():
        y += 1
    with pytest.raises(GraphError, match=TORCH_PHRASE) as info:
        (y * 2).sum().backward()
    assert "the output of <ExpBackward>" in str(info.value)


@pytest.mark.parametrize("fn", _save_output_ops())
def test_every_op_that_saves_its_output_detects_a_write_into_it(fn) -> None:
    x = ag.tensor(np.linspace(0.2, 0.9, 6).reshape(2, 3), requires_grad=True)
    y = fn(x)
    assert y.grad_fn.op.save_output
    with ag.no_grad():
        y += 1
    with pytest.raises(GraphError, match="modified in place"):
        (y * 2).sum().backward()


@pytest.mark.parametrize("make_view", [lambda y: y.detach(), lambda y: y.detach()[0],
                                       lambda y: y.T, lambda y: y.reshape(-1)],
                         ids=["detach", "detach-slice", "T", "reshape"])
@pytest.mark.parametrize("fn", [ag.tanh, ag.sigmoid, ag.softmax, ag.exp])
def test_a_write_into_a_saved_output_through_a_view_is_caught(fn, make_view) -> None:
    x = ag.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    y = fn(x)
    view = make_view(y)
    with ag.no_grad():
        view += 1
    with pytest.raises(GraphError, match="modified in place"):
        (y * 2).sum().backward()


def test_a_node_does_not_reference_its_output_tensor() -> None:
    x = ag.tensor([0.5, 1.0], requires_grad=True)
    y = ag.exp(x)
    y.detach()  # gives y a version counter, which its node now watches
    node = y.grad_fn
    ref = weakref.ref(y)
    del y
    assert ref() is None  # freed by reference counting alone: no cycle through the node
    assert node.out_version is not None and node.out_version[0].value == 0


def test_writing_data_directly_stays_the_users_business() -> None:
    x = ag.tensor([0.5, 1.0], requires_grad=True)
    y = ag.exp(x)
    y.data += 1  # not tracked, as in PyTorch
    (y * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * (np.exp([0.5, 1.0]) + 1), rtol=1e-6)


# ---- bookkeeping ------------------------------------------------------------------------------

def test_detach_bookkeeping_is_proportional_to_views_alive_not_to_calls() -> None:
    p = ag.tensor(np.ones(10), requires_grad=True)
    keep = [p.detach() for _ in range(3)]
    for _ in range(2000):
        alias = p.detach()
        with ag.no_grad():
            p -= 0.001
        del alias
    gc.collect()
    counter = p._vc
    assert all(k._vc is counter for k in keep)
    # holders of the counter: p and the 3 live aliases (or their instance dicts), nothing else
    holders = [r for r in gc.get_referrers(counter) if isinstance(r, (dict, ag.Tensor))]
    assert len(holders) == 4
    assert not hasattr(p, "_aliases") or p.__dict__.get("_aliases") is None


def test_many_detach_calls_do_not_accumulate_memory() -> None:
    p = ag.tensor(np.ones(10), requires_grad=True)
    for _ in range(100):
        p.detach()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(5000):
        for _ in range(5):
            p.detach()
        with ag.no_grad():
            p -= 0.001
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 20_000, after - before  # 25,000 detach() calls kept nothing


def test_a_tensor_that_never_shares_memory_gets_no_counter() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.exp(x) * 2 + 1
    assert x._vc is None and y._vc is None and x._version == 0
