"""Saving and loading state dicts as .safetensors files or .npz archives, never with pickle.

`save(obj, path)` / `load(path)` pick the format by the file's extension:

* `.safetensors`: the format of the Hugging Face libraries and of `safetensors.torch`, written and read
  with the `safetensors` package's numpy API (bfloat16 through `ml_dtypes`). Keys are the state_dict's
  dotted names, which are PyTorch's, so a file written here loads into the equivalent `torch.nn`
  model with `safetensors.torch.load_file` + `load_state_dict(strict=True)` and vice versa. The header's
  `__metadata__` (str -> str) holds the project version, the module's repr and what the caller adds.
* anything else (`.npz`, `.pt`, ...): numpy's zip of `.npy` members, written to exactly the path given
  (np.savez would append '.npz') and for any key (np.savez reserves 'file' and 'allow_pickle').

Both loaders treat the file as untrusted: every size the file declares (shapes x itemsize, header
lengths, offsets, zip member sizes) is checked against the file's real size and against `max_bytes`
before any array memory is allocated, only plain numeric dtypes are accepted, and every way a file
can be unreadable is a SerializationError naming the file and the member.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import warnings
import zipfile
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from autograd_core import Tensor
from autograd_core.errors import AutogradError, DTypeError, InvalidArgumentError

from .module import Module

__all__ = ["SerializationError", "save", "load", "load_metadata", "DEFAULT_MAX_BYTES"]

PathLike = str | os.PathLike

DEFAULT_MAX_BYTES = 2**30
"""The most bytes of array data `load` decodes from one file unless told otherwise (1 GiB)."""

SAFETENSORS_MAX_HEADER_BYTES = 100_000_000
"""The largest safetensors JSON header accepted (the limit of the safetensors library itself)."""

_NPY_MAX_HEADER_CHARS = 10_000
_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand one compressed byte to more than ~1032 bytes
DEFAULT_MAX_RATIO = 100.0
"""The most a deflated .npz member may inflate (uncompressed / compressed size) beyond its first MiB:
the zip-bomb rule of Apache POI's ZipSecureFile. Real weights compress about 1.1:1."""
_RATIO_GRACE_BYTES = 2**20


class SerializationError(AutogradError, ValueError):
    """A file could not be read (or written) as a state dict: truncated, foreign, hostile or unsafe."""


def _bfloat16() -> Any:
    try:
        import ml_dtypes
    except ImportError:  # pragma: no cover - ml_dtypes is a dependency
        return None
    return np.dtype(ml_dtypes.bfloat16)


def _is_safetensors(path: PathLike) -> bool:
    return os.fspath(path).lower().endswith(".safetensors")


def _is_numeric(dtype: np.dtype) -> bool:
    """bool, signed/unsigned int, float and complex dtypes (and bfloat16): what a weight file may hold."""
    plain = dtype.kind in "biufc" and dtype.fields is None and dtype.subdtype is None and not dtype.hasobject
    return plain or dtype == _bfloat16()


# ---------------------------------------------------------------------------------------------
# save
# ---------------------------------------------------------------------------------------------

def _as_arrays(obj: Module | Mapping[str, Any], path: PathLike) -> OrderedDict:
    state = obj.state_dict() if isinstance(obj, Module) else obj
    if not isinstance(state, Mapping):
        raise DTypeError(f"nn.save: expected a Module or a dict of arrays, got {type(obj).__name__}")
    arrays = OrderedDict()
    for key, value in state.items():
        if not isinstance(key, str):
            raise DTypeError(f"nn.save: state dict keys must be strings, got {key!r}")
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        if not _is_numeric(array.dtype):
            raise SerializationError(f"nn.save: cannot save {key!r} to {os.fspath(path)!r}: dtype "
                                     f"{array.dtype} is not a plain numeric type (it would need pickle)")
        arrays[key] = array
    return arrays


def _metadata_for(obj: Module | Mapping[str, Any], metadata: Mapping[str, str] | None) -> dict[str, str]:
    """The safetensors header metadata: PyTorch's layout marker, the project version, the module's
    repr (its architecture) and the caller's entries (which win)."""
    from autograd_core import __version__

    result = {"format": "pt", "autograd_core.version": __version__}
    if isinstance(obj, Module):
        result["autograd_core.module"] = repr(obj)
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise DTypeError(f"nn.save: metadata must be a dict of str -> str, got {type(metadata).__name__}")
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise DTypeError(f"nn.save: metadata must map str -> str, got {key!r}: {value!r} "
                                 "(json.dumps a structured value)")
        result.update(metadata)
    return result


