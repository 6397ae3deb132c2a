"""Hostile input, one row per case: every command refuses it in one line, or gives a correct
result, and never loses what is already on disk.

A row builds its inputs in a fresh folder (``Scene``), runs ``spinodal`` in-process, and checks
the exit status, a phrase of the one-line message, and (``after``) what is on disk. No row may
end in a traceback: ``main`` catches everything unless ``--debug`` is given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from spinodal import PhaseFieldModel
from spinodal.cli import main
from spinodal.io.datasets import generate_split, write_sequences
from spinodal.io.files import exclusive
from spinodal.physics.metrics import contrast, ensemble_summary, is_phase_separated
from spinodal.presets import ModelConfig
from spinodal.surrogate.checkpoint import CARD_FILE, MODEL_FILE, load_model, save_checkpoint
from spinodal.surrogate.model import CRNN

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    """Made once: a tiny train split, a checkpoint, an unstable checkpoint, a 16² field."""
    root = tmp_path_factory.mktemp("sources")
    train = generate_split("tiny", "train", root / "train.h5", progress=False)
    torch.manual_seed(0)
    net = CRNN(ModelConfig(hidden_channels=4))
    checkpoint = save_checkpoint(root / "ckpt", net, {"preset": "tiny"})
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.mul_(40.0)
    unstable = save_checkpoint(root / "unstable", net, {"preset": "tiny"})
    field = root / "field.npy"
    np.save(field, (0.5 + 0.05 * np.random.default_rng(0).standard_normal((16, 16))).astype("f4"))
    return {"train": train, "ckpt": checkpoint, "unstable": unstable, "field": field}


@dataclass
class Scene:
    """The folder of one row, with copies of the sources it may damage."""

    dir: Path
    sources: dict[str, Path]
    notes: dict = field(default_factory=dict)

    def copy(self, name: str, to: str) -> Path:
        source, target = self.sources[name], self.dir / to
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
        return target

    def path(self, name: str) -> Path:
        return self.dir / name


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Case:
    """One hostile input: ``argv(scene)`` runs with exit status ``status`` and ``phrase`` in
    its output; ``after(scene)`` checks the disk."""

    id: str
    argv: Callable[[Scene], list[str]]
    status: int
    phrase: str
    after: Callable[[Scene], None] | None = None


# --- builders ---------------------------------------------------------------------------------


def _kept(scene: Scene, name: str = "keep.h5") -> Path:
    path = scene.copy("train", name)
    scene.notes["digest"] = _digest(path)
    return path


def _unchanged(scene: Scene) -> None:
    assert _digest(scene.path("keep.h5")) == scene.notes["digest"], "the existing file changed"


def _simulate(*extra: str) -> list[str]:
    return ["simulate", "--size", "16", "--phi-mean", "0.5", "--eta", "0.006", "--frames", "1"] + [
        *extra
    ]


def _predict(scene: Scene, *extra: str, model_dir: Path | None = None, init=None) -> list[str]:
    model_dir = model_dir or scene.sources["ckpt"]
    init = init or scene.sources["field"]
    return ["predict", "--model", str(model_dir), "--init", str(init), "--device", "cpu", *extra]


def _predict_one(scene: Scene, *, model_dir: Path | None = None, init=None) -> list[str]:
    """One frame at eta = 0.6 % into p.h5."""
    out = str(scene.path("p.h5"))
    return _predict(
        scene, "--eta", "0.006", "--frames", "1", "--out", out, model_dir=model_dir, init=init
    )


def _dataset_with(scene: Scene, *, nan_frame: bool = False, nan_eta: bool = False) -> Path:
    rng = np.random.default_rng(1)
    phi = (0.5 + 0.05 * rng.standard_normal((5, 11, 16, 16))).astype(np.float32)
    eta = np.full(5, 0.006)
    validation = np.array([False, False, False, True, True])
    if nan_frame:
        phi[4, 3, 2, 2] = np.nan
    if nan_eta:
        eta[1] = np.nan
    return write_sequences(scene.path("bad.h5"), phi, eta=eta, validation=validation)


def _train(scene: Scene, data: Path, *extra: str) -> list[str]:
    return [
        "train",
        "--preset",
        "tiny",
        "--data",
        str(data),
        "--out",
        str(scene.path("run")),
        "--device",
        "cpu",
        "--quiet",
        *extra,
    ]


def _npy(scene: Scene, array) -> str:
    path = scene.path("init.npy")
    np.save(path, array)
    return str(path)


def _card_edit(scene: Scene, **changes) -> Path:
    folder = scene.copy("ckpt", "edited")
    card = json.loads((folder / CARD_FILE).read_text())
    card["model_config"].update(changes)
    (folder / CARD_FILE).write_text(json.dumps(card))
    return folder


def _weights(scene: Scene, data: bytes) -> Path:
    folder = scene.copy("ckpt", "broken")
    (folder / MODEL_FILE).write_bytes(data)
    return folder


def _schema_without_version(scene: Scene) -> Path:
    path = scene.copy("train", "old.h5")
    with h5py.File(path, "a") as f:
        del f.attrs["schema_version"]
    return path


def _truncated_part(scene: Scene) -> Path:
    """An interrupted tiny/train run whose only finished part is then truncated."""
    out = scene.path("split.h5")
    from spinodal.io import datasets

    original = datasets._assemble

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    datasets._assemble = interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            generate_split("tiny", "train", out, progress=False)
    finally:
        datasets._assemble = original
    part = sorted((scene.dir / "split.h5.parts").glob("sequences-*.h5"))[0]
    part.write_bytes(part.read_bytes()[:3000])
    scene.notes["part"] = part.name
    return out


def _float64(scene: Scene) -> None:
    with h5py.File(scene.path("x.h5")) as f:
        assert f["phi"].dtype == np.float64 and f.attrs["dtype"] == "float64"


def _diverged_at_recorded(scene: Scene) -> None:
    with h5py.File(scene.path("pred.h5")) as f:
        assert f.attrs["diverged_at"] >= 1
        assert not (np.ptp(f["phi"][-1]) <= 1.5)


CASES = [
    # --- data loss and silent wrong results ---------------------------------------------------
    Case(
        "simulate-refuses-an-existing-out",
        lambda s: _simulate("--out", str(_kept(s))),
        2,
        "already exists: give --overwrite",
        _unchanged,
    ),
    Case(
        "predict-refuses-an-existing-out",
        lambda s: _predict(s, "--eta", "0.006", "--frames", "1", "--out", str(_kept(s))),
        2,
        "already exists: give --overwrite",
        _unchanged,
    ),
    Case(
        "join-refuses-an-existing-out",
        lambda s: ["join", str(s.sources["train"]), "--out", str(_kept(s))],
        2,
        "already exists: give --overwrite",
        _unchanged,
    ),
    Case(
        "infer-refuses-an-existing-out",
        lambda s: ["infer", "--data", str(s.sources["train"]), "--out", str(_kept(s))],
        2,
        "already exists: give --overwrite",
        _unchanged,
    ),
    Case(
        "simulate-overwrites-when-asked",
        lambda s: _simulate("--out", str(_kept(s)), "--overwrite"),
        0,
        "wrote",
        lambda s: h5py.File(s.path("keep.h5")).close(),
    ),
    Case(
        "a-diverged-rollout-warns-and-is-recorded",
        lambda s: _predict(
            s,
            "--eta",
            "0.006",
            "--frames",
            "5",
            "--out",
            str(s.path("pred.h5")),
            model_dir=s.sources["unstable"],
        ),
        0,
        "left the physical range",
        _diverged_at_recorded,
    ),
    Case(
        "eta-typed-in-per-cent",
        lambda s: _predict(s, "--eta", "0.6", "--frames", "1", "--out", str(s.path("p.h5"))),
        2,
        "eta is a fraction (0.006 = 0.6 %)",
    ),
    Case(
        "negative-eta",
        lambda s: _predict(s, "--eta", "-0.006", "--frames", "1", "--out", str(s.path("p.h5"))),
        2,
        "must be >= 0",
    ),
    Case(
        "eta-outside-the-training-range-warns",
        lambda s: _predict(s, "--eta", "0.04", "--frames", "1", "--out", str(s.path("p.h5"))),
        0,
        "outside the range the model was trained on",
    ),
    Case(
        "simulate-eta-5",
        lambda s: [
            "simulate",
            "--size",
            "16",
            "--phi-mean",
            "0.5",
            "--eta",
            "5",
            "--frames",
            "1",
            "--out",
            str(s.path("x.h5")),
        ],
        2,
        "eta is a fraction",
    ),
    Case(
        "simulate-negative-mean-composition-warns",
        lambda s: [
            "simulate",
            "--size",
            "16",
            "--phi-mean",
            "-0.5",
            "--eta",
            "0.006",
            "--frames",
            "1",
            "--out",
            str(s.path("x.h5")),
        ],
        None,
        "outside [0, 1]",
    ),
    Case(
        "train-nan-in-a-validation-frame",
        lambda s: _train(s, _dataset_with(s, nan_frame=True)),
        2,
        "sequence(s) [4] hold non-finite values",
        lambda s: not s.path("run/model.pt").exists() or pytest.fail("a model was written"),
    ),
    Case(
        "train-nan-eta",
        lambda s: _train(s, _dataset_with(s, nan_eta=True)),
        2,
        "eta of sequence(s) [1] is not finite",
    ),
    Case(
        "train-zero-epochs",
        lambda s: _train(s, s.sources["train"], "--set", "epochs=0"),
        2,
        "must be an integer >= 1",
    ),
    Case(
        "train-more-frames-than-the-data",
        lambda s: _train(s, s.sources["train"], "--set", "frames=50"),
        2,
        "asks for more than the 10 frames",
    ),
    Case(
        "simulate-float64-is-stored-as-float64",
        lambda s: _simulate("--dtype", "float64", "--out", str(s.path("x.h5"))),
        0,
        "wrote",
        _float64,
    ),
    # --- tracebacks become one line -----------------------------------------------------------
    Case(
        "init-of-booleans",
        lambda s: [
            "simulate",
            "--init",
            _npy(s, np.ones((16, 16), bool)),
            "--eta",
            "0.006",
            "--frames",
            "1",
            "--out",
            str(s.path("x.h5")),
        ],
        2,
        "must hold real numbers, got dtype bool",
    ),
    Case(
        "init-of-complex-numbers",
        lambda s: _predict_one(s, init=_npy(s, np.ones((16, 16), complex))),
        2,
        "must hold real numbers, got dtype complex128",
    ),
    Case(
        "init-is-a-text-file",
        lambda s: (
            s.path("init.npy").write_text("0.5 0.5\n0.5 0.5\n"),
            [
                "simulate",
                "--init",
                str(s.path("init.npy")),
                "--eta",
                "0.006",
                "--frames",
                "1",
                "--out",
                str(s.path("x.h5")),
            ],
        )[1],
        2,
        "is not a NumPy .npy file",
    ),
    Case(
        "size-zero",
        lambda s: [
            "simulate",
            "--size",
            "0",
            "--phi-mean",
            "0.5",
            "--eta",
            "0.006",
            "--frames",
            "1",
            "--out",
            str(s.path("x.h5")),
        ],
        2,
        "must be an integer >= 4, got 0",
    ),
    Case(
        "device-banana",
        lambda s: _simulate("--device", "banana", "--out", str(s.path("x.h5"))),
        2,
        "is not a torch device",
    ),
    Case(
        "card-with-a-string-for-an-integer",
        lambda s: _predict_one(s, model_dir=_card_edit(s, hidden_channels="24")),
        2,
        "hidden_channels must be an integer, got '24'",
    ),
    Case(
        "card-edited-eta-scale",
        lambda s: _predict_one(s, model_dir=_card_edit(s, eta_scale=50.0)),
        2,
        "do not match the weights_hash",
    ),
    Case(
        "truncated-weights",
        lambda s: _predict_one(
            s, model_dir=_weights(s, (s.sources["ckpt"] / MODEL_FILE).read_bytes()[:500])
        ),
        2,
        "is not a readable weights file",
    ),
    Case(
        "empty-weights",
        lambda s: _predict_one(s, model_dir=_weights(s, b"")),
        2,
        "is not a readable weights file",
    ),
    Case(
        "bench-solver-size-zero",
        lambda s: ["bench", "solver", "--sizes", "0"],
        2,
        "must be an integer >= 4",
    ),
    Case(
        "dataset-without-schema-version",
        lambda s: _train(s, _schema_without_version(s)),
        2,
        "lacks the attribute 'schema_version'",
    ),
    Case(
        "truncated-part-of-an-interrupted-run",
        lambda s: [
            "dataset",
            "--preset",
            "tiny",
            "--split",
            "train",
            "--quiet",
            "--out",
            str(_truncated_part(s)),
        ],
        2,
        "is truncated or corrupted: delete that file",
    ),
    # --- misleading advice ---------------------------------------------------------------------
    Case(
        "dataset-over-a-truncated-copy",
        lambda s: (
            s.path("t.h5").write_bytes(s.sources["train"].read_bytes()[:20000]),
            ["dataset", "--preset", "tiny", "--split", "train", "--out", str(s.path("t.h5"))],
        )[1],
        2,
        "is not a readable HDF5 file (truncated or corrupted copy?)",
    ),
    Case(
        "dataset-over-another-dataset",
        lambda s: ["dataset", "--preset", "tiny", "--split", "test", "--out", str(_kept(s))],
        2,
        "holds a different dataset",
        _unchanged,
    ),
    Case(
        "simulate-into-a-new-folder",
        lambda s: _simulate("--out", str(s.path("new/deeper/x.h5"))),
        0,
        "wrote",
        lambda s: h5py.File(s.path("new/deeper/x.h5")).close(),
    ),
]


if not torch.cuda.is_available():
    CASES.append(
        Case(
            "device-cuda-without-cuda",
            lambda s: _simulate("--device", "cuda", "--out", str(s.path("x.h5"))),
            2,
            "CUDA is not available here",
        )
    )


def _run(argv: list[str], capsys, caplog) -> tuple[int, str]:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        try:
            status = main(argv)
        except SystemExit as error:  # argparse refusing an option
            status = error.code
    captured = capsys.readouterr()
    return status, captured.out + captured.err + caplog.text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case, sources, tmp_path, capsys, caplog):
    scene = Scene(tmp_path, sources)
    argv = case.argv(scene)
    status, text = _run(argv, capsys, caplog)
    assert "Traceback" not in text
    if case.status is not None:
        assert status == case.status, text
    assert case.phrase in text, text
    if case.after is not None:
        case.after(scene)


def test_an_unforeseen_error_is_one_line_and_debug_shows_it(monkeypatch, capsys, caplog):
    from spinodal import cli

    def broken(args):
        return 1 / 0

    monkeypatch.setattr(cli, "_run_presets", broken)
    status, text = _run(["presets"], capsys, caplog)
    assert status == 2
    assert "ZeroDivisionError: division by zero (spinodal --debug ... shows the traceback)" in text
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "presets"])


@pytest.mark.parametrize(
    ("command", "advice"),
    [
        ("_run_simulate", "nothing was written"),
        ("_run_predict", "nothing was written"),
        ("_run_train", "with --resume"),
        ("_run_dataset", "run the same command again to resume"),
    ],
)
def test_an_interrupt_says_what_is_left(command, advice, monkeypatch, capsys, caplog, tmp_path):
    from spinodal import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, command, interrupted)
    argv = {
        "_run_simulate": _simulate("--out", str(tmp_path / "x.h5")),
        "_run_predict": [
            "predict",
            "--model",
            "m",
            "--init",
            "i.npy",
            "--frames",
            "1",
            "--out",
            "p.h5",
        ],
        "_run_train": ["train", "--data", "d.h5", "--out", "run"],
        "_run_dataset": ["dataset", "--preset", "tiny", "--split", "train", "--out", "d.h5"],
    }[command]
    status, text = _run(argv, capsys, caplog)
    assert status == 130 and advice in text


def test_two_writers_of_one_dataset(tmp_path, capsys, caplog):
    out = tmp_path / "train.h5"
    with exclusive(out):
        status, text = _run(
            ["dataset", "--preset", "tiny", "--split", "train", "--quiet", "--out", str(out)],
            capsys,
            caplog,
        )
    assert status == 2 and "another process is writing" in text
    assert not out.exists()
    assert (
        _run(
            ["dataset", "--preset", "tiny", "--split", "train", "--quiet", "--out", str(out)],
            capsys,
            caplog,
        )[0]
        == 0
    )
    assert not out.with_name("train.h5.lock").exists()


def test_a_dataset_held_open_for_writing_is_called_locked(sources, tmp_path, capsys, caplog):
    path = shutil.copy(sources["train"], tmp_path / "held.h5")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import h5py, sys, time; f = h5py.File(sys.argv[1], 'a'); "
            "print('open', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        status, text = _run(
            ["dataset", "--preset", "tiny", "--split", "train", "--out", str(path)], capsys, caplog
        )
    finally:
        holder.kill()
        holder.wait()
    assert status == 2 and "locked by another process" in text


def test_a_file_size_limit_is_an_error_not_a_crash(tmp_path):
    script = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (50000, 50000)); "
        "from spinodal.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            *_simulate("--out", str(tmp_path / "x.h5"))[:2],
            "64",
            *_simulate()[3:-2],
            "--frames",
            "20",
            "--out",
            str(tmp_path / "x.h5"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "file-size limit (ulimit -f)" in done.stderr
    assert not (tmp_path / "x.h5").exists()


def test_a_solver_divergence_outside_the_composition_range_names_it():
    from spinodal.physics.solver import SimulationDiverged

    phi0 = np.full((16, 16), -3.0) + 0.01 * np.random.default_rng(0).standard_normal((16, 16))
    with pytest.raises(SimulationDiverged, match=r"outside \[0, 1\]"):
        PhaseFieldModel().evolve(phi0, 0.006, 5)


def test_evaluate_does_not_serve_a_stale_result_for_a_rewritten_dataset(sources, tmp_path):
    from spinodal.analysis.evaluation import evaluate_split, read_evaluation

    data = tmp_path / "data.h5"
    rng = np.random.default_rng(2)
    first = (0.5 + 0.05 * rng.standard_normal((2, 4, 16, 16))).astype(np.float32)
    write_sequences(data, first, eta=[0.006, 0.006])
    key = evaluate_split(sources["ckpt"], data, tmp_path / "ev.h5", progress=False)
    before = read_evaluation(tmp_path / "ev.h5", key)["mae"]
    write_sequences(data, 1.0 - first, eta=[0.006, 0.006])  # same path, other content
    key = evaluate_split(sources["ckpt"], data, tmp_path / "ev.h5", progress=False)
    after = read_evaluation(tmp_path / "ev.h5", key)["mae"]
    assert not np.allclose(before, after)


# --- library corner cases -----------------------------------------------------------------------


def test_free_energy_of_a_line_names_the_shape():
    with pytest.raises(ValueError, match=r"\[..., H, W\]"):
        PhaseFieldModel().free_energy(np.zeros(16), 0.006)


def test_empty_ensembles_and_fields_name_the_problem():
    with pytest.raises(ValueError, match="at least one value"):
        ensemble_summary([])
    with pytest.raises(ValueError, match="empty"):
        contrast(np.zeros((0, 4, 4)))


def test_a_nan_field_is_neither_separated_nor_homogeneous_in_the_phase_diagram():
    from spinodal.analysis.evaluation import phase_diagram

    nan = np.full((1, 16, 16), np.nan)
    pf = np.zeros((1, 16, 16))
    assert not is_phase_separated(nan)[0]
    diagram = phase_diagram(nan, pf, [0.5], [0.006])
    assert diagram.nn_diverged[0] and not diagram.agree[0]


def test_an_edited_architecture_is_caught_but_old_cards_still_load(sources, tmp_path):
    folder = shutil.copytree(sources["ckpt"], tmp_path / "old")
    card = json.loads((folder / CARD_FILE).read_text())
    del card["weights_hash"]  # a card written before the hash existed
    (folder / CARD_FILE).write_text(json.dumps(card))
    assert load_model(folder).config.hidden_channels == 4
