"""Scaling curves (`run.py --scaling`): how a step's time grows with batch size, width and depth,
for the `nn` path and PyTorch (and the floor), with log-log slopes, the fixed-cost/compute
crossover of each curve, and a picture; plus step memory versus depth with and without checkpoint.

The crossover model: t(x) = a + b * flops(x), fitted with relative (1/t) weights, where flops is a
step's multiply-adds (forward and two backward matmuls per layer). `a` is the per-step cost that
does not grow with the matrices (Python and op-dispatch overhead), `b` the cost per multiply-add;
the crossover is the point where b * flops = a: below it a step is overhead-bound, above it
compute-bound.
"""

from dataclasses import replace
from pathlib import Path

import numpy as np

from implementations import IMPLEMENTATION_LABELS
from report import Cell, markdown_table
from timing import build_checked_runners, run_memory_workload, run_timed_workload
from workloads import WORKLOADS, MLPSpec, deep_wide_spec, make_mlp_problem

SCALING_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
SCALING_WIDTHS = (32, 64, 128, 256, 512, 1024, 2048)
SCALING_DEPTHS = (2, 4, 8, 16, 32, 64)
QUICK_BATCHES, QUICK_WIDTHS, QUICK_DEPTHS = (1, 16, 256), (32, 256), (2, 8)
DEPTH_WIDTH, DEPTH_BATCH = 128, 32
SCALING_MEMORY_DEPTHS = (8, 16, 32, 64)
SCALING_MEMORY_SHAPES = ((1024, 256), (256, 2048))
"""(width, batch): gradients outweigh activations in the first, activations in the second."""
SCALING_TIME_IMPLEMENTATIONS = ("numpy", "torch nn", "autograd_core nn")
SCALING_MEMORY_IMPLEMENTATIONS = ("numpy", "torch", "autograd_core", "autograd_core checkpoint")
DEFAULT_PLOT = Path(__file__).resolve().parent / "scaling.png"
CURVE_TITLES = {
    "batch": "step time (ms) vs batch, 784-512-256-10 ReLU",
    "width": "step time (ms) vs width, 784-W-W-10 ReLU, batch 128",
    "depth": f"step time (ms) vs depth, ReLU layers of width {DEPTH_WIDTH}, batch {DEPTH_BATCH}",
}


def curve_specs(quick: bool) -> dict[str, dict[int, MLPSpec]]:
    """The specs of the three time curves, by curve and x."""
    base = WORKLOADS["mlp-mnist-step"]
    batches, widths, depths = (QUICK_BATCHES, QUICK_WIDTHS, QUICK_DEPTHS) if quick else (
        SCALING_BATCHES, SCALING_WIDTHS, SCALING_DEPTHS)
    return {
        "batch": {batch: replace(base, batch=batch) for batch in batches},
        "width": {width: replace(base, layer_sizes=(784, width, width, 10)) for width in widths},
        "depth": {depth: deep_wide_spec(depth, DEPTH_WIDTH, DEPTH_BATCH) for depth in depths},
    }


def step_flops(spec: MLPSpec) -> float:
    """Multiply-adds of one step's matmuls: 3 * batch * sum(fan_in * fan_out)."""
    sizes = spec.layer_sizes
    return 3.0 * spec.batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def loglog_slope(xs, ts) -> float:
    """Least-squares slope of log t against log x."""
    return float(np.polyfit(np.log(xs), np.log(ts), 1)[0])


def fit_fixed_plus_compute(flops, ts) -> tuple[float, float]:
    """(a, b) of t = a + b * flops, each point weighted by 1/t (relative error)."""
    flops, ts = np.asarray(flops, float), np.asarray(ts, float)
    design = np.stack([1.0 / ts, flops / ts], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, np.ones_like(ts), rcond=None)
    return float(a), float(b)


