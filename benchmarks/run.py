"""Benchmark autograd_core against a hand-written numpy floor, PyTorch CPU eager, MyGrad and
HIPS autograd.

    python benchmarks/run.py [--workload W] [--impl I] [--json out.json] [--rounds N]
    python benchmarks/run.py --issue16-table [--rounds 3]     # only issue 16's table
    python benchmarks/run.py --scaling [--quick] [--plot scaling.png] [--json out.json]

Every implementation runs the same network from the same initial weights, in float32,
on one thread. Before anything is timed, each implementation's first step must give
the numpy floor's loss and gradients, or the workload is aborted. Times are the
median over rounds of each round's median step time. See benchmarks/README.md.

The code is split into workloads.py (what is run), implementations/ (how each library runs
it), checking.py (the first-step check), timing.py (timing and memory), report.py (tables)
and scaling.py (--scaling); this file is the command line.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pinning import pin_environment_before_numpy  # noqa: E402

pin_environment_before_numpy()

import argparse  # noqa: E402
import json  # noqa: E402

from threadpoolctl import threadpool_limits  # noqa: E402

from common import REPO_ROOT, SEED, STEP_FAILURES, StepResult, Unavailable, load_autograd_core, load_torch  # noqa: E402,F401
from implementations import (  # noqa: E402,F401
    FLOOR,
    IMPLEMENTATION_LABELS,
    PEER_IMPLEMENTATIONS,
    RUNNERS,
    TABLE_IMPLEMENTATIONS,
    build_runner,
)
from report import (  # noqa: E402
    ISSUE16_IMPLEMENTATIONS,
    cells_as_json,
    cells_from_json,
    environment_report,
    issue16_table,
    markdown_table,
    print_environment,
)
from scaling import DEFAULT_PLOT, run_scaling  # noqa: E402
from timing import (  # noqa: E402,F401
    DEFAULT_ROUND_SECONDS,
    build_checked_runners,
    memory_child,
    run_memory_workload,
    run_timed_workload,
    set_clock,
    time_steps,
)
from workloads import (  # noqa: E402,F401
    ALL_WORKLOADS,
    MEMORY_SOURCE_WORKLOAD,
    MEMORY_WORKLOAD,
    WORKLOADS,
    ChainSpec,
    MLPSpec,
    make_problem,
)


def parse_arguments(argv=None) -> argparse.Namespace:
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", action="append", choices=ALL_WORKLOADS, help="repeatable; default: all")
    parser.add_argument(
        "--impl", action="append", choices=tuple(IMPLEMENTATION_LABELS), help="repeatable; default: all"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds (default 5)")
    parser.add_argument(
        "--round-seconds",
        type=float,
        default=DEFAULT_ROUND_SECONDS,
        help=f"approximate length of one round (default {DEFAULT_ROUND_SECONDS})",
    )
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: elapsed time (default); cpu: process CPU time (steadier when busy)")
    parser.add_argument("--scaling", action="store_true", help="scaling curves instead of the workload table")
    parser.add_argument("--quick", action="store_true",
                        help="with --scaling: a few points per curve, no memory curves (a smoke run)")
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT,
                        help=f"with --scaling: where the picture goes (default {DEFAULT_PLOT.name} here)")
    parser.add_argument("--issue16-table", action="store_true",
                        help="run issue 16's implementations only and print only its table")
    parser.add_argument("--from-json", type=Path,
                        help="re-print the tables of an earlier --json file instead of measuring")
    parser.add_argument("--memory-child", metavar="IMPL", help=argparse.SUPPRESS)
    parser.add_argument("--memory-spec", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def measure_workloads(arguments: argparse.Namespace, implementations) -> tuple[dict, dict]:
    """(cells by workload and implementation, units by workload) for every requested workload."""
    rows, units = {}, {}
    for name in arguments.workload or ALL_WORKLOADS:
        if name == MEMORY_WORKLOAD:
            units[name] = "MiB"
            rows[name] = run_memory_workload(name, WORKLOADS[MEMORY_SOURCE_WORKLOAD], implementations)
        else:
            spec = WORKLOADS[name]
            units[name] = spec.unit
            rows[name] = run_timed_workload(
                name, spec, implementations, arguments.rounds, arguments.round_seconds
            )
    return rows, units


def format_tables(rows: dict, units: dict, implementations, issue16_only: bool) -> str:
    """The main table (unless issue16_only) and issue 16's table."""
    sections = []
    if not issue16_only:
        table_implementations = [i for i in TABLE_IMPLEMENTATIONS if i in implementations]
        sections.append(markdown_table(rows, table_implementations, units, row_title="workload"))
        peers = [i for i in (FLOOR, *PEER_IMPLEMENTATIONS) if i in implementations]
        sections.append("### peers, as measured (value and ratio to the floor)\n\n"
                        + markdown_table(rows, peers, units, row_title="workload"))
    sections.append("### issue 16: ratios to the numpy floor, goals\n\n" + issue16_table(rows))
    return "\n\n".join(sections)


def run_workload_table(arguments: argparse.Namespace, implementations) -> tuple[str, dict]:
    """Every requested workload for every implementation, as markdown tables and for --json."""
    if arguments.issue16_table:
        measured = [i for i in ISSUE16_IMPLEMENTATIONS if i in implementations]
    else:
        measured = [i for i in dict.fromkeys((*TABLE_IMPLEMENTATIONS, *ISSUE16_IMPLEMENTATIONS))
                    if i in implementations]
    rows, units = measure_workloads(arguments, measured)
    text = format_tables(rows, units, measured, arguments.issue16_table)
    return text, {"workloads": cells_as_json(rows, units), "implementations": measured}


def main(argv=None) -> int:
    """Run the workload tables (or the scaling curves) and print them as markdown."""
    arguments = parse_arguments(argv)
    if arguments.memory_child:
        spec_fields = json.loads(arguments.memory_spec)
        spec = MLPSpec(**{**spec_fields, "layer_sizes": tuple(spec_fields["layer_sizes"])})
        print(json.dumps(memory_child(arguments.memory_child, spec)))
        return 0
    if arguments.from_json:
        saved = json.loads(arguments.from_json.read_text())
        rows = cells_from_json(saved["workloads"])
        units = {w: next(iter(c.values()))["unit"] for w, c in saved["workloads"].items()}
        implementations = saved.get("implementations") or list(IMPLEMENTATION_LABELS)
        print(format_tables(rows, units, implementations, arguments.issue16_table))
        return 0

    set_clock(arguments.clock)
    implementations = arguments.impl or list(IMPLEMENTATION_LABELS)
    if FLOOR not in implementations:
        implementations.insert(0, FLOOR)
    environment = environment_report(load_torch_first=any(i.startswith("torch") for i in implementations))
    print_environment(environment)

    if arguments.scaling:
        text, results, fits = run_scaling(implementations, arguments.rounds, arguments.round_seconds,
                                          quick=arguments.quick, plot_path=arguments.plot,
                                          memory=not arguments.quick)
        output = {"scaling": {name: cells_as_json(rows) for name, rows in results.items()}, "fits": fits}
    else:
        text, output = run_workload_table(arguments, implementations)
    print("\n" + text)

    if arguments.json:
        arguments.json.write_text(json.dumps({"environment": environment, **output}, indent=2) + "\n")
        print(f"\nwrote {arguments.json}")
    return 0


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        sys.exit(main())
