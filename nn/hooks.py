"""Module hooks as PyTorch's: forward pre-hooks, forward hooks and full backward hooks, each
registered with a handle whose `.remove()` takes it off again.

Backward hooks see the gradients at the module's boundary: two identity `autograd.Function`s wrap
the module's tensor inputs and outputs; the one on the outputs notes `grad_output`, the one on
the inputs calls the hooks with `(module, grad_input, grad_output)` and lets them replace
`grad_input`. With no hook registered, none of this is on the call path.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any

from autograd_core import Tensor
from autograd_core.autograd import Function

_next_hook_id = itertools.count().__next__


class RemovableHandle:
    """What a register_*_hook call returns: `.remove()` (or leaving a `with` block) unregisters."""

    def __init__(self, registry: OrderedDict, module: Any) -> None:
        self.id = _next_hook_id()
        self._registry = registry
        self._module = module

    def remove(self) -> None:
        self._registry.pop(self.id, None)
        self._module._refresh_hook_flag()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _BoundaryState:
    """One call's bookkeeping between the two identity functions."""

    def __init__(self, module: Any, n_inputs: int) -> None:
        self.module = module
        self.n_inputs = n_inputs
        self.grad_output: tuple | None = None
        self.inputs_reached = False


def _run_backward_hooks(state: _BoundaryState, grad_input: tuple) -> tuple:
    for hook in list(state.module._backward_hooks.values()):
        replaced = hook(state.module, grad_input, state.grad_output)
        if replaced is not None:
            replaced = tuple(replaced) if isinstance(replaced, (tuple, list)) else (replaced,)
            if len(replaced) != len(grad_input):
                from autograd_core.errors import InvalidArgumentError

                raise InvalidArgumentError(
                    f"backward hook of {type(state.module).__name__} returned {len(replaced)} "
                    f"gradients for {len(grad_input)} inputs")
            grad_input = replaced
    return grad_input


class BackwardHookFunction(Function):
    """Identity on a module's inputs: in backward, calls the module's full backward hooks."""

    @staticmethod
    def forward(ctx: Any, state: _BoundaryState, *tensors: Tensor) -> Any:
        ctx.state = state
        return tensors if len(tensors) > 1 else tensors[0]

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        state = ctx.state
        grad_input = tuple(g if need else None for g, need in zip(grads, ctx.needs_input_grad[1:]))
        return (None,) + tuple(_run_backward_hooks(state, grad_input))


class BackwardHookOutputFunction(Function):
    """Identity on a module's outputs: in backward, notes grad_output (and calls the hooks itself
    when no input requires grad, as torch does)."""

    @staticmethod
    def forward(ctx: Any, state: _BoundaryState, *tensors: Tensor) -> Any:
        ctx.state = state
        return tensors if len(tensors) > 1 else tensors[0]

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        state = ctx.state
        state.grad_output = grads
        if not state.inputs_reached:
            _run_backward_hooks(state, (None,) * state.n_inputs)
        return (None,) + grads


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """Module.__call__ when some hook is registered: pre-hooks, forward (inside the backward-hook
    boundary when backward hooks exist), then forward hooks."""
    for hook, with_kwargs in list(module._forward_pre_hooks.values()):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    state = None
    if module._backward_hooks:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        state = _BoundaryState(module, len(positions))
        if any(args[i].requires_grad for i in positions):
            state.inputs_reached = True
            wrapped = BackwardHookFunction.apply(state, *[args[i] for i in positions])
            wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
            args = list(args)
            for i, t in zip(positions, wrapped):
                args[i] = t
            args = tuple(args)
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs in list(module._forward_hooks.values()):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if result is not None:
            output = result
    if state is not None:
        output = _wrap_outputs(state, output)
    return output


def _wrap_outputs(state: _BoundaryState, output: Any) -> Any:
    single = isinstance(output, Tensor)
    items = (output,) if single else tuple(output) if isinstance(output, (tuple, list)) else None
    if items is None:
        return output
    positions = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
    if not positions:
        return output
    wrapped = BackwardHookOutputFunction.apply(state, *[items[i] for i in positions])
    wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
    result = list(items)
    for i, t in zip(positions, wrapped):
        result[i] = t
    return result[0] if single else type(output)(result)