def crossover_x(xs, flops, a: float, b: float) -> float | None:
    """The x where b * flops(x) = a, interpolated log-linearly; None when a <= 0 or out of range."""
    if a <= 0 or b <= 0:
        return None
    target = a / b
    if not flops[0] <= target <= flops[-1]:
        return None
    return float(np.exp(np.interp(np.log(target), np.log(flops), np.log(xs))))


def curve_fits(specs: dict[int, MLPSpec], cells: dict[str, dict[str, Cell]],
               implementation: str) -> dict | None:
    """Slopes, the fit and the crossover of one implementation's curve (None if it did not run)."""
    points = [(x, cells[str(x)][implementation].value, step_flops(spec)) for x, spec in specs.items()
              if cells[str(x)].get(implementation) and cells[str(x)][implementation].value]
    if len(points) < 2:
        return None
    xs, ts, flops = (np.array(v, float) for v in zip(*points, strict=True))
    half = len(xs) // 2
    a, b = fit_fixed_plus_compute(flops, ts)
    return {
        "slope": loglog_slope(xs, ts),
        "slope_upper_half": loglog_slope(xs[half:], ts[half:]) if len(xs) - half >= 2 else None,
        "fixed_ms": a,
        "ms_per_gflop": b * 1e9,
        "crossover": crossover_x(xs, flops, a, b),
        "xs": xs.tolist(), "ms": ts.tolist(),
    }


def fits_table(fits: dict[str, dict[str, dict | None]]) -> str:
    """One row per curve and implementation: slopes, fixed cost, cost per GFLOP, crossover."""
    lines = ["| curve | implementation | log-log slope | slope, upper half | fixed cost (ms) | "
             "ms per GFLOP | crossover (fixed = compute) |", "|---|---|---|---|---|---|---|"]
    for curve, by_implementation in fits.items():
        for implementation, fit in by_implementation.items():
            if fit is None:
                continue
            upper = "—" if fit["slope_upper_half"] is None else f"{fit['slope_upper_half']:.2f}"
            crossover = "—" if fit["crossover"] is None else f"{curve} ≈ {fit['crossover']:.3g}"
            if curve == "depth":
                crossover = "— (overhead and compute both grow with depth)"
            elif fit["crossover"] is None and fit["fixed_ms"] > 0:
                crossover = "outside the swept range"
            elif fit["fixed_ms"] <= 0:
                crossover = "none (no fixed cost fitted)"
            label = IMPLEMENTATION_LABELS[implementation]
            lines.append(f"| {curve} | {label} | {fit['slope']:.2f} | {upper} | "
                         f"{fit['fixed_ms']:.3g} | {fit['ms_per_gflop']:.3g} | {crossover} |")
    return "\n".join(lines)


