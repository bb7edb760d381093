"""Saving and loading state dicts as .npz archives (numpy's zip of .npy files, no pickle).

`save` writes the archive np.savez writes, but to exactly the path it is given (np.savez would
append '.npz') and for any key (np.savez reserves 'file' and 'allow_pickle'). `load` reads with
allow_pickle=False and turns every way a file can be unreadable into a SerializationError naming it.
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from autograd_core import Tensor
from autograd_core.errors import AutogradError, DTypeError

from .module import Module

__all__ = ["SerializationError", "save", "load"]

PathLike = str | os.PathLike


class SerializationError(AutogradError, ValueError):
    """A file could not be read (or written) as a state dict archive: truncated, foreign, or unsafe."""


def _as_arrays(obj: Module | Mapping[str, Any], path: PathLike) -> OrderedDict:
    state = obj.state_dict() if isinstance(obj, Module) else obj
    if not isinstance(state, Mapping):
        raise DTypeError(f"nn.save: expected a Module or a dict of arrays, got {type(obj).__name__}")
    arrays = OrderedDict()
    for key, value in state.items():
        if not isinstance(key, str):
            raise DTypeError(f"nn.save: state dict keys must be strings, got {key!r}")
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise SerializationError(f"nn.save: cannot save {key!r} to {os.fspath(path)!r}: dtype "
                                     f"{array.dtype} is not a plain numeric type (it would need pickle)")
        arrays[key] = array
    return arrays


def save(obj: Module | Mapping[str, Any], path: PathLike) -> None:
    """Writes a module's state_dict (or a dict name -> array/Tensor) to `path` as an .npz archive."""
    arrays = _as_arrays(obj, path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def load(path: PathLike) -> OrderedDict:
    """Reads an archive written by `save`: an ordered dict name -> numpy array, never unpickling."""
    name = os.fspath(path)
    try:
        archive = np.load(name, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise SerializationError(f"nn.load: {name!r} is not a readable .npz state dict archive "
                                 f"(truncated or not written by nn.save): {exc}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise SerializationError(f"nn.load: {name!r} holds a single .npy array, not an .npz state "
                                 "dict archive")
    result = OrderedDict()
    with archive:
        for key in archive.files:
            try:
                result[key] = archive[key]
            except ValueError as exc:
                raise SerializationError(f"nn.load: entry {key!r} of {name!r} cannot be loaded without "
                                         f"pickle (allow_pickle=False): {exc}") from None
            except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
                raise SerializationError(f"nn.load: entry {key!r} of {name!r} is corrupt or truncated: "
                                         f"{exc}") from None
    return result
