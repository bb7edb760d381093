"""The backward kernel in autograd_core/graph.py (issue 11, "one kernel"): broadcast_axes,
fit_gradient, vjp_step, accumulate, the one routing loop, the one walk (backward_order) shared by
eager backward, Tape.gradient and trace, and the tapes as thread-local observers."""

from __future__ import annotations

import ast
import pathlib
import threading

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph, mode, ops
from autograd_core.tape import Tape

PACKAGE = pathlib.Path(graph.__file__).parent


# ---- broadcast_axes and sum_to_array ---------------------------------------------------------

@pytest.mark.parametrize("shape, target, expected", [
    ((4, 5, 3), (5, 1), ((0, 2), True)),
    ((4, 5, 3), (3,), ((0, 1), False)),
    ((4, 5, 3), (5, 3), ((0,), False)),
    ((4, 5, 3), (1, 5, 1), ((0, 2), True)),
    ((2, 3), (), ((0, 1), False)),
    ((2, 3), (2, 3), ((), False)),
    ((6, 1, 2), (1, 1, 2), ((0,), True)),
])
def test_broadcast_axes(shape, target, expected) -> None:
    assert graph.broadcast_axes(shape, target) == expected


@pytest.mark.parametrize("shape, target", [((4, 5, 3), (5, 1)), ((4, 5, 3), (3,)),
                                           ((2, 3), ()), ((6, 1, 2), (1, 1, 2)), ((3, 4), (3, 4))])
def test_sum_to_array_is_one_reduction_over_broadcast_axes(rng, shape, target) -> None:
    g = rng.standard_normal(shape).astype(np.float32)
    result = graph.sum_to_array(g, target)
    assert result.shape == target
    axes, keepdims = graph.broadcast_axes(shape, target)
    if not axes:
        assert result is g
        return
    expected = g.sum(axis=axes, keepdims=True).reshape(target) if keepdims else g.sum(axis=axes)
    assert result.tobytes() == expected.tobytes()  # bit-identical: the same single reduction
    # and it is the adjoint of broadcasting: <broadcast(v), g> == <v, sum_to(g)>
    v = rng.standard_normal(target)
    np.testing.assert_allclose((np.broadcast_to(v, shape) * g).sum(), (v * result).sum(), rtol=1e-5)


# ---- fit_gradient --------------------------------------------------------------------------

def test_fit_gradient_reshapes_sums_and_casts_and_reports_its_steps(rng) -> None:
    g = rng.standard_normal((2, 6))
    steps: list = []
    assert graph.fit_gradient(g, (3, 4), g.dtype, steps=steps).shape == (3, 4)
    assert steps == [("reshape", (3, 4))]
    steps = []
    fitted = graph.fit_gradient(g, (1, 6), np.dtype(np.float32), steps=steps)
    assert steps == [("sum_to", (2, 6), (1, 6)), ("astype", np.float32)]
    assert fitted.dtype == np.float32 and fitted.shape == (1, 6)
    np.testing.assert_array_equal(fitted, g.sum(axis=0, keepdims=True).astype(np.float32))
    steps = []
    assert graph.fit_gradient(g, (2, 6), g.dtype, steps=steps) is g
    assert steps == []


def test_fit_gradient_on_tensors_is_recorded(rng) -> None:
    x = ag.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    fitted = graph.fit_gradient(x * 2, (3,), np.dtype(np.float32), ops)
    assert isinstance(fitted, ag.Tensor) and fitted.shape == (3,) and fitted.dtype == np.float32
    assert fitted.grad_fn is not None  # differentiable: create_graph backward uses it
    np.testing.assert_array_equal(fitted.data,
                                  graph.fit_gradient((x * 2).data, (3,), np.dtype(np.float32)))
    fitted.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((4, 3), 2.0))


# ---- vjp_step, node_vjp, accumulate ----------------------------------------------------------

