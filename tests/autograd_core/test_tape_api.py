"""Issue 9: a Tape records only the thread that opened it; Tape.release() drops what it holds;
autograd_core.__all__ lists only the public API; the README's first example draws a real graph."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import GraphError


def _in_thread(fn):
    result = {}

    def run():
        result["value"] = fn()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return result.get("value")


def test_a_worker_threads_ops_do_not_land_on_the_main_threads_tape() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.Tape() as tape:
        y = x * 2
        _in_thread(lambda: (ag.exp(x) + 1).sum())
        y.sum()
    assert [entry.name for entry in tape] == ["mul", "sum"]


def test_a_tape_opened_in_a_worker_records_only_the_worker() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    started, release = threading.Event(), threading.Event()
    names = {}

    def worker():
        with ag.Tape() as tape:
            started.set()
            release.wait(5)
            ag.exp(x)
        names["worker"] = [entry.name for entry in tape]

    thread = threading.Thread(target=worker)
    thread.start()
    started.wait(5)
    x * 3  # main thread, while the worker's tape is open
    x + 1
    release.set()
    thread.join()
    assert names["worker"] == ["exp"]
    assert ag.graph.active_tapes == []


def test_replayable_calls_in_one_thread_do_not_pause_another_threads_tape() -> None:
    from autograd_core.tape import replayable

    x = ag.tensor([1.0, 2.0])
    inside, leave = threading.Event(), threading.Event()

    @replayable
    def host_call():
        inside.set()
        leave.wait(5)

    def worker():
        with ag.Tape():
            host_call()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    with ag.Tape() as tape:
        x * 2
    leave.set()
    thread.join()
    assert [entry.name for entry in tape] == ["mul"]


def test_tape_release_drops_events_and_the_tensors_they_hold() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    operand = ag.tensor([5.0, 6.0])
    target = ag.tensor([0.0, 0.0])
    with ag.Tape() as tape:
        loss = (x * x).sum()
        loss.backward()
        target += operand
    refs = [weakref.ref(t) for t in (loss, operand, target)]
    assert tape.events
    del loss, operand, target
    gc.collect()
    assert any(r() is not None for r in refs)  # held by the tape
    tape.release()
    gc.collect()
    assert all(r() is None for r in refs)
    assert tape.events == [] and len(tape) == 0
    with pytest.raises(GraphError, match="released"):
        with tape:
            pass


def test_all_lists_only_the_public_api() -> None:
    public = set(ag.__all__)
    for internal in ("Op", "apply_nondifferentiable", "normalize_index", "index_scatter", "graph",
                     "ops", "mode", "replay", "tape"):
        assert internal not in public
    for name in ("Tensor", "tensor", "exp", "matmul", "no_grad", "grad", "jacobian", "Tape",
                 "trace", "checkpoint", "GraphError", "functional", "viz", "float32"):
        assert name in public
    assert all(hasattr(ag, name) for name in ag.__all__)
    assert len(ag.__all__) == len(public)


def test_star_import_gives_the_ops_and_not_the_internals() -> None:
    namespace: dict = {}
    exec("from autograd_core import *", namespace)
    assert namespace["exp"] is ag.exp and namespace["Tensor"] is ag.Tensor
    assert "Op" not in namespace and "index_scatter" not in namespace
    x = namespace["tensor"]([1.0, 2.0], requires_grad=True)
    namespace["sum"](namespace["exp"](x)).backward()
    np.testing.assert_allclose(x.grad.data, np.exp([1.0, 2.0]), rtol=1e-6)
    assert ag.Op is ag.graph.Op and ag.index_scatter  # still reachable as attributes


def _readme_first_example_corrected():
    """The README's first example as corrected in /work/notes/core9-readme.md."""
    x = ag.tensor(2.0, requires_grad=True)
    y = ag.tensor(-3.0, requires_grad=True)
    z = x * y + ag.tanh(x) ** 2        # any expression of tensors
    z.backward(retain_graph=True)      # keep the graph for drawing (backward frees it by default)
    diagram = ag.viz.draw_graph(z)     # the recorded graph, with the gradients
    d2 = ag.grad(ag.grad(lambda t: t ** 3, create_graph=True))(x)
    return x, y, z, d2, diagram


def test_readme_first_example_draws_the_whole_graph() -> None:
    x, y, z, d2, diagram = _readme_first_example_corrected()
    source = diagram.source
    assert "freed by backward" not in source
    for op in ("mul", "tanh", "pow", "add"):
        assert op in source
    assert z.item() == pytest.approx(-6 + np.tanh(2.0) ** 2, rel=1e-6)
    assert x.grad.item() == pytest.approx(-3 + 2 * np.tanh(2.0) * (1 - np.tanh(2.0) ** 2),
                                          rel=1e-5)
    assert y.grad.item() == pytest.approx(2.0)
    assert d2.item() == pytest.approx(12.0)


def test_the_old_readme_example_showed_a_freed_graph() -> None:
    x = ag.tensor(2.0, requires_grad=True)
    z = x * 3 + ag.tanh(x) ** 2
    z.backward()
    assert "freed by backward" in ag.viz.draw_graph(z).source


def test_the_readme_first_example_as_written_draws_the_whole_graph(capsys) -> None:
    """The first Python block of README.md, run as it stands, prints what its comments say and
    draws the whole graph (not one 'freed by backward' node)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(compile(block.replace("ag.viz.draw_graph(z)", "diagram = ag.viz.draw_graph(z)"), "README", "exec"),
         namespace)
    source = namespace["diagram"].source
    assert "freed by backward" not in source and all(op in source for op in ("mul", "tanh", "pow", "add"))
    printed = capsys.readouterr().out.splitlines()
    expected = [line.split("# ")[1].split("   (")[0].strip() for line in block.splitlines()
                if line.startswith("print(")]
    assert [p.strip() for p in printed] == expected
