"""Property-based tests: hypothesis builds random expression graphs from the op set (random leaf
shapes that broadcast together, reused nodes, safe domains such as log/sqrt applied to softplus or
exp outputs) and checks them with gradcheck, gradgradcheck and against PyTorch.

Bounded and deterministic: derandomize=True, a fixed number of examples, no deadline. The numbers
in each graph come from a numpy Generator seeded by hypothesis, so a failure replays exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_core as ag

TARGET = (2, 3)
#: shapes that all broadcast to TARGET: scalar, row, column, trailing vector, full
LEAF_SHAPES = [(), (3,), (1, 3), (2, 1), (2, 3)]

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Backend:
    """The handful of functions a program needs, for autograd_core or torch."""
    tanh: Callable
    sin: Callable
    sigmoid: Callable
    exp: Callable
    log: Callable
    sqrt: Callable
    softplus: Callable
    softmax: Callable
    logsumexp: Callable
    sum_last: Callable
    mean_all: Callable
    broadcast: Callable
    matmul: Callable  # (2, 3) @ (3, 2) @ (2, 3): batched shapes back to TARGET
    pow3: Callable


OURS = Backend(
    tanh=ag.tanh, sin=ag.sin, sigmoid=ag.sigmoid, exp=ag.exp, log=ag.log, sqrt=ag.sqrt,
    softplus=ag.softplus,
    softmax=lambda x: ag.softmax(x, axis=-1),
    logsumexp=lambda x: ag.logsumexp(x, axis=-1, keepdims=True),
    sum_last=lambda x: ag.sum(x, axis=-1, keepdims=True),
    mean_all=lambda x: ag.mean(x),
    broadcast=lambda x: ag.broadcast_to(x, TARGET),
    matmul=lambda a, b: 0.1 * (a @ ag.swapaxes(b, -1, -2) @ a),
    pow3=lambda x: x ** 3,
)


def torch_backend() -> Backend:
    import torch

    return Backend(
        tanh=torch.tanh, sin=torch.sin, sigmoid=torch.sigmoid, exp=torch.exp, log=torch.log,
        sqrt=torch.sqrt, softplus=torch.nn.functional.softplus,
        softmax=lambda x: torch.softmax(x, dim=-1),
        logsumexp=lambda x: torch.logsumexp(x, dim=-1, keepdim=True),
        sum_last=lambda x: torch.sum(x, dim=-1, keepdim=True),
        mean_all=lambda x: torch.mean(x),
        broadcast=lambda x: x.broadcast_to(TARGET),
        matmul=lambda a, b: 0.1 * (a @ b.swapaxes(-1, -2) @ a),
        pow3=lambda x: x ** 3,
    )


# Each instruction maps (backend, operands) -> a new node. Domains are safe by construction:
# log and sqrt only see softplus/exp outputs (> 0), division is by 1 + y^2, exp sees tanh (bounded).
UNARY: dict[str, Callable[[Backend, Any], Any]] = {
    "tanh": lambda b, x: b.tanh(x),
    "sin": lambda b, x: b.sin(x),
    "sigmoid": lambda b, x: b.sigmoid(x),
    "neg": lambda b, x: -x,
    "square": lambda b, x: x * x,
    "cube": lambda b, x: b.pow3(x),
    "exp(tanh)": lambda b, x: b.exp(b.tanh(x)),
    "log(softplus)": lambda b, x: b.log(b.softplus(x)),
    "sqrt(softplus)": lambda b, x: b.sqrt(b.softplus(x)),
    "log(exp)": lambda b, x: b.log(b.exp(b.tanh(x))),
    "softmax": lambda b, x: b.softmax(x),
    "logsumexp": lambda b, x: b.logsumexp(x),
    "sum(-1, keepdims)": lambda b, x: b.sum_last(x),
    "mean": lambda b, x: b.mean_all(x),
    "scale": lambda b, x: 0.5 * x + 1.0,
}
BINARY: dict[str, Callable[[Backend, Any, Any], Any]] = {
    "add": lambda b, x, y: x + y,
    "sub": lambda b, x, y: x - y,
    "mul": lambda b, x, y: x * y,
    "div": lambda b, x, y: x / (1.0 + y * y),
    "matmul": lambda b, x, y: b.matmul(b.broadcast(x), b.broadcast(y)),
}


@dataclass(frozen=True)
class Program:
    leaf_shapes: tuple
    instructions: tuple  # (kind, name, operand indices) with indices into the node pool
    seed: int

    def inputs(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        return [rng.uniform(-1.5, 1.5, shape) for shape in self.leaf_shapes]

    def run(self, backend: Backend, *leaves: Any) -> Any:
        pool = list(leaves)
        for kind, name, operands in self.instructions:
            if kind == "unary":
                pool.append(UNARY[name](backend, pool[operands[0]]))
            else:
                pool.append(BINARY[name](backend, pool[operands[0]], pool[operands[1]]))
        # every leaf reaches the output: the last node plus a small multiple of each other node
        out = pool[-1]
        for node in pool[:-1]:
            out = out + 0.1 * backend.mean_all(node)
        return out

    def describe(self) -> str:
        return f"leaves {self.leaf_shapes}, ops {[i[:2] + (i[2],) for i in self.instructions]}"


@st.composite
def programs(draw, max_ops: int = 6) -> Program:
    leaf_shapes = tuple(draw(st.lists(st.sampled_from(LEAF_SHAPES), min_size=1, max_size=3)))
    instructions = []
    pool_size = len(leaf_shapes)
    for _ in range(draw(st.integers(1, max_ops))):
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(UNARY)))
            operands = (draw(st.integers(0, pool_size - 1)),)
            instructions.append(("unary", name, operands))
        else:
            name = draw(st.sampled_from(sorted(BINARY)))
            # the same node may be drawn twice: fan-out is part of what is tested
            operands = (draw(st.integers(0, pool_size - 1)), draw(st.integers(0, pool_size - 1)))
            instructions.append(("binary", name, operands))
        pool_size += 1
    return Program(leaf_shapes, tuple(instructions), draw(st.integers(0, 2 ** 31 - 1)))


@SETTINGS
@given(programs())
def test_random_expression_graphs_pass_gradcheck(program: Program) -> None:
    assert ag.gradcheck(lambda *xs: program.run(OURS, *xs), program.inputs()), program.describe()


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_ops=4))
def test_random_expression_graphs_pass_gradgradcheck(program: Program) -> None:
    assert ag.gradgradcheck(lambda *xs: program.run(OURS, *xs), program.inputs()), program.describe()


@SETTINGS
@given(programs())
def test_random_expression_graphs_match_torch(program: Program) -> None:
    torch = pytest.importorskip("torch")
    arrays = program.inputs()
    leaves = [ag.tensor(a, requires_grad=True) for a in arrays]
    t_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = program.run(OURS, *leaves)
    t_out = program.run(torch_backend(), *t_leaves)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = np.random.default_rng(program.seed).standard_normal(out.shape)
    out.backward(cotangent)
    t_out.backward(torch.tensor(cotangent))
    for leaf, t_leaf in zip(leaves, t_leaves):
        assert leaf.grad.shape == leaf.shape
        np.testing.assert_allclose(leaf.grad.data, t_leaf.grad.numpy(), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(st.sampled_from(LEAF_SHAPES), st.sampled_from(LEAF_SHAPES),
       st.sampled_from(["add", "sub", "mul", "div"]), st.integers(0, 1000))
def test_broadcast_gradients_always_have_the_input_shape(shape_a, shape_b, op, seed) -> None:
    rng = np.random.default_rng(seed)
    a = ag.tensor(rng.uniform(0.5, 1.5, shape_a), requires_grad=True)
    b = ag.tensor(rng.uniform(0.5, 1.5, shape_b), requires_grad=True)
    out = getattr(ag, op)(a, b)
    assert out.shape == np.broadcast_shapes(shape_a, shape_b)
    out.sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    assert a.grad.dtype == np.float64 and b.grad.dtype == np.float64
