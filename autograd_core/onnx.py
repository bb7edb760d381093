"""ONNX export, in the shape of `torch.onnx.export`: run the forward once under a tape, then write
each recorded op (or each call of a registered layer, e.g. nn.Conv2d as one `Conv`) as ONNX nodes,
with parameters as initializers named as in `named_parameters()`.

    ag.onnx.export(model, (x,), "model.onnx", input_names=["x"], output_names=["logits"],
                   dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})

The `onnx` package is needed only here and is imported on first use (`pip install ".[onnx]"`).
Layers register how they are written with `register_module_exporter` (nn does so on import);
every other op is written from the table `PRIMITIVES` below. An op with no mapping raises
UnsupportedError naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .errors import InvalidArgumentError, UnsupportedError
from .tensor import Tensor

__all__ = ["export", "register_module_exporter", "GraphBuilder"]

#: Module class -> function(builder, module, input_names, output_tensor) -> output name.
_MODULE_EXPORTERS: dict[type, Callable] = {}


def register_module_exporter(cls: type, fn: Callable) -> None:
    """Writes every call of a `cls` module as `fn(builder, module, input_names, output)`, which
    adds nodes and returns the ONNX name of the output, instead of the module's recorded ops."""
    _MODULE_EXPORTERS[cls] = fn


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise UnsupportedError("onnx export needs the onnx package: pip install 'autograd-core[onnx]' "
                               "(or pip install onnx)") from None
    return onnx, helper, numpy_helper


class GraphBuilder:
    """Collects ONNX nodes, initializers and fresh names while a program is written."""

    def __init__(self, parameter_names: dict[int, str]) -> None:
        self.onnx, self.helper, self.numpy_helper = _onnx()
        self.nodes: list = []
        self.initializers: list = []
        self._names: dict[int, str] = {}
        self._parameter_names = parameter_names
        self._counter = 0
        self._keep_alive: list = []

    def fresh(self, stem: str = "v") -> str:
        self._counter += 1
        return f"{stem}_{self._counter}"

    def node(self, op_type: str, inputs: Sequence[str], outputs: Sequence[str] | None = None,
             **attributes: Any) -> str:
        """Adds a node; returns its (first) output name."""
        outputs = list(outputs) if outputs else [self.fresh(op_type.lower())]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs,
                                                name=self.fresh(f"{op_type}_node"), **attributes))
        return outputs[0]

    def constant(self, value: Any, dtype: Any = None, stem: str = "const") -> str:
        array = np.asarray(value if dtype is None else np.asarray(value).astype(dtype))
        name = self.fresh(stem)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def int64s(self, values: Sequence[int]) -> str:
        return self.constant(np.asarray(list(values), dtype=np.int64), stem="ints")

    def bind(self, tensor: Tensor, name: str) -> None:
        self._names[id(tensor)] = name
        self._keep_alive.append(tensor)

    def name_of(self, value: Any, like: Any = None) -> str:
        """The ONNX name of an op input: a value computed earlier, a parameter (initializer named
        as in named_parameters()), or a constant (scalars take the dtype of `like`)."""
        if isinstance(value, Tensor):
            found = self._names.get(id(value))
            if found is not None:
                return found
            name = self._parameter_names.get(id(value)) or self.fresh("const")
            self.initializers.append(self.numpy_helper.from_array(
                np.ascontiguousarray(value.data), name))
            self.bind(value, name)
            return name
        dtype = None
        if like is not None and np.ndim(value) == 0 and not isinstance(value, np.ndarray):
            dtype = np.asarray(like.data if isinstance(like, Tensor) else like).dtype
        return self.constant(value, dtype)


def _first_tensor(inputs: Sequence[Any]) -> Any:
    return next((x for x in inputs if isinstance(x, Tensor)), None)


def _elementwise(op_type: str) -> Callable:
    def write(b: GraphBuilder, entry: Any) -> str:
        like = _first_tensor(entry.inputs)
        return b.node(op_type, [b.name_of(x, like) for x in entry.inputs])
    return write


def _axes(axis: Any, ndim: int) -> list[int]:
    if axis is None:
        return list(range(ndim))
    return [a % max(ndim, 1) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]


