"""What chapter 03 (the network and its training, Secs. 2.3 and 3.1) shows: the model card, stages
and curriculum, validation rollouts (Fig. 3) and the stability of the learned map."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from ... import paper
from ...analysis.stability import GRID_SCALE_WAVELENGTH, radial_spectrum
from ...paper import PaperValue
from ...presets import ModelConfig, get_preset
from ...surrogate.checkpoint import read_card, training_stages
from ...surrogate.model import count_parameters
from ...surrogate.training import curriculum_inputs
from ..plotting import (
    plot_median_iqr,
    plot_nn_pf_error,
    plot_spectra,
)
from ..reporting import (
    Standing,
    frames_divergence_times,
    history_minutes,
)

__all__ = [
    "ArchitectureSummary",
    "ExampleNumbers",
    "GridGain",
    "TrainingSummary",
    "architecture_summary",
    "example_numbers",
    "gain_table",
    "grid_gain_summary",
    "model_card_table",
    "plot_architecture",
    "plot_curriculum",
    "plot_error_spectra",
    "plot_mode_gain",
    "plot_training_history",
    "plot_validation_example",
    "plot_validation_mae",
    "training_summary",
    "training_versus_paper_rows",
    "validation_verdict",
]


class TrainingSummary(NamedTuple):
    """What chapter 03 reports of the training runs that made a CRNN (paper Sec. 2.3, Fig. 3a).

    Attributes:
        card: the checkpoint's ``card.json``.
        stages: :func:`spinodal.surrogate.checkpoint.training_stages`, first stage first (one
            entry for a model trained in one run).
        histories: ``[(stage name, its history.json records)]``, first stage first, as
            :func:`plot_training_history` takes them.
        history: the model's own ``history.json`` records (its last stage).
        best: the record of the card's best epoch, the checkpoint the book uses.
    """

    card: dict
    stages: list[dict]
    histories: list[tuple[str, list[dict]]]
    history: list[dict]
    best: dict

    @property
    def minutes(self) -> float:
        """Wall time of the last stage, all its epochs (min)."""
        return history_minutes(self.history)

    @property
    def total_minutes(self) -> float:
        """Wall time of every stage together (min)."""
        return sum(st["minutes"] for st in self.stages)

    @property
    def stages_text(self) -> str:
        """``"1 stage"`` or ``"4 stages"``."""
        n = len(self.stages)
        return f"{n} stage{'s' * (n > 1)}"

    @property
    def epochs_text(self) -> str:
        """Epochs (curriculum ramp) per stage, e.g. ``"12 (10) + 9 (0)"``."""
        return " + ".join(f"{st['epochs']} ({st['curriculum_epochs']})" for st in self.stages)

    @property
    def ramp_epochs(self) -> int:
        """Epochs of the last stage with more than one true input frame (its curriculum)."""
        return sum(h["n_input"] > 1 for h in self.history)

    @property
    def ramp_growth(self) -> float:
        """Largest training loss over the last stage's curriculum ramp and the epoch after it,
        over that of its first epoch (the spike of the paper's Fig. 3a); NaN without a ramp."""
        n = self.ramp_epochs
        ramp = [h["train"]["loss"] for h in self.history[: n + 1]]
        return max(ramp) / ramp[0] if n else np.nan

    @property
    def ramp_sentence(self) -> str:
        """Whether the curriculum ramp made the training loss spike, as in Fig. 3a (no period)."""
        spike = self.ramp_growth
        if spike > 2:
            return (
                f"During the curriculum ramp the training loss grows {spike:.0f}-fold as the "
                "network predicts ever more frames from its own output, like the spike of the "
                "paper's Fig. 3a"
            )
        if self.ramp_epochs:
            return (
                "The curriculum ramp leaves no spike in the training loss here, unlike the "
                "paper's Fig. 3a"
            )
        return "This run had no curriculum ramp"

    @property
    def ramp_caption(self) -> str:
        """The part of Fig. 3a's caption about the shaded ramp epochs (any stage)."""
        if any(h["n_input"] > 1 for _, run in self.histories for h in run):
            return "the epochs of the curriculum ramp are shaded"
        return "no stage had a curriculum ramp"


def training_summary(model_dir: str | Path) -> TrainingSummary:
    """The :class:`TrainingSummary` of a checkpoint folder, from its card, the cards of the
    runs it was fine-tuned from and their ``history.json`` files (paper Sec. 2.3, Fig. 3a)."""

    card = read_card(model_dir)
    stages = training_stages(model_dir)
    histories = [
        (st["name"], json.loads((Path(st["path"]) / "history.json").read_text())) for st in stages
    ]
    history = json.loads((Path(model_dir) / "history.json").read_text())
    best = [h for h in history if h["epoch"] == card["best_epoch"]]
    if not best:
        raise ValueError(f"{model_dir}: the best epoch {card['best_epoch']} is not in its history")
    return TrainingSummary(card, stages, histories, history, best[0])


class ArchitectureSummary(NamedTuple):
    """The CRNN's size and settings against the paper's (Sec. 2.3, Fig. 2).

    Attributes:
        n_parameters: trainable parameters.
        percent_of_paper: ``n_parameters`` in percent of the paper's (rounded) count.
        table: Markdown: parameters per part and in total, then the settings beside the paper's.
    """

    n_parameters: int
    percent_of_paper: float
    table: str


def architecture_summary(net) -> ArchitectureSummary:
    """:class:`ArchitectureSummary` of a :class:`spinodal.surrogate.model.CRNN` (its
    ``config``, its convGRU cells and its head), the paper's side read from
    :mod:`spinodal.paper`."""

    config = net.config
    parts = {f"convGRU {k}": cell for k, cell in enumerate(net.cells, start=1)}
    parts["head"] = net.head
    n_params = count_parameters(net)
    lines = ["| part | parameters |", "|---|---|"]
    lines += [f"| {name} | {count_parameters(part):,} |" for name, part in parts.items()]
    lines += [
        f"| **total** | **{n_params:,}** (paper: {paper.PARAMETERS}) |",
        "",
        f"| setting | this model | paper ({paper.HIDDEN_CHANNELS.source}) |",
        "|---|---|---|",
        f"| channels per convGRU | {config.hidden_channels} | {paper.HIDDEN_CHANNELS} |",
        f"| kernel | {config.kernel_size}×{config.kernel_size} | {paper.KERNEL_SIZE} |",
        f"| convGRU cells | {config.n_cells} | {paper.CONVGRU_CELLS} |",
        f"| output layer | `{config.output}` | {paper.OUTPUT_LAYER} |",
        f"| η channel | η × {config.eta_scale:g} (η in %) | {paper.ETA_INPUT} |",
    ]
    return ArchitectureSummary(n_params, 100 * n_params / paper.PARAMETERS.value, "\n".join(lines))


def validation_verdict(standing: Standing, frames_trained: int, n_frames: int) -> str:
    """The :class:`Standing` sentence of validation rollouts of ``n_frames`` τ (Fig. 3b,c),
    adding when the model was trained on shorter sequences (``frames_trained`` frames)."""
    text = standing.sentence.replace("training window", "sequences")
    if frames_trained < n_frames:
        text += f" This model was trained on sequences of {frames_trained} frames only."
    return text


class GridGain(NamedTuple):
    """The grid-scale gains per τ of one network about uniform states
    (:meth:`spinodal.analysis.stability.ModeGain.grid_scale`): their median, largest value and
    what the largest says."""

    median: float
    max: float
    sentence: str


def grid_gain_summary(gain) -> GridGain:
    """:class:`GridGain` of grid-scale gains per τ (any shape): damped (all below 1, as the
    solver's Eq. 8 damps them) or not."""
    gain = np.asarray(gain)
    largest = float(gain.max())
    sentence = (
        "it damps every grid-scale mode (gain below 1 per τ), as the solver does, though far "
        "less strongly"
        if largest < 1
        else "some grid-scale modes are not damped (gain ≥ 1 per τ): round-off there grows, and "
        "a long rollout eventually leaves the physical range"
    )
    return GridGain(float(np.median(gain)), largest, sentence)


def gain_table(
    grid_gains: Mapping[str, np.ndarray], trajectory: Mapping[str, dict], start: int
) -> str:
    """The stability table of chapter 03 (Markdown), one row per network.

    Args:
        grid_gains: label → the grid-scale gains per τ about uniform states
            (:meth:`spinodal.analysis.stability.ModeGain.grid_scale`).
        trajectory: label → ``network`` and ``solver`` per-τ gains [B] of grid-scale
            perturbations of trajectory states
            (:func:`spinodal.analysis.stability.trajectory_gain`).
        start: τ of the perturbed trajectory states.
    """
    lines = [
        "| network | grid-scale mode gain per τ, uniform states (median / max) | "
        f"grid-scale perturbation of trajectory states at {start}τ, gain per τ "
        "(median): network / solver |",
        "|---|---|---|",
    ]
    for label, pair in trajectory.items():
        g = np.asarray(grid_gains[label])
        lines.append(
            f"| {label} | {np.median(g):.2f} / {g.max():.2f} | "
            f"{np.median(pair['network']):.2f} / {np.median(pair['solver']):.2f} |"
        )
    return "\n".join(lines)


def model_card_table(training: TrainingSummary) -> str:
    """A CRNN's card as Markdown: its recipe beside the paper's (marking what differs), its
    training time, hardware and validation MAE, and, for a staged training, one row per stage
    (paper Sec. 2.3)."""
    card, stages = training.card, training.stages
    pairs, differs = card["versus_paper"]["pairs"], card["versus_paper"]["differs_in"]
    env = card["environment"]
    lines = ["| recipe | this model | paper |", "|---|---|---|"]
    lines += [
        f"| {key.replace('_', ' ')} | {ours}{' (**differs**)' if key in differs else ''} | "
        f"{theirs} |"
        for key, (ours, theirs) in pairs.items()
    ]
    lines += [
        "",
        f"Trained {card['epochs_trained']} epochs (best: {card['best_epoch']}) in "
        f"{training.minutes:.1f} min on {env['hardware']} "
        f"(torch {env['torch']}, {env['date']}); "
        "validation MAE recorded by the trainer: "
        + ", ".join(f"{v:.4f} at frame {f}" for f, v in card["validation"]["mae_at_frame"].items())
        + ".",
    ]
    if len(stages) > 1:
        lines += [
            "",
            "This model was trained in stages, each starting from the previous one's weights:",
            "",
            "| stage | epochs (best) | frames | curriculum | learning rate | output filter β "
            "| weights kept | minutes | hardware |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {st['name']} | {st['epochs']} ({st['best_epoch']}) | {st['frames']} "
            f"| {st['curriculum_epochs']} | {st['learning_rate']:g} "
            f"| {_filter(st['implicit_damping'])} | {_kept_weights(st['ema_decay'])} "
            f"| {st['minutes']:.1f} | {st['hardware']} |"
            for st in stages
        ]
    return "\n".join(lines)


def _filter(beta: float) -> str:
    """β of a run's semi-implicit output filter, or "none"."""
    return f"{beta:g}" if beta else "none"


def _kept_weights(ema_decay: float) -> str:
    """How a run's checkpoint weights were made: the raw ones, or their moving average."""
    return f"moving average ({ema_decay:g} per step)" if ema_decay else "raw"


def training_versus_paper_rows(
    training: TrainingSummary, n_parameters: int, mae_at: Mapping[int, str]
) -> list[tuple[str, PaperValue | str, str]]:
    """The rows of chapter 03's "Paper vs this build" (for :func:`versus_paper_table`): size,
    data, curriculum, loss weights and training time of the CRNN (Sec. 2.3), then its
    validation median MAE at each time of ``mae_at`` (τ → the printed median, Fig. 3b,c)."""

    card = training.card
    weights = card["recipe"]["weights"]
    rows: list[tuple[str, PaperValue | str, str]] = [
        ("parameters", paper.PARAMETERS, f"{n_parameters:,}"),
        (
            "training sequences",
            paper.TRAINING_SEQUENCES,
            f"{card['versus_paper']['pairs']['train_sequences'][0]} "
            f"(+ {card['dataset']['validation_sequences']} validation)",
        ),
        ("frames per training sequence", paper.TRAINING_FRAMES, f"{card['dataset']['frames']}"),
        (
            "epochs (curriculum ramp)",
            f"{paper.EPOCHS} ({paper.CURRICULUM_EPOCHS}) ({paper.EPOCHS.source})",
            training.epochs_text,
        ),
        ("λ_∇, λ_f", paper.LOSS_WEIGHTS, f"{weights['grad']:g}, {weights['free_energy']:g}"),
        ("best epoch", paper.NOT_QUOTED, f"{training.best['epoch']}"),
        (
            "training time",
            paper.NOT_QUOTED,
            f"{training.total_minutes:.1f} min ({training.stages_text}), "
            f"{card['environment']['hardware']}",
        ),
    ]
    rows += [
        (f"validation median MAE at {t}τ", paper.VALIDATION_MATCH, v) for t, v in mae_at.items()
    ]
    return rows


class ExampleNumbers(NamedTuple):
    """The numbers chapter 03 quotes of one validation sequence of Fig. 3b,c: its misfit in
    percent, its mean composition, and the MAE of its rollout at the last frame."""

    eta_percent: float
    phi_mean: float
    final_mae: float


def example_numbers(result: dict, index: int) -> ExampleNumbers:
    """:class:`ExampleNumbers` of sequence ``index`` (one of ``result["index"]``) of rollouts
    of :func:`spinodal.analysis.evaluation.domain_rollout` (``eta``, ``phi_mean`` [S], ``mae``
    [S, T+1])."""
    k = int(np.flatnonzero(np.asarray(result["index"]) == index)[0])
    return ExampleNumbers(
        float(result["eta"][k] * 100), float(result["phi_mean"][k]), float(result["mae"][k, -1])
    )


def _label_stages(ax, starts, names, last: int) -> None:
    """Mark where each training stage begins (a vertical line) and name every stage above the
    axes, centred on its epochs, on a secondary x axis: the names stay clear of the curves, and
    neighbouring names are put on two staggered lines when they would not fit side by side."""
    ends = [*starts[1:], last + 1]
    for start in starts:
        ax.axvline(start - 0.5, color="0.4", lw=0.8)
    middles = [(a + b - 1) / 2 for a, b in zip(starts, ends, strict=True)]
    left, right = starts[0] - 0.5, last + 0.5
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    # a name in x-small type is about 0.45 em (≈ 3 pt) a character; the narrowest stage decides
    narrowest = min(b - a for a, b in zip(starts, ends, strict=True)) / (right - left) * width_in
    widest = max(len(name) for name in names) * 3.2 / 72
    stagger = widest > 0.9 * narrowest
    top = ax.secondary_xaxis("top")
    top.set_xticks(
        middles,
        [name + ("\n" if stagger and k % 2 == 0 else "") for k, name in enumerate(names)],
        fontsize="x-small",
        color="0.3",
    )
    top.tick_params(axis="x", length=0, pad=2)


def plot_training_history(history, axes=None, *, stages=None):
    """Loss curves of a training run (Fig. 3a) from its ``history.json`` records.

    Left: total loss (Eq. 11) of training (dashed) and validation (solid, full rollouts from
    φ_0) per epoch; right: the unweighted terms L_φ, L_∇, L_f of both. Log scale; the epochs
    of the curriculum ramp (more than one true input frame) are shaded.

    ``stages``: a staged training as ``[(name, records), ...]``, first stage first (then
    ``history`` is ignored): the epochs are numbered on across stages, a vertical line marks
    where each stage begins, and the stages' names stand above the axes, centred on their
    epochs (staggered when they would overlap).
    """
    if stages is None:
        stages = [("", history)]
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    fig = axes[0].figure
    records, starts, offset = [], [], 0
    for name, run in stages:
        starts.append((offset + 1, name))
        records += [{**h, "epoch": h["epoch"] + offset} for h in run]
        offset += max((h["epoch"] for h in run), default=0)
    epochs = np.array([h["epoch"] for h in records])
    ramp = [h["epoch"] for h in records if h["n_input"] > 1]
    names = {"phi": "$L_φ$", "grad": "$L_∇$", "free_energy": "$L_f$"}
    axes[0].plot(epochs, [h["train"]["loss"] for h in records], "--", color="C0", label="train")
    axes[0].plot(
        epochs, [h["validation"]["loss"] for h in records], "-", color="C0", label="validation"
    )
    for i, (key, name) in enumerate(names.items(), start=1):
        for part, style in (("train", "--"), ("validation", "-")):
            values = np.array([h[part][key] for h in records], dtype=float)
            if np.any(values > 0):
                axes[1].plot(epochs, values, style, color=f"C{i}", label=f"{name} ({part})")
    for ax, title in zip(
        axes, ("total loss L (Eq. 11)", "terms of Eq. 12 (unweighted)"), strict=True
    ):
        if ramp:  # one band per run of consecutive ramp epochs
            runs = np.split(np.array(ramp), np.flatnonzero(np.diff(ramp) > 1) + 1)
            for k, run in enumerate(runs):
                ax.axvspan(
                    run[0] - 0.5,
                    run[-1] + 0.5,
                    color="0.85",
                    zorder=0,
                    label="curriculum ramp" if k == 0 else None,
                )
        if len(starts) > 1:
            _label_stages(ax, [start for start, _ in starts], [n for _, n in starts], epochs.max())
        ax.set_yscale("log")
        ax.set_xlabel("epoch" + (" (all stages)" if len(starts) > 1 else ""))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize="medium")
        ax.legend(fontsize="x-small", ncol=2 if ax is axes[1] else 1, loc="lower left")
    return fig


