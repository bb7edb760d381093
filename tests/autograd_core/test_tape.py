"""Tape: recording ops in order, printing the Wengert list, and gradients from the tape alone."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import GraphError


def test_tape_records_every_op_in_execution_order_with_shapes_attrs_and_location():
    x = ag.tensor(np.ones((32, 64)))
    w = ag.tensor(np.ones((64, 128)), requires_grad=True)
    with ag.Tape() as tape:
        h = x @ w
        s = h.sum(axis=1)
    assert len(tape) == 2
    first, second = list(tape)
    assert (first.name, second.name) == ("matmul", "sum")
    assert first.shapes == [(32, 64), (64, 128)] and first.output_shape == (32, 128)
    assert second.input_ids == (first.output_id,)
    assert second.attrs == {"axis": (1,), "keepdims": False}
    assert first.location.endswith(f"test_tape.py:{first.location.rsplit(':', 1)[1]}")
    assert "test_tape.py" in first.location
    assert s.shape == (32,)


def test_print_shows_a_readable_wengert_list_with_named_parameters():
    x = ag.tensor(np.ones((32, 64)))
    w = ag.tensor(np.ones((64, 128)), requires_grad=True)
    with ag.Tape() as tape:
        h = x @ w
        h.tanh()
    tape.name(params={"layer.weight": w}, x=x)
    text = str(tape)
    assert "%0:x = input  (32, 64) float64" in text
    assert "%1:layer.weight = param  (64, 128) float64" in text
    assert "%2 = matmul(%0:x, %1:layer.weight)  (32, 64) @ (64, 128) -> (32, 128)  test_tape.py:" in text
    assert "%3 = tanh(%2)  (32, 128) -> (32, 128)" in text


def test_nested_tapes_both_record_and_nothing_is_recorded_outside():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.Tape() as outer:
        y = x * 2
        with ag.Tape() as inner:
            z = y + 1
        z.exp()
    x * 3
    assert [e.name for e in outer] == ["mul", "add", "exp"]
    assert [e.name for e in inner] == ["add"]
    assert ag.graph.active_tapes == []


def test_gradient_from_the_tape_matches_backward_and_leaves_grad_alone():
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = ag.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    with ag.Tape() as tape:
        loss = ((x @ w).tanh() ** 2).sum() + (w * w).mean()
    gx, gw = tape.gradient(loss, [x, w])
    assert x.grad is None and w.grad is None
    loss.backward()
    np.testing.assert_allclose(gx.data, x.grad.data, rtol=1e-12)
    np.testing.assert_allclose(gw.data, w.grad.data, rtol=1e-12)


def test_gradient_with_respect_to_tensors_that_do_not_require_grad():
    x = ag.tensor(np.array([1.0, 2.0, 3.0]))
    with ag.Tape() as tape:
        y = (x * x).sum()
    assert not y.requires_grad
    np.testing.assert_array_equal(tape.gradient(y, x).data, [2.0, 4.0, 6.0])


def test_gradient_of_an_unrelated_source_is_none():
    x, u = ag.tensor([1.0]), ag.tensor([5.0])
    with ag.Tape(persistent=True) as tape:
        y = (x * 3).sum()
    assert tape.gradient(y, [x, u])[1] is None


def test_non_persistent_tape_releases_after_one_gradient():
    x = ag.tensor([1.0, 2.0])
    with ag.Tape() as tape:
        y = x.exp().sum()
    tape.gradient(y, x)
    assert len(tape) == 0
    with pytest.raises(GraphError, match="persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_allows_several_gradients():
    x = ag.tensor([1.0, 2.0])
    with ag.Tape(persistent=True) as tape:
        y = (x ** 3).sum()
        z = x.sin().sum()
    np.testing.assert_allclose(tape.gradient(y, x).data, [3.0, 12.0])
    np.testing.assert_allclose(tape.gradient(z, x).data, np.cos([1.0, 2.0]))


def test_no_grad_regions_do_not_carry_gradient():
    x = ag.tensor([2.0])
    with ag.Tape() as tape:
        with ag.no_grad():
            c = x * 10
        y = (x * c).sum()
    np.testing.assert_array_equal(tape.gradient(y, x).data, [20.0])


def test_broadcast_gradients_are_reduced_on_the_tape():
    x = ag.tensor(np.ones((3, 1)))
    b = ag.tensor(np.ones((1, 4)))
    with ag.Tape() as tape:
        y = (x * b).sum()
    gx, gb = tape.gradient(y, [x, b])
    assert gx.shape == (3, 1) and gb.shape == (1, 4)
    np.testing.assert_array_equal(gb.data, np.full((1, 4), 3.0))


def test_tape_to_dot_draws_the_program():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.Tape() as tape:
        (x * x).exp()
    dot = tape.to_dot()
    assert dot.count("->") == 5 and "mul" in dot and "exp" in dot  # x enters mul twice


def test_training_step_tape_shows_backward_and_optimizer_events():
    import optim

    w = ag.tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    with ag.Tape() as tape:
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        opt.step()
    text = str(tape)
    lines = text.splitlines()
    assert lines[-2].strip().startswith("-- backward(%") and lines[-1].strip() == "-- Optimizer.step()"
    assert lines[2].strip() == "-- Optimizer.zero_grad()"


def test_draw_graph_and_to_dot_accept_a_tape():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.Tape() as tape:
        y = (x * 3).exp().sum()
    y.backward()
    dot = ag.viz.to_dot(tape)
    assert dot == tape.to_dot() and "exp" in dot and "sum" in dot