def _reduce(op_type: str, axes_as_input: bool) -> Callable:
    def write(b: GraphBuilder, entry: Any) -> str:
        (x,) = entry.inputs
        attrs = entry.attrs
        axes = _axes(attrs.get("axis"), x.ndim)
        keep = int(bool(attrs.get("keepdims", False)))
        if axes_as_input:
            return b.node(op_type, [b.name_of(x), b.int64s(axes)], keepdims=keep)
        return b.node(op_type, [b.name_of(x)], axes=axes, keepdims=keep)
    return write


def _reshape(b: GraphBuilder, entry: Any) -> str:
    """Leading dims equal to the input's are copied (ONNX's 0), so a dynamic batch axis anywhere in
    that prefix survives; the first dim after it is inferred (-1) from the element count."""
    (x,) = entry.inputs
    shape = list(entry.output.shape)
    prefix = 0
    while prefix < min(len(shape), x.ndim) and shape[prefix] == x.shape[prefix]:
        shape[prefix] = 0
        prefix += 1
    if prefix < len(shape):
        shape[prefix] = -1
    return b.node("Reshape", [b.name_of(x), b.int64s(shape)])


def _transpose(b: GraphBuilder, entry: Any) -> str:
    (x,) = entry.inputs
    axes = entry.attrs.get("axes")
    perm = list(reversed(range(x.ndim))) if axes is None else [int(a) % x.ndim for a in axes]
    return b.node("Transpose", [b.name_of(x)], perm=perm)


def _swapaxes(b: GraphBuilder, entry: Any) -> str:
    (x,) = entry.inputs
    perm = list(range(x.ndim))
    i, j = entry.attrs["axis1"] % x.ndim, entry.attrs["axis2"] % x.ndim
    perm[i], perm[j] = perm[j], perm[i]
    return b.node("Transpose", [b.name_of(x)], perm=perm)


def _broadcast_to(b: GraphBuilder, entry: Any) -> str:
    (x,) = entry.inputs
    out_shape = list(entry.output.shape)
    in_shape = [1] * (len(out_shape) - x.ndim) + list(x.shape)
    target = [1 if a == o else o for a, o in zip(in_shape, out_shape)]
    return b.node("Expand", [b.name_of(x), b.int64s(target)])


def _concatenate(b: GraphBuilder, entry: Any) -> str:
    like = _first_tensor(entry.inputs)
    return b.node("Concat", [b.name_of(x, like) for x in entry.inputs],
                  axis=int(entry.attrs["axis"]) % like.ndim)


def _stack(b: GraphBuilder, entry: Any) -> str:
    like = _first_tensor(entry.inputs)
    axis = int(entry.attrs["axis"]) % (like.ndim + 1)
    parts = [b.node("Unsqueeze", [b.name_of(x, like), b.int64s([axis])]) for x in entry.inputs]
    return b.node("Concat", parts, axis=axis)


def _softmax(op_type: str) -> Callable:
    def write(b: GraphBuilder, entry: Any) -> str:
        (x,) = entry.inputs
        axis = entry.attrs.get("axis")
        return b.node(op_type, [b.name_of(x)], axis=-1 if axis is None else int(axis))
    return write


def _matmul(b: GraphBuilder, entry: Any) -> str:
    a, c = entry.inputs
    return b.node("MatMul", [b.name_of(a, c), b.name_of(c, a)])


def _linear(b: GraphBuilder, entry: Any) -> str:
    x, weight = entry.inputs[:2]
    bias = entry.inputs[2] if len(entry.inputs) > 2 else None
    return linear_nodes(b, b.name_of(x), x.ndim, b.name_of(weight),
                        None if bias is None else b.name_of(bias))


def linear_nodes(b: GraphBuilder, x: str, ndim: int, weight: str, bias: str | None) -> str:
    """x @ weight.T + bias: one Gemm for 2-D inputs, MatMul (+ Add) otherwise."""
    if ndim == 2:
        return b.node("Gemm", [x, weight] + ([bias] if bias else []), transB=1)
    out = b.node("MatMul", [x, b.node("Transpose", [weight], perm=[1, 0])])
    return b.node("Add", [out, bias]) if bias else out


def _pow(b: GraphBuilder, entry: Any) -> str:
    base, exponent = entry.inputs
    like = base if isinstance(base, Tensor) else exponent
    return b.node("Pow", [b.name_of(base, like), b.name_of(exponent, like)])


