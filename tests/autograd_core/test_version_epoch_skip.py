"""Issue 16: backward skips a node's version check when no tensor was written in place since the
node was recorded (its `epoch` is the process-wide count of in-place writes). These tests make
sure the skip never hides a real write: into an input whose version was already nonzero (a weight
after optimizer steps), into a saved output, from a hook in the middle of backward, and under
create_graph."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import GraphError

TORCH_PHRASE = "one of the variables needed for gradient computation has been modified by an inplace"


def _stepped_weights() -> tuple[ag.Tensor, ag.Tensor]:
    """A weight and a bias whose versions are nonzero, as after optimizer steps."""
    w = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = ag.tensor([0.5, -0.5], requires_grad=True)
    with ag.no_grad():
        w -= 0.1
        b -= 0.1
    assert w._version == 1 and b._version == 1
    return w, b


@pytest.mark.parametrize("with_bias", [True, False])
def test_a_write_after_recording_into_an_input_with_a_nonzero_version_is_caught(with_bias) -> None:
    w, b = _stepped_weights()
    x = ag.tensor(np.ones((4, 3)), requires_grad=True)
    y = ag.linear(x, w, b if with_bias else None).sum()
    with ag.no_grad():
        w += 1.0
    with pytest.raises(GraphError, match=TORCH_PHRASE) as info:
        y.backward()
    assert "input 1" in str(info.value) and "version 1 -> 2" in str(info.value)


def test_inputs_written_before_recording_only_need_no_check_and_give_the_right_gradient() -> None:
    w, b = _stepped_weights()
    x = ag.tensor(np.ones((4, 3)), requires_grad=True)
    ag.linear(x, w, b).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((4, 2)) @ w.data)
    np.testing.assert_array_equal(w.grad.data, np.full((2, 3), 4.0))


def test_a_write_after_recording_into_a_saved_output_with_a_nonzero_version_is_caught() -> None:
    x = ag.tensor([0.1, 0.2, 0.3], requires_grad=True)
    y = ag.exp(x)
    alias = y.detach()
    with ag.no_grad():
        alias += 0.0  # the output's counter is now 1
    z = ag.tanh(y)  # tanh saves its output; recorded after the write above
    out = ag.tanh(z)
    with ag.no_grad():
        z.detach().__imul__(2.0)
    with pytest.raises(GraphError, match=TORCH_PHRASE):
        out.sum().backward()


def test_a_hook_that_writes_a_saved_tensor_in_place_during_backward_is_caught() -> None:
    w, _ = _stepped_weights()
    x = ag.tensor(np.ones((4, 3)), requires_grad=True)
    h = ag.linear(x, w)
    y = ag.tanh(h)

    def write_weight(grad: ag.Tensor) -> None:
        with ag.no_grad():
            w.detach().__iadd__(1.0)  # the linear node, run after this hook, reads w

    y.register_hook(write_weight)
    with pytest.raises(GraphError, match=TORCH_PHRASE):
        y.sum().backward()


def test_a_write_after_recording_is_caught_under_create_graph() -> None:
    w, b = _stepped_weights()
    x = ag.tensor(np.ones((4, 3)), requires_grad=True)
    y = ag.linear(x, w, b).sum()
    with ag.no_grad():
        w += 1.0
    with pytest.raises(GraphError, match=TORCH_PHRASE):
        y.backward(create_graph=True)


def test_a_write_into_an_input_the_vjp_does_not_read_stays_allowed() -> None:
    w, b = _stepped_weights()
    x = ag.tensor(np.ones((4, 3)), requires_grad=True)
    y = ag.linear(x, w, b).sum()
    with ag.no_grad():
        b += 1.0  # linear's vjp reads x and w only
    y.backward()
    np.testing.assert_array_equal(b.grad.data, [4.0, 4.0])
