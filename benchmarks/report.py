"""Reporting: table cells, the markdown tables (the main one and issue 16's), the environment
header, and the --json form of the results."""

import datetime
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from common import NotInstalled, Unavailable, load_autograd_core, load_torch
from implementations import FLOOR, IMPLEMENTATION_LABELS
from pinning import REMOVED_OVERRIDES_MARKER

NOISY_SPREAD = 0.1
NOISY_NOTE = "noisy: round medians differ by more than 10% (a busy machine?); rerun to confirm"
NOT_INSTALLED = "not installed"


@dataclass
class Cell:
    """One implementation's result on one workload: a value in the workload's unit, or why not."""

    value: float | None = None
    note: str = ""
    round_medians: list[float] | None = None
    steps_per_round: int | None = None

    @property
    def not_installed(self) -> bool:
        return self.note.startswith(NOT_INSTALLED)


def unavailable_cell(reason: Unavailable) -> Cell:
    """The cell of an implementation that cannot run: 'not installed: ...' or 'n/a: ...'."""
    prefix = NOT_INSTALLED if isinstance(reason, NotInstalled) else "n/a"
    return Cell(note=f"{prefix}: {reason}")


def footnote(note: str, notes: list[str]) -> str:
    """The marker '[n]' of `note`, adding it to `notes` if new."""
    if note not in notes:
        notes.append(note)
    return f"[{notes.index(note) + 1}]"


def is_noisy(cell: Cell) -> bool:
    """Round medians spread by more than NOISY_SPREAD of the median."""
    return bool(cell.round_medians) and (
        max(cell.round_medians) - min(cell.round_medians)) > NOISY_SPREAD * cell.value


def format_cell(cell: Cell, floor: Cell | None, notes: list[str]) -> str:
    """'value (ratio×)', or 'n/a' / 'not installed' with its reason added to the footnotes.

    A value whose round medians spread by more than NOISY_SPREAD of their median is
    marked as noisy, with a footnote.
    """
    if cell.value is None:
        return f"{NOT_INSTALLED if cell.not_installed else 'n/a'} {footnote(cell.note, notes)}"
    text = f"{cell.value:.3g}"
    if floor is not None and floor.value:
        text += f" ({cell.value / floor.value:.2f}×)"
    if is_noisy(cell):
        text += " " + footnote(NOISY_NOTE, notes)
    return text


