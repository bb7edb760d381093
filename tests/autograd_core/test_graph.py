"""The backward pass itself: hand-checked expression graphs (micrograd's), accumulation, retained and
freed graphs, higher-order gradients, hooks, in-place version counters, detect_anomaly, and graphs
a million ops deep that are freed by reference counting alone."""

from __future__ import annotations

import gc
import inspect
import math
import sys
import time
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import AnomalyError, AutogradError, GraphError


def scalar(value: float, requires_grad: bool = True) -> ag.Tensor:
    return ag.tensor(value, requires_grad=requires_grad, dtype=np.float64)


# ---- micrograd's hand-checked graphs -------------------------------------------------------------

def test_micrograd_sanity_check_values_and_gradient() -> None:
    # micrograd test_sanity_check; by hand: z = -10, q = 40, h = 100, y = -20 and
    # dy/dx = dh/dx + dq/dx (1 + x) + q = -60 + (-22)(-3) + 40 = 46
    x = scalar(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.item() == -20.0
    assert x.grad.item() == 46.0


def test_micrograd_more_ops_matches_known_values() -> None:
    # micrograd test_more_ops (its README numbers). micrograd's `c += ...` rebinds c to a new
    # Value; here an in-place update of a tensor that requires grad is an error, so we rebind.
    a, b = scalar(-4.0), scalar(2.0)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    assert g.item() == pytest.approx(24.70408163265306, rel=1e-12)
    assert a.grad.item() == pytest.approx(138.83381924198252, rel=1e-12)
    assert b.grad.item() == pytest.approx(645.5772594752186, rel=1e-12)


def test_micrograd_graphs_match_torch() -> None:
    torch = pytest.importorskip("torch")

    def sanity(x, relu):
        z = 2 * x + 2 + x
        q = relu(z) + z * x
        h = relu(z * z)
        return h + q + q * x

    x = scalar(-4.0)
    tx = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    y, ty = sanity(x, ag.relu), sanity(tx, torch.relu)
    y.backward()
    ty.backward()
    assert y.item() == ty.item()
    assert x.grad.item() == tx.grad.item()


def test_a_node_used_twice_accumulates_its_gradient() -> None:
    # y = u * u + u with u = 3x: dy/dx = (2u + 1) * 3 = 57 at x = 3
    x = scalar(3.0)
    u = 3 * x
    y = u * u + u
    y.backward()
    assert x.grad.item() == 57.0


@pytest.mark.parametrize("build, expected", [
    (lambda a: a + a, 2.0),
    (lambda a: a * a, 6.0),          # 2a at a = 3
    (lambda a: (a + a) + (a + a), 4.0),
    (lambda a: a * a * a, 27.0),     # 3a^2
    (lambda a: a / a, 0.0),
    (lambda a: a - a, 0.0),
], ids=["a+a", "a*a", "b=a+a;b+b", "a*a*a", "a/a", "a-a"])
def test_fan_out_sums_every_path(build, expected) -> None:
    a = scalar(3.0)
    build(a).backward()
    assert a.grad.item() == pytest.approx(expected)


def test_diamond_graph_visits_each_node_once() -> None:
    x = scalar(2.0)
    b = x * 3
    c = b.exp()
    d = b.sin()
    (c + d).backward()
    assert x.grad.item() == pytest.approx(3 * (math.exp(6.0) + math.cos(6.0)))


# ---- accumulation and graph lifetime ---------------------------------------------------------------

def test_leaf_grad_accumulates_across_backward_calls() -> None:
    x = scalar(2.0)
    (x * x).backward()
    (x * x).backward()
    assert x.grad.item() == 8.0
    x.grad = None
    (x * 5).backward()
    assert x.grad.item() == 5.0


def test_second_backward_through_a_freed_graph_raises_graph_error() -> None:
    x = scalar(2.0)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(GraphError, match="backward through the graph a second time") as info:
        y.backward()
    assert "retain_graph=True" in str(info.value)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, AutogradError)


def test_retain_graph_allows_a_second_backward_that_accumulates() -> None:
    x = scalar(2.0)
    y = x * x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 2 * 12.0


def test_backward_of_a_non_scalar_needs_a_gradient() -> None:
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3
    with pytest.raises(GraphError, match="implicitly created only for scalar outputs"):
        y.backward()
    y.backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.data, [3.0, 30.0])