def _neg(b: GraphBuilder, entry: Any) -> str:
    return b.node("Neg", [b.name_of(entry.inputs[0])])


def _clip(b: GraphBuilder, entry: Any) -> str:
    (x,) = entry.inputs
    lo, hi = entry.attrs.get("lo"), entry.attrs.get("hi")
    inputs = [b.name_of(x), "" if lo is None else b.constant(lo, x.dtype),
              "" if hi is None else b.constant(hi, x.dtype)]
    while inputs and inputs[-1] == "":
        inputs.pop()
    return b.node("Clip", inputs)


def _astype(b: GraphBuilder, entry: Any) -> str:
    (x,) = entry.inputs
    elem = b.helper.np_dtype_to_tensor_dtype(np.dtype(entry.attrs["dtype"]))
    return b.node("Cast", [b.name_of(x)], to=elem)


def _leaky_relu(b: GraphBuilder, entry: Any) -> str:
    return b.node("LeakyRelu", [b.name_of(entry.inputs[0])],
                  alpha=float(entry.attrs.get("negative_slope", 0.01)))


def gelu_nodes(b: GraphBuilder, x: str, dtype: Any, approximate: str = "none") -> str:
    """x * Phi(x) from opset-17 primitives (Gelu itself is opset 20)."""
    c = lambda v: b.constant(v, dtype)  # noqa: E731
    if approximate == "tanh":
        inner = b.node("Mul", [c(np.sqrt(2 / np.pi)), b.node("Add", [x, b.node(
            "Mul", [c(0.044715), b.node("Pow", [x, c(3.0)])])])])
        half = b.node("Add", [c(1.0), b.node("Tanh", [inner])])
    else:
        half = b.node("Add", [c(1.0), b.node("Erf", [b.node("Div", [x, c(np.sqrt(2.0))])])])
    return b.node("Mul", [b.node("Mul", [x, c(0.5)]), half])


def _gelu(b: GraphBuilder, entry: Any) -> str:
    (x,) = entry.inputs
    return gelu_nodes(b, b.name_of(x), x.dtype, entry.attrs.get("approximate", "none"))


def _softplus(b: GraphBuilder, entry: Any) -> str:
    (x,) = entry.inputs
    beta = float(entry.attrs.get("beta", 1.0))
    if beta == 1.0:
        return b.node("Softplus", [b.name_of(x)])
    scaled = b.node("Mul", [b.name_of(x), b.constant(beta, x.dtype)])
    return b.node("Div", [b.node("Softplus", [scaled]), b.constant(beta, x.dtype)])


def _where(b: GraphBuilder, entry: Any) -> str:
    condition, a, c = entry.inputs
    like = a if isinstance(a, Tensor) else c
    cond = b.name_of(condition)
    return b.node("Where", [cond, b.name_of(a, like), b.name_of(c, like)])


def _getitem(b: GraphBuilder, entry: Any) -> str:
    """Basic indexing (ints, slices, None, Ellipsis) as Slice/Squeeze/Unsqueeze; one integer-array
    index on an axis as Gather."""
    (x,) = entry.inputs
    key = entry.attrs["key"]
    key = key if isinstance(key, tuple) else (key,)
    arrays = [k for k in key if isinstance(k, (np.ndarray, list))]
    if len(arrays) > 1:
        raise UnsupportedError("onnx export: getitem with several index arrays is not supported")
    if Ellipsis in key:
        at = key.index(Ellipsis)
        explicit = sum(1 for k in key if k is not None and k is not Ellipsis)
        key = key[:at] + (slice(None),) * (x.ndim - explicit) + key[at + 1:]
    name = b.name_of(x)
    starts, ends, axes, steps, squeeze, unsqueeze, gather = [], [], [], [], [], [], None
    axis = out_axis = 0
    for k in key:
        if k is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        if isinstance(k, slice):
            start, stop, step = k.indices(x.shape[axis])
            if (start, stop, step) != (0, x.shape[axis], 1):
                big = np.iinfo(np.int64).max
                starts.append(start)
                ends.append(stop if stop >= 0 else -big)
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        elif isinstance(k, (np.ndarray, list)):
            gather = (axis, np.asarray(k))
            out_axis += 1
        else:
            index = int(k) % x.shape[axis]
            starts.append(index)
            ends.append(index + 1)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    if starts:
        name = b.node("Slice", [name, b.int64s(starts), b.int64s(ends), b.int64s(axes), b.int64s(steps)])
    if gather is not None:
        gather_axis, index = gather
        name = b.node("Gather", [name, b.constant(index.astype(np.int64))], axis=gather_axis)
        squeeze = [a if a < gather_axis else a + index.ndim - 1 for a in squeeze]
    if squeeze:
        name = b.node("Squeeze", [name, b.int64s(squeeze)])
    if unsqueeze:
        name = b.node("Unsqueeze", [name, b.int64s(unsqueeze)])
    return name


