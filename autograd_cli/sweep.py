"""Hyperparameter search over `autograd-core train` (the notes' "automated tuning, e.g. grid
search"): every combination of the swept options (or `trials` random ones) is trained in a worker
process; results are ranked by validation accuracy.

    autograd-core sweep --lr 0.001,0.01,0.1 --hidden 32,32:64,64 --optimizer adam,sgd --jobs 2

Python: `grid_search({"lr": [0.01, 0.1], "hidden": ["32,32", "64"]}, fixed={"epochs": 20})`.
Writes results.csv (ranked, rewritten as each trial finishes, so an interrupted sweep keeps the
finished trials), sweep.png (a heat map of validation accuracy over two swept options) and the
best trial's files under best/.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import multiprocessing
import os
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

#: The train options a sweep can vary, with the separator between alternative values (widths of
#: one hidden configuration are separated by commas, so configurations are separated by colons).
SWEEPABLE = {"lr": ",", "hidden": ":", "optimizer": ",", "activation": ",", "batch_size": ",",
             "epochs": ",", "seed": ","}
#: Train options a sweep passes unchanged to every trial.
FIXED = ("dataset", "samples", "epochs", "batch_size", "dtype", "seed", "augment")
RESULT_COLUMNS = ("rank", "trial", "val_acc", "train_acc", "loss", "seconds", "status")
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class SweepResult:
    """The finished trials, best first, and whether the sweep ran to the end."""

    trials: list[dict]
    planned: int
    interrupted: bool = False
    directory: Path | None = None
    swept: list[str] = field(default_factory=list)

    @property
    def best(self) -> dict | None:
        finished = [t for t in self.trials if t["status"] == "ok"]
        return finished[0] if finished else None


def trial_settings(options: dict[str, Sequence[Any]], search: str = "grid", trials: int | None = None,
                   seed: int = 0) -> list[dict]:
    """The option combinations to train: the whole grid, or `trials` distinct random picks."""
    from autograd_core.errors import InvalidArgumentError

    for name, values in options.items():
        if name not in SWEEPABLE:
            raise InvalidArgumentError(f"sweep: {name!r} cannot be swept (choose from "
                                       f"{', '.join(SWEEPABLE)})")
        if len(values) == 0:
            raise InvalidArgumentError(f"sweep: no values given for {name!r}")
    names = list(options)
    grid = [dict(zip(names, combo)) for combo in itertools.product(*(options[n] for n in names))]
    if search == "grid":
        return grid
    if search != "random":
        raise InvalidArgumentError(f"sweep: search must be 'grid' or 'random', got {search!r}")
    if trials is None or trials < 1:
        raise InvalidArgumentError("sweep: random search needs trials >= 1")
    rng = np.random.default_rng(seed)
    if trials <= len(grid):
        return [grid[i] for i in sorted(rng.choice(len(grid), size=trials, replace=False))]
    return [grid[i] for i in rng.integers(len(grid), size=trials)]


def _train_argv(setting: dict, fixed: dict) -> list[str]:
    argv = ["train"]
    for name, value in {**fixed, **setting}.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool and keeps what finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_trial(task: tuple[int, list[str], str]) -> dict:
    """One trial in a worker: `autograd-core train ... --out DIR`, its output in DIR/train.log;
    returns the final metrics row (or the failure)."""
    index, argv, directory = task
    from . import cli

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "train.log").open("w") as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        status = cli.main(argv + ["--out", str(out)])
    result = {"trial": index, "status": "ok" if status == 0 else f"failed ({status})",
              "val_acc": float("nan"), "train_acc": float("nan"), "loss": float("nan"),
              "seconds": float("nan"), "out": str(out)}
    metrics = out / "metrics.csv"
    if status == 0 and metrics.exists():
        rows = list(csv.DictReader(metrics.open()))
        if rows:
            last = rows[-1]
            result.update({k: float(last[k]) for k in ("val_acc", "train_acc", "loss", "seconds")})
    return result


def _ranked(trials: Iterable[dict]) -> list[dict]:
    def key(t: dict) -> tuple:
        ok = t["status"] == "ok" and np.isfinite(t["val_acc"])
        return (not ok, -t["val_acc"] if ok else 0.0, -t["train_acc"] if ok else 0.0, t["trial"])

    return sorted(trials, key=key)


def write_results(path: Path, trials: list[dict], swept: list[str]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(("rank", "trial", *swept, *RESULT_COLUMNS[2:], "out"))
        for rank, t in enumerate(_ranked(trials), 1):
            writer.writerow([rank, t["trial"], *(t["setting"][n] for n in swept),
                             *(f"{t[k]:.4f}" if isinstance(t[k], float) else t[k]
                               for k in RESULT_COLUMNS[2:]), t["out"]])


def grid_search(options: dict[str, Sequence[Any]], fixed: dict | None = None,
                out: str | Path = "sweep", jobs: int | None = None, search: str = "grid",
                trials: int | None = None, seed: int = 0, heatmap: Sequence[str] | None = None,
                progress: bool = True) -> SweepResult:
    """Trains every setting (see `trial_settings`) in `jobs` worker processes (default: the
    number of cores), writes results.csv, sweep.png and best/ under `out`, and returns the
    ranked results. Ctrl-C stops the workers; finished trials are kept and written."""
    from tqdm import tqdm

    from autograd_core.errors import InvalidArgumentError

    settings = trial_settings(options, search, trials, seed)
    swept = list(options)
    fixed = dict(fixed or {})
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise InvalidArgumentError(f"sweep: jobs must be >= 1, got {jobs}")
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    tasks = [(i, _train_argv(s, fixed), str(directory / f"trial_{i:03d}")) for i, s in enumerate(settings)]
    finished: list[dict] = []
    result = SweepResult(finished, len(tasks), directory=directory, swept=swept)
    saved_env = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    for name in _THREAD_VARIABLES:  # one BLAS thread per worker: jobs workers share the cores
        os.environ.setdefault(name, "1")
    bar = tqdm(total=len(tasks), desc="sweep", unit="trial", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    pool = multiprocessing.get_context("spawn").Pool(min(jobs, len(tasks)), _ignore_interrupts)
    try:
        for trial in pool.imap_unordered(run_trial, tasks):
            trial["setting"] = settings[trial["trial"]]
            finished.append(trial)
            write_results(directory / "results.csv", finished, swept)
            best = _ranked(finished)[0]
            bar.update(1)
            bar.set_postfix(best_val_acc=f"{best['val_acc']:.3f}", refresh=False)
        pool.close()
    except KeyboardInterrupt:
        result.interrupted = True
        pool.terminate()
    finally:
        pool.join()
        bar.close()
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    result.trials = _ranked(finished)
    write_results(directory / "results.csv", finished, swept)
    if result.best is not None:
        best_dir = directory / "best"
        shutil.rmtree(best_dir, ignore_errors=True)
        shutil.copytree(result.best["out"], best_dir)
        axes = list(heatmap) if heatmap else [n for n in swept if len(set(map(str, options[n]))) > 1][:2]
        if len(axes) == 2:
            plot_heatmap(directory / "sweep.png", result.trials, axes[0], axes[1])
    return result


def plot_heatmap(path: Path, trials: list[dict], row: str, column: str) -> Path:
    """Validation accuracy over two swept options (the best trial of each cell, over the others)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted({str(t["setting"][row]) for t in trials}, key=_natural)
    cols = sorted({str(t["setting"][column]) for t in trials}, key=_natural)
    grid = np.full((len(rows), len(cols)), np.nan)
    for t in trials:
        if t["status"] != "ok":
            continue
        i, j = rows.index(str(t["setting"][row])), cols.index(str(t["setting"][column]))
        grid[i, j] = np.nanmax([grid[i, j], t["val_acc"]])
    figure, axes = plt.subplots(figsize=(1.4 * len(cols) + 2.5, 0.9 * len(rows) + 2))
    image = axes.imshow(grid, cmap="viridis", vmin=np.nanmin(grid) if np.isfinite(grid).any() else 0,
                        vmax=1.0)
    axes.set(xticks=range(len(cols)), xticklabels=cols, yticks=range(len(rows)), yticklabels=rows,
             xlabel=column, ylabel=row, title="validation accuracy")
    for i in range(len(rows)):
        for j in range(len(cols)):
            if np.isfinite(grid[i, j]):
                axes.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center",
                          color="white" if grid[i, j] < np.nanmean(grid) else "black")
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _natural(text: str) -> tuple:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


