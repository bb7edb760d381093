"""Timing (median over rounds of each round's median step) and step memory (peak RSS above the
steady state, one fresh process per implementation)."""

import ctypes
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from checking import allows_kinks, first_step_mismatches, tolerances
from common import STEP_FAILURES, NotInstalled, Unavailable
from implementations import FLOOR, IMPLEMENTATION_LABELS, build_runner
from report import Cell, unavailable_cell
from workloads import ChainSpec, MLPSpec, make_mlp_problem, make_problem

MEMORY_STEPS = 2
MMAP_THRESHOLD_BYTES = 64 * 1024
DEFAULT_ROUND_SECONDS = 0.5
MIN_STEPS_PER_ROUND = 5
MAX_STEPS_PER_ROUND = 5000
RUN_PY = Path(__file__).resolve().parent / "run.py"


@dataclass
class Timing:
    """Median over rounds of each round's median step time, in seconds."""

    median: float
    round_medians: list[float]
    steps_per_round: int


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
"""wall: elapsed time (the default). cpu: this process's CPU time, which a shared machine's other
processes do not add to (they still compete for caches and memory bandwidth); every pool runs on
one thread here, so CPU time is the step's own time."""
clock = CLOCKS["wall"]


def set_clock(name: str) -> None:
    """Time steps with CLOCKS[name] from now on."""
    global clock
    clock = CLOCKS[name]


def time_steps(step: Callable[[], object], rounds: int, round_seconds: float) -> Timing:
    """Warm up, size the rounds to about `round_seconds`, then time every step alone."""
    warmup_end = time.perf_counter() + max(0.1 * round_seconds, 0.0)
    for _ in range(2):
        step()
    while time.perf_counter() < warmup_end:
        step()
    start = clock()
    step()
    one_step = clock() - start
    steps_per_round = int(
        min(MAX_STEPS_PER_ROUND, max(MIN_STEPS_PER_ROUND, round_seconds / max(one_step, 1e-9)))
    )

    round_medians = []
    for _ in range(rounds):
        gc.collect()
        durations = []
        for _ in range(steps_per_round):
            start = clock()
            step()
            durations.append(clock() - start)
        round_medians.append(statistics.median(durations))
    return Timing(statistics.median(round_medians), round_medians, steps_per_round)


def read_status_kib(field: str) -> int:
    """A field of /proc/self/status, in KiB (VmRSS: resident now, VmHWM: peak resident)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def release_free_heap() -> None:
    """Hand glibc's cached free memory back to the OS, so RSS counts live memory only."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def memory_child(implementation: str, spec: MLPSpec, steps: int = MEMORY_STEPS) -> dict:
    """Peak RSS during `steps` training steps minus the RSS right after setup, in MiB.

    Meant to run in a fresh process per implementation (see measure_step_memory), so
    that no other implementation's arrays, allocator caches or imports are counted.
    The setup's own peak is forgotten (VmHWM reset) and its freed memory returned
    (malloc_trim), so the difference is what a step needs on top of the parameters
    and the batch: activations kept for backward, gradients and temporaries.
    """
    try:
        step = build_runner(implementation, make_mlp_problem(spec))
    except Unavailable as reason:
        return {"unavailable": str(reason), "not_installed": isinstance(reason, NotInstalled)}
    gc.collect()
    release_free_heap()
    peak_was_reset = reset_peak_rss()
    steady_kib = read_status_kib("VmRSS")
    for _ in range(steps):
        step()
    peak_kib = read_status_kib("VmHWM")
    return {
        "steady_mib": steady_kib / 1024,
        "peak_mib": peak_kib / 1024,
        "step_mib": (peak_kib - steady_kib) / 1024,
        "peak_was_reset": peak_was_reset,
    }


