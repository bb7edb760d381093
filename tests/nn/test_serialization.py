"""nn.save / nn.load: .npz round trips, and every unreadable file refused with a SerializationError
(a ValueError) that names the path; pickle is never used."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.errors import AutogradError, DTypeError


def small_model():
    return nn.Sequential(nn.Linear(3, 4, generator=0), nn.BatchNorm1d(4), nn.ReLU(),
                         nn.Linear(4, 2, generator=1))


def test_round_trip_of_a_module(tmp_path, rng):
    model = small_model()
    model(ag.tensor(rng.standard_normal((5, 3)).astype(np.float32)))
    path = tmp_path / "model.npz"
    nn.save(model, path)
    loaded = nn.load(path)
    assert list(loaded) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key], value)
    fresh = small_model()
    fresh.load_state_dict(loaded)
    x = ag.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)


def test_saves_to_exactly_the_given_path_and_any_key(tmp_path):
    path = tmp_path / "weights.pt"
    nn.save({"file": np.ones(2), "allow_pickle": ag.tensor([1.0]), "a.b": np.arange(3)}, path)
    assert path.exists() and not (tmp_path / "weights.pt.npz").exists()
    loaded = nn.load(str(path))
    assert list(loaded) == ["file", "allow_pickle", "a.b"]
    np.testing.assert_array_equal(loaded["a.b"], np.arange(3))
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["a.b", "allow_pickle", "file"]


def test_truncated_file_is_refused_naming_the_path(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(small_model(), path)
    data = path.read_bytes()
    for size in (len(data) // 2, 10):
        truncated = tmp_path / f"truncated{size}.npz"
        truncated.write_bytes(data[:size])
        with pytest.raises(nn.SerializationError, match=str(truncated.name)) as info:
            nn.load(truncated)
        assert isinstance(info.value, ValueError) and isinstance(info.value, AutogradError)


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an archive at all")
    with pytest.raises(nn.SerializationError, match="notes.txt"):
        nn.load(text)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    with pytest.raises(nn.SerializationError, match="single .npy array"):
        nn.load(single)
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps({"weight": np.ones(2)}))
    with pytest.raises(nn.SerializationError, match="model.pkl"):
        nn.load(pickled)


def test_npz_holding_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.ones(2), payload=np.array([{"x": 1}], dtype=object))
    with pytest.raises(nn.SerializationError, match="evil.npz.*pickle|pickle.*evil.npz"):
        nn.load(path)


def test_missing_file_and_unsaveable_values(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "absent.npz")
    with pytest.raises(nn.SerializationError, match="'bad'"):
        nn.save({"bad": np.array([object()], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(DTypeError):
        nn.save([np.ones(2)], tmp_path / "x.npz")
    with pytest.raises(DTypeError):
        nn.save({1: np.ones(2)}, tmp_path / "x.npz")
