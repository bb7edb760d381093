"""safetensors weight files shared with PyTorch (issue 15): nn.save / nn.load by extension, PyTorch's key
names, metadata in the header, bfloat16 round trips, files moved to and from torch.nn with strict=True
for every layer type of nn, and hostile files refused before allocation (issue 9's rules for .npz)."""

from __future__ import annotations

import json
import struct
import tracemalloc

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.errors import DTypeError, InvalidArgumentError

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
ml_dtypes = pytest.importorskip("ml_dtypes")
tnn = torch.nn


class Net(nn.Module):
    """Every layer type of nn with state: Embedding, Conv2d, BatchNorm2d, Linear, BatchNorm1d,
    LayerNorm, with Sequential nesting."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(32, 6), nn.BatchNorm1d(6), nn.LayerNorm(6),
                                  nn.Sequential(nn.Linear(6, 3)))

    def forward(self, image, tokens):
        return self.head(self.conv(image)), self.embed(tokens)


class TorchNet(tnn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = tnn.Embedding(10, 4)
        self.conv = tnn.Sequential(tnn.Conv2d(1, 2, 3), tnn.BatchNorm2d(2), tnn.ReLU(), tnn.Flatten())
        self.head = tnn.Sequential(tnn.Linear(32, 6), tnn.BatchNorm1d(6), tnn.LayerNorm(6),
                                   tnn.Sequential(tnn.Linear(6, 3)))

    def forward(self, image, tokens):
        return self.head(self.conv(image)), self.embed(tokens)


def inputs(rng):
    image = rng.standard_normal((5, 1, 6, 6)).astype(np.float32)
    tokens = rng.integers(0, 10, size=(5, 3))
    return image, tokens


def ours(model, image, tokens):
    out, emb = model(ag.tensor(image), ag.tensor(tokens))
    return out.data, emb.data


def theirs(model, image, tokens):
    with torch.no_grad():
        out, emb = model(torch.from_numpy(image), torch.from_numpy(tokens))
    return out.numpy(), emb.numpy()


def test_weights_written_here_load_into_torch_strictly(tmp_path, rng):
    model = Net()
    image, tokens = inputs(rng)
    for _ in range(2):  # running statistics and num_batches_tracked move away from their defaults
        ours(model, image, tokens)
    path = tmp_path / "model.safetensors"
    nn.save(model, path)

    reference = TorchNet()
    loaded = safetensors_torch.load_file(str(path))
    assert list(loaded) != [] and set(loaded) == set(reference.state_dict())
    assert loaded["conv.1.num_batches_tracked"].dtype == torch.int64
    assert int(loaded["conv.1.num_batches_tracked"]) == 2
    result = reference.load_state_dict(loaded, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(reference.state_dict()[key].numpy(), value)
    model.eval()
    reference.eval()
    for mine, torchs in zip(ours(model, image, tokens), theirs(reference, image, tokens)):
        np.testing.assert_allclose(mine, torchs, rtol=1e-5, atol=1e-6)


def test_a_file_written_by_torch_loads_here_strictly(tmp_path, rng):
    torch.manual_seed(0)
    reference = TorchNet()
    image, tokens = inputs(rng)
    reference.train()
    for _ in range(3):
        theirs(reference, image, tokens)
    path = tmp_path / "torch.safetensors"
    safetensors_torch.save_file(reference.state_dict(), str(path))

    model = Net()
    state = nn.load(path)
    assert set(state) == set(model.state_dict())
    assert state["head.1.num_batches_tracked"].dtype == np.int64
    result = model.load_state_dict(state, strict=True)
    assert isinstance(result, nn.IncompatibleKeys) and result == ([], [])
    assert int(model.head[1].num_batches_tracked.data) == 3
    model.eval()
    reference.eval()
    for mine, torchs in zip(ours(model, image, tokens), theirs(reference, image, tokens)):
        np.testing.assert_allclose(mine, torchs, rtol=1e-5, atol=1e-6)


def test_format_is_chosen_by_extension(tmp_path):
    state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
    nn.save(state, tmp_path / "a.safetensors")
    nn.save(state, tmp_path / "a.npz")
    assert (tmp_path / "a.npz").read_bytes()[:2] == b"PK"
    header_size = struct.unpack("<Q", (tmp_path / "a.safetensors").read_bytes()[:8])[0]
    header = json.loads((tmp_path / "a.safetensors").read_bytes()[8:8 + header_size])
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    for name in ("a.safetensors", "a.npz"):
        np.testing.assert_array_equal(nn.load(tmp_path / name)["w"], state["w"])


def test_metadata_holds_version_architecture_and_the_callers_entries(tmp_path):
    from safetensors import safe_open

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    path = tmp_path / "m.safetensors"
    nn.save(model, path, metadata={"config": json.dumps({"hidden": [3]})})
    metadata = nn.load_metadata(path)
    assert metadata["format"] == "pt"
    assert metadata["autograd_core.version"] == ag.__version__
    assert metadata["autograd_core.module"] == repr(model)
    assert json.loads(metadata["config"]) == {"hidden": [3]}
    with safe_open(str(path), framework="np") as file:
        assert file.metadata() == metadata
    assert nn.load_metadata(tmp_path / "absent.npz") == {}
    with pytest.raises(DTypeError, match="str -> str"):
        nn.save(model, path, metadata={"config": {"hidden": 3}})
    with pytest.raises(InvalidArgumentError, match="metadata"):
        nn.save(model, tmp_path / "m.npz", metadata={"a": "b"})


def test_bfloat16_round_trips_here_and_with_torch(tmp_path, rng):
    values = rng.standard_normal((3, 4)).astype(np.float32)
    weight = values.astype(ml_dtypes.bfloat16)
    path = tmp_path / "bf16.safetensors"
    nn.save({"weight": weight, "bias": np.zeros(3, dtype=np.float32)}, path)

    loaded = nn.load(path)
    assert loaded["weight"].dtype == np.dtype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(loaded["weight"].view(np.uint16), weight.view(np.uint16))

    in_torch = safetensors_torch.load_file(str(path))
    assert in_torch["weight"].dtype == torch.bfloat16
    np.testing.assert_array_equal(in_torch["weight"].view(torch.int16).numpy().view(np.uint16),
                                  weight.view(np.uint16))

    torch_path = tmp_path / "torch_bf16.safetensors"
    reference = torch.from_numpy(values).bfloat16()
    safetensors_torch.save_file({"weight": reference, "bias": torch.ones(3, dtype=torch.bfloat16)},
                                str(torch_path))
    from_torch = nn.load(torch_path)
    assert from_torch["weight"].dtype == np.dtype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(from_torch["weight"].astype(np.float32), reference.float().numpy())
    layer = nn.Linear(4, 3)
    layer.load_state_dict(from_torch, strict=True)
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, reference.float().numpy())
    np.testing.assert_array_equal(layer.bias.data, np.ones(3, dtype=np.float32))


# ---- hostile files ------------------------------------------------------------------------------

def craft(path, header, data: bytes = b"", header_size: int | None = None):
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    size = len(raw) if header_size is None else header_size
    path.write_bytes(struct.pack("<Q", size) + raw + data)
    return path


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


@pytest.mark.parametrize("header, data, header_size, fragment", [
    (b"{}", b"", 2**62, "more than the 100,000,000"),
    (b"{}", b"", 1000, "file has only"),
    (b"{nope", b"", None, "not JSON"),
    (b"[" * 200_000 + b"]" * 200_000, b"", None, "not JSON"),
    (b"\xff\xfe{}", b"", None, "not JSON"),
    ([1, 2], b"", None, "not an object"),
    (b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
     b'"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', bytes(8), None, "duplicate keys"),
    ({"w": entry("F7", [2], 0, 8)}, bytes(8), None, "'F7'"),
    ({"w": entry("F32", [-1, 2], 0, 8)}, bytes(8), None, "impossible shape"),
    ({"w": entry("F32", [True], 0, 4)}, bytes(4), None, "impossible shape"),
    ({"w": entry("F32", "2", 0, 8)}, bytes(8), None, "impossible shape"),
    ({"w": entry("F32", [2], 8, 0)}, bytes(8), None, "invalid data_offsets"),
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "extra": 1}}, bytes(8), None,
     "exactly dtype, shape and data_offsets"),
    ({"w": entry("F32", [4], 0, 8)}, bytes(8), None, "span"),
    ({"w": entry("F64", [10**7, 10**7], 0, 8 * 10**14)}, bytes(8), None, "max_bytes"),
    ({"w": entry("F32", [2], 0, 8)}, bytes(4), None, "ends at byte 8 of a data section of 4"),
    ({"a": entry("F32", [4], 0, 16), "b": entry("F32", [4], 8, 24)}, bytes(24), None, "overlaps"),
    ({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 16, 24)}, bytes(24), None, "gap"),
    ({"a": entry("F32", [2], 0, 8)}, bytes(16), None, "cover 8 bytes"),
    ({"__metadata__": {"a": 1}, "w": entry("F32", [2], 0, 8)}, bytes(8), None, "__metadata__"),
    ({"__metadata__": [], "w": entry("F32", [2], 0, 8)}, bytes(8), None, "__metadata__"),
])
def test_hostile_safetensors_files_are_refused(tmp_path, header, data, header_size, fragment):
    path = craft(tmp_path / "evil.safetensors", header, data, header_size)
    with pytest.raises(nn.SerializationError, match="evil.safetensors") as info:
        nn.load(path)
    assert fragment in str(info.value)


def test_a_tiny_file_declaring_a_huge_tensor_is_refused_before_allocation(tmp_path):
    header = {"w": entry("F64", [10**5, 10**5], 0, 8 * 10**10)}
    path = craft(tmp_path / "huge.safetensors", header, bytes(8))
    assert path.stat().st_size < 200
    tracemalloc.start()
    try:
        with pytest.raises(nn.SerializationError, match="'w'"):
            nn.load(path, max_bytes=10**12)
        with pytest.raises(nn.SerializationError, match="max_bytes"):
            nn.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5e6


def test_max_bytes_and_truncation_of_real_files(tmp_path):
    path = tmp_path / "two.safetensors"
    nn.save({"a": np.ones(100), "b": np.ones(100, dtype=np.float32)}, path)
    assert set(nn.load(path, max_bytes=1200)) == {"a", "b"}
    with pytest.raises(nn.SerializationError, match="max_bytes=1,199"):
        nn.load(path, max_bytes=1199)
    data = path.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 12, 5):
        truncated = tmp_path / f"cut{cut}.safetensors"
        truncated.write_bytes(data[:cut])
        with pytest.raises(nn.SerializationError, match=f"cut{cut}.safetensors") as info:
            nn.load(truncated)
        assert cut != 5 or "fewer than the 8-byte" in str(info.value)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "absent.safetensors")


def test_unsupported_values_are_refused_when_saving(tmp_path):
    with pytest.raises(nn.SerializationError, match="'c'"):
        nn.save({"c": np.ones(2, dtype=np.complex128)}, tmp_path / "c.safetensors")
    with pytest.raises(nn.SerializationError, match="'s'"):
        nn.save({"s": np.array(["x"])}, tmp_path / "s.safetensors")
