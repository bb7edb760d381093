"""Regenerate the images in docs/images/ (the README's first-screen graph).

    python docs/make_images.py

Writes docs/images/graph.svg and, when Graphviz's `dot` can render PNG, docs/images/graph.png:
the recorded graph of one training step's loss for a tiny MLP (2 -> 3 -> 2, tanh, cross-entropy on
a batch of 4 points), as a gradient heat map with the parameters named after their modules.
Everything is seeded, so the output only changes when the engine's drawing changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F

IMAGES = Path(__file__).resolve().parent / "images"


def tiny_mlp_loss() -> tuple[ag.Tensor, nn.Module]:
    """The loss of a 2 -> 3 -> 2 tanh MLP on four points, and the model."""
    ag.set_default_dtype("float64")
    model = nn.MLP([2, 3, 2], activation="tanh", generator=0)
    x = ag.tensor(np.array([[0.5, -1.0], [1.0, 0.25], [-0.5, 0.75], [0.0, -0.5]]))
    x.name = "x"
    targets = np.array([0, 1, 1, 0])
    return F.cross_entropy(model(x), targets), model


def main() -> int:
    if not ag.viz.graphviz_available():
        print(f"Graphviz's dot program is needed: {ag.viz.INSTALL_HINT}", file=sys.stderr)
        return 1
    loss, model = tiny_mlp_loss()
    diagram = ag.viz.draw_graph(loss, params=model, color_by="grad_norm", show_data=False, show_grad=False,
                                title="loss = cross_entropy(MLP(x), y), colored by the norm of each gradient")
    written = [ag.viz.render(diagram, IMAGES / "graph.svg")]
    try:
        written.append(ag.viz.render(diagram, IMAGES / "graph.png"))
    except ag.viz.GraphvizRenderError as error:
        print(f"graph.png skipped: {error}", file=sys.stderr)
    for path in written:
        print(f"wrote {path.relative_to(IMAGES.parent.parent)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