def save(obj: Module | Mapping[str, Any], path: PathLike, *,
         metadata: Mapping[str, str] | None = None) -> None:
    """Writes a module's state_dict (or a dict name -> array/Tensor) to `path`.

    `.safetensors` paths get a safetensors file (with `metadata`, str -> str, in its header); any other
    path an .npz archive, which has no header (passing `metadata` for it is an InvalidArgumentError).
    """
    arrays = _as_arrays(obj, path)
    if _is_safetensors(path):
        _save_safetensors(arrays, path, _metadata_for(obj, metadata))
        return
    if metadata is not None:
        raise InvalidArgumentError(f"nn.save: metadata can only be stored in a .safetensors file, not "
                                   f"{os.fspath(path)!r}")
    for key, array in arrays.items():
        if array.dtype == _bfloat16():
            raise SerializationError(f"nn.save: {key!r} is bfloat16, which .npz cannot store faithfully "
                                     "(numpy would write raw 2-byte voids): save to a .safetensors path")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _save_safetensors(arrays: OrderedDict, path: PathLike, metadata: dict[str, str]) -> None:
    from safetensors import SafetensorError
    from safetensors.numpy import save_file

    supported = set(_safetensors_dtypes().values())
    for key, array in arrays.items():
        if array.dtype.newbyteorder("=") not in supported:
            raise SerializationError(f"nn.save: cannot save {key!r} to {os.fspath(path)!r}: safetensors has "
                                     f"no dtype for {array.dtype} (supported: "
                                     f"{', '.join(sorted(str(d) for d in supported))})")
    contiguous = {key: np.ascontiguousarray(array) for key, array in arrays.items()}
    try:
        save_file(contiguous, path, metadata=metadata)
    except (SafetensorError, ValueError, TypeError) as exc:
        raise SerializationError(f"nn.save: cannot write {os.fspath(path)!r} as safetensors: {exc}") from None


# ---------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------

def _check_max_bytes(max_bytes: Any) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 0:
        raise InvalidArgumentError(f"nn.load: max_bytes must be a non-negative integer, got {max_bytes!r}")
    return int(max_bytes)


def load(path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES,
         max_ratio: float | None = DEFAULT_MAX_RATIO) -> OrderedDict:
    """Reads a file written by `save` (or by `safetensors.torch.save_file`, or np.savez): an ordered
    dict name -> numpy array, never unpickling.

    `max_bytes` bounds the array data the whole file may decode to (default 1 GiB); a file declaring
    more, or declaring sizes its bytes cannot hold, is refused before anything is allocated.
    `max_ratio` (.npz only) refuses a compressed member that inflates more than that many times its
    compressed size beyond its first MiB (a zip bomb); None lifts the rule (e.g. for huge zero buffers
    saved with np.savez_compressed).
    """
    limit = _check_max_bytes(max_bytes)
    if max_ratio is not None and (isinstance(max_ratio, bool) or not isinstance(max_ratio, (int, float))
                                  or not max_ratio >= 1):
        raise InvalidArgumentError(f"nn.load: max_ratio must be a number >= 1 or None, got {max_ratio!r}")
    if _is_safetensors(path):
        return _load_safetensors(os.fspath(path), limit)
    return _load_npz(os.fspath(path), limit, max_ratio)


def load_metadata(path: PathLike) -> dict[str, str]:
    """The `__metadata__` of a .safetensors file's header (validated like `load`); {} for other files."""
    if not _is_safetensors(path):
        return {}
    metadata, _, _ = _read_safetensors_header(os.fspath(path), DEFAULT_MAX_BYTES, check_sizes=False)
    return metadata


# ---- .npz -----------------------------------------------------------------------------------

def _corrupt(name: str, member: str, detail: str) -> SerializationError:
    return SerializationError(f"nn.load: member {member!r} of {name!r} is corrupt or truncated: {detail}")


