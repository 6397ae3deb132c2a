"""HDF5 datasets: schema, determinism, resume after interruption, shards, validation errors."""

import dataclasses
import json

import h5py
import numpy as np
import pytest

from spinodal import PhaseFieldModel
from spinodal.io.datasets import (
    DatasetError,
    dataset_statistics,
    generate_split,
    join_shards,
    open_dataset,
    parse_shard,
    validation_mask,
    write_sequences,
)
from spinodal.physics.initial import draw_sequence
from spinodal.presets import get_preset

TINY = get_preset("tiny")
# Several generation batches, so shards and resume have something to split.
MULTI = dataclasses.replace(TINY, generation_batch=3)


def _contents(path):
    with h5py.File(path, "r") as f:
        data = {name: f[name][...] for name in f}
        attrs = {k: f.attrs[k] for k in f.attrs}
    return data, attrs


def _assert_same_contents(a, b, ignore_attrs=()):
    (data_a, attrs_a), (data_b, attrs_b) = _contents(a), _contents(b)
    assert data_a.keys() == data_b.keys()
    for name in data_a:
        assert np.array_equal(data_a[name], data_b[name]), name
    for key in set(attrs_a) | set(attrs_b):
        if key not in ignore_attrs:
            assert attrs_a.get(key) == attrs_b.get(key), key


@pytest.fixture(scope="module")
def train_file(tmp_path_factory):
    return generate_split(
        MULTI, "train", tmp_path_factory.mktemp("d") / "train.h5", progress=False, device="cpu"
    )


def test_schema_and_content(train_file):
    spec = MULTI.split("train")
    with open_dataset(train_file) as ds:
        assert ds.phi.shape == (spec.n_sequences, spec.n_frames + 1, spec.size, spec.size)
        assert ds.phi.dtype == np.float32 and ds.phi.chunks == (1, 1, spec.size, spec.size)
        assert ds.attrs["preset"] == "tiny" and ds.attrs["split"] == "train"
        assert json.loads(ds.attrs["split_spec"])["n_frames"] == spec.n_frames
        assert ds.pf == PhaseFieldModel()
        assert np.array_equal(ds.validation, validation_mask(spec))
        assert ds.validation.sum() == round(0.2 * spec.n_sequences)
        # per-sequence parameters are those of draw_sequence, frame 0 its initial state
        params, phi0 = draw_sequence(spec, 5)
        assert ds.eta[5] == params.eta and ds.seed[5] == params.seed
        assert np.array_equal(ds[5][0], phi0.astype(np.float32))
        # mass is conserved along every stored sequence
        means = ds.read(range(len(ds))).mean(axis=(-2, -1), dtype=np.float64)
        assert np.abs(means - means[:, :1]).max() < 1e-6


def test_frames_match_the_solver(train_file):
    """A stored sequence is the solver's trajectory from its stored initial state and η."""
    with open_dataset(train_file) as ds:
        phi = ds[2]
        again = PhaseFieldModel().evolve(phi[0], float(ds.eta[2]), ds.n_frames)
    np.testing.assert_allclose(again, phi, atol=1e-5)


