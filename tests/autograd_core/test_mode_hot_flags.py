"""Issue 16: the flags `apply` reads on every op live in a per-thread HotFlags (`mode.state.hot`);
they stay per thread, and `mode.state.<flag>` still reads and writes them."""

from __future__ import annotations

import threading

import autograd_core as ag
from autograd_core import mode


def test_no_grad_in_one_thread_does_not_change_another_threads_grad_mode() -> None:
    seen = {}
    entered, checked = threading.Event(), threading.Event()

    def other() -> None:
        entered.wait()
        x = ag.tensor([1.0], requires_grad=True)
        seen["requires_grad"] = (x * 2).requires_grad
        seen["hot"] = mode.state.hot
        checked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with ag.no_grad():
        entered.set()
        checked.wait()
        assert not mode.state.hot.grad_enabled
    thread.join()
    assert seen["requires_grad"] is True
    assert seen["hot"] is not mode.state.hot


def test_the_state_attributes_read_and_write_the_hot_flags() -> None:
    previous = mode.state.grad_enabled
    try:
        mode.state.grad_enabled = False
        assert mode.state.hot.grad_enabled is False and not ag.is_grad_enabled()
        x = ag.tensor([1.0], requires_grad=True)
        assert not (x * 2).requires_grad
    finally:
        mode.state.grad_enabled = previous
    assert mode.state.hot.grad_enabled is previous
    with ag.autocast(dtype="bfloat16"):
        assert mode.state.autocast_dtype is mode.state.hot.autocast_dtype is not None
    assert mode.state.hot.autocast_dtype is None
    with ag.detect_anomaly():
        assert mode.state.hot.observed
    assert not mode.state.hot.observed
