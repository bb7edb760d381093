"""nn.Module hooks (forward pre-hooks, forward hooks, full backward hooks) against torch."""

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")


def _pair(seed=0):
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((5, 3))
    return ours, tm, x


def test_forward_pre_hook_and_forward_hook_replace_args_and_output():
    ours, tm, x = _pair()
    for model in (ours, tm):
        model[0].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        model[2].register_forward_hook(lambda m, args, out: out + 1)
    np.testing.assert_allclose(ours(ag.tensor(x)).data, tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)


def test_forward_hooks_see_inputs_and_outputs_and_handles_remove():
    ours, _, x = _pair()
    seen = []
    handle = ours[1].register_forward_hook(lambda m, args, out: seen.append((args[0].shape, out.shape)))
    ours(ag.tensor(x))
    assert seen == [((5, 4), (5, 4))]
    handle.remove()
    ours(ag.tensor(x))
    assert len(seen) == 1
    assert not ours[1]._has_hooks


def test_with_kwargs_and_prepend_order():
    layer = nn.Linear(2, 2)
    order = []
    layer.register_forward_pre_hook(lambda m, a: order.append("second"))
    layer.register_forward_pre_hook(lambda m, a: order.append("first"), prepend=True)
    layer.register_forward_hook(lambda m, a, k, out: order.append(("kw", k)), with_kwargs=True)
    layer(ag.ones((1, 2)))
    assert order == ["first", "second", ("kw", {})]


def test_full_backward_hook_matches_torch_grad_input_and_grad_output():
    ours, tm, x = _pair()
    records = {"ours": [], "torch": []}

    def make(key):
        def hook(module, grad_input, grad_output):
            records[key].append(([None if g is None else np.array(g.detach().numpy() if key == "torch"
                                                                   else g.data) for g in grad_input],
                                 [np.array(g.detach().numpy() if key == "torch" else g.data)
                                  for g in grad_output]))
        return hook

    ours[1].register_full_backward_hook(make("ours"))
    tm[1].register_full_backward_hook(make("torch"))
    xo = ag.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    (ours(xo) ** 2).sum().backward()
    (tm(xt) ** 2).sum().backward()
    assert len(records["ours"]) == len(records["torch"]) == 1
    (gi, go), (gi_t, go_t) = records["ours"][0], records["torch"][0]
    for a, b in zip(gi + go, gi_t + go_t):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-10)


def test_full_backward_hook_can_replace_grad_input():
    ours, tm, x = _pair()
    for model in (ours, tm):
        model[1].register_full_backward_hook(lambda m, gi, go: tuple(g * 0.5 for g in gi))
    xo = ag.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ours(xo).sum().backward()
    tm(xt).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-10)
    for (name, p), pt in zip(ours.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.data, pt.grad.numpy(), rtol=1e-10, err_msg=name)


def test_backward_hook_on_first_layer_with_input_not_requiring_grad():
    ours, tm, x = _pair()
    got = {}
    for key, model in (("ours", ours), ("torch", tm)):
        model[0].register_full_backward_hook(
            lambda m, gi, go, key=key: got.__setitem__(key, (gi, go[0].shape)))
    ours(ag.tensor(x)).sum().backward()
    tm(torch.tensor(x)).sum().backward()
    assert got["ours"][0] == (None,) and got["torch"][0] == (None,)
    assert tuple(got["ours"][1]) == tuple(got["torch"][1])


def test_call_without_hooks_stays_on_the_plain_path():
    layer = nn.Linear(2, 2)
    assert not layer._has_hooks and "_forward_hooks" not in layer.__dict__
    handle = layer.register_full_backward_hook(lambda *a: None)
    assert layer._has_hooks
    with handle:
        pass
    assert not layer._has_hooks