def test_resume_after_interruption_gives_the_same_file(train_file, tmp_path, monkeypatch):
    """Kill generation after two batches (and leave a half-written temporary), resume: the
    result equals the uninterrupted run."""
    import spinodal.io.datasets as datasets

    out = tmp_path / "train.h5"
    original = datasets._generate_batch
    calls = {"n": 0}

    def dying(job, batch):
        if calls["n"] == 2:
            (job.parts.folder / "sequences-half-written.h5.tmp").write_bytes(b"\0" * 100)
            raise KeyboardInterrupt
        calls["n"] += 1
        return original(job, batch)

    monkeypatch.setattr(datasets, "_generate_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        generate_split(MULTI, "train", out, progress=False, device="cpu")
    assert not out.exists() and len(list((tmp_path / "train.h5.parts").glob("*.h5"))) == 2
    monkeypatch.setattr(datasets, "_generate_batch", original)
    generate_split(MULTI, "train", out, progress=False, device="cpu")
    assert not (tmp_path / "train.h5.parts").exists()
    _assert_same_contents(out, train_file, ignore_attrs=("devices",))
    # a second run finds the file complete and leaves it alone
    mtime = out.stat().st_mtime_ns
    generate_split(MULTI, "train", out, progress=False, device="cpu")
    assert out.stat().st_mtime_ns == mtime


def test_shards_join_to_the_unsharded_file(train_file, tmp_path):
    parts = [
        generate_split(
            MULTI, "train", tmp_path / f"part{k}.h5", shard=(k, 2), progress=False, device="cpu"
        )
        for k in range(2)
    ]
    with open_dataset(parts[1]) as ds:
        assert ds.attrs["shard"] == "1/2" and ds.index[0] > 0
    joined = join_shards(parts[::-1], tmp_path / "joined.h5")
    _assert_same_contents(joined, train_file, ignore_attrs=("devices",))
    with pytest.raises(DatasetError, match="exactly once"):
        join_shards([parts[0]], tmp_path / "bad.h5")


def test_existing_different_file_is_not_overwritten(train_file, tmp_path):
    out = tmp_path / "x.h5"
    out.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        generate_split(MULTI, "test", out, progress=False, device="cpu")
    assert out.read_bytes() == b"precious"


def test_reader_errors_name_the_problem(tmp_path, train_file):
    with pytest.raises(FileNotFoundError):
        open_dataset(tmp_path / "missing.h5")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(train_file.read_bytes()[:5000])
    with pytest.raises(DatasetError, match="truncated or corrupted"):
        open_dataset(truncated)
    phi = np.random.default_rng(0).random((2, 3, 8, 8))
    lacking = write_sequences(tmp_path / "lacking.h5", phi, eta=[0.0, 0.01])
    with h5py.File(lacking, "a") as f:
        del f["eta"]
    with pytest.raises(DatasetError, match="'eta'"):
        open_dataset(lacking)
    wrong = write_sequences(tmp_path / "wrong.h5", phi, eta=[0.0, 0.01])
    with h5py.File(wrong, "a") as f:
        del f["amplitude"]
        f["amplitude"] = np.zeros(3)
    with pytest.raises(DatasetError, match="amplitude must have shape"):
        open_dataset(wrong)
    with pytest.raises(DatasetError, match=r"\[S, T\+1, N, N\]"):
        write_sequences(tmp_path / "bad.h5", phi[0], eta=[0.0])


def test_streaming_batches(train_file):
    with open_dataset(train_file) as ds:
        seen = []
        for idx, phi, eta in ds.iter_batches(3, indices=ds.train_indices(), frames=slice(0, 4)):
            assert phi.shape[1:] == (4, ds.size, ds.size) and len(eta) == len(idx)
            np.testing.assert_array_equal(phi, ds.read(idx, slice(0, 4)))
            seen.extend(idx.tolist())
        assert seen == ds.train_indices().tolist()
        shuffled = [4, 0, 2]
        np.testing.assert_array_equal(ds.read(shuffled)[0], ds[4])


def test_parse_shard():
    assert parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "x", "1/0", "-1/3"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


def test_nearest_sequence_scales_each_coordinate_by_its_sampled_width():
    """Distances count ⟨φ⟩ and η relative to the widths of their sampled ranges; a missing
    target leaves its coordinate out; candidates restrict the choice; the 1-norm and the
    2-norm can pick differently; no target or no candidate is an error."""
    from spinodal.io.datasets import nearest_sequence, sampled_widths

    widths = sampled_widths(
        {
            "phi_mean": {"low": 0.2, "high": 0.8, "type": "Uniform"},
            "eta": {"values": [0.004, 0.008], "type": "Choice"},
        }
    )
    assert widths == pytest.approx((0.6, 0.004))
    assert sampled_widths({"phi_mean": {"values": [0.5]}, "eta": {"values": [0.006]}}) == (1, 1)
    phi = np.array([0.50, 0.56, 0.20, 0.536])
    eta = np.array([0.0080, 0.0060, 0.0060, 0.00672])
    w = (0.6, 0.012)  # scaled offsets: (0, 1/6), (0.1, 0), (0.5, 0), (0.06, 0.06)
    assert nearest_sequence(phi, eta, 0.5, 0.006, widths=w) == 3  # 0.085 < 0.1
    assert nearest_sequence(phi, eta, eta=0.006) == 1  # first of the tie at η = 0.006
    assert nearest_sequence(phi, eta, eta=0.0079) == 0  # one coordinate: its distance alone
    assert nearest_sequence(phi, eta, phi_mean=0.5, among=[1, 2]) == 1
    assert nearest_sequence(phi, eta, phi_mean=0.5, among=np.array([0, 0, 1, 0], bool)) == 2
    with pytest.raises(ValueError, match="target"):
        nearest_sequence(phi, eta)
    with pytest.raises(ValueError, match="candidate"):
        nearest_sequence(phi, eta, eta=0.0, among=[])


def test_dataset_nearest_uses_the_file_s_own_sampled_ranges(train_file):
    with open_dataset(train_file) as ds:
        assert ds.widths == pytest.approx((0.6, 0.012))
        k = ds.nearest(0.5, 0.006)
        distance = np.hypot((ds.phi_mean - 0.5) / 0.6, (ds.eta - 0.006) / 0.012)
        assert k == int(np.argmin(distance))
        v = ds.validation_indices()
        assert ds.nearest(eta=0.0, among=v) in v


def test_dataset_statistics(tmp_path):
    """Sequence 1 (η = 2 %) lies above Eq. 9's spinodal line at ⟨φ⟩ = 0.5 (η_s = 1.26 %):
    stable; sequence 3 (⟨φ⟩ = 0.9) lies outside the chemical spinodal: stable too."""
    rng = np.random.default_rng(1)
    S, T, N = 4, 3, 16
    phi_mean = np.array([0.5, 0.5, 0.3, 0.9])
    eta = np.array([0.0, 0.02, 0.001, 0.0])  # 0.02 lies above the spinodal line at 0.5
    phi = phi_mean[:, None, None, None] + 0.002 * rng.standard_normal((S, T + 1, N, N))
    phi[0, -1] = np.where(np.arange(N) < N // 2, 0.0, 1.0)[None, :]  # sequence 0 separated
    path = write_sequences(
        tmp_path / "d.h5", phi, eta=eta, phi_mean=phi_mean, validation=[0, 1, 0, 1]
    )
    stats = dataset_statistics(path)
    assert stats["unstable"].tolist() == [True, False, True, False]
    assert stats["separated"].tolist() == [True, False, False, False]
    assert stats["final_contrast"][0] == pytest.approx(1.0)
    assert stats["validation"].tolist() == [False, True, False, True]
    assert np.allclose(stats["measured_mean"], phi[:, 0].mean(axis=(-2, -1)))
    assert int(stats["n_frames"]) == T and int(stats["size"]) == N