def test_vjp_step_fits_each_result_and_describes_the_fixes(rng) -> None:
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((3,)).astype(np.float64)
    g = np.ones((4, 3))
    fixes: list = []
    mul = (ag.Tensor(a, requires_grad=True) * 1).grad_fn.op
    ga, gb = graph.vjp_step(mul, (True, True), g, None, (a, b), None, fixes)
    assert ga.dtype == np.float32 and ga.shape == (4, 3)
    assert gb.shape == (3,)
    np.testing.assert_allclose(gb, a.sum(axis=0), rtol=1e-6)
    assert fixes == [[("astype", np.float32)], [("sum_to", (4, 3), (3,))]]
    fixes = []
    assert graph.vjp_step(mul, (False, True), g, None, (a, b), None, fixes)[0] is None
    assert fixes[0] is None


def test_node_vjp_is_vjp_step_on_a_node(rng) -> None:
    a = ag.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = ag.Tensor(rng.standard_normal((1, 3)), requires_grad=True)
    y = a * b
    g = rng.standard_normal((4, 3))
    node_result = graph.node_vjp(y.grad_fn, g)
    step_result = graph.vjp_step(y.grad_fn.op, y.grad_fn.needs, g, None, (a.data, b.data), None)
    for left, right in zip(node_result, step_result):
        assert left.tobytes() == right.tobytes()
    assert node_result[1].shape == (1, 3)


def test_accumulate() -> None:
    g = np.ones(3)
    assert graph.accumulate(None, g) is g
    np.testing.assert_array_equal(graph.accumulate(g, g), np.full(3, 2.0))


# ---- the routing loop: ownership and freeing ---------------------------------------------------

@pytest.mark.parametrize("create_graph", [False, True])
def test_routing_never_lets_two_grads_or_a_seed_share_memory(rng, create_graph) -> None:
    a = ag.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = ag.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    seed = rng.standard_normal((3, 4))
    (a + b).backward(seed, create_graph=create_graph)  # Add sends g itself to both inputs
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, seed) and not np.shares_memory(b.grad.data, seed)
    np.testing.assert_array_equal(a.grad.data, seed)
    c = ag.Tensor(rng.standard_normal((12,)), requires_grad=True)
    c.reshape(3, 4).backward(seed, create_graph=create_graph)  # a view of the seed comes back
    assert not np.shares_memory(c.grad.data, seed)
    np.testing.assert_array_equal(c.grad.data, seed.reshape(12))


class _NoGradient(graph.Op):
    """An op whose vjp sends no gradient to its (needed) input."""

    name = "no_gradient"

    @staticmethod
    def forward(x):
        return x * 1.0

    @staticmethod
    def vjp(xp, needs, g, out, x):
        return (None,)


def test_create_graph_releases_nodes_that_received_no_gradient(rng) -> None:
    x = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    h = x * 2
    y = graph.apply(_NoGradient, (h,)) + x
    y.sum().backward(create_graph=True, retain_graph=False)
    assert h.grad_fn.inputs is None  # freed although its vjp never ran, as before the merge
    np.testing.assert_array_equal(x.grad.data, np.ones(3))


# ---- one order -----------------------------------------------------------------------------------

def test_tape_order_gradient_order_and_eager_order_are_one_order(rng) -> None:
    x = ag.Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    w = ag.Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    with Tape(persistent=True) as tape:
        a = x @ w
        b = a.tanh()
        c = (a * x).exp()
        d = b + c
        loss = (d * b).sum()
    nodes = graph.backward_order([loss.grad_fn])
    assert [entry.node for entry in reversed(tape.entries)] == nodes
    assert [entry.seq for entry in tape.entries] == sorted(entry.seq for entry in tape.entries)
    producer = {entry.output_id: entry for entry in tape.entries}
    walked = graph.backward_order([tape.entries[-1]], lambda e: [producer.get(n) for n in e.input_ids])
    assert [entry.node for entry in walked] == nodes
    ran = []
    for t in (a, b, c, d):
        t.register_hook(lambda g, t=t: ran.append(t.grad_fn))
    tape.gradient(loss, [x])  # reads the same nodes without running them
    loss.backward()
    assert ran == [node for node in nodes if node in {a.grad_fn, b.grad_fn, c.grad_fn, d.grad_fn}]


def test_tape_gradient_of_a_source_that_does_not_require_grad(rng) -> None:
    x = ag.Tensor(rng.standard_normal(4), requires_grad=True)
    s = ag.Tensor(rng.standard_normal(4))
    with Tape() as tape:
        y = (x * s + s * s).sum()
    gx, gs = tape.gradient(y, [x, s])
    np.testing.assert_allclose(gx.data, s.data)
    np.testing.assert_allclose(gs.data, x.data + 2 * s.data)


