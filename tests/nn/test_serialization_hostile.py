"""nn.load on hostile .npz archives (issue 9, "Untrusted input"): every declared size is checked against
max_bytes and against the archive's real sizes before memory is allocated; only numeric .npy members
are read; corrupt headers are reported as corrupt files; no raw MemoryError/ValueError escapes.

The hostile files are built here byte by byte (zip structures and .npy headers), small on disk."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import nn
from autograd_core.errors import InvalidArgumentError


def npy_header(descr: str, shape: tuple, fortran: bool = False) -> bytes:
    """A version 1.0 .npy header (magic, length, padded dict) exactly as numpy writes it."""
    text = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def zip_archive(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip file from (name, stored payload, method, crc32, declared uncompressed size) tuples."""
    body = b""
    central = b""
    for name, payload, method, crc, file_size in members:
        encoded = name.encode()
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(payload),
                            file_size, len(encoded), 0) + encoded + payload
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc,
                               len(payload), file_size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central),
                      len(body), 0)
    return body + central + end


def stored(name: str, data: bytes, file_size: int | None = None) -> tuple:
    return (name, data, zipfile.ZIP_STORED, zlib.crc32(data), len(data) if file_size is None else file_size)


def test_a_1_mb_archive_inflating_to_1_gib_is_refused_before_allocation(tmp_path):
    # A real deflate bomb: 1 GiB of zeros behind a float64 header, ~1 MB on disk (each 1 MiB block of
    # zeros compresses to the same ~1 KB after a full flush, so the stream is built by repetition).
    header = npy_header("<f8", (2**27,))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(2**20)
    first = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    payload = first + block * 1024 + compressor.flush()
    crc = zlib.crc32(header)
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    path = tmp_path / "bomb.npz"
    path.write_bytes(zip_archive([("weight.npy", payload, zipfile.ZIP_DEFLATED, crc, len(header) + 2**30)]))
    assert path.stat().st_size < 1.1e6

    tracemalloc.start()
    try:
        with pytest.raises(nn.SerializationError, match=r"'weight.npy'.*zip bomb") as info:
            nn.load(path)
        assert "bomb.npz" in str(info.value)
        # Without the ratio rule, the declared 1 GiB is still checked against max_bytes first.
        with pytest.raises(nn.SerializationError, match=r"'weight.npy'.*\(134217728,\).*max_bytes"):
            nn.load(path, max_ratio=None, max_bytes=2**29)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"nn.load allocated {peak / 1e6:.0f} MB before refusing"


def test_compressed_archives_within_the_ratio_still_load(tmp_path):
    path = tmp_path / "zeros.npz"
    arrays = {"zeros": np.zeros(100_000), "noise": np.random.default_rng(0).standard_normal(1000)}
    np.savez_compressed(path, **arrays)
    loaded = nn.load(path)
    np.testing.assert_array_equal(loaded["zeros"], arrays["zeros"])
    np.testing.assert_array_equal(loaded["noise"], arrays["noise"])
    big = tmp_path / "big_zeros.npz"
    np.savez_compressed(big, zeros=np.zeros(2**19))
    with pytest.raises(nn.SerializationError, match="zip bomb"):
        nn.load(big)
    assert nn.load(big, max_ratio=None)["zeros"].shape == (2**19,)


def test_a_200_byte_header_declaring_10_7_by_10_7_is_refused(tmp_path):
    header = npy_header("<f8", (10**7, 10**7))
    path = tmp_path / "huge.npz"
    path.write_bytes(zip_archive([stored("big.npy", header)]))
    assert path.stat().st_size < 400
    with pytest.raises(nn.SerializationError, match=r"'big.npy'.*\(10000000, 10000000\).*max_bytes"):
        nn.load(path)
    # Even with the limit lifted, the declared size is checked against what the member holds.
    with pytest.raises(nn.SerializationError, match=r"'big.npy'.*corrupt.*member holds 0"):
        nn.load(path, max_bytes=10**16)


def test_max_bytes_bounds_the_whole_archive(tmp_path):
    path = tmp_path / "two.npz"
    nn.save({"a": np.ones(100), "b": np.ones(100)}, path)
    assert set(nn.load(path, max_bytes=1600)) == {"a", "b"}
    with pytest.raises(nn.SerializationError, match="'b.npy'.*max_bytes"):
        nn.load(path, max_bytes=1599)
    with pytest.raises(InvalidArgumentError, match="max_bytes"):
        nn.load(path, max_bytes=-1)