def plot_mode_gain(gains: dict, axes=None):
    """Per-τ gain of Fourier modes about uniform states
    (:func:`spinodal.analysis.stability.mode_gain`):
    one panel per state (⟨φ⟩, η), a line per network (``gains``: label → ModeGain, all of the
    same states) and the solver's |g(q)|^(steps per τ) of Eq. 8 as the yardstick; the
    grid-scale band (wavelength ≤ 4) is shaded."""

    first = next(iter(gains.values()))
    n = len(first.phi_mean)
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(3.3 * n, 3.2), sharey=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    floor = 1e-3  # gains below this are drawn at the bottom of the panel
    for k, ax in enumerate(axes):
        ax.axvspan(first.wavelength.min() * 0.9, GRID_SCALE_WAVELENGTH, color="0.9", zorder=0)
        ax.plot(
            first.wavelength,
            np.clip(np.abs(first.theory[k]), floor, None),
            "k--",
            label="solver (Eq. 8), |g|^100",
        )
        for label, gain in gains.items():
            ax.plot(gain.wavelength, np.clip(gain.network[k], floor, None), ".-", label=label)
        ax.axhline(1, color="0.5", lw=0.8)
        ax.set(
            xscale="log",
            yscale="log",
            ylim=(floor * 0.8, None),
            xlabel="wavelength (grid spacings)",
            title=f"⟨φ⟩ = {first.phi_mean[k]:.2f}, η = {first.eta[k] * 100:.2g} %",
        )
    axes[0].set_ylabel("gain per τ")
    axes[-1].legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