def measure_step_memory(implementation: str, spec: MLPSpec) -> dict:
    """memory_child in a fresh `python benchmarks/run.py --memory-child IMPL` process.

    The child's glibc gets a fixed mmap threshold, so every array larger than
    MMAP_THRESHOLD_BYTES is mapped on allocation and unmapped when freed, and RSS
    follows the memory actually in use instead of what malloc chose to keep.
    """
    command = [sys.executable, str(RUN_PY), "--memory-child", implementation]
    command += ["--memory-spec", json.dumps(asdict(spec))]
    environment = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD_BYTES)}
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"child exited {completed.returncode}: {last_line}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---- running a workload: check every first step, then time (or measure memory) --------------------------


def build_checked_runners(name: str, problem, implementations) -> tuple[dict, dict[str, Cell]]:
    """Build every runner, run its first step and compare it with the floor's first step.

    Returns the runners that passed and the cells of the implementations that could not
    run. If any first step disagrees with the floor, prints why and returns no runners:
    the whole workload is aborted, every cell saying so.
    """
    runners, cells, mismatches = {}, {}, []
    reference = build_runner(FLOOR, problem)()
    rtol, atol = tolerances(problem.spec)
    for implementation in implementations:
        label = IMPLEMENTATION_LABELS[implementation]
        try:
            runner = build_runner(implementation, problem)
            first_step = runner()
        except Unavailable as reason:
            cells[implementation] = unavailable_cell(reason)
            continue
        except NotImplementedError as error:
            cells[implementation] = Cell(note=f"n/a: not implemented yet ({error})")
            continue
        except STEP_FAILURES as error:
            cells[implementation] = Cell(note=f"error: {error!r}")
            continue
        problems, notes = first_step_mismatches(reference, first_step, allows_kinks(problem.spec), rtol, atol)
        mismatches += [f"{label}: {line}" for line in problems]
        for line in notes:
            print(f"  note, {label}: {line}")
        runners[implementation] = runner
    if mismatches:
        print(f"\nABORTED {name}: first step disagrees with the numpy floor", file=sys.stderr)
        for line in mismatches:
            print(f"  {line}", file=sys.stderr)
        return {}, {impl: Cell(note="aborted: first-step mismatch (see stderr)") for impl in implementations}
    return runners, cells


def run_timed_workload(
    name: str, spec, implementations, rounds: int, round_seconds: float
) -> dict[str, Cell]:
    """Check, then time, every implementation on one workload; values in spec.unit.

    A workload whose problem cannot be built (its data source or torch missing) gives every
    implementation the same 'not installed' / 'n/a' cell.
    """
    try:
        problem = make_problem(spec)
    except Unavailable as reason:
        return {implementation: unavailable_cell(reason) for implementation in implementations}
    runners, cells = build_checked_runners(name, problem, implementations)
    scale = 1e6 / spec.length if isinstance(spec, ChainSpec) else 1e3
    for implementation, runner in runners.items():
        try:
            timing = time_steps(runner, rounds, round_seconds)
        except STEP_FAILURES as error:
            cells[implementation] = Cell(note=f"error: {error!r}")
            continue
        cells[implementation] = Cell(
            value=timing.median * scale,
            round_medians=[t * scale for t in timing.round_medians],
            steps_per_round=timing.steps_per_round,
        )
        label = IMPLEMENTATION_LABELS[implementation]
        print(f"  {name:16s} {label:26s} {timing.median * scale:10.4g} {spec.unit}", flush=True)
    return {implementation: cells[implementation] for implementation in implementations}


def run_memory_workload(name: str, spec: MLPSpec, implementations) -> dict[str, Cell]:
    """Step memory (MiB above steady state) of `spec`, one fresh process per implementation."""
    cells = {}
    for implementation in implementations:
        result = measure_step_memory(implementation, spec)
        if "step_mib" in result:
            cells[implementation] = Cell(value=result["step_mib"])
            label = IMPLEMENTATION_LABELS[implementation]
            print(f"  {name:16s} {label:26s} {result['step_mib']:10.4g} MiB", flush=True)
        elif "unavailable" in result:
            prefix = "not installed" if result.get("not_installed") else "n/a"
            cells[implementation] = Cell(note=f"{prefix}: {result['unavailable']}")
        else:
            cells[implementation] = Cell(note=f"error: {result['error']}")
    return cells
