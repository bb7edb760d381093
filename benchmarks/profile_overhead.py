"""Profile autograd_core's per-op overhead: where does a small step spend its time?

    python benchmarks/profile_overhead.py [--steps N] [--top K] [--workload W] [--impl I]

Runs the overhead-chain and mlp-small-step workloads of benchmarks/run.py (same
code, same thread pinning) under cProfile and prints the top functions by tottime,
the time spent in a function's own body, which is where per-op Python overhead shows.
--impl picks another autograd_core variant ("autograd_core nn", "autograd_core traced").
"""

import argparse
import cProfile
import pstats

import run

PROFILED_WORKLOADS = ("overhead-chain", "mlp-small-step", "scalar-tiny", "deep-narrow")
AUTOGRAD_CORE_VARIANTS = ("autograd_core", "autograd_core nn", "autograd_core traced")


def profile_workload(implementation: str, name: str, steps: int, top: int) -> None:
    """Warm up, then profile `steps` steps of one workload."""
    spec = run.WORKLOADS[name]
    try:
        step = run.build_runner(implementation, run.make_problem(spec))
    except run.Unavailable as reason:
        print(f"\n## {name}: {implementation} n/a: {reason}")
        return
    for _ in range(10):
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()

    stats = pstats.Stats(profiler)
    ops_per_step = f", {spec.length} ops a step" if name == "overhead-chain" else ""
    print(f"\n## {implementation}, {name}: {steps} steps{ops_per_step}, top {top} by tottime\n")
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)


def main() -> None:
    """Profile each requested workload in turn."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300, help="profiled steps per workload (default 300)")
    parser.add_argument("--top", type=int, default=25, help="functions to print (default 25)")
    parser.add_argument("--workload", action="append", choices=PROFILED_WORKLOADS, help="default: both")
    parser.add_argument(
        "--impl", default="autograd_core", choices=AUTOGRAD_CORE_VARIANTS, help="default: eager"
    )
    arguments = parser.parse_args()
    try:
        run.load_autograd_core()
    except run.Unavailable as reason:
        raise SystemExit(f"cannot profile: {reason}") from None
    for name in arguments.workload or PROFILED_WORKLOADS:
        profile_workload(arguments.impl, name, arguments.steps, arguments.top)


if __name__ == "__main__":
    main()