def plot_architecture(config=None, ax=None):
    """The CRNN as a block diagram (the paper's Fig. 2), drawn from a
    :class:`spinodal.surrogate.model.ModelConfig` (default: the paper's): the two-channel input
    [φ_t, η], the stacked convolutional GRU cells with their hidden states carried to the next
    step, the head that makes μ̃_t, and the output layer: ∇²μ̃_t added to φ_t (Eq. 10), then the
    semi-implicit filter 1/(1 + βλ²) when ``implicit_damping`` β > 0 (or the flux/direct
    variants)."""

    config = config or ModelConfig()
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 2.9), layout="constrained")
    fig = ax.figure
    ax.set(xlim=(0, 100), ylim=(0, 30))
    ax.axis("off")
    y, h = 11, 9
    mid = y + h / 2

    def box(x, w, text, color="#dbe9f6"):
        ax.add_patch(
            FancyBboxPatch(
                (x, y), w, h, boxstyle="round,pad=0.3,rounding_size=1", fc=color, ec="0.25", lw=1
            )
        )
        ax.text(x + w / 2, mid, text, ha="center", va="center", fontsize=9.5)
        return x + w

    def arrow(x0, y0, x1, y1, color="0.2", text="", ls="-", rad=0.0):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "lw": 1.2,
                "ls": ls,
                "shrinkA": 0,
                "shrinkB": 0,
                "connectionstyle": f"arc3,rad={rad}",
            },
        )
        if text:
            ax.text(
                (x0 + x1) / 2,
                max(y0, y1) + 0.8,
                text,
                ha="center",
                va="bottom",
                fontsize=10,
                color=color,
            )

    ax.text(0.5, 26, "$φ_t$", fontsize=12, va="center")
    ax.text(0.5, 3, "η", fontsize=12, va="center")
    end = box(5, 8, "$[φ_t,\\,η]$\n2 channels", color="#eeeeee")
    arrow(2.5, 24.5, 7, y + h + 0.3)
    arrow(2, 4.5, 7, y - 0.3)
    k, c = config.kernel_size, config.hidden_channels
    for i in range(config.n_cells):
        x = end + 3.5
        arrow(end + 0.3, mid, x - 0.3, mid)
        end = box(x, 10.5, f"convGRU {i + 1}\n{c} ch., {k}×{k}\nperiodic")
        # the hidden state of this step is the next step's
        arrow(x + 7.5, y + h + 0.3, x + 3, y + h + 0.3, color="tab:blue", rad=1.4)
        ax.text(x + 5.25, y + h + 3.6, f"$h^{i + 1}$", ha="center", fontsize=10, color="tab:blue")
    x = end + 3.5
    arrow(end + 0.3, mid, x - 0.3, mid)
    end = box(x, 9, "head\n1×1, 1×1,\n3×3 conv")
    symbol, operator = {
        "mu": ("$\\tilde μ_t$", "$∇^2$"),
        "flux": ("$J_t$", "$-∇·$"),
        "direct": ("$Δ_t$", None),
    }[config.output]
    x = end + 5
    arrow(end + 0.3, mid, x - 0.3, mid, text=symbol)
    if operator:
        end = box(x, 7.5, operator + "\n(periodic)", color="#fde8cf")
        x = end + 3.5
        arrow(end + 0.3, mid, x - 1.8, mid)
    plus = x
    ax.add_patch(Circle((plus, mid), 1.5, fc="white", ec="0.25"))
    ax.text(plus, mid, "+", ha="center", va="center", fontsize=12)
    # the skip connection: φ_t is added to the update
    ax.plot([2.5, plus], [26, 26], color="0.45", lw=1, ls="--")
    arrow(plus, 26, plus, mid + 1.6, color="0.45", ls="--")
    end = plus + 1.5
    if config.implicit_damping > 0:
        x = end + 3
        arrow(end + 0.2, mid, x - 0.3, mid)
        end = box(x, 11, f"filter\n$1/(1+βλ^2)$\nβ = {config.implicit_damping:g}", color="#fde8cf")
    arrow(end + 0.3, mid, end + 3.5, mid)
    ax.text(end + 4, mid, "$φ_{t+τ}$", fontsize=12, va="center")
    note = {
        "mu": "Eq. 10: $φ_{t+τ} = φ_t + ∇^2\\tilde μ_t$ conserves ⟨φ⟩ exactly",
        "flux": "flux output: $φ_{t+τ} = φ_t - ∇·J_t$ conserves ⟨φ⟩",
        "direct": "direct output: $φ_{t+τ} = φ_t + Δ_t$, no conservation",
    }[config.output]
    ax.text(
        50,
        1.0,
        note + "; in a free rollout $φ_{t+τ}$ is the next step's input, and the "
        "hidden states (blue) carry the memory",
        ha="center",
        fontsize=9,
        color="0.3",
    )
    return fig


