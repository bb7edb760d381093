"""Containers: Sequential (a chain of modules), ModuleList and ModuleDict (registered collections)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping

from autograd_core.errors import DTypeError, IndexOutOfRangeError, InvalidArgumentError

from .module import Module, _add_indent

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _index(position: Any, length: int, owner: str) -> int:
    """A non-negative position from an int-like index, checked against `length`."""
    try:
        index = operator.index(position)
    except TypeError:
        raise DTypeError(f"{owner} indices must be integers or slices, "
                         f"got {type(position).__name__}") from None
    if not -length <= index < length:
        raise IndexOutOfRangeError(f"{owner}: index {index} is out of range for {length} module(s)")
    return index % length


class Sequential(Module):
    """Modules applied one after another: `Sequential(a, b, c)(x) == c(b(a(x)))`. Children are named
    '0', '1', ... (or by the keys of an OrderedDict passed as the only argument)."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input: Any) -> Any:  # noqa: A002 (PyTorch's name)
        """Feeds the input through every module in order."""
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_index(index, len(self), type(self).__name__)]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules.keys())[_index(index, len(self), type(self).__name__)]
        setattr(self, key, module)

    def __delitem__(self, index: int | slice) -> None:
        _delete_and_renumber(self, index)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Adds a module at the end."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Inserts a module before position `index` (renumbering the ones after it)."""
        if not isinstance(module, Module):
            raise DTypeError(f"{type(self).__name__}.insert: expected a Module, got {type(module).__name__}")
        length = len(self)
        if not -length <= index <= length:
            raise IndexOutOfRangeError(f"{type(self).__name__}.insert: index {index} is out of range for "
                                       f"{length} module(s)")
        index = index % (length + 1) if index < 0 else index
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for position, item in enumerate(modules):
            self._modules[str(position)] = item
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Appends every module of an iterable."""
        for module in modules:
            self.append(module)
        return self

    def pop(self, index: int | slice) -> Module:
        """Removes and returns the module at `index`."""
        module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A list of modules that are registered as children (so their parameters are found), named
    '0', '1', ...; it has no forward of its own."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_index(index, len(self), type(self).__name__))]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, str(_index(index, len(self), type(self).__name__)), module)

    def __delitem__(self, index: int | slice) -> None:
        _delete_and_renumber(self, index)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return type(self)(list(self) + list(other))

    def append(self, module: Module) -> ModuleList:
        """Adds a module at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Appends every module of an iterable."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise DTypeError(f"{type(self).__name__}.extend should be called with an iterable of modules, "
                             f"got a single {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Inserts a module before position `index`."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for position, item in enumerate(modules):
            self.add_module(str(position), item)

    def pop(self, index: int = -1) -> Module:
        """Removes and returns the module at `index` (the last by default)."""
        module = self[index]
        del self[index]
        return module

    def __repr__(self) -> str:
        """Like PyTorch's: runs of identical modules are shown once as '(0-2): 3 x Linear(...)'."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs: list[list] = [[0, 0, reprs[0]]]
        for position, text in enumerate(reprs[1:], 1):
            if text == runs[-1][2]:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        lines = []
        for start, end, text in runs:
            line = f"({start}): {text}" if start == end else f"({start}-{end}): {end - start + 1} x {text}"
            lines.append(_add_indent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward: iterate over it and call the modules")


class ModuleDict(Module):
    """An ordered dict of modules that are registered as children under their keys."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no key {key!r} (keys: {list(self._modules)})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return self._modules.items()

    def clear(self) -> None:
        """Removes every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Removes and returns the module under `key`."""
        module = self[key]
        del self[key]
        return module

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Adds (or replaces) modules from a mapping or an iterable of (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for entry in pairs:
            if not isinstance(entry, (tuple, list)) or len(entry) != 2:
                raise InvalidArgumentError(f"ModuleDict.update: expected (key, module) pairs, got {entry!r}")
            self[entry[0]] = entry[1]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward: look modules up by key and call them")


def _delete_and_renumber(container: Module, index: int | slice) -> None:
    """Deletes the children at `index` of a numbered container (Sequential, ModuleList) and
    renames the rest 0, 1, 2... in order, as PyTorch does."""
    keys = list(container._modules.keys())
    if isinstance(index, slice):
        doomed = keys[index]
    else:
        doomed = [keys[_index(index, len(container), type(container).__name__)]]
    for key in doomed:
        del container._modules[key]
    modules = list(container._modules.values())
    container._modules.clear()
    for position, module in enumerate(modules):
        container._modules[str(position)] = module
