"""Parameter and Module: the base of every layer, with PyTorch's registration, traversal,
train/eval, state_dict and repr rules."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, Mapping, NamedTuple

import numpy as np

from autograd_core import Tensor, get_default_dtype, no_grad
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError
from autograd_core.tape import replayable

from . import hooks
from autograd_core.tensor import is_differentiable_dtype

__all__ = ["Parameter", "Module", "IncompatibleKeys"]


class Parameter(Tensor):
    """A Tensor that is a module parameter: it requires grad by default and a Module registers it
    when it is assigned as an attribute. `Parameter(tensor)` shares the tensor's data; other data
    is copied (arrays keep their dtype, Python floats take the default dtype)."""

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        super().__init__(data.data if isinstance(data, Tensor) else data)
        if isinstance(data, Tensor):
            self.data = data.data
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return (_rebuild_parameter, (self.data, self.requires_grad, self.grad))

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        copy = Parameter(self.data.copy(), requires_grad=self.requires_grad)
        if self.grad is not None:
            copy.grad = Tensor._wrap(self.grad.data.copy())
        memo[id(self)] = copy
        return copy


def _rebuild_parameter(data: np.ndarray, requires_grad: bool, grad: Any) -> Parameter:
    parameter = Parameter(data, requires_grad=requires_grad)
    parameter.grad = grad
    return parameter


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` could not match: missing and unexpected keys."""

    missing_keys: list
    unexpected_keys: list


def _is_loadable_dtype(dtype: np.dtype) -> bool:
    """bool, int, uint and float arrays, and the ml_dtypes floats of checkpoints (bfloat16, float8)."""
    if dtype.kind in "biuf":
        return True
    return dtype.fields is None and getattr(dtype.type, "__module__", "").startswith("ml_dtypes")