def plot_curriculum(histories, stages, *, reference: str = "paper", axes=None):
    """True input frames per epoch, the curriculum of the paper's Sec. 2.3 (chapter 03).

    Left: what each training stage recorded, epoch by epoch (``histories``:
    ``[(name, history.json records)]``, first stage first, with ``stages``, the matching
    :func:`spinodal.surrogate.checkpoint.training_stages` entries, for their sequence lengths),
    the epochs numbered on across stages; one input frame is a free rollout from φ_0. Right:
    the schedule of the ``reference`` preset's recipe (the paper's: a 10-epoch ramp from 99 true
    input frames down to 1, :func:`spinodal.surrogate.training.curriculum_inputs`). Log scale.
    """

    if len(histories) != len(stages):
        raise ValueError(f"{len(histories)} histories for {len(stages)} stages")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
    fig = axes[0].figure
    offset = 0
    for k, ((name, run), stage) in enumerate(zip(histories, stages, strict=True)):
        axes[0].step(
            [h["epoch"] + offset for h in run],
            [h["n_input"] for h in run],
            "o-",
            where="mid",
            ms=3,
            color=f"C{k}",
            label=f"{name} ({len(run)} epochs, {stage['frames']} frames)",
        )
        offset += max(h["epoch"] for h in run)
    axes[0].set(
        xlabel="epoch (all stages)",
        ylabel="true input frames",
        yscale="log",
        title="this model, as recorded in history.json",
    )
    axes[0].legend(fontsize="x-small")
    preset = get_preset(reference)
    recipe, frames = preset.training, preset.split("train").n_frames
    axes[1].step(
        np.arange(1, recipe.epochs + 1),
        [curriculum_inputs(e, frames, recipe.curriculum_epochs) for e in range(recipe.epochs)],
        where="mid",
    )
    axes[1].set(
        xlabel="epoch",
        ylabel="true input frames",
        yscale="log",
        title=f"{reference} (T = {frames})",
    )
    return fig


