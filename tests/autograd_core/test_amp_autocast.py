"""Mixed precision: the autocast tables, casts as recorded ops (float32 master gradients),
low-precision matmul numerics, nesting and thread-locality, finfo, against torch where it has it."""

import threading

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import amp
from autograd_core.errors import DTypeError

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
LOW = [F16, BF16]


def leaf(shape, seed=0, dtype=np.float32):
    return ag.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=True)


OPS = {  # op name in the tables -> a call on float32 inputs
    "matmul": lambda a, b: a @ b.T,
    "linear": lambda a, b: ag.linear(a, b),
    "einsum": lambda a, b: ag.einsum("ij,kj->ik", a, b),
    "softmax": lambda a, b: ag.softmax(a, axis=-1),
    "log_softmax": lambda a, b: ag.log_softmax(a, axis=-1),
    "sum": lambda a, b: a.sum(),
    "prod": lambda a, b: a.prod(),
    "exp": lambda a, b: ag.exp(a),
    "log": lambda a, b: ag.log(ag.abs(a) + 1),
    "log1p": lambda a, b: ag.log1p(ag.abs(a)),
    "pow": lambda a, b: ag.abs(a) ** 1.5,
    "logsumexp": lambda a, b: ag.logsumexp(a, axis=-1),
    "var": lambda a, b: a.var(axis=0),
    "std": lambda a, b: a.std(axis=0),
    "norm": lambda a, b: ag.norm(a),
}


