"""Peak memory of one training step of the large MLP (1024-2048-2048-1024-10, batch 512: the
mlp-large workload of run.py) in float32 and under autocast to bfloat16 / float16, each measured
in a fresh process with tracemalloc (numpy reports its allocations to it).

    python benchmarks/amp_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys

SIZES = (1024, 2048, 2048, 1024, 10)
BATCH = 512


def measure(mode: str) -> dict:
    import tracemalloc

    import numpy as np

    import autograd_core as ag
    import nn
    import nn.functional as F
    import optim

    rng = np.random.default_rng(0)
    layers = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = optim.SGD(model.parameters(), lr=0.01)
    x = ag.tensor(rng.standard_normal((BATCH, SIZES[0])).astype(np.float32))
    y = ag.tensor(rng.integers(0, SIZES[-1], BATCH))
    low = {"bfloat16": ag.bfloat16, "float16": ag.float16}.get(mode)

    held = {}

    def step():
        with ag.autocast(dtype=low or ag.float16, enabled=low is not None):
            loss = F.cross_entropy(model(x), y)
        if tracemalloc.is_tracing():
            held["saved"] = tracemalloc.get_traced_memory()[0] - held["base"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # gradients allocated once, as in a training loop
    tracemalloc.start()
    held["base"] = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - held["base"]
    tracemalloc.stop()
    return {"mode": mode, "peak_mib": peak / 2 ** 20, "saved_mib": held["saved"] / 2 ** 20}


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
        return
    results = {}
    for mode in ("float32", "bfloat16", "float16"):
        out = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout)
    print(f"one mlp-large step, {BATCH} x {SIZES}, memory above the resident model:")
    ref = results["float32"]
    for mode, r in results.items():
        print(f"  {mode:>9}: held for backward after forward {r['saved_mib']:6.1f} MiB "
              f"({r['saved_mib'] / ref['saved_mib']:.2f}x), step peak {r['peak_mib']:6.1f} MiB "
              f"({r['peak_mib'] / ref['peak_mib']:.2f}x)")
    print("(the step peak is dominated by the float32 gradients of the master weights, which "
          "autocast does not shrink)")


if __name__ == "__main__":
    main()
