"""Smoke tests of the split benchmark modules (benchmarks/workloads.py, implementations/,
checking.py, report.py, scaling.py): one tiny step of each implementation agrees with the
hand-written numpy floor; the check, the issue-16 table and the scaling fit behave. No timing
is asserted (benchmarks are measured with benchmarks/run.py, never as unit tests)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

import checking  # noqa: E402
import implementations  # noqa: E402
import report  # noqa: E402
import scaling  # noqa: E402
import timing  # noqa: E402
from common import NotInstalled, Unavailable  # noqa: E402
from workloads import ChainSpec, ConvSpec, MLPSpec, make_problem  # noqa: E402

TINY_SPECS = {
    "chain": ChainSpec(length=10, size=3),
    "mlp relu cross-entropy": MLPSpec((4, 6, 3), batch=5),
    "mlp tanh mse": MLPSpec((3, 5, 5, 2), batch=4, activation="tanh", loss="mse"),
    "micrograd hinge + l2": MLPSpec((2, 4, 1), batch=6, loss="hinge", l2=1e-2),
    "cnn": ConvSpec(batch=3),
}
OURS = ("autograd_core", "autograd_core nn", "autograd_core traced", "autograd_core nn traced")
PEERS = {"torch nn": "torch", "torch": "torch", "mygrad": "mygrad", "hips autograd": "autograd"}


def first_step(implementation, spec):
    try:
        return implementations.build_runner(implementation, make_problem(spec))()
    except Unavailable as reason:
        pytest.skip(f"{implementation} on {spec}: {reason}")


@pytest.mark.parametrize("implementation", ["numpy", *OURS, *PEERS])
@pytest.mark.parametrize("name", list(TINY_SPECS))
def test_first_step_matches_numpy_floor(implementation, name):
    if implementation in PEERS and importlib.util.find_spec(PEERS[implementation]) is None:
        pytest.skip(f"{PEERS[implementation]} is not installed")
    if name == "cnn" and implementation not in ("numpy", "autograd_core nn", "autograd_core nn traced",
                                                "torch nn", "mygrad"):
        pytest.skip("no CNN variant")
    spec = TINY_SPECS[name]
    reference = implementations.build_runner("numpy", make_problem(spec))()
    candidate = first_step(implementation, spec)
    problems, _ = checking.first_step_mismatches(reference, candidate, allow_kinks=False)
    assert problems == []
    assert len(candidate[1]) == (1 if name == "chain" else 6 if name == "cnn" else len(reference[1]))


def test_floor_conv_gradient_matches_finite_differences():
    """The hand-written im2col CNN backward against central differences in float64."""
    spec = ConvSpec(batch=2, lr=0.0)
    problem = make_problem(spec)
    params = [p.astype(np.float64) for p in problem.params]
    x = problem.x.astype(np.float64)
    x[:, :, :4] += 0.37  # no blank regions: keeps every max-pool window free of ties
    from implementations.numpy_impl import numpy_conv_step

    _, grads = numpy_conv_step([p.copy() for p in params], x, problem.targets, spec)
    rng = np.random.default_rng(0)
    for index in (0, 1, 2, 4):
        flat = rng.choice(params[index].size, 3, replace=False)
        for position in flat:
            shifted = []
            for sign in (1.0, -1.0):
                trial = [p.copy() for p in params]
                trial[index].flat[position] += sign * 1e-6
                shifted.append(numpy_conv_step(trial, x, problem.targets, spec)[0])
            numeric = (shifted[0] - shifted[1]) / 2e-6
            assert np.isclose(grads[index].flat[position], numeric, rtol=1e-4, atol=1e-7)


def test_check_rejects_a_wrong_gradient():
    spec = TINY_SPECS["mlp tanh mse"]
    reference = implementations.build_runner("numpy", make_problem(spec))()
    loss, grads = first_step("autograd_core nn", spec)
    wrong = [np.asarray(checking.as_numpy(g)) for g in grads]
    wrong[2] = wrong[2] * 1.5
    problems, _ = checking.first_step_mismatches(reference, (loss, wrong), allow_kinks=False)
    assert len(problems) == 1 and "gradient 2" in problems[0]


def test_missing_peer_is_reported_not_installed(monkeypatch):
    from implementations import mygrad_impl

    def missing():
        raise NotInstalled("mygrad is not installed (simulated)")

    monkeypatch.setattr(mygrad_impl, "load_mygrad", missing)
    runners, cells = timing.build_checked_runners("tiny", make_problem(TINY_SPECS["mlp tanh mse"]),
                                                  ["numpy", "mygrad"])
    assert "mygrad" not in runners and cells["mygrad"].not_installed
    assert report.format_cell(cells["mygrad"], None, []).startswith("not installed")


def test_issue16_table_marks_goals():
    cell = report.Cell
    rows = {
        "mlp-small-step": {"numpy": cell(1.0), "torch nn": cell(2.5), "mygrad": cell(2.1),
                           "hips autograd": cell(note="not installed: simulated"),
                           "autograd_core nn": cell(1.4), "autograd_core traced": cell(1.05),
                           "autograd_core nn traced": cell(1.2)},
        "overhead-chain": {"numpy": cell(1.0), "torch nn": cell(5.0), "mygrad": cell(8.0),
                           "hips autograd": cell(9.0), "autograd_core": cell(3.0),
                           "autograd_core traced": cell(1.0)},
    }
    table = report.issue16_table(rows)
    small = next(line for line in table.splitlines() if line.startswith("| MLP 64-128"))
    cells = [c.strip() for c in small.strip("|").split("|")]
    assert cells[1:5] == ["2.50x", "2.10x", "not installed [1]", "1.40x"]
    assert cells[5:8] == ["<= 1.5x", "met", "yes"]
    assert cells[8:] == ["1.05x", "1.20x", "not met"]
    chain = next(line for line in table.splitlines() if line.startswith("| overhead chain"))
    chain_cells = [c.strip() for c in chain.strip("|").split("|")]
    assert chain_cells[4] == "3.00x" and chain_cells[6] == "not met" and chain_cells[10] == "met"


def test_scaling_fit_recovers_fixed_cost_and_slope():
    flops = np.array([1e6, 1e7, 1e8, 1e9])
    times = 0.2 + 2e-9 * flops  # ms: 0.2 ms fixed, 2 ms per GFLOP
    a, b = scaling.fit_fixed_plus_compute(flops, times)
    assert np.isclose(a, 0.2) and np.isclose(b, 2e-9)
    xs = np.array([1.0, 10.0, 100.0, 1000.0])
    assert np.isclose(scaling.crossover_x(xs, flops, a, b), 100.0)
    assert np.isclose(scaling.loglog_slope(xs, 3.0 * xs**1.5), 1.5)
