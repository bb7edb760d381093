"""The `autograd-core` command: `train` an MLP on a toy dataset, or print the `grad` of an expression.

Every failure is one line on stderr and a non-zero exit status (2 for usage errors, 1 for the rest),
never a traceback (set AUTOGRAD_CORE_DEBUG=1 to see one for an internal error).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, Sequence

import numpy as np

from .cli_sequences import SEQUENCE_DATASETS, SEQUENCE_MODELS, run_train_sequence  # seq12

PROG = "autograd-core"
DATASETS = ("spirals", "moons", "circles", "xor", "digits")
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU",
               "leaky_relu": "LeakyReLU"}
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop")
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.005}
METRICS_COLUMNS = ("epoch", "loss", "train_acc", "val_acc", "lr", "seconds")
MODEL_FORMATS = ("safetensors", "npz")
CONFIG_KEY = "autograd_core.config"
MAX_HESSIAN_ELEMENTS = 500
"""The most input elements `grad --hessian` accepts: the Hessian has n^2 entries and takes n backward
passes (n = 500: about 2 s and 3 MB of output; n = 2,400: 4.4 s, 223 MB and 52 MB of output)."""


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


class CommandError(Exception):
    """The command could not do its job with valid input (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a single line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------------------------------------
# Argument parsing
# ---------------------------------------------------------------------------------------------

def _hidden_sizes(text: str) -> tuple[int, ...]:
    """'64,64' -> (64, 64): comma-separated positive layer widths."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: expected comma-separated positive integers, e.g. 64,64")
    return tuple(int(part) for part in parts)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a positive integer")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a non-negative integer")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of `autograd-core` and its `train` and `grad` subcommands."""
    from autograd_core import __version__

    parser = _Parser(prog=PROG, description="Train a small network, or differentiate an expression, "
                                            "with the autograd_core engine.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{train,grad,sweep}", parser_class=_Parser)

    train = commands.add_parser(
        "train", help="train an MLP on a toy dataset and write the model, metrics and diagrams",
        description="Train an MLP (built from nn) on a toy dataset; writes model.safetensors (or model.npz "
                    "with --format npz), metrics.csv, diagnostics.csv, gradient_flow.png, graph.svg, "
                    "loss.png and (2-D data) decision_boundary.png to --out, and warns when gradients "
                    "vanish or explode. --init-from starts from a saved model (fine-tuning; tensors whose "
                    "shapes differ, e.g. a head for another number of classes, start fresh) and --freeze "
                    "keeps some of its layers fixed.")
    train.add_argument("--dataset", choices=DATASETS + SEQUENCE_DATASETS, default="spirals",
                       help="default: spirals (adding, sine, addition: with a sequence --model)")
    train.add_argument("--samples", type=_positive_int, default=600,
                       help="samples to generate for the 2-D datasets (default: 600)")
    train.add_argument("--hidden", type=_hidden_sizes, default=None, metavar="W1,W2,...",
                       help="hidden layer widths (default: 64,64, or those of the --init-from model)")
    train.add_argument("--activation", choices=tuple(ACTIVATIONS), default=None,
                       help="default: relu, or that of the --init-from model")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default: adam")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default: 0.01 for adam/adamw, 0.1 sgd, 0.05 momentum, "
                            "0.005 rmsprop)")
    train.add_argument("--epochs", type=_positive_int, default=100, help="default: 100")
    train.add_argument("--batch-size", type=_positive_int, default=32, help="default: 32")
    train.add_argument("--seed", type=_non_negative_int, default=0,
                       help="seeds data, split, init and shuffling (default: 0)")
    train.add_argument("--out", type=Path, default=None, help="output directory (default: runs/<timestamp>/)")
    train.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="default: float32")
    train.add_argument("--amp", choices=("float16", "bfloat16"), default=None,
                       help="mixed precision: forward under autocast to this dtype, float32 master "
                            "weights; float16 uses a GradScaler (reports skipped steps and the scale)")
    train.add_argument("--augment", action="store_true",
                       help="augment training batches: Gaussian noise, and random 1-pixel shifts for "
                            "digits (the 8x8 images)")
    train.add_argument("--export-onnx", action="store_true",
                       help="also write model.onnx (needs the onnx package: pip install onnx)")
    train.add_argument("--player", action="store_true",
                       help="also write backward.html: one training step's backward, step by step")
    _add_transfer_arguments(train)
    # seq12: sequence models (autograd_cli/cli_sequences.py)
    train.add_argument("--model", choices=("mlp",) + SEQUENCE_MODELS, default="mlp", help="default: mlp")
    train.add_argument("--steps", type=_positive_int, default=None, help="sequence models: training steps")
    train.add_argument("--seq-len", type=_positive_int, default=None, help="sequence models: sequence length")
    train.add_argument("--layers", type=_positive_int, default=1, help="sequence models: layers (default: 1)")
    train.add_argument("--clip", type=_positive_float, default=None,
                       help="sequence models: clip the gradient norm to this")

    grad = commands.add_parser(
        "grad", help="value, gradient (and Hessian) of an expression at a point",
        description="Differentiate EXPR, e.g. \"x*sin(y) + x**2\", at the point given by --at. Allowed: "
                    "numbers, variables, + - * / **, parentheses, pi, e and the functions "
                    "sin cos tan exp log log1p sqrt tanh sigmoid relu abs softplus gelu sum mean. "
                    "Array values (--at x=[1,2,3]) give elementwise values and the gradient of the sum "
                    "of the expression. An EXPR starting with '-' needs a leading space (' -x**2') or "
                    "must come last after '--': grad --at x=3 -- '-x**2'.")
    grad.add_argument("expression", metavar="EXPR", help="the expression, e.g. 'x*sin(y) + x**2'")
    grad.add_argument("--at", nargs="+", default=[], metavar="NAME=VALUE",
                      help="variable values: numbers, or lists of numbers like [1,2,3]")
    grad.add_argument("--graph", type=Path, default=None, metavar="FILE",
                      help="draw the computation graph to FILE (.svg, .png, .pdf or .dot)")
    grad.add_argument("--hessian", action="store_true",
                      help=f"also print the Hessian (at most {MAX_HESSIAN_ELEMENTS} input elements)")
    from . import sweep

    sweep.add_parser(commands, _Parser, _hidden_sizes, _positive_int)
    grad.add_argument("--explain", action="store_true",
                      help="spell out the chain rule: every path from each variable to f, with the "
                           "local derivatives and their products (scalar variables)")
    grad.add_argument("--player", type=Path, default=None, metavar="FILE.html",
                      help="write a page that plays backward step by step (no kernel or network needed)")
    return parser