def _embedding(b: GraphBuilder, entry: Any) -> str:
    weight, indices = entry.inputs[0], entry.inputs[1]
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        weight, indices = indices, weight
    return b.node("Gather", [b.name_of(weight), b.name_of(indices)], axis=0)


#: Recorded op name -> how it is written. Elementwise ops broadcast as numpy does, as ONNX does.
PRIMITIVES: dict[str, Callable] = {
    "add": _elementwise("Add"), "sub": _elementwise("Sub"), "mul": _elementwise("Mul"),
    "div": _elementwise("Div"), "pow": _pow, "neg": _neg,
    "exp": _elementwise("Exp"), "log": _elementwise("Log"), "sqrt": _elementwise("Sqrt"),
    "sin": _elementwise("Sin"), "cos": _elementwise("Cos"), "tan": _elementwise("Tan"),
    "tanh": _elementwise("Tanh"), "sigmoid": _elementwise("Sigmoid"), "relu": _elementwise("Relu"),
    "abs": _elementwise("Abs"), "erf": _elementwise("Erf"), "sign": _elementwise("Sign"),
    "maximum": _elementwise("Max"), "minimum": _elementwise("Min"),
    "eq": _elementwise("Equal"), "lt": _elementwise("Less"), "gt": _elementwise("Greater"),
    "leaky_relu": _leaky_relu, "gelu": _gelu, "softplus": _softplus, "clip": _clip,
    "where": _where, "astype": _astype, "clone": _elementwise("Identity"),
    "sum": _reduce("ReduceSum", True), "mean": _reduce("ReduceMean", False),
    "max": _reduce("ReduceMax", False), "min": _reduce("ReduceMin", False),
    "amax": _reduce("ReduceMax", False), "amin": _reduce("ReduceMin", False),
    "prod": _reduce("ReduceProd", False), "logsumexp": _reduce("ReduceLogSumExp", False),
    "softmax": _softmax("Softmax"), "log_softmax": _softmax("LogSoftmax"),
    "matmul": _matmul, "linear": _linear, "reshape": _reshape, "transpose": _transpose,
    "swapaxes": _swapaxes, "broadcast_to": _broadcast_to, "concatenate": _concatenate,
    "stack": _stack, "getitem": _getitem, "embedding": _embedding,
}


def _parameter_names(model: Any) -> dict[int, str]:
    names: dict[int, str] = {}
    for method in ("named_parameters", "named_buffers"):
        if hasattr(model, method):
            for name, tensor in getattr(model, method)():
                if tensor is not None:
                    names.setdefault(id(tensor), name)
    return names


def _module_calls(model: Any) -> tuple[list, list]:
    """Forward hooks on every registered-layer submodule: each outermost call is noted with the
    tape positions it spans, its tensor inputs and its output."""
    calls: list = []
    handles: list = []
    depth = [0]
    if not hasattr(model, "modules"):
        return calls, handles
    for module in model.modules():
        exporter = next((fn for cls, fn in _MODULE_EXPORTERS.items() if type(module) is cls), None)
        if exporter is None:
            continue

        def before(m: Any, args: tuple, exporter: Callable = exporter) -> None:
            from . import graph

            tape = graph.active_tapes[-1] if graph.active_tapes else None
            depth[0] += 1
            m._onnx_call_start = (len(tape.entries) if tape is not None else 0, depth[0], args)

        def after(m: Any, args: tuple, output: Any, exporter: Callable = exporter) -> None:
            from . import graph

            tape = graph.active_tapes[-1] if graph.active_tapes else None
            start, level, call_args = m.__dict__.pop("_onnx_call_start")
            depth[0] -= 1
            if level == 1 and tape is not None:
                calls.append((start, len(tape.entries), m, exporter, call_args, output))

        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    return calls, handles