def markdown_table(
    rows: dict[str, dict[str, Cell]], implementations, units: dict[str, str] | None, row_title: str
) -> str:
    """One row per workload (or scaling point), one column per implementation.

    Each value is followed by its ratio to the numpy floor; n/a cells point to a
    numbered footnote with the reason. `units` adds a unit column.
    """
    notes: list[str] = []
    header = [row_title, *(["unit"] if units else []), *(IMPLEMENTATION_LABELS[i] for i in implementations)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row, cells in rows.items():
        floor = cells.get(FLOOR)
        values = [format_cell(cells.get(i, Cell(note="n/a: not run")), floor, notes) for i in implementations]
        lines.append("| " + " | ".join([row, *([units[row]] if units else []), *values]) + " |")
    lines += ["", *(f"[{number}] {note}" for number, note in enumerate(notes, start=1))]
    return "\n".join(lines).rstrip()


# ---- issue 16's table --------------------------------------------------------------------------------

ISSUE16_ROWS = {
    # workload: (row label, goal as a ratio to the floor or None, where the goal comes from)
    "overhead-chain": ("overhead chain, µs/op", 2.5),
    "mlp-small-step": ("MLP 64-128-128-10, batch 32", 1.5),
    "mlp-mnist-step": ("MLP 784-512-256-10, batch 128", 1.0),
    "mlp-large-step": ("MLP 1024-2048-2048-1024-10, batch 512", 1.0),
    "deep-narrow": ("50 tanh layers of width 32, batch 16", 2.0),
    "scalar-tiny": ("micrograd's 2-16-16-1 demo, 100 points", 3.0),
    "memory": ("peak memory, large MLP step", 0.8),
    "conv-digits": ("small CNN on 8x8 digits, batch 64", None),
    "lstm": ("LSTM 32->128, sequence 64, batch 32", 1.5),
    "encoder": ("TransformerEncoderLayer d64 h4, sequence 64, batch 16", 1.3),
}
ISSUE16_PEERS = ("torch nn", "mygrad", "hips autograd")
ISSUE16_PEER_TITLES = {"torch nn": "PyTorch eager", "mygrad": "MyGrad (no mem guard)",
                       "hips autograd": "HIPS autograd"}
ISSUE16_NN = "autograd_core nn"
ISSUE16_TRACED = ("autograd_core traced", "autograd_core nn traced")
TRACED_GOAL = 1.1
CHAIN_STAND_INS = {"autograd_core nn": "autograd_core", "autograd_core nn traced": "autograd_core traced"}
"""The chain has no layers: its `nn` columns are the raw tensor-op chain (what a user writes)."""
ISSUE16_IMPLEMENTATIONS = ("numpy", *ISSUE16_PEERS, "autograd_core", ISSUE16_NN, *ISSUE16_TRACED)


def issue16_cell(workload: str, cells: dict[str, Cell], implementation: str) -> Cell:
    """The cell shown in `implementation`'s column (the chain's nn columns use the raw chain)."""
    if workload == "overhead-chain" and implementation in CHAIN_STAND_INS:
        implementation = CHAIN_STAND_INS[implementation]
    return cells.get(implementation, Cell(note="n/a: not run"))


def ratio(cell: Cell, floor: Cell | None) -> float | None:
    """cell / floor, or None when either is missing."""
    if cell.value is None or floor is None or not floor.value:
        return None
    return cell.value / floor.value


def ratio_text(cell: Cell, floor: Cell | None, notes: list[str]) -> str:
    """'2.50x' (noisy flagged), 'not installed [n]' or 'n/a [n]'."""
    value = ratio(cell, floor)
    if value is None:
        if cell.value is None:
            return f"{NOT_INSTALLED if cell.not_installed else 'n/a'} {footnote(cell.note, notes)}"
        return f"n/a {footnote('n/a: the numpy floor did not run', notes)}"
    return f"{value:.2f}x" + (" " + footnote(NOISY_NOTE, notes) if is_noisy(cell) else "")


def issue16_table(rows: dict[str, dict[str, Cell]]) -> str:
    """Issue 16's table: ratios to the numpy floor, the goal, and whether each goal is met.

    Columns: each peer, autograd_core nn, its goal and met/not met, whether nn is ahead of
    (strictly faster or smaller than) every peer that ran, the traced ratios and whether both
    are at or below TRACED_GOAL.
    """
    notes: list[str] = []
    header = ["workload", *(ISSUE16_PEER_TITLES[p] for p in ISSUE16_PEERS), "autograd_core nn", "goal",
              "goal met?", "nn ahead of every peer?", "traced (raw)", "traced (nn)",
              f"traced <= {TRACED_GOAL}x?"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for workload, (label, goal) in ISSUE16_ROWS.items():
        if workload not in rows:
            continue
        cells = rows[workload]
        floor = cells.get(FLOOR)
        shown = {i: issue16_cell(workload, cells, i) for i in (*ISSUE16_PEERS, ISSUE16_NN, *ISSUE16_TRACED)}
        ratios = {i: ratio(cell, floor) for i, cell in shown.items()}
        texts = {i: ratio_text(cell, floor, notes) for i, cell in shown.items()}
        ours = ratios[ISSUE16_NN]
        if goal is None:
            goal_text, met = "—", "—"
        else:
            goal_text = f"<= {goal}x"
            met = "—" if ours is None else ("met" if ours <= goal else "not met")
        peers = {p: r for p, r in ratios.items() if p in ISSUE16_PEERS and r is not None}
        if ours is None or not peers:
            ahead = "—"
        else:
            behind = [ISSUE16_PEER_TITLES[p] for p, r in peers.items() if r <= ours]
            ahead = "yes" if not behind else "no (behind " + ", ".join(behind) + ")"
        traced = [ratios[i] for i in ISSUE16_TRACED if ratios[i] is not None]
        if not traced:
            traced_met = "—"
        else:
            traced_met = "met" if max(traced) <= TRACED_GOAL else "not met"
        lines.append("| " + " | ".join([
            label, *(texts[p] for p in ISSUE16_PEERS), texts[ISSUE16_NN], goal_text, met, ahead,
            *(texts[i] for i in ISSUE16_TRACED), traced_met]) + " |")
    footer = [
        "",
        "Ratios to the hand-written numpy floor measured in the same run (time: median over rounds of "
        "each round's median step; memory: step MiB above the steady state). On the chain, the nn "
        "columns are the raw tensor-op chain (a chain has no layers). The LSTM and encoder goals are "
        "issue 12's; the CNN has no ratio goal (only the peer and traced goals).",
        *(f"[{number}] {note}" for number, note in enumerate(notes, start=1)),
    ]
    return "\n".join(lines + footer).rstrip()


# ---- environment --------------------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peer_version(module_name: str) -> str:
    """The installed version of a peer library, or 'not installed'."""
    from importlib import metadata
    try:
        return metadata.version(module_name)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def environment_report(load_torch_first: bool) -> dict:
    """Versions, machine, and every thread pool threadpoolctl sees (with its BLAS kernel)."""
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    if load_torch_first:
        try:
            versions["torch"] = load_torch().__version__
        except Unavailable as reason:
            versions["torch"] = f"n/a ({reason})"
    try:
        versions["autograd_core"] = getattr(load_autograd_core(), "__version__", "unversioned")
    except Unavailable as reason:
        versions["autograd_core"] = f"n/a ({reason})"
    versions["mygrad"] = peer_version("mygrad")
    versions["HIPS autograd"] = peer_version("autograd")
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "nproc": os.cpu_count(),
        "versions": versions,
        "thread_pools": threadpool_info(),
        "removed_kernel_overrides": os.environ.get(REMOVED_OVERRIDES_MARKER, ""),
        "command": " ".join(["python", *sys.orig_argv[1:]]),
    }


def print_environment(report: dict) -> None:
    """The environment report, readably, including which BLAS kernel runs."""
    print(f"# {report['date_utc']}: {report['cpu']}, nproc={report['nproc']}")
    print("# " + ", ".join(f"{name} {version}" for name, version in report["versions"].items()))
    removed = report["removed_kernel_overrides"] or "none were set"
    print(f"# OpenBLAS kernel overrides removed for this run: {removed}")
    for pool in report["thread_pools"]:
        version = pool.get("version") or ""
        kernel = pool.get("architecture") or "-"
        library = Path(pool["filepath"]).name
        print(
            f"# {pool['internal_api']} {version} ({library}): "
            f"num_threads={pool['num_threads']}, kernel/architecture={kernel}"
        )
    print(f"# command: {report['command']}", flush=True)


def cells_as_json(rows: dict[str, dict[str, Cell]], units: dict[str, str] | None = None) -> dict:
    """Rows of cells as plain dicts, with the ratio to the floor."""
    output = {}
    for workload, cells in rows.items():
        floor = cells.get(FLOOR)
        output[workload] = {}
        for implementation, cell in cells.items():
            entry = {"value": cell.value, "note": cell.note or None}
            if units:
                entry["unit"] = units[workload]
            if cell.round_medians is not None:
                entry["round_medians"] = cell.round_medians
                entry["steps_per_round"] = cell.steps_per_round
            if cell.value is not None and floor is not None and floor.value:
                entry["ratio_to_floor"] = cell.value / floor.value
            output[workload][implementation] = entry
    return output


def cells_from_json(rows: dict) -> dict[str, dict[str, Cell]]:
    """The inverse of cells_as_json (to re-print a table from a --json file)."""
    return {
        workload: {
            impl: Cell(entry["value"], entry.get("note") or "", entry.get("round_medians"),
                       entry.get("steps_per_round"))
            for impl, entry in cells.items()
        }
        for workload, cells in rows.items()
    }