def _read_npy_header(stream: Any, name: str, member: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from a .npy member's header, every field validated. The header's
    declared length is checked before it is read (numpy would read all of it, then check)."""
    try:
        prefix = stream.read(8)
        if len(prefix) < 8 or prefix[:6] != b"\x93NUMPY":
            raise ValueError("the .npy magic string is missing")
        length_format = {1: "<H", 2: "<I"}.get(prefix[6], "<H")
        length_bytes = stream.read(struct.calcsize(length_format))
        if len(length_bytes) < struct.calcsize(length_format):
            raise ValueError("the header length is cut off")
        (length,) = struct.unpack(length_format, length_bytes)
        if length > _NPY_MAX_HEADER_CHARS:
            raise ValueError(f"the header claims {length:,} bytes, more than {_NPY_MAX_HEADER_CHARS:,}")
        header = stream.read(length)
        stream = io.BytesIO(prefix + length_bytes + header)
        version = np.lib.format.read_magic(stream)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(
                    stream, max_header_size=_NPY_MAX_HEADER_CHARS)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(
                    stream, max_header_size=_NPY_MAX_HEADER_CHARS)
            else:
                raise ValueError(f".npy format version {version} is not supported (only 1.0 and 2.0)")
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, EOFError, OSError,
            zipfile.BadZipFile) as exc:
        detail = " ".join(str(exc).split("\n")[:1])[:200]
        raise _corrupt(name, member, f"its .npy header is unreadable ({detail})") from None
    if dtype.hasobject:
        raise SerializationError(f"nn.load: member {member!r} of {name!r} holds Python objects (dtype "
                                 f"{dtype}), which cannot be loaded without pickle; refused")
    if not _is_numeric(dtype):
        raise SerializationError(f"nn.load: member {member!r} of {name!r} has dtype {dtype}, not a plain "
                                 "numeric type (bool, int, uint, float, complex); refused")
    if any(isinstance(d, bool) or d < 0 for d in shape):
        raise _corrupt(name, member, f"its header declares the impossible shape {shape}")
    return tuple(int(d) for d in shape), bool(fortran), dtype


def _too_large(name: str, member: str, shape: tuple, dtype: np.dtype, nbytes: int, limit: int) -> Exception:
    return SerializationError(
        f"nn.load: member {member!r} of {name!r} declares shape {shape} of {dtype} = {nbytes:,} bytes, "
        f"more than max_bytes={limit:,} allows (pass a larger max_bytes to load it on purpose)")


def _load_npz(name: str, limit: int, max_ratio: float | None) -> OrderedDict:
    with open(name, "rb") as file:  # FileNotFoundError / IsADirectoryError / PermissionError as they are
        magic = file.read(6)
    if magic == b"\x93NUMPY":
        raise SerializationError(f"nn.load: {name!r} holds a single .npy array, not an .npz state dict "
                                 "archive")
    file_size = os.path.getsize(name)
    try:
        archive = zipfile.ZipFile(name)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise SerializationError(f"nn.load: {name!r} is not a readable .npz state dict archive "
                                 f"(truncated or not written by nn.save): {exc}") from None
    with archive:
        try:
            plan = _plan_npz(archive, name, file_size, limit, max_ratio)
            result = OrderedDict()
            for key, info, shape, fortran, dtype in plan:
                result[key] = _read_npy_member(archive, info, name, shape, fortran, dtype)
        except MemoryError:
            raise SerializationError(f"nn.load: not enough memory to load {name!r} (its sizes were within "
                                     "max_bytes)") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError) as exc:
            if isinstance(exc, SerializationError):
                raise
            raise SerializationError(f"nn.load: {name!r} is a corrupt or truncated archive: {exc}") from None
    return result


def _plan_npz(archive: zipfile.ZipFile, name: str, file_size: int, limit: int,
              max_ratio: float | None) -> list:
    """Validates every member's zip entry and .npy header (reading headers only) and returns
    (key, info, shape, fortran_order, dtype) per member; nothing large is allocated."""
    plan = []
    keys: set[str] = set()
    total = 0
    for info in archive.infolist():
        member = info.filename
        if info.is_dir() or not member.endswith(".npy"):
            raise SerializationError(f"nn.load: member {member!r} of {name!r} is not a .npy array; a state "
                                     "dict archive holds only numeric .npy members")
        key = member[:-len(".npy")]
        if key in keys:
            raise SerializationError(f"nn.load: member {member!r} appears twice in {name!r}")
        keys.add(key)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SerializationError(f"nn.load: member {member!r} of {name!r} uses zip compression method "
                                     f"{info.compress_type}; only stored and deflated members are read")
        if info.header_offset + info.compress_size > file_size:
            raise _corrupt(name, member, f"it claims {info.compress_size:,} bytes at offset "
                                         f"{info.header_offset:,} of a {file_size:,}-byte file")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _corrupt(name, member, f"a stored member of {info.compress_size:,} bytes claims to hold "
                                         f"{info.file_size:,}")
        if info.file_size > _DEFLATE_MAX_RATIO * info.compress_size + 4096:
            raise _corrupt(name, member, f"{info.compress_size:,} compressed bytes cannot inflate to the "
                                         f"{info.file_size:,} bytes it claims")
        if (max_ratio is not None and info.compress_type != zipfile.ZIP_STORED
                and info.file_size > _RATIO_GRACE_BYTES + max_ratio * info.compress_size):
            raise SerializationError(
                f"nn.load: member {member!r} of {name!r} inflates {info.compress_size:,} compressed bytes "
                f"to {info.file_size:,} (more than max_ratio={max_ratio:g} times): refused as a zip bomb "
                "(pass max_ratio=None to load it on purpose)")
        with archive.open(info) as stream:
            shape, fortran, dtype = _read_npy_header(stream, name, member)
            data_offset = stream.tell()
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > limit - total:
            raise _too_large(name, member, shape, dtype, nbytes, limit - total)
        if data_offset + nbytes != info.file_size:
            raise _corrupt(name, member, f"its header declares shape {shape} of {dtype} = {nbytes:,} bytes "
                                         f"of data, but the member holds {info.file_size - data_offset:,}")
        total += nbytes
        plan.append((key, info, shape, fortran, dtype))
    return plan


def _read_npy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, shape: tuple,
                     fortran: bool, dtype: np.dtype) -> np.ndarray:
    """The array of a member validated by `_plan_npz`, read into one preallocated buffer; the zip
    checksum is verified (the stream is read to its end)."""
    array = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
    buffer = memoryview(array.reshape(-1).view(np.uint8))
    with archive.open(info) as stream:
        _read_npy_header(stream, name, info.filename)
        filled = 0
        while filled < len(buffer):
            count = stream.readinto(buffer[filled:])
            if not count:
                raise _corrupt(name, info.filename,
                               f"the data ends after {filled:,} of {len(buffer):,} bytes")
            filled += count
        if stream.read(1):
            raise _corrupt(name, info.filename, "there are bytes after the array data")
    return array.T if fortran else array


# ---- .safetensors ---------------------------------------------------------------------------

def _safetensors_dtypes() -> dict[str, np.dtype]:
    """safetensors dtype names -> numpy dtypes, for the dtypes safetensors' numpy API reads."""
    table = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "U16": np.uint16, "I16": np.int16,
             "U32": np.uint32, "I32": np.int32, "U64": np.uint64, "I64": np.int64, "F16": np.float16,
             "F32": np.float32, "F64": np.float64, "C64": np.complex64}
    dtypes = {key: np.dtype(value) for key, value in table.items()}
    if _bfloat16() is not None:
        dtypes["BF16"] = _bfloat16()
    return dtypes


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_safetensors_header(name: str, limit: int, check_sizes: bool = True
                             ) -> tuple[dict[str, str], list[tuple[str, np.dtype, tuple, int, int]], int]:
    """(metadata, [(key, dtype, shape, begin, end)] in file order, data start), from a header checked
    against the file's size and the safetensors spec: known dtypes, shape x itemsize == the tensor's
    byte range, ranges inside the file, contiguous and non-overlapping, covering the whole data section."""

    def corrupt(detail: str) -> SerializationError:
        return SerializationError(f"nn.load: {name!r} is not a valid safetensors file (corrupt, truncated "
                                  f"or hostile): {detail}")

    file_size = os.path.getsize(name)
    with open(name, "rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise corrupt(f"the file has {file_size} bytes, fewer than the 8-byte header length")
        header_size = int.from_bytes(prefix, "little")
        if header_size > SAFETENSORS_MAX_HEADER_BYTES:
            raise corrupt(f"the header claims {header_size:,} bytes, more than the "
                          f"{SAFETENSORS_MAX_HEADER_BYTES:,} allowed")
        if 8 + header_size > file_size:
            raise corrupt(f"the header claims {header_size:,} bytes but the file has only {file_size:,}")
        raw = file.read(header_size)
    def unique_keys(pairs: list) -> dict:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate keys {sorted({k for k in keys if keys.count(k) > 1})[:3]}")
        return dict(pairs)

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=unique_keys)
    except (ValueError, RecursionError) as exc:
        raise corrupt(f"the header is not JSON ({' '.join(str(exc).split())[:120]})") from None
    if not isinstance(header, dict):
        raise corrupt(f"the header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise corrupt("__metadata__ must map strings to strings")
    data_start = 8 + header_size
    data_size = file_size - data_start
    dtypes = _safetensors_dtypes()
    entries = []
    total = 0
    for key, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise corrupt(f"tensor {key!r} is not described by exactly dtype, shape and data_offsets")
        dtype_name, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype_name not in dtypes:
            raise SerializationError(f"nn.load: tensor {key!r} of {name!r} has dtype {dtype_name!r}, which "
                                     f"is unknown or unsupported here (known: {', '.join(dtypes)})")
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            raise corrupt(f"tensor {key!r} has the impossible shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets)
                or offsets[0] > offsets[1]):
            raise corrupt(f"tensor {key!r} has invalid data_offsets {offsets!r}")
        dtype = dtypes[dtype_name]
        nbytes = math.prod(shape) * dtype.itemsize
        total += nbytes
        if check_sizes and total > limit:
            raise SerializationError(f"nn.load: tensor {key!r} of {name!r} declares shape {tuple(shape)} of "
                                     f"{dtype_name} = {nbytes:,} bytes, which brings the file's tensors to "
                                     f"{total:,} bytes, more than max_bytes={limit:,} allows (pass a larger "
                                     "max_bytes to load it on purpose)")
        if check_sizes and offsets[1] > data_size:
            raise corrupt(f"tensor {key!r} ends at byte {offsets[1]:,} of a data section of {data_size:,} "
                          "bytes")
        if nbytes != offsets[1] - offsets[0]:
            raise corrupt(f"tensor {key!r} declares shape {tuple(shape)} of {dtype_name} = {nbytes:,} bytes "
                          f"but data_offsets {offsets} span {offsets[1] - offsets[0]:,}")
        entries.append((key, dtype, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda item: (item[3], item[4]))
    if check_sizes:
        position = 0
        for key, _, _, begin, end in entries:
            if begin < position:
                raise corrupt(f"tensor {key!r} (bytes {begin:,}-{end:,}) overlaps the previous tensor")
            if begin > position:
                raise corrupt(f"there is a gap of unindexed bytes before tensor {key!r}")
            position = end
        if position != data_size:
            raise corrupt(f"the tensors cover {position:,} bytes but the data section has {data_size:,}")
    return metadata, entries, data_start


def _load_safetensors(name: str, limit: int) -> OrderedDict:
    from safetensors import SafetensorError, safe_open

    with open(name, "rb"):  # FileNotFoundError / IsADirectoryError / PermissionError as they are
        pass
    _, entries, _ = _read_safetensors_header(name, limit)
    result = OrderedDict()
    try:
        with safe_open(name, framework="np") as file:
            for key, dtype, shape, _, _ in entries:
                array = file.get_tensor(key)
                if array.dtype != dtype or array.shape != shape:
                    raise SerializationError(f"nn.load: tensor {key!r} of {name!r} was read as {array.dtype} "
                                             f"{array.shape}, its header says {dtype} {shape}")
                result[key] = array if array.flags.writeable else array.copy()
    except MemoryError:
        raise SerializationError(f"nn.load: not enough memory to load {name!r} (its sizes were within "
                                 "max_bytes)") from None
    except (SafetensorError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, SerializationError):
            raise
        raise SerializationError(f"nn.load: {name!r} could not be read as safetensors: {exc}") from None
    return result