def _add_transfer_arguments(train: argparse.ArgumentParser) -> None:
    """--format, --init-from and --freeze: the weight file written, and fine-tuning a saved model."""
    train.add_argument("--format", choices=MODEL_FORMATS, default="safetensors",
                       help="weight file format: model.safetensors (default; loads in PyTorch with "
                            "safetensors.torch.load_file) or model.npz")
    train.add_argument("--init-from", type=Path, default=None, metavar="FILE",
                       help="start from the weights in FILE (.safetensors or .npz written by train or "
                            "nn.save); its hidden sizes and activation are used unless given")
    train.add_argument("--freeze", type=_module_names, default=(), metavar="I,J,...",
                       help="modules of the Sequential to keep fixed, by index or name (e.g. 0,2: the first "
                            "two Linear layers of an MLP)")


def _module_names(text: str) -> tuple[str, ...]:
    """'0,2' -> ('0', '2'): comma-separated module indices or dotted names."""
    parts = tuple(part.strip() for part in text.split(","))
    if not all(parts):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected comma-separated module indices "
                                         "or names, e.g. 0,2")
    return parts


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "train":
            run_train(args)
        elif args.command == "sweep":
            from . import sweep

            return sweep.run_from_args(args, UsageError, _hidden_sizes)
        else:
            run_grad(args)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 (the promise is: no traceback)
        if os.environ.get("AUTOGRAD_CORE_DEBUG"):
            raise
        message = " ".join(str(exc).split())
        print(f"{PROG} {args.command}: internal error: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------------------------

@dataclass
class _Split:
    """Train and validation arrays of one dataset."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    class_count: int


def _load_dataset(name: str, samples: int, seed: int, dtype: str) -> _Split:
    from nn import datasets

    try:
        if name == "spirals":
            X, y = datasets.spirals(n_samples=samples, noise=0.2, seed=seed)
        elif name == "digits":
            X, y = datasets.digits()
        else:
            X, y = getattr(datasets, name)(n_samples=samples, noise=0.1, seed=seed)
    except ImportError as exc:
        raise CommandError(str(exc)) from None
    if len(X) < 5:
        raise UsageError(f"--samples {samples} is too few to split into train and validation sets")
    X_train, X_val, y_train, y_val = datasets.train_test_split(X, y, test_size=0.2, seed=seed)
    return _Split(X_train.astype(dtype), y_train, X_val.astype(dtype), y_val, int(y.max()) + 1)


def _build_model(input_size: int, hidden: tuple[int, ...], activation: str, class_count: int) -> Any:
    import nn

    layers: list = []
    width = input_size
    for size in hidden:
        layers += [nn.Linear(width, size), getattr(nn, ACTIVATIONS[activation])()]
        width = size
    layers.append(nn.Linear(width, class_count))
    return nn.Sequential(*layers)


def _make_optimizer(name: str, parameters: list, lr: float) -> Any:
    import optim

    if name == "sgd":
        return optim.SGD(parameters, lr=lr)
    if name == "momentum":
        return optim.SGD(parameters, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(parameters, lr=lr)
    if name == "adamw":
        return optim.AdamW(parameters, lr=lr)
    return optim.RMSprop(parameters, lr=lr)


def _accuracy(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    import autograd_core as ag

    with ag.no_grad():
        logits = model(ag.tensor(X, dtype=X.dtype))
    return float(np.mean(np.argmax(logits.data, axis=1) == y))


def _loss(model: Any, X: np.ndarray, y: np.ndarray) -> Any:
    import autograd_core as ag
    from nn import functional

    return functional.cross_entropy(model(ag.tensor(X, dtype=X.dtype)), ag.tensor(y))


def _output_directory(out: Path | None) -> Path:
    if out is not None:
        directory = out
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        directory = Path("runs") / stamp
        suffix = 1
        while directory.exists():
            directory = Path("runs") / f"{stamp}-{suffix}"
            suffix += 1
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create output directory {str(directory)!r}: {exc.strerror}") from None
    return directory


def run_train(args: argparse.Namespace) -> None:
    """Trains the MLP described by `args`, prints a summary and writes the run's files."""
    import autograd_core as ag

    try:
        import nn
        import optim  # noqa: F401 (checked here so a missing package is one clear error)
    except ImportError as exc:
        raise CommandError(f"training needs the nn and optim packages of autograd-core: {exc}") from None
    if getattr(args, "model", "mlp") != "mlp":  # seq12: sequence models
        return run_train_sequence(args)
    if args.dataset in SEQUENCE_DATASETS:
        raise UsageError(f"--dataset {args.dataset} needs a sequence --model ({', '.join(SEQUENCE_MODELS)})")
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    initial_state = _read_initial_state(args)
    previous_dtype = ag.get_default_dtype()
    ag.set_default_dtype(args.dtype)
    try:
        np.random.seed(args.seed % 2**32)
        if hasattr(nn, "init") and hasattr(nn.init, "manual_seed"):
            nn.init.manual_seed(args.seed)
        split = _load_dataset(args.dataset, args.samples, args.seed, args.dtype)
        model = _build_model(split.X_train.shape[1], args.hidden, args.activation, split.class_count)
        notes = _initialize_from(model, initial_state, args.init_from) if initial_state is not None else []
        notes += _freeze(model, args.freeze)
        trainable = [p for p in model.parameters() if p.requires_grad]
        if not trainable:
            raise UsageError(f"--freeze {','.join(args.freeze)} leaves no parameter to train")
        optimizer = _make_optimizer(args.optimizer, trainable, lr)
        directory = _output_directory(args.out)
        monitor = nn.TrainingMonitor(model, every=_monitor_interval(split, args))
        history = _fit(model, optimizer, split, args, monitor)
        written = _write_outputs(directory, model, split, history, args)
        written += _write_diagnostics(directory, monitor)
        if args.player:
            written.append(_write_training_player(directory, model, split, args))
        if args.export_onnx:
            written.append(_export_onnx(directory, model, split))
    finally:
        ag.set_default_dtype(previous_dtype)
    for note in notes:
        print(note)
    _print_summary(model, split, history, args, lr, directory, written)
    if monitor.warnings:
        print(f"{PROG} train: warning: {monitor.warnings[0]} (see gradient_flow.png)", file=sys.stderr)


def _read_initial_state(args: argparse.Namespace) -> dict | None:
    """The --init-from state dict (None without it); fills args.hidden/activation from the file's
    saved config, or from the defaults, where they were not given."""
    import nn

    config: dict = {}
    state = None
    if args.init_from is not None:
        try:
            state = nn.load(args.init_from)
            metadata = nn.load_metadata(args.init_from)
        except (OSError, nn.SerializationError) as exc:
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(f"cannot read --init-from {str(args.init_from)!r}: {message}") from None
        try:
            config = json.loads(metadata.get(CONFIG_KEY, "{}"))
        except ValueError:
            config = {}
        config = config if isinstance(config, dict) else {}
    if args.hidden is None:
        saved = config.get("hidden")
        valid = isinstance(saved, list) and saved and all(isinstance(w, int) and w > 0 for w in saved)
        args.hidden = tuple(saved) if valid else (64, 64)
    if args.activation is None:
        args.activation = config.get("activation") if config.get("activation") in ACTIVATIONS else "relu"
    return state


def _initialize_from(model: Any, state: dict, path: Path) -> list[str]:
    """Loads every tensor of `state` whose name and shape fit `model` (strict=False); the others (e.g. a
    head for another number of classes) keep their fresh initialization. Returns a note to print."""
    own = model.state_dict()
    fitting = {key: value for key, value in state.items() if key in own and value.shape == own[key].shape}
    if not fitting:
        raise UsageError(f"--init-from {str(path)!r}: none of its {len(state)} tensors fits this model "
                         f"(its names: {', '.join(list(state)[:4])}...; pass the --hidden of the saved "
                         "model)")
    missing, _ = model.load_state_dict(fitting, strict=False)
    note = f"init-from {path.name}: loaded {len(fitting)} of {len(own)} tensors"
    if missing:
        note += f"; started fresh: {', '.join(missing)}"
    return [note]


def _freeze(model: Any, names: Sequence[str]) -> list[str]:
    """requires_grad_(False) on each named module (an index or dotted name in the Sequential)."""
    frozen = []
    for name in names:
        try:
            module = model.get_submodule(name)
        except AttributeError:
            children = ", ".join(f"{key} ({type(child).__name__})" for key, child in model.named_children())
            raise UsageError(f"--freeze: the model has no module {name!r} (its modules: {children})"
                             ) from None
        if not any(True for _ in module.parameters()):
            raise UsageError(f"--freeze: module {name!r} ({type(module).__name__}) has no parameters to "
                             "freeze")
        module.requires_grad_(False)
        frozen.append(f"{name} ({type(module).__name__})")
    return [f"frozen: {', '.join(frozen)}"] if frozen else []


#: How many training steps the diagnostics record at most (evenly spread over the run).
MONITORED_STEPS = 200


def _monitor_interval(split: _Split, args: argparse.Namespace) -> int:
    steps = args.epochs * math.ceil(len(split.y_train) / args.batch_size)
    return max(1, steps // MONITORED_STEPS)


def _write_diagnostics(directory: Path, monitor: Any) -> list[str]:
    """diagnostics.csv (gradient norms, update ratios, activation statistics per layer and
    recorded step) and gradient_flow.png."""
    import warnings

    monitor.remove()
    monitor.to_csv(directory / "diagnostics.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monitor.plot(directory / "gradient_flow.png")
    return ["diagnostics.csv", "gradient_flow.png"]


def _fit(model: Any, optimizer: Any, split: _Split, args: argparse.Namespace,
         monitor: Any = None) -> list[dict]:
    """The training loop with a tqdm bar; returns one metrics row per epoch. A TrainingMonitor,
    when given, records every step (its warnings are kept, not printed, until the summary)."""
    import warnings

    from tqdm import tqdm

    from nn.data import DataLoader

    import autograd_core as ag

    loader = DataLoader(split.X_train, split.y_train, batch_size=args.batch_size, shuffle=True,
                        generator=args.seed, transform=_augmentation(args) if args.augment else None)
    amp_dtype = getattr(args, "amp", None)
    autocast = ag.autocast(dtype=amp_dtype or ag.float16, enabled=amp_dtype is not None)
    scaler = ag.amp.GradScaler(enabled=amp_dtype == "float16")
    args.amp_report = {"skipped": 0, "steps": 0, "scale": scaler.get_scale()}
    history: list[dict] = []
    start = time.perf_counter()
    progress = tqdm(range(1, args.epochs + 1), desc=f"train {args.dataset}", unit="epoch",
                    file=sys.stderr, dynamic_ncols=True, mininterval=0.1 if sys.stderr.isatty() else 2.0)
    for epoch in progress:
        model.train()
        total_loss = 0.0
        for X_batch, y_batch in loader:
            with autocast:
                loss = _loss(model, X_batch, y_batch)
            optimizer.zero_grad()
            scale = scaler.get_scale()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            args.amp_report["steps"] += 1
            args.amp_report["skipped"] += scaler.get_scale() < scale  # an overflow backed it off
            args.amp_report["scale"] = scaler.get_scale()
            if monitor is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    monitor.step()
            total_loss += float(loss.item()) * len(y_batch)
        epoch_loss = total_loss / len(split.y_train)
        if not math.isfinite(epoch_loss):
            progress.close()
            raise CommandError(f"the loss became {epoch_loss} at epoch {epoch}: lower --lr "
                               f"(now {optimizer.param_groups[0]['lr']:g})")
        model.eval()
        row = {"epoch": epoch, "loss": epoch_loss,
               "train_acc": _accuracy(model, split.X_train, split.y_train),
               "val_acc": _accuracy(model, split.X_val, split.y_val),
               "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - start}
        history.append(row)
        progress.set_postfix(loss=f"{epoch_loss:.4f}", acc=f"{row['train_acc']:.3f}",
                             val_acc=f"{row['val_acc']:.3f}", refresh=False)
    progress.close()
    return history


def _augmentation(args: argparse.Namespace) -> Any:
    """What --augment applies to each training batch."""
    from nn.data import Compose, GaussianNoise, RandomShift

    if args.dataset == "digits":
        return Compose([RandomShift(1, image_shape=(8, 8)), GaussianNoise(0.05)])
    return GaussianNoise(0.05)


def _write_metrics(path: Path, history: list[dict]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(METRICS_COLUMNS)
        for row in history:
            writer.writerow([row["epoch"], f"{row['loss']:.6f}", f"{row['train_acc']:.4f}",
                             f"{row['val_acc']:.4f}", f"{row['lr']:g}", f"{row['seconds']:.3f}"])


def _write_outputs(directory: Path, model: Any, split: _Split, history: list[dict],
                   args: argparse.Namespace) -> list[str]:
    """The model file, metrics.csv, the step diagram and the optional plots; returns the file names."""
    model_file = _save_model(directory, model, split, args)
    _write_metrics(directory / "metrics.csv", history)
    written = [model_file, "metrics.csv", _draw_training_step(directory, model, split, args)]
    written += _plot(directory, model, split, history)
    return written


def _save_model(directory: Path, model: Any, split: _Split, args: argparse.Namespace) -> str:
    """model.safetensors (with the MLP's config in its metadata, for --init-from) or model.npz."""
    import nn

    if args.format == "npz":
        nn.save(model, directory / "model.npz")
        return "model.npz"
    config = {"model": "MLP", "input_size": int(split.X_train.shape[1]), "hidden": list(args.hidden),
              "activation": args.activation, "classes": split.class_count, "dataset": args.dataset,
              "dtype": args.dtype}
    nn.save(model, directory / "model.safetensors", metadata={CONFIG_KEY: json.dumps(config)})
    return "model.safetensors"


def _draw_training_step(directory: Path, model: Any, split: _Split, args: argparse.Namespace) -> str:
    """graph.svg: the graph of one training step on a batch, colored by gradient norm (graph.dot
    when Graphviz is not installed)."""
    from autograd_core import viz

    batch = slice(0, args.batch_size)
    model.train()
    loss = _loss(model, split.X_train[batch], split.y_train[batch])
    title = f"one training step (batch of {len(split.y_train[batch])}); color = |grad| of each tensor"
    path = viz.save_graph(directory / "graph.svg", loss, params=model, color_by="grad_norm", title=title,
                          fallback_dot=True)
    if path.suffix == ".dot":
        print(f"{PROG} train: note: Graphviz's dot program is not installed, wrote {path.name} instead of "
              f"graph.svg ({viz.INSTALL_HINT})", file=sys.stderr)
    return path.name


def _export_onnx(directory: Path, model: Any, split: _Split) -> str:
    """model.onnx with a dynamic batch axis (input "x", output "logits")."""
    import autograd_core as ag

    path = directory / "model.onnx"
    try:
        ag.onnx.export(model, (ag.tensor(split.X_val[:2]),), path, input_names=["x"],
                       output_names=["logits"], dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    except ag.UnsupportedError as exc:
        raise CommandError(str(exc)) from None
    return path.name


def _write_training_player(directory: Path, model: Any, split: _Split, args: argparse.Namespace) -> str:
    """backward.html: the backward pass of one training step on a small batch, op by op."""
    from autograd_core import viz

    batch = slice(0, min(args.batch_size, 8))
    model.train()
    loss = _loss(model, split.X_train[batch], split.y_train[batch])
    path = directory / "backward.html"
    _write_page(path, lambda: viz.backward_player(loss, path, params=model, group_modules=False,
                                                 title="one training step's backward"))
    return path.name


def _plot(directory: Path, model: Any, split: _Split, history: list[dict]) -> list[str]:
    """loss.png and, for 2-D data, decision_boundary.png, when matplotlib is installed."""
    try:
        import matplotlib
    except ImportError:
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axes.plot(epochs, [row["loss"] for row in history])
    loss_axes.set(xlabel="epoch", ylabel="training loss", yscale="log", title="loss")
    accuracy_axes.plot(epochs, [row["train_acc"] for row in history], label="train")
    accuracy_axes.plot(epochs, [row["val_acc"] for row in history], label="validation")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02), title="accuracy")
    accuracy_axes.legend()
    figure.tight_layout()
    figure.savefig(directory / "loss.png", dpi=100)
    plt.close(figure)
    written = ["loss.png"]
    if split.X_train.shape[1] == 2:
        _plot_decision_boundary(directory / "decision_boundary.png", model, split, plt)
        written.append("decision_boundary.png")
    return written


def _plot_decision_boundary(path: Path, model: Any, split: _Split, plt: Any) -> None:
    X = np.concatenate([split.X_train, split.X_val])
    low, high = X.min(axis=0) - 0.3, X.max(axis=0) + 0.3
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], 250), np.linspace(low[1], high[1], 250))
    grid = np.column_stack([xs.ravel(), ys.ravel()]).astype(split.X_train.dtype)
    import autograd_core as ag

    with ag.no_grad():
        predicted = np.argmax(model(ag.tensor(grid, dtype=grid.dtype)).data, axis=1).reshape(xs.shape)
    from matplotlib.colors import ListedColormap

    colors = ListedColormap(plt.get_cmap("tab10").colors[:split.class_count])
    figure, axes = plt.subplots(figsize=(6, 6))
    levels = np.arange(split.class_count + 1) - 0.5
    axes.contourf(xs, ys, predicted, levels=levels, cmap=colors, alpha=0.25)
    axes.scatter(split.X_train[:, 0], split.X_train[:, 1], c=split.y_train, cmap=colors, s=12,
                 vmin=-0.5, vmax=split.class_count - 0.5, edgecolors="k", linewidths=0.3, label="train")
    axes.scatter(split.X_val[:, 0], split.X_val[:, 1], c=split.y_val, cmap=colors, s=22, marker="^",
                 vmin=-0.5, vmax=split.class_count - 0.5, edgecolors="k", linewidths=0.3,
                 label="validation")
    axes.set(title="decision boundary", xlabel="x0", ylabel="x1")
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _print_summary(model: Any, split: _Split, history: list[dict], args: argparse.Namespace, lr: float,
                   directory: Path, written: list[str]) -> None:
    last = history[-1]
    parameter_count = sum(int(p.data.size) for p in model.parameters())
    trainable_count = sum(int(p.data.size) for p in model.parameters() if p.requires_grad)
    trainable = f" ({trainable_count:,} trainable)" if trainable_count != parameter_count else ""
    sizes = "-".join(str(n) for n in (split.X_train.shape[1], *args.hidden, split.class_count))
    print(f"trained MLP {sizes} ({args.activation}, {args.optimizer} lr={lr:g}, {args.dtype}) on "
          f"{args.dataset}: {len(split.y_train)} train / {len(split.y_val)} validation samples")
    print(f"epochs {len(history)}, time {last['seconds']:.1f} s, parameters {parameter_count:,}{trainable}")
    print(f"final loss {last['loss']:.4f}, train accuracy {last['train_acc']:.1%}, "
          f"validation accuracy {last['val_acc']:.1%}")
    report = getattr(args, "amp_report", None)
    if getattr(args, "amp", None) and report:
        scaling = (f"; GradScaler: {report['skipped']} of {report['steps']} steps skipped "
                   f"(gradients overflowed), final scale {report['scale']:g}"
                   if args.amp == "float16" else " (no loss scaling needed: bfloat16 has float32's range)")
        print(f"mixed precision: autocast to {args.amp}, float32 master weights{scaling}")
    print(f"wrote {directory}{os.sep}: {', '.join(written)}")


# ---------------------------------------------------------------------------------------------
# grad
# ---------------------------------------------------------------------------------------------

def _format_values(value: Any) -> str:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return f"{array.item():.10g}"
    return np.array2string(array, separator=", ", formatter={"float_kind": lambda v: f"{v:.10g}"},
                           max_line_width=100)


def _non_finite_kind(array: np.ndarray) -> str | None:
    if np.isfinite(array).all():
        return None
    return "nan" if np.isnan(array).any() else "inf"


def run_grad(args: argparse.Namespace) -> None:
    """Prints the value, gradient and optional Hessian of args.expression at args.at."""
    import autograd_core as ag

    from . import expr

    try:
        expression = expr.parse_expression(args.expression)
        values = expr.parse_assignments(args.at)
    except expr.ExpressionError as exc:
        raise UsageError(str(exc)) from None
    missing = [name for name in expression.variables if name not in values]
    if missing:
        raise UsageError(f"variable {missing[0]!r} has no value: pass --at {missing[0]}=VALUE")
    unused = [name for name in values if name not in expression.variables]
    if unused:
        raise UsageError(f"variable {unused[0]!r} does not appear in the expression")
    _check_hessian_size(values, args.hessian)
    names = list(values)
    point = ", ".join(f"{name}={_format_values(values[name])}" for name in names)

    leaves = {}
    for name in names:
        leaves[name] = ag.tensor(values[name], dtype="float64", requires_grad=True)
        leaves[name].name = name
    with np.errstate(all="ignore"):
        try:
            value = expression.evaluate(leaves)
        except ag.AutogradError as exc:
            raise UsageError(f"cannot evaluate at {point}: {exc}") from None
        kind = _non_finite_kind(value.data)
        if kind:
            raise CommandError(f"the value is {kind} at {point} (division by zero, log of 0 or a negative "
                               "number, or overflow?)")
        scalar = value.size == 1
        total = value if scalar else value.sum()
        if total.requires_grad:
            total.backward(retain_graph=True)
        grads = {}
        for name in names:
            grad = leaves[name].grad
            grads[name] = np.zeros_like(values[name]) if grad is None else np.asarray(grad.data)
            kind = _non_finite_kind(grads[name])
            if kind:
                raise CommandError(f"the gradient with respect to {name} is {kind} at {point} "
                                   "(the expression is not differentiable there)")
        hessian = _hessian(expression, names, values, point) if args.hessian else None

    print(f"f = {expression.text}")
    if point:
        print(f"at {point}")
    if scalar:
        print(f"f = {_format_values(value.data.reshape(()))}")
        prefix = "df"
    else:
        print(f"f (elementwise) = {_format_values(value.data)}")
        print("f is not a scalar: the gradient and Hessian are those of sum(f)")
        prefix = "d(sum f)"
    for name in names:
        print(f"{prefix}/d{name} = {_format_values(grads[name])}")
    if hessian is not None:
        _print_hessian(hessian, names, values)
    if args.explain and total.requires_grad:
        _print_explanations(total, leaves)
    if args.player is not None and total.requires_grad:
        from autograd_core import viz

        _write_page(args.player, lambda: viz.backward_player(total, args.player, title=f"backward of "
                                                              f"{expression.text}"))
        print(f"player: {args.player}")
    if args.graph is not None:
        _draw_expression(args.graph, total, leaves)


def _print_explanations(total: Any, leaves: dict) -> None:
    """The chain rule per variable (element 0 of array variables is not chosen for you: scalars only)."""
    import autograd_core as ag

    for name, leaf in leaves.items():
        if leaf.size != 1:
            print(f"explain: {name} is not a scalar; use ag.explain(f, {name}, index=...) in Python")
            continue
        print(ag.explain(total, leaf, names={"f": total, **leaves}))


def _write_page(path: Path, write: Any) -> None:
    from autograd_core import viz

    try:
        write()
    except (viz.GraphvizNotFoundError, viz.GraphvizRenderError) as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot write {str(path)!r}: {exc.strerror}") from None


def _check_hessian_size(values: dict[str, np.ndarray], hessian: bool) -> None:
    """Refuse --hessian beyond MAX_HESSIAN_ELEMENTS input elements, before computing anything."""
    count = sum(int(value.size) for value in values.values())
    if hessian and count > MAX_HESSIAN_ELEMENTS:
        raise UsageError(f"--hessian with {count:,} input elements would compute a {count:,} x {count:,} "
                         f"matrix; at most {MAX_HESSIAN_ELEMENTS} elements are allowed (the Hessian grows "
                         "quadratically)")


def _hessian(expression: Any, names: list[str], values: dict[str, np.ndarray], point: str) -> np.ndarray:
    """The Hessian of sum(f) with respect to all variables' elements, flattened in argument order."""
    import autograd_core as ag

    sizes = [values[name].size for name in names]
    offsets = np.cumsum([0, *sizes])
    flat = np.concatenate([values[name].ravel() for name in names]).astype(np.float64)

    def summed(vector: Any) -> Any:
        variables = {name: ag.reshape(vector[int(offsets[i]):int(offsets[i + 1])], values[name].shape)
                     for i, name in enumerate(names)}
        return expression.evaluate(variables).sum()

    matrix = np.asarray(ag.hessian(summed)(flat).data, dtype=np.float64)
    kind = _non_finite_kind(matrix)
    if kind:
        raise CommandError(f"the Hessian is {kind} at {point} (the expression is not twice "
                           "differentiable there)")
    return matrix


def _print_hessian(matrix: np.ndarray, names: list[str], values: dict[str, np.ndarray]) -> None:
    labels = []
    for name in names:
        if values[name].ndim == 0:
            labels.append(name)
        else:
            labels += [f"{name}[{','.join(map(str, index))}]" for index in np.ndindex(*values[name].shape)]
    cells = [[f"{v:.10g}" for v in row] for row in matrix]
    width = max(len(text) for text in labels + [c for row in cells for c in row])
    print("hessian:")
    print(" " * (width + 2) + "".join("  " + label.rjust(width) for label in labels))
    for label, row in zip(labels, cells):
        print(f"  {label.rjust(width)}" + "".join("  " + c.rjust(width) for c in row))


def _draw_expression(path: Path, total: Any, leaves: dict) -> None:
    from autograd_core import viz

    try:
        written = viz.save_graph(path, total, fallback_dot=True)
    except viz.GraphvizRenderError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    if written != path:
        print(f"{PROG} grad: note: Graphviz's dot program is not installed, wrote {written} instead "
              f"({viz.INSTALL_HINT})", file=sys.stderr)
    print(f"graph: {written}")