def test_a_member_whose_data_inflates_past_its_declared_size_is_refused(tmp_path):
    # The header says 10 float64 (80 bytes) and the zip entry agrees, but the deflate stream holds 1 MB:
    # the reader stops at the declared size and the checksum of the full data does not match.
    data = npy_header("<f8", (10,)) + bytes(2**20)
    payload = zlib.compress(data)[2:-4]
    declared = len(npy_header("<f8", (10,))) + 80
    path = tmp_path / "liar.npz"
    path.write_bytes(zip_archive([("w.npy", payload, zipfile.ZIP_DEFLATED, zlib.crc32(data), declared)]))
    with pytest.raises(nn.SerializationError, match="'w.npy'|liar.npz"):
        nn.load(path)


def test_declared_sizes_are_checked_against_the_archive(tmp_path):
    data = npy_header("<f4", (4,)) + np.arange(4, dtype="<f4").tobytes()
    # A stored member that claims more uncompressed bytes than it has.
    path = tmp_path / "claims.npz"
    path.write_bytes(zip_archive([stored("w.npy", data, file_size=len(data) + 10**9)]))
    with pytest.raises(nn.SerializationError, match="'w.npy'.*corrupt"):
        nn.load(path)
    # A header promising more elements than the member carries.
    short = npy_header("<f4", (400,)) + np.arange(4, dtype="<f4").tobytes()
    path = tmp_path / "short.npz"
    path.write_bytes(zip_archive([stored("w.npy", short)]))
    with pytest.raises(nn.SerializationError, match=r"'w.npy'.*corrupt.*\(400,\)"):
        nn.load(path)


@pytest.mark.parametrize("header, fragment", [
    (npy_header("<f8", (-1, 5)), "impossible shape"),
    (npy_header("<f8", (3,))[:30], "header is unreadable"),
    (b"\x93NUMPY\x01\x00\xff\xff{'descr'", "header is unreadable"),
    (b"\x93NUMPY\x07\x00" + b" " * 40, "header is unreadable"),
    (b"PK not a npy at all", "header is unreadable"),
    (b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'", "claims 2,147,483,647 bytes"),
])
def test_truncated_or_negative_headers_are_reported_as_corrupt(tmp_path, header, fragment):
    path = tmp_path / "bad.npz"
    path.write_bytes(zip_archive([stored("ok.npy", npy_header("<i8", (1,)) + bytes(8)),
                                  stored("w.npy", header)]))
    with pytest.raises(nn.SerializationError, match="'w.npy'.*corrupt") as info:
        nn.load(path)
    assert fragment in str(info.value)
    assert "pickle" not in str(info.value)


@pytest.mark.parametrize("descr", ["|O", "<U5", "|S4", "|V8", [("a", "<f4"), ("b", "<i4")], "<M8[s]"])
def test_only_numeric_npy_members_are_accepted(tmp_path, descr):
    header = npy_header(descr, (2,)) if isinstance(descr, str) else (
        b"\x93NUMPY\x01\x00" + struct.pack("<H", 118)
        + f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': (2,), }}".ljust(117).encode() + b"\n")
    itemsize = np.dtype(descr).itemsize
    path = tmp_path / "typed.npz"
    path.write_bytes(zip_archive([stored("w.npy", header + bytes(2 * itemsize))]))
    with pytest.raises(nn.SerializationError, match="'w.npy'"):
        nn.load(path)


def test_members_that_are_not_npy_arrays_are_refused(tmp_path):
    path = tmp_path / "mixed.npz"
    path.write_bytes(zip_archive([stored("w.npy", npy_header("<f8", (1,)) + bytes(8)),
                                  stored("readme.txt", b"hello")]))
    with pytest.raises(nn.SerializationError, match="'readme.txt'.*not a .npy"):
        nn.load(path)


def test_numeric_dtypes_round_trip_and_fortran_order(tmp_path):
    arrays = {"b": np.array([True, False]), "i": np.arange(3, dtype=np.int16),
              "u": np.arange(2, dtype=np.uint64), "f": np.arange(6, dtype=np.float32).reshape(2, 3),
              "c": np.array([1 + 2j], dtype=np.complex128), "scalar": np.array(7, dtype=np.int64),
              "empty": np.zeros((0, 4))}
    path = tmp_path / "all.npz"
    nn.save(arrays, path)
    loaded = nn.load(path)
    for key, value in arrays.items():
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
        np.testing.assert_array_equal(loaded[key], value)
    fortran = tmp_path / "fortran.npz"
    np.savez_compressed(fortran, w=np.asfortranarray(np.arange(12.0).reshape(3, 4)))
    np.testing.assert_array_equal(nn.load(fortran)["w"], np.arange(12.0).reshape(3, 4))


def test_bfloat16_cannot_go_to_npz(tmp_path):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    with pytest.raises(nn.SerializationError, match="bfloat16.*safetensors"):
        nn.save({"w": np.ones(2, dtype=ml_dtypes.bfloat16)}, tmp_path / "w.npz")