@pytest.mark.parametrize("low", LOW, ids=["float16", "bfloat16"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_output_dtype_follows_the_tables(name, low):
    a, b = leaf((3, 4), 1), leaf((5, 4), 2)
    with ag.autocast(dtype=low):
        out = OPS[name](a, b)
    expected = low if name in amp.LOWER_PRECISION_OPS else np.dtype(np.float32)
    assert out.dtype == expected, f"{name}: {out.dtype}"
    out.sum().backward()
    assert a.grad.dtype == np.float32  # master weights keep float32 gradients


@pytest.mark.parametrize("low", LOW, ids=["float16", "bfloat16"])
def test_other_ops_run_in_the_widest_input_dtype(low):
    a = leaf((3, 4))
    with ag.autocast(dtype=low):
        h = a @ a.T             # low
        mixed = h + ag.ones((3, 3))  # low + float32 -> float32
        same = h * h            # low stays low
        act = ag.tanh(h)
    assert mixed.dtype == np.float32 and same.dtype == low and act.dtype == low


def test_gradients_flow_back_through_the_casts_to_float32_leaves():
    x, w = leaf((6, 4), 3), leaf((5, 4), 4)
    with ag.autocast(dtype=BF16):
        loss = ag.log_softmax(ag.linear(x, w), axis=-1).sum()
    assert loss.dtype == np.float32
    loss.backward()
    assert w.grad.dtype == np.float32 and x.grad.dtype == np.float32
    with ag.no_grad():
        reference = leaf((5, 4), 4)
    reference_x = leaf((6, 4), 3)
    ag.log_softmax(ag.linear(reference_x, reference), axis=-1).sum().backward()
    np.testing.assert_allclose(w.grad.data, reference.grad.data, atol=0.1, rtol=0.05)


def test_low_precision_matmul_is_float32_product_rounded_once():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((16, 64)).astype(np.float16)
    b = rng.standard_normal((64, 8)).astype(np.float16)
    out = ag.tensor(a) @ ag.tensor(b)
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out.data, (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16))
    ab, bb = a.astype(BF16), b.astype(BF16)
    out = ag.tensor(ab) @ ag.tensor(bb)
    assert out.dtype == BF16
    expected = (ab.astype(np.float32) @ bb.astype(np.float32)).astype(BF16)
    np.testing.assert_array_equal(out.data.astype(np.float32), expected.astype(np.float32))


def test_nesting_enabled_false_and_decorator():
    a = leaf((2, 2))
    with ag.autocast(dtype=F16):
        assert (a @ a).dtype == F16
        with ag.autocast(dtype=F16, enabled=False):
            assert (a @ a).dtype == np.float32 and not amp.is_autocast_enabled()
        with ag.autocast(dtype=BF16):
            assert (a @ a).dtype == BF16
        assert (a @ a).dtype == F16
    assert (a @ a).dtype == np.float32

    @ag.autocast(dtype=BF16)
    def f(t):
        return t @ t

    assert f(a).dtype == BF16 and (a @ a).dtype == np.float32
    assert ag.amp.autocast is ag.autocast
    with ag.autocast("cpu", dtype=BF16):
        assert (a @ a).dtype == BF16
    with pytest.raises(DTypeError, match="float16 or bfloat16"):
        ag.autocast(dtype=np.float64)


def test_autocast_is_thread_local():
    a = leaf((2, 2))
    seen = {}

    def worker():
        seen["dtype"] = (a @ a).dtype

    with ag.autocast(dtype=F16):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert (a @ a).dtype == F16
    assert seen["dtype"] == np.float32


def test_finfo_matches_torch_for_every_float_dtype():
    torch = pytest.importorskip("torch")
    for ours, theirs in ((F16, torch.float16), (BF16, torch.bfloat16), (np.float32, torch.float32),
                         (np.float64, torch.float64)):
        info, reference = ag.finfo(ours), torch.finfo(theirs)
        assert float(info.eps) == reference.eps and float(info.max) == reference.max
        assert float(info.tiny) == reference.tiny
        assert float(info.smallest_subnormal) == pytest.approx(
            float(np.nextafter(np.zeros((), dtype=ours), np.ones((), dtype=ours)).astype(np.float64))
            if ours is not BF16 else 9.183549615799121e-41)
    with pytest.raises(DTypeError):
        ag.finfo(np.int32)


def test_mlp_under_bfloat16_autocast_matches_torch_cpu_autocast():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 8)).astype(np.float32)
    w1, b1 = rng.standard_normal((32, 8)).astype(np.float32) * 0.3, rng.standard_normal(32).astype(np.float32)
    w2, b2 = rng.standard_normal((4, 32)).astype(np.float32) * 0.3, rng.standard_normal(4).astype(np.float32)
    target = rng.integers(0, 4, 16)

    ours = [ag.tensor(v, requires_grad=True) for v in (w1, b1, w2, b2)]
    with ag.autocast(dtype=BF16):
        hidden = ag.relu(ag.linear(ag.tensor(x), ours[0], ours[1]))
        logits = ag.linear(hidden, ours[2], ours[3])
        loss = -ag.log_softmax(logits, axis=-1)[np.arange(16), target].mean()
    loss.backward()

    theirs = [torch.tensor(v, requires_grad=True) for v in (w1, b1, w2, b2)]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h = torch.relu(torch.nn.functional.linear(torch.tensor(x), theirs[0], theirs[1]))
        out = torch.nn.functional.linear(h, theirs[2], theirs[3])
        tloss = torch.nn.functional.cross_entropy(out, torch.tensor(target))
    tloss.backward()
    assert logits.dtype == BF16 and out.dtype == torch.bfloat16
    np.testing.assert_allclose(logits.data.astype(np.float32), out.detach().float().numpy(), atol=0.05,
                               rtol=0.02)
    assert float(loss.data) == pytest.approx(float(tloss), rel=0.02)
    for a, b in zip(ours, theirs):
        assert a.grad.dtype == np.float32
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), atol=0.02, rtol=0.05)


def test_bfloat16_by_name_in_a_fresh_process_and_ml_dtypes_imported_lazily():
    """`import autograd_core` does not pay for ml_dtypes (most of a second); "bfloat16" by name
    still works everywhere a dtype is taken, before anything imported ml_dtypes."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, autograd_core as ag, nn\n"
            "assert 'ml_dtypes' not in sys.modules\n"
            "assert ag.autocast(dtype='bfloat16').dtype.name == 'bfloat16'\n"
            "assert nn.Linear(2, 2, dtype='bfloat16').weight.dtype.name == 'bfloat16'\n"
            "assert ag.zeros(2, dtype='bfloat16').dtype == ag.bfloat16\n"
            "assert float(ag.finfo('bfloat16').eps) == 2 ** -7\n")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": ""}, timeout=120)
    assert done.returncode == 0, done.stderr
