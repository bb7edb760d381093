"""viz.walk: a diagram walks the graph with the engine's own walk (graph.backward_order), the
backward frames step in that order, and the gradients they show are the engine's."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph as engine
from autograd_core import viz
from autograd_core.viz import walk


def _leaf(rng, *shape, name=None):
    t = ag.tensor(rng.standard_normal(shape), requires_grad=True)
    t.name = name
    return t


def _graphs(rng):
    """Roots of a few graphs: a diamond with constants, two roots sharing a subgraph, a 2-layer
    network, and a big one whose tanh input is not saved (an `Unsaved` stand-in)."""
    x, w = _leaf(rng, 3, name="x"), _leaf(rng, 3, name="w")
    u, v = x * 2, w.exp()
    yield [((v + u) * u).sum()]
    a, b = _leaf(rng, 2, 2), _leaf(rng, 2, 2)
    c = a @ b
    yield [c.tanh().mean(), (c ** 2 + a).sum()]
    w1, w2 = _leaf(rng, 4, 3), _leaf(rng, 2, 3)
    h = (ag.tensor(rng.standard_normal((5, 4))) @ w1).relu()
    yield [((h @ w2.T) ** 2).mean()]
    big = _leaf(rng, 40, 40)
    yield [(big * 1.5).tanh().sigmoid().sum()]


def test_the_walk_is_backward_order_and_trace_nodes_are_it_reversed(rng):
    for roots in _graphs(rng):
        root_nodes = list(dict.fromkeys(r.grad_fn for r in roots))
        expected = engine.backward_order(root_nodes)
        assert walk.walk_order(root_nodes) == expected
        assert walk._walk_through_freed(root_nodes) == expected  # the freed-graph walk agrees
        assert walk._trace(roots).nodes == expected[::-1]


def test_a_partly_freed_graph_is_walked_up_to_the_freed_nodes(rng):
    x = _leaf(rng, 3, name="x")
    y = (x * 3).exp().sum()
    y.backward()  # frees y's graph: exp and mul
    z = (y * 2 + 1).tanh()
    with pytest.raises(ag.GraphError):
        engine.backward_order([z.grad_fn])
    order = walk.walk_order([z.grad_fn])
    assert [node.op.name for node in order] == ["tanh", "add", "mul", "sum"]
    assert order[-1] is y.grad_fn and order[-1].inputs is None  # freed, and nothing beyond it
    assert [node.seq for node in order] == sorted((node.seq for node in order), reverse=True)
    assert "freed by backward" in viz.to_dot(z)


def test_ops_are_numbered_in_recording_order(rng):
    x, w = _leaf(rng, 3, name="x"), _leaf(rng, 3, name="w")
    first = x * 2   # recorded first, though the add below takes it as its second input
    second = w * 3
    source = viz.to_dot((second + first).sum())
    # op0 consumes x (the first op recorded), op1 consumes w
    keys = dict(re.findall(r'\t(t\d+) \[label="(\w+)\\n', source))
    edges = re.findall(r"\t(\w+) -> (op\d+)", source)
    assert (next(k for k, name in keys.items() if name == "x"), "op0") in edges
    assert (next(k for k, name in keys.items() if name == "w"), "op1") in edges


def test_frames_step_in_backward_order_and_show_the_engines_gradients(rng):
    x, w = _leaf(rng, 3, name="x"), _leaf(rng, 3, name="w")
    loss = ((x * w).exp() + x).sum()
    frames = viz.backward_frames(loss)
    assert [f.step_op for f in frames] == [n.op.name for n in engine.backward_order([loss.grad_fn])]
    assert x.grad is None and w.grad is None  # the frames touch no .grad
    loss.backward()
    last = frames[-1].source
    for leaf in (x, w):  # the totals the last frame shows are what backward computes
        shown = "grad " + viz.style._format_array(leaf.grad.data)
        assert f'{leaf.name}\\n(3,) float64\\ndata {viz.style._format_array(leaf.data)}\\n{shown}"' in last


def test_each_frame_labels_the_gradient_the_ops_vjp_sends(rng):
    x = _leaf(rng, 2, name="x")
    loss = (x * x * 3.0).sum()
    frames = viz.backward_frames(loss)
    mul3 = frames[1]  # backward order: sum, mul(., 3.0), mul(x, x)
    assert mul3.step_op == "mul"
    sent = engine.node_vjp(loss.grad_fn.inputs[0].grad_fn, np.ones(2))
    assert f"grad {viz.style._format_array(sent[0])}" in mul3.source


def test_heat_map_gradients_are_the_engines(rng):
    x = _leaf(rng, 3, name="x")
    h = x.exp()
    loss = (h * h).sum()
    grads = walk._all_gradients(walk._trace([loss]))
    expected_h = 2 * np.exp(x.data)
    np.testing.assert_allclose(grads[id(h)], expected_h)
    np.testing.assert_allclose(grads[id(x)], expected_h * np.exp(x.data))
    assert x.grad is None and loss.grad_fn.inputs is not None  # nothing written, graph kept