def plot_curves(fits: dict[str, dict[str, dict | None]], path: Path) -> Path | None:
    """Log-log curves of step time, one panel per curve, the crossovers dashed; None without matplotlib."""
    try:
        import matplotlib
        import matplotlib.ticker
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    figure, axes = plt.subplots(1, len(fits), figsize=(5 * len(fits), 4.2))
    for axis, (curve, by_implementation) in zip(np.atleast_1d(axes), fits.items(), strict=True):
        for index, (implementation, fit) in enumerate(by_implementation.items()):
            if fit is None:
                continue
            color = f"C{index}"
            axis.loglog(fit["xs"], fit["ms"], "o-", color=color,
                        label=f"{IMPLEMENTATION_LABELS[implementation]} (slope {fit['slope']:.2f})")
            if fit["crossover"] is not None and curve != "depth":
                axis.axvline(fit["crossover"], color=color, linestyle="--", linewidth=0.8)
        points = sorted({x for fit in by_implementation.values() if fit for x in fit["xs"]})
        axis.set_xticks(points)
        axis.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.tick_params(axis="x", labelsize=7)
        axis.set_xlabel(curve)
        axis.set_ylabel("ms per step")
        axis.set_title(CURVE_TITLES[curve], fontsize=9)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.suptitle("step time, 1 thread, float32 (dashed: fixed cost = compute crossover)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def run_time_scaling(implementations, rounds: int, round_seconds: float, quick: bool) -> tuple[dict, dict]:
    """(cells by curve and point, fits by curve and implementation) of the three time curves."""
    timed = [i for i in SCALING_TIME_IMPLEMENTATIONS if i in implementations]
    results, fits = {}, {}
    for curve, specs in curve_specs(quick).items():
        results[curve] = {
            str(point): run_timed_workload(f"{curve} {point}", spec, timed, rounds, round_seconds)
            for point, spec in specs.items()
        }
        fits[curve] = {i: curve_fits(specs, results[curve], i) for i in timed}
    return results, fits


def run_memory_scaling(implementations) -> dict[str, dict[str, dict[str, Cell]]]:
    """Step memory of `depth` ReLU layers, with and without checkpoint, for each shape.

    The first step of each implementation is checked at the smallest depth; one that
    does not run or disagrees is not measured.
    """
    measured = [i for i in SCALING_MEMORY_IMPLEMENTATIONS if i in implementations]
    curves = {}
    for width, batch in SCALING_MEMORY_SHAPES:
        curve = f"width {width}, batch {batch}"
        check_problem = make_mlp_problem(deep_wide_spec(SCALING_MEMORY_DEPTHS[0], width, batch))
        runners, check_cells = build_checked_runners(f"memory vs depth, {curve}", check_problem, measured)
        curves[curve] = {}
        for depth in SCALING_MEMORY_DEPTHS:
            spec = deep_wide_spec(depth, width, batch)
            cells = run_memory_workload(f"depth {depth}", spec, list(runners))
            curves[curve][str(depth)] = {i: cells.get(i) or check_cells[i] for i in measured}
    return curves


def nn_over_torch_rows(cells: dict[str, dict[str, Cell]]) -> dict[str, str]:
    """'nn / torch' per point, where both ran."""
    out = {}
    for point, by_impl in cells.items():
        ours, theirs = by_impl.get("autograd_core nn"), by_impl.get("torch nn")
        if ours and theirs and ours.value and theirs.value:
            out[point] = f"{ours.value / theirs.value:.2f}"
    return out


def run_scaling(implementations, rounds: int, round_seconds: float, quick: bool = False,
                plot_path: Path | None = DEFAULT_PLOT, memory: bool = True) -> tuple[str, dict]:
    """All scaling curves, as markdown sections and as results for --json; the picture at plot_path."""
    time_curves, fits = run_time_scaling(implementations, rounds, round_seconds, quick)
    timed = [i for i in SCALING_TIME_IMPLEMENTATIONS if i in implementations]
    sections = []
    for curve, rows in time_curves.items():
        ratios = nn_over_torch_rows(rows)
        text = f"### {CURVE_TITLES[curve]}\n\n" + markdown_table(rows, timed, None, row_title=curve)
        if ratios:
            text += "\n\nautograd_core nn / torch nn: " + ", ".join(f"{p}: {r}" for p, r in ratios.items())
        sections.append(text)
    sections.append("### log-log slopes and the fixed-cost / compute crossover\n\n" + fits_table(fits))
    if plot_path is not None:
        written = plot_curves(fits, plot_path)
        sections.append(f"picture: {written}" if written else "picture: matplotlib is not installed")
    results = {f"time vs {curve}": rows for curve, rows in time_curves.items()}
    if memory:
        measured = [i for i in SCALING_MEMORY_IMPLEMENTATIONS if i in implementations]
        for curve, rows in run_memory_scaling(implementations).items():
            title = f"### step memory (MiB above steady state) vs depth, ReLU layers of {curve}"
            sections.append(title + "\n\n" + markdown_table(rows, measured, None, row_title="depth"))
            results[f"memory vs depth, {curve}"] = rows
    return "\n\n".join(sections), results, fits