def export(model: Any, args: Any, f: str | Path, input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None, dynamic_axes: dict | None = None,
           opset_version: int = 17, do_constant_folding: bool = True,
           export_params: bool = True, verbose: bool = False) -> Any:
    """Runs `model(*args)` (a Module, in eval mode for the export, or any function of tensors)
    once and writes the ONNX model to `f`; returns the `onnx.ModelProto`. `dynamic_axes` as
    torch: {"x": {0: "batch"}} (or {"x": [0]}) marks axes of inputs/outputs as symbolic."""
    from . import mode
    from .tape import Tape

    onnx, helper, _ = _onnx()
    inputs = args if isinstance(args, tuple) else (args,)
    inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
    input_names = list(input_names or [f"input_{i}" for i in range(len(inputs))])
    if len(input_names) != len(inputs):
        raise InvalidArgumentError(f"onnx export: {len(input_names)} input_names for {len(inputs)} inputs")
    dynamic_axes = {k: ({a: f"{k}_dim{a}" for a in v} if isinstance(v, (list, tuple)) else dict(v))
                    for k, v in (dynamic_axes or {}).items()}
    was_training = getattr(model, "training", None)
    if was_training:
        model.eval()
    calls, handles = _module_calls(model)
    try:
        with mode.no_grad(), Tape() as tape:
            result = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        if was_training:
            model.train()
    outputs = tuple(_flatten(result))
    if not all(isinstance(o, Tensor) for o in outputs):
        raise UnsupportedError("onnx export: the model must return a tensor or a tuple of tensors")
    output_names = list(output_names or [f"output_{i}" for i in range(len(outputs))])
    builder = GraphBuilder(_parameter_names(model))
    for x, name in zip(inputs, input_names):
        builder.bind(x, name)
    _write_program(builder, tape.entries, calls)
    graph_outputs = []
    for o, name in zip(outputs, output_names):
        produced = builder.name_of(o)
        builder.node("Identity", [produced], [name])
        dynamic = dynamic_axes.get(name)
        if dynamic is None and dynamic_axes:  # a dynamic input: leave this output's dims unnamed
            dynamic = {i: None for i in range(o.ndim)}
        graph_outputs.append(_value_info(helper, name, o, dynamic))
    graph_inputs = [_value_info(helper, name, x, dynamic_axes.get(name))
                    for x, name in zip(inputs, input_names)]
    graph = helper.make_graph(builder.nodes, "autograd_core", graph_inputs, graph_outputs,
                              initializer=builder.initializers)
    model_proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset_version)],
                                    producer_name="autograd_core")
    model_proto.ir_version = min(model_proto.ir_version, 9)
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, str(f))
    return model_proto


def _value_info(helper: Any, name: str, tensor: Tensor, dynamic: dict | None) -> Any:
    shape = [dynamic[i] if dynamic is not None and i in dynamic else int(n)
             for i, n in enumerate(tensor.shape)]
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(tensor.dtype), shape)


def _flatten(value: Any) -> list:
    """Tensors (or names) nested in tuples/lists, in order (an LSTM returns (y, (h_n, c_n)))."""
    if isinstance(value, (tuple, list)):
        return [item for part in value for item in _flatten(part)]
    return [value]


def _write_program(builder: GraphBuilder, entries: list, calls: list) -> None:
    """Each tape entry in order, except the spans of registered-layer calls, written whole."""
    starting: dict[int, list] = {}
    for call in calls:
        starting.setdefault(call[0], []).append(call)
    position = 0
    while position <= len(entries):
        resumed = None
        for start, end, module, exporter, call_args, output in starting.pop(position, []):
            names = [builder.name_of(a) for a in call_args if isinstance(a, Tensor)]
            written = exporter(builder, module, names, output)
            for tensor, name in zip(_flatten(output), _flatten(written)):
                if isinstance(tensor, Tensor):
                    builder.bind(tensor, name)
            if end > position:
                resumed = end
                break
        if resumed is not None:
            position = resumed
            continue
        if position == len(entries):
            break
        entry = entries[position]
        write = PRIMITIVES.get(entry.op.name)
        if write is None:
            raise UnsupportedError(f"onnx export: no ONNX mapping for op {entry.op.name!r} "
                                   f"(recorded at {entry.location})")
        builder.bind(entry.output, write(builder, entry))
        position += 1