def plot_validation_example(result: dict, index: int, times):
    """One validation sequence of Fig. 3b,c: the CRNN, the phase field and their difference
    (:func:`plot_nn_pf_error`) at ``times`` (τ), titled with its η and ⟨φ⟩; columns after the
    rollout has left the physical range are marked.

    Args:
        result: rollouts of :func:`spinodal.analysis.evaluation.domain_rollout` with every frame
            stored (``every=1``): ``index``, ``eta``, ``phi_mean`` [S], ``stored_frame`` [T+1],
            ``nn``, ``pf`` [S, T+1, N, N].
        index: the sequence's number in its dataset (one of ``result["index"]``).
    """

    k = int(np.flatnonzero(np.asarray(result["index"]) == index)[0])
    gone = float(frames_divergence_times(result["nn"][k], result["stored_frame"]))
    fig = plot_nn_pf_error(result["nn"][k, times], result["pf"][k, times], times, diverged_at=gone)
    fig.suptitle(
        f"validation sequence {index}: η = {result['eta'][k] * 100:.2f} %, "
        f"⟨φ⟩ = {result['phi_mean'][k]:.3f}"
    )
    return fig


def plot_validation_mae(
    times,
    mae,
    persistence,
    diverged,
    trainer_mae,
    training_frames: int,
    n_trainer_sequences: int,
    ax=None,
):
    """The MAE per frame of validation rollouts (chapter 03, beside the paper's Fig. 3b,c):
    median and IQR of ``mae`` [S, T] at ``times`` [T] (τ), diverged rollouts (``diverged``
    [S, T]) kept out; the MAE per frame 1, 2, ... the trainer recorded at its best epoch
    (``trainer_mae``, the mean over its ``n_trainer_sequences`` validation sequences); the
    no-change forecast's MAE ``persistence`` [S, T] as the yardstick; and the training length
    ``training_frames`` (τ) as a dotted line. Log scale."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
    fig = ax.figure
    plot_median_iqr(
        times,
        mae,
        ax=ax,
        diverged=diverged,
        label=f"rollouts (median, IQR), {len(mae)} validation sequences",
    )
    ax.plot(
        np.arange(1, len(trainer_mae) + 1),
        trainer_mae,
        "k.",
        ms=4,
        label=f"history.json, best epoch (mean of all {n_trainer_sequences})",
    )
    plot_median_iqr(times, persistence, ax=ax, color="0.6", label="no-change forecast φ_t = φ₀")
    ax.axvline(training_frames, color="0.5", ls=":", label="training length")
    ax.set(ylabel="MAE ⟨|φ_NN − φ_PF|⟩", yscale="log")
    ax.legend(fontsize="small")
    return fig


def plot_error_spectra(nn, pf, *, early: int = 10, axes=None):
    """Where the CRNN's error sits in wavenumber (chapter 03; not in the paper). Left: the
    shell-averaged spectrum of φ_NN − φ_PF (:func:`spinodal.analysis.stability.radial_spectrum`,
    mean over sequences) at ``early`` τ (at most the last frame) and at the last frame; right:
    the NN and PF power spectra at the last frame.

    Args:
        nn, pf: [S, T+1, N, N] rollouts and truth, one frame per τ from φ_0.
    """

    nn, pf = np.asarray(nn), np.asarray(pf)
    T = nn.shape[1] - 1
    early = min(early, T)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    fig = axes[0].figure
    shells, error_early = radial_spectrum(nn[:, early] - pf[:, early])
    _, error_late = radial_spectrum(nn[:, T] - pf[:, T])
    plot_spectra(
        shells,
        {f"{early}τ": error_early.mean(0), f"{T}τ": error_late.mean(0)},
        ax=axes[0],
        title="error spectrum |φ̂_NN − φ̂_PF|²",
    )
    plot_spectra(
        shells,
        {"NN": radial_spectrum(nn[:, T])[1].mean(0), "PF": radial_spectrum(pf[:, T])[1].mean(0)},
        ax=axes[1],
        title=f"power spectra at {T}τ",
    )
    fig.tight_layout()
    return fig