def test_backward_gradient_as_tensor_and_of_wrong_shape() -> None:
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    with pytest.raises(GraphError, match=r"gradient has shape \(3,\) but the tensor has shape \(2,\)"):
        y.backward(np.ones(3))
    y.backward(ag.tensor(np.array([1.0, 0.5])))
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_backward_on_a_tensor_that_does_not_require_grad_raises() -> None:
    with pytest.raises(GraphError, match="does not require grad"):
        ag.tensor(1.0).backward()


def test_one_element_non_scalar_backward_needs_no_gradient() -> None:
    x = ag.tensor(np.array([[3.0]]), requires_grad=True)
    (x * x).backward()
    assert x.grad.shape == (1, 1) and x.grad.item() == 6.0


def test_backward_on_a_leaf_fills_its_own_grad() -> None:
    x = scalar(3.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_non_leaf_grad_is_kept_only_with_retain_grad() -> None:
    x = scalar(2.0)
    h = x * 3
    kept = x * 4
    kept.retain_grad()
    assert kept.retains_grad and not h.retains_grad
    (h * h + kept * kept).backward()
    assert h.grad is None
    assert kept.grad.item() == 16.0
    assert x.grad.item() == 2 * 6 * 3 + 2 * 8 * 4


def test_backward_inputs_limits_which_leaves_accumulate() -> None:
    x, w = scalar(2.0), scalar(5.0)
    (x * w).backward(inputs=[w])
    assert w.grad.item() == 2.0
    assert x.grad is None


def test_detach_and_no_grad_cut_the_gradient() -> None:
    x = scalar(3.0)
    y = x * x.detach()
    with ag.no_grad():
        z = x * 100
    (y + z).backward()
    assert x.grad.item() == 3.0
    assert not z.requires_grad


def test_constant_operands_get_no_gradient() -> None:
    x = scalar(2.0)
    c = ag.tensor(5.0, dtype=np.float64)
    (x * c).backward()
    assert c.grad is None and x.grad.item() == 5.0


# ---- higher-order gradients (create_graph) --------------------------------------------------------

def nth_derivative(f, x_value: float, n: int) -> list[float]:
    """[f'(x), f''(x), ..., f^(n)(x)] by repeated backward(create_graph=True)."""
    x = scalar(x_value)
    out = f(x)
    derivatives = []
    for _ in range(n):
        x.grad = None
        out.backward(create_graph=True)
        out = x.grad
        derivatives.append(out.item())
    return derivatives


def test_third_derivative_of_x_to_the_fourth() -> None:
    # d/dx x^4 = 4x^3 = 32, 12x^2 = 48, 24x = 48 at x = 2
    assert nth_derivative(lambda x: x ** 4, 2.0, 3) == [32.0, 48.0, 48.0]


def test_fourth_derivative_of_sin_is_sin() -> None:
    values = nth_derivative(ag.sin, 0.7, 4)
    np.testing.assert_allclose(values, [math.cos(0.7), -math.sin(0.7), -math.cos(0.7),
                                        math.sin(0.7)], rtol=1e-12)


def test_create_graph_gradient_is_a_recorded_tensor() -> None:
    x = scalar(1.5)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None


THIRD_DERIVATIVES = [
    ("exp(2x)", lambda x: ag.exp(2 * x), lambda t, x: t.exp(2 * x), lambda v: 8 * math.exp(2 * v)),
    ("log", ag.log, lambda t, x: t.log(x), lambda v: 2 / v ** 3),
    ("tanh", ag.tanh, lambda t, x: t.tanh(x),
     lambda v: -2 * (1 - math.tanh(v) ** 2) * (1 - 3 * math.tanh(v) ** 2)),
    ("x*sigmoid", lambda x: ag.sigmoid(x) * x, lambda t, x: t.sigmoid(x) * x, None),
    ("softplus", ag.softplus, lambda t, x: t.nn.functional.softplus(x), None),
    ("gelu", ag.gelu, lambda t, x: t.nn.functional.gelu(x), None),
]


@pytest.mark.parametrize("ours, theirs, hand", [c[1:] for c in THIRD_DERIVATIVES],
                         ids=[c[0] for c in THIRD_DERIVATIVES])
def test_third_derivatives_match_hand_results_and_torch(ours, theirs, hand) -> None:
    v = 0.8
    third = nth_derivative(ours, v, 3)[-1]
    if hand is not None:
        assert third == pytest.approx(hand(v), rel=1e-10)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    out = theirs(torch, tx)
    for _ in range(3):
        (out,) = torch.autograd.grad(out, tx, create_graph=True)
    assert third == pytest.approx(out.item(), rel=1e-10)


# ---- hooks ------------------------------------------------------------------------------------------

def test_hook_on_a_leaf_sees_and_replaces_its_gradient() -> None:
    x = scalar(2.0)
    seen = []
    x.register_hook(lambda g: seen.append(g.item()) or g * 10)
    (x * 3).backward()
    assert seen == [3.0]
    assert x.grad.item() == 30.0


def test_hook_on_a_non_leaf_replaces_the_gradient_flowing_upstream() -> None:
    x = scalar(2.0)
    h = x * x
    h.register_hook(lambda g: g * 0.5)
    (h * 3).backward()
    assert x.grad.item() == 3 * 0.5 * 2 * 2.0


def test_hook_returning_none_keeps_the_gradient_and_removal_works() -> None:
    x = scalar(1.0)
    calls = []
    remove = x.register_hook(lambda g: calls.append(1))
    (x * 2).backward()
    assert calls == [1] and x.grad.item() == 2.0
    remove()
    (x * 2).backward()
    assert calls == [1]


def test_hooks_on_a_tensor_that_does_not_require_grad_are_refused() -> None:
    with pytest.raises(GraphError, match="does not require grad"):
        ag.tensor(1.0).register_hook(lambda g: g)


# ---- in-place updates and version counters --------------------------------------------------------

def test_in_place_update_of_a_tensor_that_requires_grad_raises() -> None:
    t = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(GraphError, match="in-place update of a tensor that requires grad"):
        t += 1
    with pytest.raises(GraphError):
        t *= 2
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_in_place_update_under_no_grad_works_and_bumps_the_version() -> None:
    t = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert t._version == 0
    with ag.no_grad():
        t += 1
        t -= 0.5
        t *= 2
        t /= 3
    np.testing.assert_allclose(t.data, [1.0, 5.0 / 3.0])
    assert t._version == 4
    assert t.requires_grad and t.is_leaf


def test_modifying_a_saved_input_in_place_makes_backward_raise_naming_the_op() -> None:
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ag.tensor(np.array([3.0, 4.0]))
    y = x * b
    b += 1  # b does not require grad: allowed, but y's recorded gradient (b) is now stale
    assert b._version == 1
    with pytest.raises(GraphError, match=r"<MulBackward>.*modified in place") as info:
        y.sum().backward()
    assert "version 0 -> 1" in str(info.value)


def test_in_place_update_before_use_is_fine() -> None:
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ag.tensor(np.array([3.0, 4.0]))
    b += 1
    (x * b).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 5.0])


