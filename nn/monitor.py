"""TrainingMonitor: vanishing and exploding gradients, measured while a model trains.

Per layer and per recorded step it keeps each parameter's gradient norm, the update-to-data
ratio ||Δw|| / ||w|| (about 1e-3 is the usual rule of thumb for a healthy learning rate), and
statistics of each activation module's output from forward hooks: mean, std, the fraction
saturated (tanh, sigmoid: the flat ends where the derivative vanishes) and the fraction of dead
units (ReLU: units that output 0 for every sample of the batch). It warns, naming the layer, when
the first layer's gradient is orders of magnitude below the last's (vanishing) or when a gradient
is non-finite or grows by orders of magnitude (exploding).

```python
monitor = TrainingMonitor(model)
for x, y in loader:
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    monitor.step()          # reads .grad and how far each parameter moved
print(monitor.summary())
monitor.plot("gradient_flow.png")
```
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .module import Module

__all__ = ["TrainingMonitor", "GradientWarning"]


class GradientWarning(UserWarning):
    """Gradients are vanishing or exploding (the message names the layer)."""


def _saturated_tanh(a: np.ndarray) -> float:
    return float(np.mean(np.abs(a) > 0.99))


def _saturated_sigmoid(a: np.ndarray) -> float:
    return float(np.mean((a < 0.01) | (a > 0.99)))


def _dead_units(a: np.ndarray) -> float:
    """Fraction of units (last axis) that are 0 for every sample of the batch."""
    if a.ndim == 0 or a.size == 0:
        return 0.0
    return float(np.mean(np.all(a.reshape(-1, a.shape[-1]) <= 0, axis=0)))


#: Per activation module class: (statistic name, how to measure it on the module's output).
ACTIVATION_STATISTICS = {
    "Tanh": ("saturated", _saturated_tanh),
    "Sigmoid": ("saturated", _saturated_sigmoid),
    "Hardtanh": ("saturated", _saturated_tanh),
    "ReLU": ("dead", _dead_units),
    "ReLU6": ("dead", _dead_units),
}
ACTIVATION_CLASSES = set(ACTIVATION_STATISTICS) | {"LeakyReLU", "GELU", "SiLU", "ELU", "Softplus",
                                                  "Mish", "SELU", "CELU"}


class TrainingMonitor:
    """Gradient norms, update-to-data ratios and activation statistics of `model`, per layer.

    Call `step()` after each `optimizer.step()`; with `every=k` only every k-th step is recorded
    (the forward hooks then skip the other steps' statistics too). Thresholds: a first-layer
    gradient norm below `vanishing_ratio` times the last layer's is vanishing; a layer's norm
    above `exploding_growth` times the largest layer norm of the first recorded step, or a
    non-finite one, is exploding.
    """

    def __init__(self, model: Module, every: int = 1, vanishing_ratio: float = 1e-3,
                 exploding_growth: float = 1e3, sample_size: int = 4096) -> None:
        from autograd_core.errors import InvalidArgumentError

        if not isinstance(model, Module):
            raise InvalidArgumentError(f"TrainingMonitor: expected a Module, got {type(model).__name__}")
        if not isinstance(every, int) or every < 1:
            raise InvalidArgumentError(f"TrainingMonitor: every must be a positive int, got {every!r}")
        self.model = model
        self.every = every
        self.vanishing_ratio = vanishing_ratio
        self.exploding_growth = exploding_growth
        self.sample_size = sample_size
        #: (layer name, module) for every module that owns parameters, in forward order.
        self.layers = [(name, module) for name, module in model.named_modules()
                       if any(True for _ in module.parameters(recurse=False))]
        self.activations = [(name, module) for name, module in model.named_modules()
                            if type(module).__name__ in ACTIVATION_CLASSES]
        self.records: list[dict] = []
        self.warnings: list[str] = []
        self._warned: set = set()
        self._steps = 0
        self._armed = True
        self._last_activation: dict[str, np.ndarray] = {}
        self._previous = {name: p.data.copy() for name, p in model.named_parameters()}
        self._first_norms: dict[str, float] = {}
        self._handles = [module.register_forward_hook(self._activation_hook(name))
                         for name, module in self.activations]

    # ---- recording ----------------------------------------------------------------------------
    def _activation_hook(self, name: str) -> Any:
        def hook(module: Module, args: tuple, output: Any) -> None:
            if self._armed and module.training:
                self._last_activation[name] = np.asarray(output.data)
        return hook

    def step(self) -> None:
        """Records this step (if it is one of every `every`): reads each parameter's `.grad` and
        how far it moved since the last recorded step, and the last forward's activations."""
        self._steps += 1
        record_now = (self._steps - 1) % self.every == 0
        self._armed = self._steps % self.every == 0
        if not record_now:
            return
        step = self._steps
        row: dict = {"step": step, "layers": {}, "activations": {}}
        for layer_name, module in self.layers:
            entries = {}
            for param_name, p in module.named_parameters(recurse=False):
                full = f"{layer_name}.{param_name}" if layer_name else param_name
                grad_norm = None if p.grad is None else float(np.linalg.norm(p.grad.data))
                previous = self._previous.get(full)
                ratio = None
                if previous is not None and previous.shape == p.data.shape:
                    scale = float(np.linalg.norm(previous))
                    ratio = float(np.linalg.norm(p.data - previous)) / scale if scale else None
                self._previous[full] = p.data.copy()
                entries[param_name] = {"grad_norm": grad_norm, "update_ratio": ratio}
            norms = [e["grad_norm"] for e in entries.values() if e["grad_norm"] is not None]
            layer_norm = math.sqrt(sum(n * n for n in norms)) if norms else None
            row["layers"][layer_name] = {"params": entries, "grad_norm": layer_norm}
        for name, _ in self.activations:
            a = self._last_activation.pop(name, None)
            if a is None:
                continue
            kind = ACTIVATION_STATISTICS.get(type(dict(self.activations)[name]).__name__)
            flat = a.reshape(-1)
            stats = {"mean": float(flat.mean()), "std": float(flat.std())}
            if kind is not None:
                stats[kind[0]] = kind[1](a)
            stats["sample"] = flat[:: max(1, flat.size // self.sample_size)].copy()
            row["activations"][name] = stats
        self.records.append(row)
        self._check(row)

    # ---- diagnosis ----------------------------------------------------------------------------
    def _warn(self, key: Any, message: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self.warnings.append(message)
        warnings.warn(message, GradientWarning, stacklevel=3)

    def _describe(self, layer_name: str) -> str:
        module = dict(self.layers)[layer_name]
        return f"layer {layer_name or '(model)'} ({type(module).__name__})"

    def _check(self, row: dict) -> None:
        norms = {name: layer["grad_norm"] for name, layer in row["layers"].items()
                 if layer["grad_norm"] is not None}
        for name, norm in norms.items():
            if not math.isfinite(norm):
                self._warn(("exploding", name), f"exploding gradients: {self._describe(name)} has a "
                           f"non-finite gradient norm at step {row['step']}")
            if not self._first_norms:
                self._first_norms = {n: v for n, v in norms.items() if math.isfinite(v)}
            reference = max(self._first_norms.values(), default=0.0)
            if math.isfinite(norm) and reference > 0 and norm > self.exploding_growth * reference:
                self._warn(("exploding", name), f"exploding gradients: {self._describe(name)}'s "
                           f"gradient norm reached {norm:.3g} by step {row['step']}, "
                           f"{norm / reference:.1e}x the largest layer norm at the first recorded "
                           f"step ({reference:.3g})")
        finite = [(name, n) for name, n in norms.items() if math.isfinite(n)]
        if len(finite) >= 2 and len(self.records) >= 3:
            recent = self.records[-min(len(self.records), 10):]
            first_name, last_name = finite[0][0], finite[-1][0]
            first_norm = float(np.median([r["layers"][first_name]["grad_norm"] or 0.0 for r in recent]))
            last_norm = float(np.median([r["layers"][last_name]["grad_norm"] or 0.0 for r in recent]))
            if last_norm > 0 and first_norm < self.vanishing_ratio * last_norm:
                self._warn(("vanishing", first_name),
                           f"vanishing gradients: {self._describe(first_name)}'s gradient norm "
                           f"{first_norm:.2e} is {last_norm / max(first_norm, 1e-300):.1e}x smaller "
                           f"than {self._describe(last_name)}'s ({last_norm:.2e})")

    # ---- reporting ----------------------------------------------------------------------------
    def layer_norms(self) -> dict[str, list[float | None]]:
        """Per parameter layer, its gradient norm at each recorded step."""
        return {name: [r["layers"][name]["grad_norm"] for r in self.records] for name, _ in self.layers}

    def summary(self) -> str:
        """A table: per parameter, the last and median gradient norm and update-to-data ratio;
        per activation, the last forward's mean, std and saturated/dead fraction."""
        if not self.records:
            return "TrainingMonitor: no step recorded yet"
        lines = [f"TrainingMonitor: {len(self.records)} recorded steps (every {self.every})",
                 f"{'parameter':<22}{'grad norm':>12}{'median':>12}{'update/data':>13}{'median':>12}"]
        for layer_name, module in self.layers:
            for param_name, _ in module.named_parameters(recurse=False):
                grads = [r["layers"][layer_name]["params"][param_name]["grad_norm"] for r in self.records]
                ratios = [r["layers"][layer_name]["params"][param_name]["update_ratio"]
                          for r in self.records]
                grads = [g for g in grads if g is not None]
                ratios = [x for x in ratios if x is not None]
                label = f"{layer_name}.{param_name} ({type(module).__name__})"
                lines.append(f"{label:<22}{_fmt(grads[-1] if grads else None):>12}"
                             f"{_fmt(np.median(grads) if grads else None):>12}"
                             f"{_fmt(ratios[-1] if ratios else None):>13}"
                             f"{_fmt(np.median(ratios) if ratios else None):>12}")
        last = self.records[-1]["activations"]
        if last:
            lines.append(f"{'activation':<22}{'mean':>12}{'std':>12}{'saturated':>13}{'dead':>12}")
            for name, stats in last.items():
                module = dict(self.activations)[name]
                label = f"{name} ({type(module).__name__})"
                lines.append(f"{label:<22}{_fmt(stats['mean']):>12}{_fmt(stats['std']):>12}"
                             f"{_fmt(stats.get('saturated')):>13}{_fmt(stats.get('dead')):>12}")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def to_csv(self, path: str | Path) -> Path:
        """diagnostics.csv in long form: step, layer, module, parameter, quantity, value."""
        path = Path(path)
        with path.open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["step", "layer", "module", "parameter", "quantity", "value"])
            for r in self.records:
                for layer_name, layer in r["layers"].items():
                    module = type(dict(self.layers)[layer_name]).__name__
                    for param_name, entry in layer["params"].items():
                        for quantity in ("grad_norm", "update_ratio"):
                            if entry[quantity] is not None:
                                writer.writerow([r["step"], layer_name, module, param_name, quantity,
                                                 f"{entry[quantity]:.6g}"])
                for name, stats in r["activations"].items():
                    module = type(dict(self.activations)[name]).__name__
                    for quantity in ("mean", "std", "saturated", "dead"):
                        if quantity in stats:
                            writer.writerow([r["step"], name, module, "", quantity,
                                             f"{stats[quantity]:.6g}"])
        return path

    def plot(self, path: str | Path | None = None) -> Any:
        """Gradient flow (each parameter layer's gradient norm over steps, log scale) and the last
        recorded activation histograms per layer; saved to `path` when given. Returns the figure."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, (flow, hist) = plt.subplots(1, 2, figsize=(11, 4))
        steps = [r["step"] for r in self.records]
        colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(self.layers), 1)))
        for color, (name, norms) in zip(colors, self.layer_norms().items()):
            values = [n if n is not None and n > 0 and math.isfinite(n) else np.nan for n in norms]
            flow.plot(steps, values, color=color, label=f"{name} ({type(dict(self.layers)[name]).__name__})")
        flow.set(xlabel="step", ylabel="gradient norm", yscale="log",
                 title="gradient flow per layer (first = darkest)")
        if self.layers:
            flow.legend(fontsize=7, loc="best")
        last = next((r["activations"] for r in reversed(self.records) if r["activations"]), {})
        for name, stats in last.items():
            hist.hist(stats["sample"], bins=50, histtype="step", density=True,
                      label=f"{name} ({type(dict(self.activations)[name]).__name__})")
        hist.set(xlabel="activation value", ylabel="density", title="activations (last recorded step)")
        if last:
            hist.legend(fontsize=7, loc="best")
        if self.warnings:
            figure.suptitle("; ".join(self.warnings)[:160], fontsize=8, color="#a50026")
        figure.tight_layout()
        if path is not None:
            figure.savefig(path, dpi=100)
            plt.close(figure)
        return figure

    def remove(self) -> None:
        """Takes the forward hooks off the model."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value:.3g}" if math.isfinite(value) else str(value)
