"""ag.explain: the chain rule written out as a sum over paths equals the gradient."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import GraphError, InvalidArgumentError

UNARY = [ag.sin, ag.tanh, ag.exp, ag.sigmoid, lambda t: t * t, lambda t: -t]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
          lambda a, b: a / (b * b + 1.0)]


def random_expression(rng, n_ops=12):
    """A random scalar graph that reuses earlier values; returns (output, leaves, paths to each
    leaf counted on our own bookkeeping of which value came from which)."""
    leaves = [ag.tensor(float(v), dtype="float64", requires_grad=True)
              for v in rng.uniform(-1, 1, 3)]
    values = list(leaves)
    parents = [[] for _ in leaves]  # per value: the indices of the values it was computed from
    for _ in range(n_ops):
        if rng.random() < 0.4:
            i = int(rng.integers(len(values)))
            values.append(UNARY[int(rng.integers(len(UNARY)))](values[i]))
            # t * t reads its input twice: two paths through it
            parents.append([i, i] if values[-1].grad_fn.op.name == "mul" else [i])
        else:
            i, j = (int(k) for k in rng.integers(len(values), size=2))
            values.append(BINARY[int(rng.integers(len(BINARY)))](values[i], values[j]))
            op = values[-1].grad_fn.op.name
            parents.append([i, j] if op != "div" else [i, j, j])  # a / (b*b + 1): b twice
    output = values[-1]

    def paths_to(leaf_index):
        counts = [0] * len(values)
        counts[leaf_index] = 1
        for v in range(len(leaves), len(values)):
            counts[v] = sum(counts[p] for p in parents[v])
        return counts[-1]

    return output, leaves, paths_to


@pytest.mark.parametrize("seed", range(25))
def test_path_sum_equals_grad_and_path_count_equals_graph_paths(seed):
    rng = np.random.default_rng(seed)
    output, leaves, paths_to = random_expression(rng)
    if not output.requires_grad:
        pytest.skip("the output does not depend on a leaf")
    explanations = [ag.explain(output, leaf, max_paths=10_000) for leaf in leaves]
    output.backward()
    for i, (leaf, explanation) in enumerate(zip(leaves, explanations)):
        assert explanation.path_count == paths_to(i)
        assert len(explanation.paths) == explanation.path_count
        grad = 0.0 if leaf.grad is None else float(leaf.grad.data)
        assert explanation.total == pytest.approx(grad, abs=1e-12)
        assert sum(p.product for p in explanation.paths) == pytest.approx(grad, abs=1e-12)
        for path in explanation.paths:  # the product of the local derivatives is the path's term
            locals_ = [e.value for e in path.edges]
            if all(v is not None for v in locals_):
                assert np.prod(locals_) == pytest.approx(path.product, rel=1e-9, abs=1e-12)


def test_readable_printout_and_max_paths_summary():
    x = ag.tensor(2.0, dtype="float64", requires_grad=True)
    y = ag.tensor(3.0, dtype="float64", requires_grad=True)
    z = x * y + ag.sin(x) * x
    explanation = ag.explain(z, x, names={"x": x, "z": z})
    text = str(explanation)
    assert text.splitlines()[0].startswith("d z / d x = 3.077")
    assert "3 paths" in text and "mul: ∂/∂a = b = 3" in text and "sin: ∂/∂a = cos(a)" in text
    assert text.count("product =") == 3
    short = ag.explain(z, x, max_paths=1)
    assert len(short.paths) == 1 and short.path_count == 3
    assert "2 more paths contribute" in str(short)
    assert short.rest == pytest.approx(explanation.total - short.paths[0].product, abs=1e-12)
    source = explanation.draw().source
    assert "mul" in source and "cos(a)" in source


def test_mlp_element_equals_grad():
    rng = np.random.default_rng(0)
    W1 = ag.tensor(rng.standard_normal((8, 4)), requires_grad=True)
    b1 = ag.tensor(rng.standard_normal(8), requires_grad=True)
    W2 = ag.tensor(rng.standard_normal((3, 8)), requires_grad=True)
    x = ag.tensor(rng.standard_normal((6, 4)))
    targets = rng.integers(3, size=6)
    hidden = ag.tanh(ag.linear(x, W1, b1))
    loss = ag.log_softmax(hidden @ W2.T, axis=1)[np.arange(6), targets].mean() * -1
    explanations = {(name, index): ag.explain(loss, tensor, index=index)
                    for name, tensor, index in (("W1", W1, (2, 1)), ("b1", b1, (5,)), ("W2", W2, (1, 7)))}
    loss.backward()
    grads = {"W1": W1.grad.data, "b1": b1.grad.data, "W2": W2.grad.data}
    for (name, index), explanation in explanations.items():
        assert explanation.total == pytest.approx(float(grads[name][index]), abs=1e-10)
        assert sum(p.product for p in explanation.paths) == pytest.approx(explanation.total, abs=1e-10)
        assert "tensor graph" in str(explanation)


def test_non_scalar_output_and_reused_tensor():
    x = ag.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    y = x * x + x  # three paths from x to each element of y
    explanation = ag.explain(y, x, index=1)
    assert explanation.path_count == 3
    assert explanation.total == pytest.approx(2 * 2.0 + 1)
    cross = ag.explain(y, x, index=0, output_index=2)
    assert cross.total == 0.0


def test_explain_errors_are_typed():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(InvalidArgumentError, match="pass index="):
        ag.explain(y, x)
    with pytest.raises(InvalidArgumentError, match="does not select an element"):
        ag.explain(y, x, index=5)
    with pytest.raises(GraphError, match="does not require grad"):
        ag.explain(y, ag.tensor([1.0]), index=0)
    with pytest.raises(InvalidArgumentError, match="must be a Tensor"):
        ag.explain(3.0, x, index=0)
    y.backward()
    with pytest.raises(GraphError, match="freed by backward"):
        ag.explain(y, x, index=0)
