"""Re-execute the notebooks in place so they are stored with their outputs (text, inline SVG/PNG).

    python notebooks/build.py                    # every notebooks/*.ipynb
    python notebooks/build.py 03_visualizing_graphs.ipynb

Each notebook runs top to bottom in a fresh `python3` kernel (the one ipykernel ships, so no
`ipykernel install` is needed) with the notebooks directory as working directory; any error stops
the build and leaves that notebook unchanged. Needs the dev extra: pip install -e ".[dev]".
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent
CELL_TIMEOUT = 120
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


def execute(path: Path, timeout: int = CELL_TIMEOUT) -> tuple[nbformat.NotebookNode, float]:
    """Runs the notebook at `path` in a new kernel; returns it with outputs, and the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=False,
                            record_timing=False, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def tidy(notebook: nbformat.NotebookNode) -> None:
    """Drops what changes on every run without meaning anything, so rebuilds give small diffs:
    memory addresses in reprs (`<graphviz.graphs.Digraph at 0x7f...>`), per-cell timing, and the
    arbitrary split of printed text into several stream outputs (merged back into one)."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        outputs = []
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str):
                output["data"]["text/plain"] = _ADDRESS.sub(">", text)
            previous = outputs[-1] if outputs else None
            if (output["output_type"] == "stream" and previous is not None
                    and previous["output_type"] == "stream" and previous["name"] == output["name"]):
                previous["text"] += output["text"]
            else:
                outputs.append(output)
        if cell.cell_type == "code":
            cell.outputs = outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: notebooks/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    paths = [Path(p) if Path(p).exists() else NOTEBOOKS / p for p in args.notebooks]
    paths = paths or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    for path in paths:
        notebook, seconds = execute(path.resolve(), args.timeout)
        tidy(notebook)
        nbformat.validate(notebook)
        nbformat.write(notebook, path)
        print(f"{path.name}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