def _add_indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class _RegisteredAttribute:
    """`module.<name>` for a registered parameter, buffer or child module, found without the
    failed normal lookup that reaching `Module.__getattr__` costs (CPython 3.11 builds and then
    discards an AttributeError on every such access: microseconds per `self.weight`).

    A non-data descriptor that `Module` puts on the class the first time an instance registers
    `name`: it reads the instance's registries on every access, so it can never go stale (direct
    edits of `_parameters`/`_modules`, deletion and renumbering in containers are all seen). An
    instance that has no registered `name` gets the usual AttributeError from `__getattr__`, and
    a plain instance attribute of that name still wins (instance dict before non-data
    descriptors)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, module: Any, owner: Any = None) -> Any:
        if module is None:
            raise AttributeError(f"type object '{owner.__name__}' has no attribute '{self.name}'")
        registries = module.__dict__
        name = self.name
        for key in ("_parameters", "_modules", "_buffers"):
            registry = registries.get(key)
            if registry is not None and name in registry:
                return registry[name]
        return module.__getattr__(name)  # the AttributeError, in __getattr__'s words


def _install_fast_attribute(cls: type, name: str) -> None:
    """Puts a `_RegisteredAttribute` for `name` on `cls` unless the class (or a base) already
    defines that name (a method, a property, or the descriptor itself)."""
    if name.isidentifier() and not any(name in klass.__dict__ for klass in cls.__mro__):
        setattr(cls, name, _RegisteredAttribute(name))


class Module:
    """Base class of layers and models: subclasses set Parameters and sub-Modules as attributes in
    `__init__` and define `forward`; calling the module runs `forward`.

    Parameters, buffers and sub-modules are registered in the order they are assigned, which fixes
    the order (and the dotted names, e.g. `layers.0.weight`) of `parameters()` and `state_dict()`.
    """

    training: bool
    _forward_pre_hooks: OrderedDict = OrderedDict()
    _forward_hooks: OrderedDict = OrderedDict()
    _backward_hooks: OrderedDict = OrderedDict()

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  "\"forward\" function")

    #: Set on an instance while it has a hook, so a call without hooks stays one branch.
    _has_hooks = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._has_hooks:
            return hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ---- hooks --------------------------------------------------------------------------------
    def _hook_registry(self, name: str) -> OrderedDict:
        registry = self.__dict__.get(name)
        if registry is None:
            registry = OrderedDict()
            object.__setattr__(self, name, registry)
        return registry

    def _refresh_hook_flag(self) -> None:
        active = bool(self._forward_pre_hooks or self._forward_hooks or self._backward_hooks)
        object.__setattr__(self, "_has_hooks", active)

    def _add_hook(self, name: str, entry: Any, prepend: bool) -> hooks.RemovableHandle:
        registry = self._hook_registry(name)
        handle = hooks.RemovableHandle(registry, self)
        registry[handle.id] = entry
        if prepend:
            registry.move_to_end(handle.id, last=False)
        self._refresh_hook_flag()
        return handle

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> hooks.RemovableHandle:
        """`hook(module, args)` (or `(module, args, kwargs)`) runs before forward and may return
        replacement args (or `(args, kwargs)`)."""
        return self._add_hook("_forward_pre_hooks", (hook, with_kwargs), prepend)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False) -> hooks.RemovableHandle:
        """`hook(module, args, output)` (or `(module, args, kwargs, output)`) runs after forward
        and may return a replacement output."""
        return self._add_hook("_forward_hooks", (hook, with_kwargs), prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> hooks.RemovableHandle:
        """`hook(module, grad_input, grad_output)` runs when the gradients with respect to the
        module's inputs are computed; it may return a replacement grad_input tuple."""
        return self._add_hook("_backward_hooks", hook, prepend)

    # ---- registration -------------------------------------------------------------------------
    def _check_initialised(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call "
                                 f"(in {type(self).__name__})")

    @staticmethod
    def _check_name(name: Any, kind: str) -> None:
        if not isinstance(name, str):
            raise DTypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise InvalidArgumentError(f"{kind} name can't contain \".\" or be empty, got {name!r}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or a None placeholder) under `name`."""
        self._check_initialised("parameters")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise DTypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                             "(nn.Parameter or None required)")
        self._parameters[name] = param
        _install_fast_attribute(type(self), name)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Adds a buffer: state that is not a parameter (e.g. BatchNorm's running_mean). Persistent
        buffers are part of the state_dict. Arrays are wrapped in a Tensor."""
        self._check_initialised("buffers")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            if not isinstance(tensor, np.ndarray):
                raise DTypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                                 "(Tensor, numpy array or None required)")
            tensor = Tensor._wrap(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        _install_fast_attribute(type(self), name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module under `name` (the attribute name for `self.name = module`)."""
        self._check_initialised("child modules")
        if module is not None and not isinstance(module, Module):
            raise DTypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module
        _install_fast_attribute(type(self), name)

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialised("parameters")
            self._forget(name, keep=self._parameters)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise DTypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                 "(nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._check_initialised("child modules")
            self._forget(name, keep=self._modules)
            self._modules[name] = value
            _install_fast_attribute(type(self), name)
        elif self.__dict__.get("_modules") is not None and name in self._modules:
            if value is not None:
                raise DTypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                 "(nn.Module or None expected)")
            self._modules[name] = None
        elif self.__dict__.get("_buffers") is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise DTypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                 "(Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict) -> None:
        """Removes `name` from the instance dict and every registry but `keep` (where it is about
        to be stored, keeping its position)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        registries = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            registry = registries.get(key)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # ---- traversal -----------------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ('' ) and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            child_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant, depth first."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct child modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        seen = set()
        owners = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                  else [(prefix, self)])
        for owner_prefix, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield owner_prefix + ("." if owner_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. ('0.weight', ...), each shared parameter once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def _member_values(self, registry: str, recurse: bool) -> Iterator[Any]:
        """The values `_named_members(registry, "", recurse)` yields, in the same order (modules
        depth first, each once; each value once), without building the dotted names or
        stacking a generator per module level: `parameters()` runs every training step."""
        seen: set = set()
        visited: set = set()
        pending = [self]
        while pending:
            module = pending.pop()
            if module in visited:
                continue
            visited.add(module)
            for value in getattr(module, registry).values():
                if value is not None and id(value) not in seen:
                    seen.add(id(value))
                    yield value
            if not recurse:
                return
            children = [child for child in module._modules.values() if child is not None]
            children.reverse()  # popped from the end: the first child is visited next
            pending += children

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (of the descendants too unless recurse=False), each shared one once."""
        if type(self).named_parameters is not Module.named_parameters:  # a subclass's own names
            for _, parameter in self.named_parameters(recurse=recurse):
                yield parameter
            return
        yield from self._member_values("_parameters", recurse)

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, e.g. ('1.running_mean', ...)."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (of the descendants too unless recurse=False)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The descendant at a dotted path such as 'layers.0' ('' is this module)."""
        module = self
        if target == "":
            return module
        for part in target.split("."):
            child = module._modules.get(part) if isinstance(module, Module) else None
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule '{part}' (looking for "
                                     f"'{target}')")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as 'layers.0.weight'."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters or module._parameters[name] is None:
            raise AttributeError(f"{type(module).__name__} has no parameter '{name}' (looking for "
                                 f"'{target}')")
        return module._parameters[name]

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of scalar parameters (only those that require grad when trainable_only)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # ---- modes and bulk operations --------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Sets training mode (Dropout active, BatchNorm uses batch statistics) on every module."""
        if not isinstance(mode, bool):
            raise DTypeError(f"train: training mode is expected to be a bool, got {type(mode).__name__}")
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Sets evaluation mode: `train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Sets requires_grad on every parameter (False freezes the module)."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    @replayable
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets every parameter's gradient: to None (default) or to zeros in place."""
        for parameter in self.parameters():
            if parameter.grad is None:
                continue
            if set_to_none:
                parameter.grad = None
            elif parameter.grad.data.flags.writeable:
                parameter.grad.data[...] = 0
            else:
                parameter.grad.data = np.zeros_like(parameter.grad.data)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Calls fn on every descendant (children first) and then on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Casts floating parameters, gradients and buffers in place (the Parameter objects stay the
        same, so optimizers keep working): `to(dtype)`, `to(device)`, `to(device, dtype)`,
        `to(tensor)`, `to(dtype=..., device=..., non_blocking=...)`, as torch. Only the CPU exists."""
        from autograd_core.device import check_device
        from autograd_core.tensor import _resolve_dtype

        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise InvalidArgumentError(f"Module.to: unexpected keyword {next(iter(kwargs))!r}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and (arg.split(":")[0] in ("cpu", "cuda", "mps") or
                                           arg.startswith("cpu")):
                device = arg
            elif type(arg).__name__ == "device":
                device = arg
            else:
                dtype = arg
        check_device(device, "Module.to")
        if dtype is None:
            return self
        target = _resolve_dtype(dtype, "Module.to")
        if not is_differentiable_dtype(target):
            raise DTypeError(f"Module.to: only floating dtypes are supported, got {target}")
        for module in self.modules():
            for tensor in list(module._parameters.values()) + list(module._buffers.values()):
                if tensor is None or not is_differentiable_dtype(tensor.dtype):
                    continue
                tensor.data = tensor.data.astype(target)
                if tensor.grad is not None:
                    tensor.grad = Tensor._wrap(tensor.grad.data.astype(target))
        return self

    def double(self) -> Module:
        """Casts floating parameters and buffers to float64."""
        return self.to(np.float64)

    def half(self) -> Module:
        """Casts floating parameters and buffers to float16."""
        return self.to(np.float16)

    def bfloat16(self) -> Module:
        """Casts floating parameters and buffers to bfloat16 (from ml_dtypes)."""
        return self.to("bfloat16")

    def float(self) -> Module:
        """Casts floating parameters and buffers to float32."""
        return self.to(np.float32)

    # ---- state_dict ---------------------------------------------------------------------------
    def _persistent_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                yield name, buffer

    def state_dict(self, *, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """name -> numpy array copy of every parameter and persistent buffer, in PyTorch's order and
        names (each module's parameters, then its buffers, then its children). keep_vars=True
        returns the Tensors themselves instead of copies."""
        if destination is None:
            destination = OrderedDict()
        for name, parameter in self._parameters.items():
            if parameter is not None:
                destination[prefix + name] = parameter if keep_vars else parameter.data.copy()
        for name, buffer in self._persistent_buffers():
            destination[prefix + name] = buffer if keep_vars else buffer.data.copy()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _state_tensors(self) -> OrderedDict:
        """name -> the live parameter or buffer Tensor, for every state_dict entry."""
        return self.state_dict(keep_vars=True)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copies arrays (numpy arrays or Tensors) into the parameters and buffers in place, casting
        them to each target's dtype (so a bfloat16 or float64 checkpoint loads into a float32 model).

        Every key, shape and dtype is checked first; on any problem nothing is changed and the error
        lists all of them in PyTorch's words and order (missing keys, unexpected keys, size
        mismatches). Returns PyTorch's `(missing_keys, unexpected_keys)` named tuple; with
        strict=False those keys are only reported, which is how a pretrained body is loaded into a
        model with a new head. Shape mismatches always raise (filter them out first to skip them)."""
        if not isinstance(state_dict, Mapping):
            raise DTypeError(f"{type(self).__name__}.load_state_dict: expected a dict, got "
                             f"{type(state_dict).__name__}")
        if not isinstance(strict, bool):
            raise DTypeError(f"{type(self).__name__}.load_state_dict: strict must be a bool, got "
                             f"{type(strict).__name__}")
        targets = self._state_tensors()
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
                            + ". ")
        values = {}
        shape_problem = False
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if not _is_loadable_dtype(array.dtype):
                problems.append(f"value for '{key}' has unsupported dtype {array.dtype} (expected a numeric "
                                "array).")
                continue
            if array.shape != target.shape:
                shape_problem = True
                problems.append(f"size mismatch for {key}: copying a param with shape {array.shape} "
                                f"from checkpoint, the shape in current model is {target.shape}.")
                continue
            values[key] = array
        if problems:
            message = (f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                       + "\n\t".join(problems))
            only_shapes = shape_problem and not (strict and (missing or unexpected))
            raise (ShapeError if only_shapes else InvalidArgumentError)(message)
        with no_grad():
            for key, array in values.items():
                targets[key].copy_(array.astype(targets[key].dtype, copy=False))
        return IncompatibleKeys(missing, unexpected)

    # ---- printing -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its constructor arguments)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _add_indent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