# ---- the tapes: thread-local observers behind one hook ---------------------------------------

def test_open_tapes_live_in_the_thread_local_mode_state() -> None:
    assert mode.state.tapes == []
    seen_in_thread = []
    with Tape() as tape:
        assert mode.state.tapes == [tape] and graph.current_tapes() == [tape]
        worker = threading.Thread(target=lambda: seen_in_thread.append(list(mode.state.tapes)))
        worker.start()
        worker.join()
    assert seen_in_thread == [[]]
    assert mode.state.tapes == []


def test_every_tape_event_comes_through_notify_tapes(monkeypatch, rng) -> None:
    events = []
    original = Tape.observe
    monkeypatch.setattr(Tape, "observe", lambda self, event, *args: (
        events.append(event), original(self, event, *args)))
    x = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    k = ag.Tensor(rng.standard_normal(3))
    with Tape() as tape:
        y = (x * 2).sum()
        ag.argmax(x)  # apply_nondifferentiable
        y.backward()
        with ag.no_grad():
            k += 1
        ag.replayable(lambda: None)()
    assert events == ["op", "op", "op", "backward", "inplace", "call"]
    assert [entry.name for entry in tape.entries] == ["mul", "sum", "argmax"]


# ---- the fitting logic exists once ----------------------------------------------------------

def _module_functions(path: pathlib.Path) -> dict:
    """qualified name -> function node, for every function in a module (methods as Class.name)."""
    tree = ast.parse(path.read_text())
    found = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + child.name] = child
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def _calls(function: ast.AST) -> set:
    """The names (plain or attribute) that a function calls directly (not in nested functions)."""
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            target = node.func
            if isinstance(target, ast.Name):
                names.add(target.id)
            elif isinstance(target, ast.Attribute):
                names.add(target.attr)
    return names


def _gradient_fitters(source: str) -> list:
    """Functions that fit gradients themselves: they undo broadcasting (call sum_to_array or
    .sum_to) and also cast (.astype) or reshape. Sum-only helpers (sum_to_array) do not count."""
    tree = ast.parse(source)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            calls = _calls(node)
            if calls & {"sum_to_array", "sum_to", "tensor_sum_to"} and calls & {"astype", "reshape"}:
                hits.append(node.name)
    return hits


_OLD_TAPE_FIT = '''
def fit_gradient(gx, data):
    gx = np.asarray(gx)
    if gx.shape != data.shape:
        gx = gx.reshape(data.shape) if gx.size == data.size else graph.sum_to_array(gx, data.shape)
    if gx.dtype != data.dtype:
        gx = gx.astype(data.dtype)
    return gx
'''


def test_the_detector_finds_a_gradient_fitter() -> None:
    assert _gradient_fitters(_OLD_TAPE_FIT) == ["fit_gradient"]
    assert _gradient_fitters("def sum_to_array(g, shape):\n    return g.sum(axis=0)\n") == []


def test_the_gradient_fitting_logic_is_written_once() -> None:
    fitters = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "ops" in path.relative_to(PACKAGE).parts:
            continue  # the ops' own forwards and vjps (sum_to is an op there)
        fitters += [f"{path.relative_to(PACKAGE)}:{name}"
                    for name in _gradient_fitters(path.read_text())]
    assert fitters == ["graph.py:fit_gradient"]


def test_only_the_kernel_calls_vjps_and_works_out_broadcast_axes() -> None:
    vjp_callers, axes_callers = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "ops" in path.relative_to(PACKAGE).parts:
            continue
        for name, function in _module_functions(path).items():
            calls = _calls(function)
            if "vjp" in calls and "." not in name:
                vjp_callers.append(f"{path.relative_to(PACKAGE)}:{name}")
            if "broadcast_axes" in calls:
                axes_callers.append(f"{path.relative_to(PACKAGE)}:{name}")
    assert sorted(vjp_callers) == ["graph.py:_run", "graph.py:vjp_step"]
    assert sorted(axes_callers) == ["graph.py:sum_to_array", "replay.py:_Generator.fitting_source"]
