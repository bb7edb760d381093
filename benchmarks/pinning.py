"""Thread and BLAS-kernel pinning for the benchmarks; imported (and run) before numpy.

This module must not import numpy: OpenBLAS reads these variables when it is loaded.
"""

import os
import sys

THREAD_COUNT_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
KERNEL_OVERRIDE_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REMOVED_OVERRIDES_MARKER = "AUTOGRAD_CORE_BENCH_REMOVED_OVERRIDES"


def pin_environment_before_numpy() -> None:
    """Pin every thread pool to one thread and drop OpenBLAS kernel overrides.

    OpenBLAS reads these variables when it is loaded, so this must run before numpy is
    imported. When a kernel override is set, the process re-executes itself without it
    (the change applies to this process and its children only), so that nothing loaded
    before this point keeps the forced, slower kernel.
    """
    for name in THREAD_COUNT_VARIABLES:
        os.environ[name] = "1"
    overrides = [name for name in KERNEL_OVERRIDE_VARIABLES if name in os.environ]
    if overrides:
        for name in overrides:
            del os.environ[name]
        os.environ[REMOVED_OVERRIDES_MARKER] = ",".join(overrides)
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