def test_setitem_and_zero_are_in_place_updates_too() -> None:
    x = ag.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = ag.tensor(np.array([1.0, 1.0, 1.0]))
    y = x * b
    b[1] = 5.0
    with pytest.raises(GraphError, match="modified in place"):
        y.sum().backward()
    with pytest.raises(GraphError):
        x[0] = 0.0
    with ag.no_grad():
        x.zero_()
    assert x._version == 1 and not x.data.any()


def test_in_place_update_through_a_detached_alias_is_detected() -> None:
    x = ag.tensor(np.array([2.0]), requires_grad=True)
    y = x * x
    d = x.detach()
    d += 1
    with pytest.raises(GraphError, match="modified in place"):
        y.sum().backward()


# ---- detect_anomaly ----------------------------------------------------------------------------------

def test_detect_anomaly_names_the_op_and_the_call_site_of_a_nan_in_forward() -> None:
    x = ag.tensor(-1.0, requires_grad=True)
    with ag.detect_anomaly(), np.errstate(invalid="ignore"):
        line = inspect.currentframe().f_lineno + 2
        with pytest.raises(AnomalyError) as info:
            ag.log(x)
    message = str(info.value)
    assert "log produced nan in forward" in message
    assert f"{__file__}:{line}" in message
    assert isinstance(info.value, FloatingPointError)


