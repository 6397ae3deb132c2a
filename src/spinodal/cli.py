"""The ``spinodal`` command line: one entry point for simulations, datasets and benchmarks.

Run ``spinodal --help`` or ``spinodal COMMAND --help`` for the options of each command.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

__all__ = ["main", "build_parser"]

log = logging.getLogger("spinodal")

#: What an interrupted command has left, per command (``interrupted`` in its defaults).
NOTHING_WRITTEN = "nothing was written (outputs are written whole or not at all)"


def _count(minimum: int):
    """An argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {value}")
        return value

    return parse


_positive = _count(1)
_non_negative = _count(0)


def _finite(text: str) -> float:
    """An argparse type: a finite float."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _misfit(text: str) -> float:
    """An argparse type: a misfit as a fraction, 0 <= eta <= MAX_MISFIT."""
    from .physics.fields import check_misfit

    try:
        return float(check_misfit(_finite(text), name="eta"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _device(text: str) -> str:
    """An argparse type: a torch device that exists here ("" keeps the default)."""
    from .devices import resolve_device

    if text == "":
        return text
    try:
        return str(resolve_device(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix(f"--device {text!r} ")) from None


_ETA_HELP = (
    "misfit eta >= 0 as a fraction (0.006 = 0.6%%, at most 0.05); the physics depends on "
    "eta² only, so give |eta|"
)


def _add_simulate(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="integrate one phase-field trajectory (Eqs. 7-8) and write it to HDF5",
        description=(
            "Integrate the Cahn-Hilliard equation with cubic coherent elasticity from a periodic "
            "Perlin initial state (or --init) and write phi [T+1, N, N] with the parameters as "
            "HDF5 attributes. Time unit: one frame = 100 steps of dt = 0.01 (tau)."
        ),
    )
    p.add_argument(
        "--size", type=_count(4), help="side N of the N x N periodic domain (grid spacings, >= 4)"
    )
    p.add_argument(
        "--phi-mean",
        type=_finite,
        help="mean composition <phi> of the Perlin initial state, in [0, 1] (e.g. 0.5)",
    )
    p.add_argument("--eta", type=_misfit, required=True, help=_ETA_HELP)
    p.add_argument(
        "--frames", type=_non_negative, required=True, help="number of frames T after frame 0"
    )
    p.add_argument(
        "--init", type=Path, help="initial state from a .npy file [N, N] instead of Perlin noise"
    )
    p.add_argument(
        "--seed",
        type=_non_negative,
        default=0,
        help="seed of the Perlin state, of the drawn amplitude and of the noise (default 0)",
    )
    p.add_argument(
        "--amplitude",
        type=_finite,
        help="peak Perlin amplitude a, |phi0 - <phi>| <= |a| (default: drawn from "
        "N(0, 0.1^2) as in the paper)",
    )
    p.add_argument(
        "--noise-std",
        type=_non_negative_float,
        default=0.0,
        help="std of mass-conserving Gaussian noise added every step (Sec. 3.2; default 0)",
    )
    p.add_argument(
        "--steps-per-frame",
        type=_positive,
        default=100,
        help="solver steps between frames (default 100 = tau)",
    )
    p.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default="float32",
        help="floating-point precision (default float32)",
    )
    _add_device(p)
    _add_output(p)
    p.set_defaults(run=_run_simulate, interrupted=NOTHING_WRITTEN)


def _add_device(p, what: str = "torch device", default: str | None = None) -> None:
    p.add_argument(
        "--device",
        type=_device,
        default=default,
        help=f"{what}, e.g. cpu or cuda (default: cuda if available)",
    )


def _add_quiet(p) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_sizes(p, default: list[int]) -> None:
    p.add_argument(
        "--sizes",
        type=_count(4),
        nargs="+",
        default=default,
        help=f"domain sides to time (default {' '.join(map(str, default))})",
    )


def _add_output(p, what: str = "output HDF5 file") -> None:
    """``--out`` (required) and ``--overwrite``: an existing file is refused unless asked."""
    p.add_argument("--out", type=Path, required=True, help=what)
    p.add_argument(
        "--overwrite", action="store_true", help="replace --out if it exists (default: refuse)"
    )


def _add_batch_size(p, default: int, what: str) -> None:
    p.add_argument(
        "--batch-size", type=_positive, default=default, help=f"{what} (default {default})"
    )


def _run_simulate(args) -> None:
    from .io.datasets import write_trajectory
    from .io.files import prepare_output
    from .physics.fields import read_npy
    from .physics.initial import initial_state
    from .physics.solver import PhaseFieldModel
    from .presets import InitialState

    out = prepare_output(args.out, overwrite=args.overwrite)
    rng = np.random.default_rng(args.seed)
    if args.init is not None:
        if args.phi_mean is not None or args.amplitude is not None:
            raise SystemExit(
                "--init takes the initial state from a file: do not also give "
                "--phi-mean or --amplitude"
            )
        phi0 = read_npy(args.init)
        if phi0.ndim != 2:
            raise SystemExit(f"--init must hold one field [N, N], got shape {phi0.shape}")
        phi_mean, amplitude = float(phi0.mean()), None
    else:
        if args.size is None or args.phi_mean is None:
            raise SystemExit("give --size and --phi-mean for a Perlin initial state (or --init)")
        amplitude = (
            args.amplitude
            if args.amplitude is not None
            else float(rng.normal(0.0, InitialState().amplitude_std))
        )
        phi_mean = args.phi_mean
        phi0 = initial_state((args.size, args.size), phi_mean, amplitude, rng)
    if not 0.0 <= phi_mean <= 1.0:
        log.warning(
            "<phi> = %g lies outside [0, 1]: phi is a composition (a fraction of one species); "
            "the phase field is not meant for this and may diverge",
            phi_mean,
        )
    pf = PhaseFieldModel()
    device = args.device or _default_device()
    phi = pf.evolve(
        phi0,
        args.eta,
        args.frames,
        steps_per_frame=args.steps_per_frame,
        noise_std=args.noise_std,
        seed=args.seed,
        dtype=args.dtype,
        device=device,
    )
    write_trajectory(
        out,
        phi,
        {
            "phi_mean": phi_mean,
            "eta": args.eta,
            "seed": args.seed,
            "amplitude": amplitude,
            "noise_std": args.noise_std,
            "steps_per_frame": args.steps_per_frame,
            "tau": args.steps_per_frame * pf.dt,
            "dtype": args.dtype,
            "device": str(device),
            "init": str(args.init) if args.init else "perlin",
            "model": json.dumps(pf.to_dict(), sort_keys=True),
        },
    )
    log.info("wrote %s: phi %s", out, phi.shape)


def _add_dataset(sub) -> None:
    from .presets import PRESETS, SPLIT_NAMES

    p = sub.add_parser(
        "dataset",
        help="generate a dataset split of a preset (resumable, shardable)",
        description=(
            "Generate a split of a preset as HDF5 (schema in spinodal.io.datasets). Deterministic "
            "by seed; an interrupted run resumes with the same command; --shard k/n makes the "
            "k-th of n parts, joined afterwards with 'spinodal join'."
        ),
    )
    p.add_argument(
        "--preset", choices=sorted(PRESETS), default="small", help="scale (default small)"
    )
    p.add_argument(
        "--split",
        choices=(*SPLIT_NAMES, "all"),
        required=True,
        help="which split; 'all' writes every split as OUT/SPLIT.h5",
    )
    p.add_argument(
        "--out", type=Path, required=True, help="output HDF5 file (a directory with --split all)"
    )
    p.add_argument("--shard", default="0/1", help="produce part k of n, as k/n (default 0/1)")
    _add_device(p)
    _add_quiet(p)
    p.set_defaults(
        run=_run_dataset,
        interrupted="run the same command again to resume: the finished batches are kept",
    )


def _run_dataset(args) -> None:
    from .io.datasets import generate_split, parse_shard
    from .presets import SPLIT_NAMES

    shard = parse_shard(args.shard)
    if args.split == "all":
        args.out.mkdir(parents=True, exist_ok=True)
        targets = [(name, args.out / f"{name}.h5") for name in SPLIT_NAMES]
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        targets = [(args.split, args.out)]
    for name, out in targets:
        generate_split(
            args.preset, name, out, shard=shard, device=args.device, progress=not args.quiet
        )
        log.info("wrote %s", out)


def _add_join(sub) -> None:
    p = sub.add_parser(
        "join",
        help="join the shards of a split into one file",
        description="Join files made with 'spinodal dataset --shard k/n'.",
    )
    p.add_argument("parts", nargs="+", type=Path, help="shard files, in any order")
    _add_output(p, "the joined HDF5 file")
    p.set_defaults(run=_run_join, interrupted=NOTHING_WRITTEN)


def _run_join(args) -> None:
    from .io.datasets import join_shards

    join_shards(args.parts, args.out, overwrite=args.overwrite)
    log.info("wrote %s", args.out)


def _add_bench(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmarks measured side by side in one run",
        description="Performance benchmarks; they print ratios, never assert.",
    )
    what = p.add_subparsers(dest="what", required=True)
    s = what.add_parser(
        "solver",
        help="solver step vs an FFT pair; projected paper-scale times",
        description="Time one solver step against one rfft2 + irfft2 of the same "
        "batch, interleaved, and project the paper preset's "
        "generation time on this device.",
    )
    _add_sizes(s, [128, 256, 512])
    s.add_argument(
        "--batch",
        type=_positive,
        default=None,
        help="fields per batch (default: about 16 fields of 128² on CPU, 64 on GPU)",
    )
    _add_device(s)
    s.set_defaults(run=_run_bench_solver, interrupted=NOTHING_WRITTEN)
    m = what.add_parser(
        "model",
        help="CRNN frame vs solver tau (the paper's speed-up, Sec. 2.3)",
        description="Time one CRNN frame against one phase-field tau (100 solver "
        "steps) of the same fields, interleaved, for each size with "
        "one field and for the smallest size with a batch; print "
        "frames per second and the speed-up.",
    )
    m.add_argument(
        "--model",
        type=Path,
        default=None,
        help="checkpoint folder (default: an untrained CRNN; the cost does not "
        "depend on the weights)",
    )
    _add_sizes(m, [128, 256, 512])
    m.add_argument(
        "--batch",
        type=_positive,
        default=8,
        help="fields of the batched run at the smallest size (default 8; 1: none)",
    )
    _add_device(m, what="torch device of the CRNN")
    m.add_argument(
        "--solver-device",
        type=_device,
        default=None,
        help="torch device of the solver (default: --device; the paper compares "
        "the CRNN on a GPU with the solver on a CPU)",
    )
    _add_precision(m)
    m.set_defaults(run=_run_bench_model, interrupted=NOTHING_WRITTEN)
    t = what.add_parser(
        "train",
        help="CPU training step per sample-frame: float32, channels-last, bfloat16, compile",
        description="Time a training step of the CRNN (free rollout, loss of Eq. 11, "
        "backward) per sample-frame against the forward pass alone, for each way of running "
        "it, interleaved, for each size and thread count; print each variant's speed-up over "
        "plain float32.",
    )
    _add_sizes(t, [64, 128])
    t.add_argument("--threads", type=_positive, nargs="+", default=[1, 2], help="(default 1 2)")
    t.add_argument(
        "--variants",
        nargs="+",
        default=None,
        help="subset of float32 channels_last bfloat16 compile pushforward (default: all)",
    )
    t.add_argument("--batch", type=_positive, default=4, help="sequences per step (default 4)")
    t.add_argument("--frames", type=_positive, default=10, help="frames per sequence (default 10)")
    t.set_defaults(run=_run_bench_train, interrupted=NOTHING_WRITTEN)


def _run_bench_train(args) -> None:
    from .analysis.bench import TRAIN_VARIANTS, bench_train, format_train_report

    variants = tuple(args.variants or TRAIN_VARIANTS)
    if "float32" not in variants:
        variants = ("float32", *variants)
    timings = bench_train(args.sizes, args.threads, variants, batch=args.batch, frames=args.frames)
    print(format_train_report(timings))


def _run_bench_solver(args) -> None:
    from .analysis.bench import bench_solver, format_solver_report

    device = args.device or _default_device()
    timings = bench_solver(args.sizes, device=device, batch=args.batch)
    print(format_solver_report(timings, _device_label(device)))


def _add_train(sub) -> None:
    from .presets import PRESETS

    p = sub.add_parser(
        "train",
        help="train the CRNN surrogate on a dataset (resumable; torchrun for several GPUs)",
        description=(
            "Train the conditioned CRNN (Sec. 2.3) with the preset's recipe: Adam on Eq. 11, "
            "curriculum learning, D4 and phi -> 1-phi augmentation, noise injection. Writes "
            "DIR/model.pt + DIR/card.json (best validation), DIR/history.json and DIR/last.pt. "
            "A preset with training stages (small) trains them one after the other, each "
            "from the weights of the one before, into DIR/stages/NAME and DIR (the last); "
            "finished stages are skipped. --set or --ablation makes it one run of the "
            "preset's final recipe with those changes. "
            "Several processes: torchrun --nproc-per-node N -m spinodal.cli train ..."
        ),
    )
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="small",
        help="recipe (epochs, batch, loss weights, stages, ...) to use (default small)",
    )
    p.add_argument("--data", type=Path, required=True, help="dataset file of the 'train' split")
    p.add_argument("--out", type=Path, required=True, help="output checkpoint folder")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    _add_device(p)
    p.add_argument(
        "--set",
        dest="changes",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        type=_recipe_change,
        help="change one value of the recipe, e.g. --set epochs=3 --set "
        "model.implicit_damping=5 --set weights.grad=0 --set init_from=data/models/x "
        "(repeatable; keys: spinodal presets NAME shows the recipe, nested keys take a dot)",
    )
    p.add_argument(
        "--ablation",
        metavar="NAME",
        help="train the preset's ablation NAME (paper, no_grad, no_free_energy, flux, direct)",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="run the network through torch.compile (faster on a CPU after a minute of "
        "compilation; see spinodal bench train)",
    )
    _add_quiet(p)
    p.set_defaults(
        run=_run_train,
        interrupted="run the same command with --resume to continue from the last epoch",
    )


def _recipe_change(text: str) -> tuple[str, str]:
    """An argparse type: KEY=VALUE, the key checked against the recipe."""
    from .presets import recipe_keys

    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if key not in recipe_keys():
        raise argparse.ArgumentTypeError(f"unknown key {key!r}; known keys: {recipe_keys()}")
    return key, value


def _run_train(args) -> None:
    from .presets import TrainConfig, get_preset
    from .surrogate.training import train, train_preset

    changes = dict(args.changes)
    if args.ablation is None and not changes:
        train_preset(
            args.preset,
            args.data,
            args.out,
            device=args.device,
            resume=args.resume,
            progress=not args.quiet,
            compile=args.compile,
        )
        return
    preset = get_preset(args.preset)
    config = (
        preset.ablation(args.ablation)
        if args.ablation is not None
        else TrainConfig.from_preset(preset)
    )
    train(
        config.with_changes(changes),
        args.data,
        args.out,
        device=args.device,
        resume=args.resume,
        progress=not args.quiet,
        compile=args.compile,
    )


def _run_bench_model(args) -> None:
    from .analysis.bench import bench_model, format_model_report
    from .surrogate.checkpoint import load_model
    from .surrogate.model import CRNN, count_parameters

    device = args.device or _default_device()
    solver_device = args.solver_device or device
    net = load_model(args.model, device) if args.model else CRNN().to(device)
    timings = bench_model(
        args.sizes,
        net=net,
        device=device,
        solver_device=solver_device,
        batch=args.batch,
        precision=args.precision,
    )
    source = str(args.model) if args.model else "untrained"
    description = (
        f"{source}, {count_parameters(net):,} parameters, "
        f"{net.config.to_json()}, on {_device_label(device)}"
    )
    print(format_model_report(timings, description, _device_label(solver_device), args.precision))


def _device_label(device: str) -> str:
    from .devices import device_label

    return device_label(device)


def _add_predict(sub) -> None:
    p = sub.add_parser(
        "predict",
        help="roll out a trained CRNN from initial states and write the frames to HDF5",
        description=(
            "Predict frames tau apart from the initial state(s) alone (free rollout, Sec. 2.3) "
            "with a checkpoint, and write phi [B, T'+1, N, N] ([T'+1, N, N] for one field) with "
            "eta, the model card and the options as HDF5 attributes."
        ),
    )
    p.add_argument("--model", type=Path, required=True, help="checkpoint folder")
    p.add_argument(
        "--init",
        type=Path,
        required=True,
        help="initial state(s): .npy [N, N] or [B, N, N], or an HDF5 dataset (frame 0 "
        "of every sequence) or 'spinodal simulate' trajectory (its frame 0)",
    )
    p.add_argument(
        "--eta",
        type=_misfit,
        default=None,
        help=_ETA_HELP + ", for every field (default: the HDF5 file's eta; required for .npy)",
    )
    p.add_argument(
        "--frames",
        type=_non_negative,
        required=True,
        help="number of frames T to predict after frame 0",
    )
    p.add_argument(
        "--every",
        type=_positive,
        default=1,
        help="record every K-th frame only; K must divide --frames (default 1)",
    )
    _add_batch_size(p, 16, "fields rolled out together")
    _add_device(p)
    _add_precision(p)
    _add_output(p)
    p.set_defaults(run=_run_predict, interrupted=NOTHING_WRITTEN)


def _add_precision(p) -> None:
    p.add_argument(
        "--precision",
        choices=("float32", "bfloat16"),
        default="float32",
        help="the network's arithmetic: float32 (default) or bfloat16 autocast (phi stays "
        "float32 between steps; not faster on every CPU: time it with 'spinodal bench model "
        "--precision')",
    )


def _run_predict(args) -> None:
    from .surrogate.inference import predict_to_file

    out = predict_to_file(
        args.model,
        args.init,
        args.eta,
        args.frames,
        args.out,
        every=args.every,
        device=args.device or _default_device(),
        batch_size=args.batch_size,
        overwrite=args.overwrite,
        precision=args.precision,
    )
    log.info("wrote %s", out)


def _add_evaluate(sub) -> None:
    from .presets import PRESETS

    p = sub.add_parser(
        "evaluate",
        help="measure a trained CRNN against the phase field on a dataset split (Secs. 3.1-3.4)",
        description=(
            "Roll the CRNN out from frame 0 of every sequence of a dataset to its length and "
            "store, per sequence and frame, the MAE, the interface-length error and <f>, 2<w>, "
            "<rho>, I, D_b and max-min of phi of both NN and PF (plus a few frames). Either "
            "one split (--data FILE --out FILE, group MODEL/DATASET of --out) or, with "
            "--preset, every split the book measures (test, ensemble, ensemble_low) into the "
            "preset's workspace (data/PRESET/evaluations), generating missing datasets. "
            "Resumable: run the same command again after an interruption; a complete "
            "evaluation with the same settings is not recomputed."
        ),
    )
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="evaluate the preset's splits in its workspace (the book's cache)",
    )
    p.add_argument(
        "--model",
        type=Path,
        help="checkpoint folder (with --preset, default: the preset's shipped model)",
    )
    p.add_argument("--data", type=Path, help="dataset HDF5 file of a split")
    p.add_argument("--out", type=Path, help="results HDF5 file (other groups are kept)")
    _add_batch_size(p, 8, "sequences rolled out and measured together")
    p.add_argument(
        "--frames",
        type=_non_negative,
        default=None,
        help="evaluate only the first FRAMES frames after frame 0 (default: all)",
    )
    p.add_argument(
        "--name",
        default=None,
        help="model name in the results key (default: the checkpoint folder's name)",
    )
    _add_device(p, what="torch device of the CRNN")
    _add_quiet(p)
    p.set_defaults(
        run=_run_evaluate,
        interrupted="run the same command again to resume: the finished batches are kept",
    )


#: The splits the book's chapters measure with :func:`spinodal.analysis.evaluation.evaluate_split`.
BOOK_SPLITS = ("test", "ensemble", "ensemble_low")


def _run_evaluate(args) -> None:
    from .analysis.evaluation import evaluate_split, read_evaluation

    if args.preset is not None:
        if args.data is not None or args.out is not None:
            raise ValueError("give either --preset or --data and --out, not both")
        from .pipeline.workspace import Workspace

        ws = Workspace(
            args.preset,
            device=args.device or _default_device(),
            model_dir=args.model,
            progress=not args.quiet,
        )
        log.info("model %s, workspace %s", ws.model_path(), ws.dir)
        for split in BOOK_SPLITS:
            kwargs = {"batch_size": args.batch_size, "n_frames": args.frames}
            results = ws.evaluation(split, **kwargs)
            log.info("%s: %s", split, ws.evaluation_file(split))
            _log_summary(results)
        return
    if args.model is None or args.data is None or args.out is None:
        raise ValueError("give --preset, or all of --model, --data and --out")
    key = evaluate_split(
        args.model,
        args.data,
        args.out,
        batch_size=args.batch_size,
        device=args.device or _default_device(),
        n_frames=args.frames,
        model_name=args.name,
        progress=not args.quiet,
    )
    log.info("wrote %s group %s", args.out, key)
    _log_summary(read_evaluation(args.out, key))


def _log_summary(results: dict) -> None:
    """Median MAE and interface-length error at 100τ (or the last frame) and the last frame,
    and the phase-diagram agreement there (Secs. 3.1, 3.4)."""
    from .analysis.evaluation import phase_diagram_from_results
    from .physics.metrics import ensemble_summary

    mae = ensemble_summary(results["mae"]).median
    error = ensemble_summary(results["interface_error"]).median
    last = len(mae) - 1
    for t in sorted({min(100, last), last}):
        log.info(
            "  frame %d: median MAE %.4g, median interface-length error %.3g%%",
            t,
            mae[t],
            100 * error[t],
        )
    diagram = phase_diagram_from_results(results, frame=min(100, last))
    log.info(
        "  phase diagram at frame %d: %d of %d agree %s",
        min(100, last),
        int(diagram.agree.sum()),
        len(diagram.agree),
        diagram.counts,
    )


def _add_stability(sub) -> None:
    p = sub.add_parser(
        "stability",
        help="long free rollouts of a CRNN: divergence, mass drift, grid-scale gain, MAE",
        description="Roll a trained CRNN out far past its training window, on a dataset's "
        "initial states (MAE against its frames and against the no-change forecast where "
        "they reach) and on fresh Perlin states of other sizes (truth from the solver), "
        "watching every frame with the one divergence criterion (max phi - min phi > 1.5 or "
        "not finite); then its gain per tau on grid-scale modes about uniform states and "
        "about trajectory states, against the solver.",
    )
    p.add_argument("--model", type=Path, required=True, help="checkpoint folder")
    p.add_argument("--data", type=Path, help="dataset file whose initial states to roll out")
    p.add_argument("--sequences", type=_non_negative, default=0, help="of --data (default 0: all)")
    p.add_argument(
        "--frames", type=_positive, default=500, help="rollout length in tau (default 500)"
    )
    p.add_argument(
        "--fresh",
        type=_count(4),
        nargs="*",
        default=[64, 128],
        help="sizes of fresh Perlin initial states (default 64 128; none: skip)",
    )
    p.add_argument("--fresh-count", type=_positive, default=8, help="states per size (default 8)")
    p.add_argument(
        "--truth-frames",
        type=_positive,
        default=100,
        help="tau of solver truth for the fresh states (default 100)",
    )
    p.add_argument(
        "--seed", type=_non_negative, default=0, help="seed of the fresh states (default 0)"
    )
    _add_device(p)
    p.set_defaults(run=_run_stability, interrupted=NOTHING_WRITTEN)


def _run_stability(args) -> None:
    import numpy as np

    from .analysis.stability import (
        GRID_SCALE_WAVELENGTH,
        check_rollouts,
        fresh_initial_states,
        mode_gain,
        trajectory_gain,
    )
    from .io.datasets import open_dataset
    from .physics.metrics import mae as mean_absolute_error
    from .physics.solver import PhaseFieldModel
    from .surrogate.checkpoint import load_model

    device = args.device or _default_device()
    net = load_model(args.model, device)
    beta = net.config.implicit_damping
    print(f"{args.model}: output {net.config.output}, implicit_damping {beta:g}; {args.frames}τ")
    batches = []
    if args.data is not None:
        with open_dataset(args.data) as ds:
            rows = np.arange(len(ds) if not args.sequences else min(args.sequences, len(ds)))
            truth = ds.read(rows, slice(0, min(ds.n_frames, args.frames) + 1))
            coarse = ds.pf.coarse(1, int(ds.attrs.get("steps_per_frame", 100)))
            label = f"{args.data} ({len(rows)} × {ds.size}²)"
            batches.append((label, truth, ds.eta[rows], coarse))
    for size in args.fresh or ():
        phi0, _, eta = fresh_initial_states(args.fresh_count, size, args.seed)
        truth = PhaseFieldModel().evolve(phi0, eta, args.truth_frames)
        label = f"fresh Perlin states ({args.fresh_count} × {size}²)"
        batches.append((label, truth, eta, PhaseFieldModel().coarse(1)))
    for label, truth, eta, coarse_pf in batches:
        check = check_rollouts(net, truth[:, 0], eta, args.frames, truth=truth)
        # the solver itself at δt = τ from the same states: the second yardstick
        coarse = coarse_pf.evolve(truth[:, 0], eta, truth.shape[1] - 1, steps_per_frame=1)
        first = check.diverged_at[check.diverged_at >= 0]
        print(f"\n{label}")
        print(
            f"  left the physical range: {check.n_diverged}/{check.n_sequences}"
            + (f" (first at {first.min()}τ)" if len(first) else "")
            + f"; mass drift max {check.mass_drift.max():.1e}; grid-scale power at "
            f"{args.frames}τ (median) {np.nanmedian(check.grid_fraction):.1e}"
        )
        for t, values in check.mae.items():
            still = np.median(check.persistence[t])
            solver = np.median(mean_absolute_error(coarse[:, t], truth[:, t]))
            print(
                f"  median MAE at {t:>3}τ: {np.median(values):.4f} "
                f"(no-change forecast {still:.4f}, ratio {np.median(values) / still:.2f}; "
                f"solver at δt = τ {solver:.4f}, ratio {np.median(values) / solver:.2f})"
            )
    gain = mode_gain(net, [0.3, 0.5, 0.7], [0.006] * 3, size=64)
    grid = gain.grid_scale()
    print(
        f"\ngrid-scale gain per τ (wavelength ≤ {GRID_SCALE_WAVELENGTH:g}), uniform states "
        f"⟨φ⟩ = 0.3, 0.5, 0.7 at η = 0.6 %: median {np.median(grid):.2f}, max {grid.max():.2f}"
    )
    if batches and batches[0][1].shape[1] > 6:  # warm-up frames, then 5τ followed
        label, truth, eta, _ = batches[0]
        start = min(20, truth.shape[1] - 6)
        pair = trajectory_gain(net, truth[:, : start + 1], eta, start, n_frames=5)
        print(
            f"grid-scale perturbations of the trajectory states at {start}τ ({label}): gain per "
            f"τ network {np.median(pair['network']):.2f} (max {pair['network'].max():.2f}), "
            f"solver {np.median(pair['solver']):.2f}"
        )


def _add_presets(sub) -> None:
    p = sub.add_parser(
        "presets",
        help="show the presets (every size and count)",
        description="Print a preset as JSON, or list them all.",
    )
    p.add_argument("name", nargs="?", help="preset to print (default: list all)")
    p.set_defaults(run=_run_presets, interrupted=NOTHING_WRITTEN)


def _run_presets(args) -> None:
    from .presets import PRESETS, get_preset

    if args.name is None:
        for name, preset in PRESETS.items():
            print(f"{name:<6} {preset.hash}  {preset.description}")
    else:
        print(get_preset(args.name).to_json())


def _add_book(sub) -> None:
    from .presets import PRESETS

    p = sub.add_parser(
        "book",
        help="execute the book's chapters and build its HTML (cached, warnings are errors)",
        description=(
            "Execute every chapter of _toc.yml with papermill into its executed twin "
            "book/NAME.ipynb (chapters 01.. first, the introduction last), skipping those whose "
            "twin is up to date (same chapter text, parameters, library source and model), "
            "then build the HTML with 'jupyter-book build . -W -n --keep-going' into "
            "_build/html. Datasets, models and evaluations are cached in the preset's "
            "workspace (data/PRESET, or $SPINODAL_DATA/PRESET)."
        ),
    )
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="small",
        help="scale of every chapter (default small: about 30 min on 2 CPU cores)",
    )
    _add_device(p, default="")
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="CRNN checkpoint folder (default: the preset's shipped model, else one trained "
        "with the preset's recipe on first use)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="CH",
        help="execute only these chapters (04_accuracy, 04 or accuracy); the others' "
        "executed twins are used as they are",
    )
    p.add_argument("--force", action="store_true", help="re-execute up-to-date chapters too")
    p.add_argument("--no-html", action="store_true", help="execute the chapters only")
    p.set_defaults(
        run=_run_book,
        interrupted="run the same command again: the chapters already executed are kept",
    )


def _run_book(args) -> None:
    from .book.runner import BookError, build_book

    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        build_book(
            args.preset,
            device=args.device,
            model_dir=str(args.model) if args.model else "",
            only=args.only,
            force=args.force,
            html=not args.no_html,
        )
    except BookError as error:
        raise ValueError(str(error)) from None


def _add_infer(sub) -> None:
    p = sub.add_parser(
        "infer",
        help="infer the misfit eta from observed frames (solver or CRNN as the forward model)",
        description=(
            "Read the misfit from a microstructure: find the eta whose forward model, started "
            "from the first observed frame, best reproduces the later observed frames in the "
            "least-squares sense (a coarse scan over eta, then a bounded scipy refinement; see "
            "spinodal.analysis.inverse). Prints eta-hat +- its standard error per sequence and "
            "writes a "
            "table of results (.csv, or .h5 with the loss profiles too)."
        ),
    )
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        help="a dataset HDF5 file, or a 'spinodal simulate' trajectory (one sequence)",
    )
    p.add_argument(
        "--frames",
        type=_non_negative,
        nargs="+",
        help="frame numbers observed, i.e. times in tau; the first is the initial state of the "
        "fit (default: every frame of the file)",
    )
    p.add_argument(
        "--sequences",
        type=_non_negative,
        nargs="+",
        help="sequence numbers of a dataset (default: all)",
    )
    p.add_argument(
        "--method",
        choices=("solver", "surrogate"),
        default="solver",
        help="forward model: the phase-field solver or the CRNN (default solver)",
    )
    p.add_argument(
        "--model", type=Path, help="CRNN checkpoint folder (required with --method surrogate)"
    )
    p.add_argument(
        "--noise",
        type=_non_negative_float,
        default=0.0,
        help="add white Gaussian noise of this std to the observed frames (a noisy "
        "micrograph) and tell the inference its level (default 0)",
    )
    p.add_argument("--seed", type=_non_negative, default=0, help="seed of the --noise (default 0)")
    p.add_argument(
        "--bounds",
        type=_misfit,
        nargs=2,
        default=(0.0, 0.012),
        metavar=("LOW", "HIGH"),
        help="searched misfits as fractions, within [0, 0.05] (default 0 0.012, the paper's)",
    )
    p.add_argument(
        "--scan", type=_count(3), default=9, help="points of the coarse eta scan (default 9)"
    )
    _add_batch_size(p, 64, "fields simulated together")
    _add_device(p)
    _add_output(p, "results file, .csv or .h5")
    p.set_defaults(run=_run_infer, interrupted=NOTHING_WRITTEN)


def _run_infer(args) -> None:
    from .analysis.inverse import infer_dataset, write_results
    from .io.files import prepare_output

    prepare_output(args.out, overwrite=args.overwrite)
    net = None
    if args.method == "surrogate":
        if args.model is None:
            raise ValueError("--method surrogate needs --model (a CRNN checkpoint folder)")
        from .surrogate.checkpoint import load_model

        net = load_model(args.model, args.device or _default_device())
    results = infer_dataset(
        args.data,
        frames=args.frames,
        sequences=args.sequences,
        method=args.method,
        net=net,
        noise=args.noise,
        seed=args.seed,
        eta_bounds=tuple(args.bounds),
        n_scan=args.scan,
        batch_size=args.batch_size,
        device=args.device or _default_device(),
    )
    for i in range(len(results["index"])):
        line = (
            f"sequence {results['index'][i]}: eta = {results['eta'][i] * 100:.4f} "
            f"+- {results['uncertainty'][i] * 100:.4f} %"
        )
        if np.isfinite(results["eta_true"][i]):
            line += f" (true {results['eta_true'][i] * 100:.4f} %)"
        if results["at_bound"][i]:
            line += " [on a bound of the search: widen --bounds]"
        if not results["separated"][i]:
            line += (
                " [no decomposition observed: mainly a bound, eta >~ "
                f"{results['eta_spinodal'][i] * 100:.3g} %]"
            )
        print(line)
    attrs = {
        "data": str(args.data),
        "frames": np.asarray(results["times"]),
        "model": str(args.model) if args.model else None,
        "eta_bounds": np.asarray(args.bounds),
    }
    write_results(args.out, results, attrs)
    log.info("wrote %s", args.out)


def _default_device() -> str:
    from .devices import default_device

    return str(default_device())


def build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="spinodal",
        description="Phase-field ground truth and deep-learning surrogate of coherent spinodal "
        "decomposition (Fantasia, Lanzoni et al., Adv. Theory Simul. 2026).",
    )
    parser.add_argument("--version", action="version", version=f"spinodal {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error (default: one line naming the problem)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _add_simulate,
        _add_dataset,
        _add_join,
        _add_train,
        _add_predict,
        _add_evaluate,
        _add_stability,
        _add_bench,
        _add_presets,
        _add_book,
        _add_infer,
    ):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status (0 success, 2 error, 130 interrupted).

    Every error ends in one line naming the problem (``spinodal --debug ...`` shows the
    traceback instead); an interrupt says what the command has left and how to go on.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        args.run(args)
    except KeyboardInterrupt:
        log.error("interrupted; %s", getattr(args, "interrupted", NOTHING_WRITTEN))
        return 130
    except Exception as error:
        if args.debug:
            raise
        log.error("%s", _one_line(error))
        return 2
    return 0


#: Errors whose message is written for the user; any other is a bug or an unforeseen input,
#: reported with its type and a pointer to --debug.
_EXPECTED = (ValueError, KeyError, OSError, FloatingPointError)


def _one_line(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = str(error.args[0])
    if not isinstance(error, _EXPECTED) or not lines:
        text = f"{type(error).__name__}: {text} (spinodal --debug ... shows the traceback)"
    return text


if __name__ == "__main__":
    sys.exit(main())
