"""The nn path of issue 16, written the way a user writes it: nn.Sequential of nn.Linear and
activation modules, F.cross_entropy (or an mse / hinge loss), optim.SGD with zero_grad()/step().

    python benchmarks/nn_path.py WORKLOAD [STEPS] [numpy]  # STEPS steps (callgrind: 3 vs 13)
    python benchmarks/nn_path.py --time [WORKLOAD...]  # median step times, nn path vs numpy floor

Workloads: small (64-128-128-10, batch 32), deep (50 tanh layers of width 32, batch 16, mse),
micrograd (2-16-16-1 on 100 points, hinge + l2), mnist (784-512-256-10, batch 128) and large
(1024-2048-2048-1024-10, batch 512). The numpy floor is benchmarks/run.py's layer-wise step.
"""

import os
import sys

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import statistics  # noqa: E402


from implementations.autograd_core_impl import autograd_core_nn_runner  # noqa: E402
from implementations.numpy_impl import numpy_mlp_runner  # noqa: E402
from timing import time_steps  # noqa: E402
from workloads import WORKLOADS, make_problem  # noqa: E402

SPECS = {
    "small": WORKLOADS["mlp-small-step"],
    "deep": WORKLOADS["deep-narrow"],
    "micrograd": WORKLOADS["scalar-tiny"],
    "mnist": WORKLOADS["mlp-mnist-step"],
    "large": WORKLOADS["mlp-large-step"],
}


def nn_runner(spec):
    """One user-style training step (run.py's "autograd_core nn": nn.Sequential, F loss,
    optim.SGD with zero_grad/backward/step) on the problem's initial weights."""
    return autograd_core_nn_runner(make_problem(spec))


def main() -> None:
    if sys.argv[1] == "--time":
        names = sys.argv[2:] or list(SPECS)
        for name in names:
            spec = SPECS[name]
            floor = numpy_mlp_runner(make_problem(spec))
            step = nn_runner(spec)
            for _ in range(3):
                step(), floor()
            pairs = [(time_steps(step, 1, 0.4).median, time_steps(floor, 1, 0.4).median) for _ in range(5)]
            t_nn = statistics.median(p[0] for p in pairs)  # rounds interleaved: both see the same load
            t_np = statistics.median(p[1] for p in pairs)
            print(f"{name:10s} nn {t_nn * 1e6:10.1f} us  numpy {t_np * 1e6:10.1f} us  "
                  f"ratio {t_nn / t_np:5.2f}")
        return
    spec = SPECS[sys.argv[1]]
    floor = len(sys.argv) > 3 and sys.argv[3] == "numpy"
    step = numpy_mlp_runner(make_problem(spec)) if floor else nn_runner(spec)
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 3):
        step()


if __name__ == "__main__":
    main()