def test_detect_anomaly_names_the_op_and_where_it_was_created_for_an_inf_in_backward() -> None:
    x = ag.tensor(0.0, requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        line = inspect.currentframe().f_lineno + 1
        y = ag.sqrt(x) * 2
        with pytest.raises(AnomalyError) as info:
            y.backward()
    message = str(info.value)
    assert "sqrt produced inf in backward" in message
    assert f"{__file__}:{line}" in message


def test_detect_anomaly_catches_nan_in_a_non_scalar_backward() -> None:
    x = ag.tensor(np.array([4.0, 0.0]), requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        y = ag.sqrt(x) * ag.tensor(np.array([1.0, 0.0]))
        with pytest.raises(AnomalyError, match="sqrt produced nan in backward"):
            y.sum().backward()


def test_without_detect_anomaly_nan_flows_silently() -> None:
    x = ag.tensor(-1.0, requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = ag.log(x)
        y.backward()
    assert np.isnan(y.item())
    assert x.grad.item() == -1.0
    assert not ag.is_anomaly_enabled()


def test_detect_anomaly_restores_the_previous_state() -> None:
    assert not ag.is_anomaly_enabled()
    with ag.detect_anomaly():
        assert ag.is_anomaly_enabled()
        with ag.detect_anomaly(check_nan=False):
            assert not ag.is_anomaly_enabled()
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()


# ---- deep graphs and memory ---------------------------------------------------------------------------

DEEP = 1_000_000


def test_a_million_op_chain_backward_completes_without_recursion_error() -> None:
    # measured on the 2-core CI machine: about 6 s forward and 2 s backward for 10^6 ops
    x = ag.tensor(np.array([1.0]), requires_grad=True)
    factor = 1.0 + 1e-6
    started = time.perf_counter()
    y = x
    for i in range(DEEP):
        y = y * factor
        if i == 10:
            early = weakref.ref(y)
    built = time.perf_counter()
    y.sum().backward()
    finished = time.perf_counter()
    assert x.grad.item() == pytest.approx(factor ** DEEP, rel=1e-9)
    assert early() is None, "backward did not release the chain's intermediates"
    sys.stdout.write(f"\n{DEEP} ops: forward {built - started:.1f} s, backward "
                     f"{finished - built:.1f} s\n")


def test_backward_releases_intermediates_while_the_output_lives_on() -> None:
    gc.disable()
    try:
        x = ag.tensor(np.ones(1000), requires_grad=True)
        h = x * 2
        probe = weakref.ref(h)
        node = weakref.ref(h.grad_fn)
        y = h.exp().sum()
        del h
        assert probe() is not None  # still referenced by the graph
        y.backward()
        assert probe() is None, "backward kept an intermediate tensor alive"
        assert node() is None
        assert y.grad_fn.inputs is None  # the root node dropped its saved inputs too
    finally:
        gc.enable()


def test_retain_graph_keeps_the_intermediates() -> None:
    x = ag.tensor(np.ones(3), requires_grad=True)
    h = x * 2
    probe = weakref.ref(h)
    y = h.exp().sum()
    del h
    y.backward(retain_graph=True)
    assert probe() is not None


def test_a_dropped_graph_is_freed_by_reference_counting_alone() -> None:
    gc.disable()
    try:
        x = ag.tensor(np.array([1.0]), requires_grad=True)
        y = x
        for i in range(300_000):
            y = y + 1.0
            if i == 10:
                intermediate = weakref.ref(y)
                node = weakref.ref(y.grad_fn)
        assert intermediate() is not None
        del y
        assert intermediate() is None and node() is None
    finally:
        gc.enable()


def test_the_graph_has_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        x = ag.tensor(np.ones((2, 2)), requires_grad=True)
        y = ((x @ x).relu() * x).sum()
        y.backward()
        del y
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_grad_fn_structure() -> None:
    x = scalar(1.0)
    y = ag.exp(x * 2)
    assert repr(y.grad_fn) == "<ExpBackward>"
    (mul_fn,) = y.grad_fn.next_functions
    assert repr(mul_fn) == "<MulBackward>"
    assert mul_fn.next_functions == (None, None)
    assert x.grad_fn is None and x.is_leaf and not y.is_leaf