# ---- command line -------------------------------------------------------------------------------

def add_parser(commands: Any, parser_class: Any, hidden_sizes: Any, positive_int: Any) -> Any:
    """The `sweep` subcommand's parser (registered by the CLI)."""
    sweep = commands.add_parser(
        "sweep", help="grid or random search over train's options, trials in parallel",
        description="Train every combination of the swept options (comma-separated values; hidden "
                    "configurations separated by ':'), in --jobs worker processes; writes "
                    "results.csv ranked by validation accuracy, sweep.png and best/ to --out.")
    sweep.add_argument("--lr", default=None, help="e.g. 0.001,0.01,0.1")
    sweep.add_argument("--hidden", default=None, help="e.g. 32,32:64,64 (two configurations)")
    sweep.add_argument("--optimizer", default=None, help="e.g. adam,sgd")
    sweep.add_argument("--activation", default=None, help="e.g. relu,tanh")
    sweep.add_argument("--batch-size", dest="batch_size", default=None, help="e.g. 16,32")
    sweep.add_argument("--epochs", default=None, help="one value, or several to sweep (default: 30)")
    sweep.add_argument("--seed", default=None, help="one value, or several to sweep (default: 0)")
    sweep.add_argument("--dataset", default="spirals", help="default: spirals")
    sweep.add_argument("--samples", type=positive_int, default=600, help="default: 600")
    sweep.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    sweep.add_argument("--augment", action="store_true")
    sweep.add_argument("--search", choices=("grid", "random"), default="grid", help="default: grid")
    sweep.add_argument("--trials", type=positive_int, default=None, help="random search: how many")
    sweep.add_argument("--jobs", type=positive_int, default=None,
                       help="worker processes (default: the number of cores)")
    sweep.add_argument("--heatmap", default=None, metavar="A,B",
                       help="the two options of sweep.png (default: the first two swept)")
    sweep.add_argument("--out", type=Path, default=Path("sweep"), help="default: ./sweep")
    return sweep


