"""Sequence workloads of issue 12: an LSTM training step and a transformer-encoder-layer training
step, each against a hand-written numpy forward/backward (the floor) and PyTorch CPU eager, in
float32 on one thread, from the same initial weights.

    PYTHONPATH=$PWD python benchmarks/sequences.py [--rounds N] [--profile]

- lstm:    sequence 64, batch 32, input 32, hidden 128, one layer; MSE of the output sequence
           against a fixed target; forward + backward + SGD.
- encoder: nn.TransformerEncoderLayer(d_model 64, 4 heads, dim_feedforward 256, dropout 0, relu,
           post-norm) on sequence 64, batch 16; MSE against a fixed target; forward + backward + SGD.

Before timing, the first step of autograd_core and torch must reproduce the floor's loss and
gradients (rtol 1e-3 in float32). Times: the median over rounds of each round's median step.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

LR = 0.01
DTYPE = np.float32


# ---- the numpy floor: LSTM ------------------------------------------------------------------------

def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def numpy_lstm_step(p: dict, x: np.ndarray, target: np.ndarray) -> tuple[float, dict]:
    """One step of a single-layer LSTM (torch layout, gates i, f, g, o) with MSE loss; updates p
    by SGD in place and returns (loss, gradients)."""
    w_ih, w_hh = p["weight_ih_l0"], p["weight_hh_l0"]
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    projected = x.reshape(-1, x.shape[-1]) @ w_ih.T
    projected += p["bias_ih_l0"] + p["bias_hh_l0"]
    projected = projected.reshape(steps, batch, 4 * hidden)
    gates = np.empty_like(projected)
    cells = np.empty((steps + 1, batch, hidden), DTYPE)
    hs = np.empty((steps + 1, batch, hidden), DTYPE)
    cells[0] = hs[0] = 0.0
    tanh_c = np.empty((steps, batch, hidden), DTYPE)
    for t in range(steps):
        a = projected[t] + hs[t] @ w_hh.T
        ifo = _sigmoid(a[:, np.r_[0:2 * hidden, 3 * hidden:4 * hidden]])
        i, f, o = ifo[:, :hidden], ifo[:, hidden:2 * hidden], ifo[:, 2 * hidden:]
        g = np.tanh(a[:, 2 * hidden:3 * hidden])
        gates[t, :, :hidden], gates[t, :, hidden:2 * hidden] = i, f
        gates[t, :, 2 * hidden:3 * hidden], gates[t, :, 3 * hidden:] = g, o
        cells[t + 1] = f * cells[t] + i * g
        tanh_c[t] = np.tanh(cells[t + 1])
        hs[t + 1] = o * tanh_c[t]
    out = hs[1:]
    diff = out - target
    loss = float(np.mean(diff * diff))
    d_out = (2.0 / diff.size) * diff
    d_gates = np.empty_like(gates)
    dh_next = np.zeros((batch, hidden), DTYPE)
    dc_next = np.zeros((batch, hidden), DTYPE)
    for t in range(steps - 1, -1, -1):
        i, f = gates[t, :, :hidden], gates[t, :, hidden:2 * hidden]
        g, o = gates[t, :, 2 * hidden:3 * hidden], gates[t, :, 3 * hidden:]
        dh = d_out[t] + dh_next
        dc = dc_next + dh * o * (1.0 - tanh_c[t] ** 2)
        da = d_gates[t]
        da[:, :hidden] = dc * g * i * (1.0 - i)
        da[:, hidden:2 * hidden] = dc * cells[t] * f * (1.0 - f)
        da[:, 2 * hidden:3 * hidden] = dc * i * (1.0 - g * g)
        da[:, 3 * hidden:] = dh * tanh_c[t] * o * (1.0 - o)
        dc_next = dc * f
        dh_next = da @ w_hh
    rows = d_gates.reshape(-1, 4 * hidden)
    grads = {"weight_ih_l0": rows.T @ x.reshape(-1, x.shape[-1]),
             "weight_hh_l0": rows.T @ hs[:-1].reshape(-1, hidden),
             "bias_ih_l0": rows.sum(0)}
    grads["bias_hh_l0"] = grads["bias_ih_l0"].copy()
    for name, grad in grads.items():
        p[name] -= LR * grad
    return loss, grads


# ---- the numpy floor: transformer encoder layer -----------------------------------------------------

def _layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    inv = 1.0 / np.sqrt((centered * centered).mean(-1, keepdims=True) + eps)
    xhat = centered * inv
    return xhat * weight + bias, (xhat, inv)


def _layer_norm_backward(dy, weight, cache):
    xhat, inv = cache
    dxhat = dy * weight
    dx = inv * (dxhat - dxhat.mean(-1, keepdims=True) - xhat * (dxhat * xhat).mean(-1, keepdims=True))
    rows = dy.reshape(-1, dy.shape[-1])
    return dx, (rows * xhat.reshape(rows.shape)).sum(0), rows.sum(0)


def numpy_encoder_step(p: dict, x: np.ndarray, target: np.ndarray, heads: int) -> tuple[float, dict]:
    """One step of a post-norm relu TransformerEncoderLayer (torch parameter names, seq-first
    input (L, N, E), dropout 0) with MSE loss; SGD in place; returns (loss, gradients)."""
    steps, batch, e = x.shape
    d = e // heads
    xb = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(-1, e)           # (N*L, E), batch-major
    qkv = xb @ p["self_attn.in_proj_weight"].T + p["self_attn.in_proj_bias"]

    def split(m):   # (N*L, E) -> (N, heads, L, d)
        return m.reshape(batch, steps, heads, d).transpose(0, 2, 1, 3)
    q, k, v = split(qkv[:, :e]), split(qkv[:, e:2 * e]), split(qkv[:, 2 * e:])
    scores = (q @ k.transpose(0, 1, 3, 2)) * np.float32(1.0 / np.sqrt(d))
    scores -= scores.max(-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(-1, keepdims=True)
    attended = (probs @ v).transpose(0, 2, 1, 3).reshape(-1, e)
    attn = attended @ p["self_attn.out_proj.weight"].T + p["self_attn.out_proj.bias"]
    y1, ln1 = _layer_norm(xb + attn, p["norm1.weight"], p["norm1.bias"])
    pre = y1 @ p["linear1.weight"].T + p["linear1.bias"]
    hidden = np.maximum(pre, 0.0)
    ff = hidden @ p["linear2.weight"].T + p["linear2.bias"]
    y2, ln2 = _layer_norm(y1 + ff, p["norm2.weight"], p["norm2.bias"])
    out = y2.reshape(batch, steps, e).transpose(1, 0, 2)
    diff = out - target
    loss = float(np.mean(diff * diff))

    g = {}
    d_y2 = ((2.0 / diff.size) * diff).transpose(1, 0, 2).reshape(-1, e)
    d_r2, g["norm2.weight"], g["norm2.bias"] = _layer_norm_backward(d_y2, p["norm2.weight"], ln2)
    g["linear2.weight"], g["linear2.bias"] = d_r2.T @ hidden, d_r2.sum(0)
    d_pre = (d_r2 @ p["linear2.weight"]) * (pre > 0)
    g["linear1.weight"], g["linear1.bias"] = d_pre.T @ y1, d_pre.sum(0)
    d_y1 = d_r2 + d_pre @ p["linear1.weight"]
    d_r1, g["norm1.weight"], g["norm1.bias"] = _layer_norm_backward(d_y1, p["norm1.weight"], ln1)
    g["self_attn.out_proj.weight"], g["self_attn.out_proj.bias"] = d_r1.T @ attended, d_r1.sum(0)
    d_attended = split(d_r1 @ p["self_attn.out_proj.weight"])
    d_probs = d_attended @ v.transpose(0, 1, 3, 2)
    d_v = probs.transpose(0, 1, 3, 2) @ d_attended
    d_scores = probs * (d_probs - (d_probs * probs).sum(-1, keepdims=True)) * np.float32(1.0 / np.sqrt(d))
    d_q, d_k = d_scores @ k, d_scores.transpose(0, 1, 3, 2) @ q

    def merge(m):   # (N, heads, L, d) -> (N*L, E)
        return m.transpose(0, 2, 1, 3).reshape(-1, e)
    d_qkv = np.concatenate([merge(d_q), merge(d_k), merge(d_v)], axis=1)
    g["self_attn.in_proj_weight"], g["self_attn.in_proj_bias"] = d_qkv.T @ xb, d_qkv.sum(0)
    for name, grad in g.items():
        p[name] -= LR * grad
    return loss, g


# ---- the three implementations of each workload ---------------------------------------------------

def lstm_problem(seed=0):
    import torch
    torch.manual_seed(seed)
    module = torch.nn.LSTM(32, 128)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 32, 32)).astype(DTYPE)
    target = rng.standard_normal((64, 32, 128)).astype(DTYPE) * 0.1
    state = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    return state, x, target


def encoder_problem(seed=0):
    import torch
    torch.manual_seed(seed)
    module = torch.nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 16, 64)).astype(DTYPE)
    target = rng.standard_normal((64, 16, 64)).astype(DTYPE)
    state = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
    return state, x, target


def make_runners(workload: str) -> dict:
    import torch

    import autograd_core as ag
    import nn
    import nn.functional as F
    import optim

    torch.set_num_threads(1)
    ag.set_default_dtype(np.float32)
    state, x, target = lstm_problem() if workload == "lstm" else encoder_problem()

    def build_ours():
        if workload == "lstm":
            return nn.LSTM(32, 128)
        return nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0)

    def build_torch():
        if workload == "lstm":
            return torch.nn.LSTM(32, 128)
        return torch.nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0)

    floor_params = {k: v.copy() for k, v in state.items()}

    def numpy_step():
        if workload == "lstm":
            return numpy_lstm_step(floor_params, x, target)
        return numpy_encoder_step(floor_params, x, target, 4)

    ours = build_ours()
    ours.load_state_dict(state)
    ours_opt = optim.SGD(ours.parameters(), lr=LR)

    def ours_step():
        out = ours(x)
        out = out[0] if isinstance(out, tuple) else out
        loss = F.mse_loss(out, target)
        ours_opt.zero_grad()
        loss.backward()
        grads = {n: p.grad.data for n, p in ours.named_parameters()}
        ours_opt.step()
        return float(loss.item()), grads

    theirs = build_torch()
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=LR)
    tx, ttarget = torch.from_numpy(x), torch.from_numpy(target)

    def torch_step():
        out = theirs(tx)
        out = out[0] if isinstance(out, tuple) else out
        loss = torch.nn.functional.mse_loss(out, ttarget)
        theirs_opt.zero_grad()
        loss.backward()
        grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
        theirs_opt.step()
        return float(loss.item()), grads

    return {"numpy floor": numpy_step, "autograd_core": ours_step, "torch eager": torch_step}


def check_first_steps(runners: dict) -> None:
    """The first step of every implementation gives the floor's loss and gradients."""
    reference_loss, reference = runners["numpy floor"]()
    for label in ("autograd_core", "torch eager"):
        loss, grads = runners[label]()
        if not np.isclose(loss, reference_loss, rtol=1e-4):
            raise SystemExit(f"{label}: first loss {loss} != floor {reference_loss}")
        for name, grad in reference.items():
            if not np.allclose(grads[name], grad, rtol=1e-3, atol=1e-6):
                worst = np.abs(grads[name] - grad).max()
                raise SystemExit(f"{label}: gradient of {name} differs from the floor (max {worst:.2e})")


def time_runner(step, rounds: int, seconds: float = 0.5) -> float:
    medians = []
    for _ in range(rounds):
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < seconds or len(times) < 3:
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        medians.append(statistics.median(times))
    return statistics.median(medians)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workload", choices=("lstm", "encoder", "all"), default="all")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of autograd_core's step")
    args = parser.parse_args()
    goals = {"lstm": 1.5, "encoder": 1.3}
    print("| workload | numpy floor (ms) | autograd_core (ms) | torch eager (ms) | ours / floor | goal | "
          "ours / torch |")
    print("|---|---|---|---|---|---|---|")
    for workload in (("lstm", "encoder") if args.workload == "all" else (args.workload,)):
        runners = make_runners(workload)
        check_first_steps(runners)
        times = {label: time_runner(step, args.rounds) for label, step in runners.items()}
        floor, ours, theirs = times["numpy floor"], times["autograd_core"], times["torch eager"]
        print(f"| {workload} | {floor * 1e3:.2f} | {ours * 1e3:.2f} | {theirs * 1e3:.2f} | "
              f"{ours / floor:.2f}x | {goals[workload]}x | {ours / theirs:.2f}x |", flush=True)
        if args.profile:
            import cProfile
            import pstats
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                runners["autograd_core"]()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
