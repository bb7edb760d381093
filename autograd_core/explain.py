"""`explain(output, wrt)`: the chain rule spelled out for one gradient.

Every path from `wrt` to `output` through the recorded graph is a product of local derivatives,
one per op on the path; the gradient is the sum of those products over all paths (the
multivariate chain rule). `explain` lists the paths with each edge's op, the formula of its local
derivative and its value, the product along each path and the sum, which equals `.grad`.

For tensors, `index=` picks one element of `wrt` (and of `output` when it is not a scalar); a
path's contribution is then the one-hot cotangent at that output element pulled back through the
vjps of the ops on that path only, read at the chosen element of `wrt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import graph
from .errors import GraphError, InvalidArgumentError
from .tensor import Tensor

__all__ = ["explain", "Explanation", "PathTerm", "Edge", "LOCAL_DERIVATIVES"]

#: The local derivative of each op with respect to each input, as a formula (inputs named a, b, c
#: in order; `out` is the op's result). Ops not listed are described by their vjp.
LOCAL_DERIVATIVES: dict[str, tuple[str, ...]] = {
    "add": ("1", "1"),
    "sub": ("1", "-1"),
    "mul": ("b", "a"),
    "div": ("1/b", "-a/b²"),
    "neg": ("-1",),
    "pow": ("b·a^(b-1)", "a^b·ln a"),
    "exp": ("exp(a) = out",),
    "log": ("1/a",),
    "log1p": ("1/(1+a)",),
    "expm1": ("exp(a)",),
    "sqrt": ("1/(2·sqrt(a))",),
    "sin": ("cos(a)",),
    "cos": ("-sin(a)",),
    "tan": ("1 + tan²(a)",),
    "tanh": ("1 - tanh²(a) = 1 - out²",),
    "erf": ("2/sqrt(π)·exp(-a²)",),
    "abs": ("sign(a)",),
    "sigmoid": ("σ(a)·(1-σ(a)) = out·(1-out)",),
    "relu": ("1 if a > 0 else 0",),
    "leaky_relu": ("1 if a > 0 else slope",),
    "gelu": ("Φ(a) + a·φ(a)",),
    "softplus": ("σ(β·a)",),
    "clip": ("1 inside [min, max], else 0",),
    "maximum": ("1 where a > b (½ at ties)", "1 where b > a (½ at ties)"),
    "minimum": ("1 where a < b (½ at ties)", "1 where b < a (½ at ties)"),
    "where": ("—", "1 where cond", "1 where not cond"),
    "astype": ("1 (cast back to the input's dtype)",),
    "matmul": ("g @ bᵀ", "aᵀ @ g"),
    "linear": ("g @ W", "gᵀ @ x", "sum of g over the batch"),
    "sum": ("1 (broadcast back)",),
    "mean": ("1/n",),
    "prod": ("out/a",),
    "logsumexp": ("softmax(a)",),
    "softmax": ("out·(g - Σ g·out)",),
    "log_softmax": ("g - softmax(a)·Σ g",),
    "reshape": ("1 (reshaped back)",),
    "transpose": ("1 (transposed back)",),
    "swapaxes": ("1 (axes swapped back)",),
    "broadcast_to": ("1 (summed over the broadcast axes)",),
    "getitem": ("1 at the selected entries, else 0",),
    "concatenate": ("1 on the input's slice",),
    "stack": ("1 on the input's slice",),
    "cross_entropy": ("softmax(logits) - onehot(target), averaged",),
    "softmax_cross_entropy": ("softmax(logits) - onehot(target), averaged",),
}


@dataclass
class Edge:
    """One op on a path: it takes the tensor the path arrives at as input `position`."""

    op: str
    position: int
    formula: str
    value: float | None  # the local derivative's value (scalar graphs), else None
    input_value: float | None = None  # the value flowing into the op along the path (scalar graphs)


@dataclass
class PathTerm:
    """One path from `wrt` to `output`, edges listed from `wrt` upwards, with its product."""

    edges: list[Edge]
    product: float


@dataclass
class Explanation:
    """The paths, their products and their sum; `str()` reads as the chain rule written out."""

    output_name: str
    wrt_name: str
    index: tuple | None
    output_index: tuple | None
    paths: list[PathTerm]
    path_count: int
    total: float
    shown_total: float
    scalar: bool
    notes: list[str] = field(default_factory=list)

    @property
    def rest(self) -> float:
        """What the paths beyond those listed contribute together."""
        return self.total - self.shown_total

    def __str__(self) -> str:
        element = "" if self.index is None else f"[{','.join(map(str, self.index))}]"
        out_element = "" if self.output_index is None else \
            f"[{','.join(map(str, self.output_index))}]"
        lines = [f"d {self.output_name}{out_element} / d {self.wrt_name}{element} = "
                 f"{self.total:.6g}   (sum over {self.path_count} path"
                 f"{'s' if self.path_count != 1 else ''} of the products of local derivatives)"]
        for number, path in enumerate(self.paths, 1):
            chain = [f"{self.wrt_name}{element}"]
            for step, edge in enumerate(path.edges):
                if edge.input_value is not None:
                    chain[-1] += f" ({edge.input_value:.6g})"
                value = f" = {edge.value:.6g}" if edge.value is not None else ""
                chain.append(f"--[{edge.op}: ∂/∂{'abcdefgh'[edge.position]} = {edge.formula}{value}]-->")
                chain.append(self.output_name if step == len(path.edges) - 1 else "·")
            lines.append(f"  path {number}: " + " ".join(chain))
            lines.append(f"          product = {path.product:.6g}")
        hidden = self.path_count - len(self.paths)
        if hidden > 0:
            lines.append(f"  ... {hidden} more path{'s' if hidden != 1 else ''} contribute "
                         f"{self.rest:.6g}")
        lines.append(f"  sum = {self.total:.6g}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def draw(self) -> Any:
        """A diagram of the listed paths: one chain of boxes per path, edges labelled with the op
        and its local derivative."""
        import graphviz

        from .viz import Diagram

        dot = Diagram("explain", graph_attr={"rankdir": "LR", "fontname": "Helvetica",
                                             "labelloc": "t", "label": str(self).splitlines()[0]},
                      node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "box"},
                      edge_attr={"fontname": "Helvetica", "fontsize": "9"})
        for number, path in enumerate(self.paths):
            previous = f"p{number}_0"
            dot.node(previous, graphviz.nohtml(self.wrt_name), style="filled", fillcolor="#cfe2f3")
            for step, edge in enumerate(path.edges, 1):
                key = f"p{number}_{step}"
                label = self.output_name if step == len(path.edges) else f"{edge.op}(…)"
                dot.node(key, graphviz.nohtml(label))
                value = f" = {edge.value:.4g}" if edge.value is not None else ""
                dot.edge(previous, key, label=graphviz.nohtml(f"{edge.op}: {edge.formula}{value}"))
                previous = key
            dot.node(f"p{number}_sum", graphviz.nohtml(f"product {path.product:.4g}"),
                     shape="plaintext")
            dot.edge(previous, f"p{number}_sum", style="dotted", arrowhead="none")
        return dot


def _check_arguments(output: Any, wrt: Any, max_paths: int) -> None:
    for name, value in (("output", output), ("wrt", wrt)):
        if not isinstance(value, Tensor):
            raise InvalidArgumentError(f"explain: {name} must be a Tensor, got {type(value).__name__}")
    if not output.requires_grad or output.grad_fn is None:
        raise GraphError("explain: output was not computed from a tensor that requires grad")
    if not wrt.requires_grad:
        raise GraphError(f"explain: wrt (shape {wrt.shape}) does not require grad")
    if not isinstance(max_paths, int) or max_paths < 0:
        raise InvalidArgumentError(f"explain: max_paths must be a non-negative int, got {max_paths!r}")


def _element(index: Any, shape: tuple, what: str) -> tuple:
    if index is None:
        if int(np.prod(shape, dtype=np.int64)) != 1:
            raise InvalidArgumentError(f"explain: {what} has shape {shape}: pass index= to choose one "
                                       "element")
        return (0,) * len(shape)
    index = (index,) if isinstance(index, (int, np.integer)) else tuple(int(i) for i in index)
    if len(index) != len(shape) or any(not -n <= i < n for i, n in zip(index, shape)):
        raise InvalidArgumentError(f"explain: index {index} does not select an element of {what} "
                                   f"with shape {shape}")
    return tuple(i % n for i, n in zip(index, shape))


def _is(x: Any, wrt: Tensor) -> bool:
    if isinstance(x, graph.Unsaved):
        x = x.tensor()
    return x is wrt


def _path_counts(root: graph.Node, wrt: Tensor) -> dict:
    """For each node, how many paths lead from it down to `wrt` (0 if none); paths stop at wrt."""
    counts: dict = {}
    for node in graph.topological_order([root]):
        total = 0
        for x, need in zip(node.inputs, node.needs):
            if not need:
                continue
            if _is(x, wrt):
                total += 1
            elif x.grad_fn is not None:
                total += counts.get(x.grad_fn, 0)
        counts[node] = total
    return counts


def _formula(op: str, position: int) -> str:
    formulas = LOCAL_DERIVATIVES.get(op)
    if formulas is None or position >= len(formulas):
        return f"vjp of {op}"
    return formulas[position]


def explain(output: Tensor, wrt: Tensor, index: Any = None, max_paths: int = 20,
            output_index: Any = None, names: dict[str, Tensor] | None = None) -> Explanation:
    """The gradient d output / d wrt (one element of each, chosen by `index` and, for a tensor
    output, `output_index` or else `index`) as a sum over the graph's paths of products of local
    derivatives. The graph must not have been freed (call before `backward()`, or after
    `backward(retain_graph=True)`). At most `max_paths` paths are listed; the rest are summed.
    `names` ({"x": x, ...}) labels tensors in the printout (else their `.name`)."""
    _check_arguments(output, wrt, max_paths)
    by_id = {id(t): name for name, t in (names or {}).items()}
    wrt_name = by_id.get(id(wrt)) or wrt.name or "wrt"
    output_name = by_id.get(id(output)) or output.name or "output"
    wrt_element = _element(index, wrt.shape, "wrt")
    if output.size == 1:
        out_element = (0,) * output.ndim
    else:
        out_element = _element(output_index if output_index is not None else index, output.shape,
                               "output")
    root = output.grad_fn
    if root.inputs is None:
        raise GraphError("explain: the graph was freed by backward(); call explain before it, or "
                         "run backward(retain_graph=True)")
    counts = _path_counts(root, wrt)
    scalar = all(node.op.name and _scalar_node(node) for node in counts if counts[node])
    seed = np.zeros_like(output.data)
    seed[out_element] = 1

    paths: list[PathTerm] = []
    shown_total = 0.0
    # depth-first from the output down to wrt; each stack entry carries the cotangent of the
    # tensor it stands at and the edges taken so far (output side first)
    stack = [(root, seed, [])]
    while stack and len(paths) < max_paths:
        node, g, taken = stack.pop()
        grads = graph.node_vjp(node, g)
        branches = []
        for position, (x, need, gx) in enumerate(zip(node.inputs, node.needs, grads)):
            if not need or gx is None:
                continue
            local = None
            if scalar:
                upstream = float(np.asarray(g).reshape(-1)[0])
                local = float(gx.reshape(-1)[0]) / upstream if upstream else None
            if local is None and scalar:
                local = float(graph.node_vjp(node, np.ones_like(g))[position].reshape(-1)[0])
            arrived = x.tensor() if isinstance(x, graph.Unsaved) else x
            edge = Edge(node.op.name, position, _formula(node.op.name, position), local,
                        float(arrived.data.reshape(-1)[0]) if scalar and arrived is not None else None)
            if _is(x, wrt):
                value = float(np.asarray(gx)[wrt_element])
                branches.append(("done", [edge] + taken, value))
            elif x.grad_fn is not None and counts.get(x.grad_fn, 0):
                branches.append(("next", x.grad_fn, gx, [edge] + taken))
        for branch in reversed(branches):
            if branch[0] == "done":
                if len(paths) < max_paths:
                    paths.append(PathTerm(branch[1], branch[2]))
                    shown_total += branch[2]
            else:
                stack.append(branch[1:])
    total = _gradient_element(output, wrt, seed, wrt_element)
    notes = []
    if not scalar:
        notes.append("tensor graph: each product is the output element's one-hot cotangent pulled "
                     "back through the vjps on that path, read at the chosen element")
    return Explanation(output_name, wrt_name, None if wrt.size == 1 else wrt_element,
                       None if output.size == 1 else out_element, paths, counts[root], total,
                       shown_total, scalar, notes)


def _scalar_node(node: graph.Node) -> bool:
    return all(np.size(x.data) == 1 for x, need in zip(node.inputs, node.needs) if need)


def _gradient_element(output: Tensor, wrt: Tensor, seed: np.ndarray, element: tuple) -> float:
    """The full gradient (all paths at once, by the ordinary backward) at the chosen element."""
    found = graph.backward([output], [seed], retain_graph=True, inputs=[wrt], accumulate=False)
    g = found.get(id(wrt))
    return 0.0 if g is None else float(np.asarray(g.data if isinstance(g, Tensor) else g)[element])


def explain_all(output: Tensor, wrts: Sequence[Tensor], **options: Any) -> list[Explanation]:
    """`explain(output, w)` for each w."""
    return [explain(output, w, **options) for w in wrts]