def run_from_args(args: Any, usage_error: type, hidden_sizes: Any) -> int:
    """`autograd-core sweep`: parses the value lists, runs the search, prints the ranking."""
    options: dict[str, list] = {}
    for name, separator in SWEEPABLE.items():
        text = getattr(args, name, None)
        if text is None:
            continue
        values = [v.strip() for v in str(text).split(separator) if v.strip()]
        if not values:
            raise usage_error(f"--{name.replace('_', '-')}: no values in {text!r}")
        if name == "hidden":
            for v in values:
                try:
                    hidden_sizes(v)
                except (ValueError, TypeError, argparse.ArgumentTypeError) as exc:
                    raise usage_error(f"--hidden: {exc}") from None
        options[name] = values
    fixed = {"dataset": args.dataset, "samples": args.samples, "dtype": args.dtype,
             "augment": args.augment}
    for name in ("epochs", "seed"):
        if name in options and len(options[name]) == 1:
            fixed[name] = options.pop(name)[0]
    fixed.setdefault("epochs", 30)
    if not options:
        raise usage_error("nothing to sweep: give at least one option with values, e.g. --lr 0.01,0.1")
    if args.search == "random" and args.trials is None:
        raise usage_error("--search random needs --trials N")
    heatmap = args.heatmap.split(",") if args.heatmap else None
    if heatmap and (len(heatmap) != 2 or any(h not in options for h in heatmap)):
        raise usage_error(f"--heatmap needs two swept options, got {args.heatmap!r}")
    result = grid_search(options, fixed, out=args.out, jobs=args.jobs, search=args.search,
                         trials=args.trials, seed=int(fixed.get("seed", 0)), heatmap=heatmap)
    done = len(result.trials)
    print(f"sweep: {done} of {result.planned} trials finished"
          + (" (interrupted: finished trials kept)" if result.interrupted else ""))
    for rank, t in enumerate(result.trials[:5], 1):
        described = ", ".join(f"{n}={t['setting'][n]}" for n in result.swept)
        print(f"  {rank}. {described}: validation accuracy {t['val_acc']:.1%} ({t['status']})")
    written = ["results.csv"] + (["sweep.png"] if (args.out / "sweep.png").exists() else []) + \
        (["best/"] if result.best is not None else [])
    print(f"wrote {args.out}{os.sep}: {', '.join(written)}")
    return 130 if result.interrupted else 0
