"""The paper's numbers, in one place: every value the book or the library compares with.

Fantasia et al., Adv. Theory Simul. 9 (2026), doi:10.1002/adts.202502144. Each value is a
:class:`PaperValue` holding the number (or numbers), its unit, where the paper states it (section,
figure or equation) and how the book quotes it in its "paper" columns. A chapter never types a
number of the paper: it reads it here, and its closing table "Paper vs this build" is built from
these records by :func:`spinodal.book.reporting.versus_paper_table`.

This module holds data only (no layer imports it the wrong way: it imports nothing of the
package). Values the paper gives only approximately carry the paper's rounding (e.g.
:data:`PARAMETERS`, "≈ 150000"); ranges are ``(low, high)``; misfits are fractions (0.006 for
0.6 %), times are in τ = 100 δt.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PaperValue",
    "NOT_IN_PAPER",
    "NOT_QUOTED",
    # Sec. 2.1-2.2: the phase-field model and the data
    "ELASTIC_CONSTANTS",
    "ZENER_RATIO",
    "MISFIT_RANGE",
    "SOFT_DIRECTIONS",
    "CHEMICAL_SPINODAL",
    "EPSILON",
    "TIME_STEP",
    "STEPS_PER_FRAME",
    "FIG1B_MISFIT",
    "DATASET_SEQUENCES",
    "TRAIN_VALIDATION_RATIO",
    "SNAPSHOTS",
    "DOMAIN_SIZE",
    "PHI_MEAN_RANGE",
    "AMPLITUDE_STD",
    # Sec. 2.3: the network, its training and its cost
    "PARAMETERS",
    "HIDDEN_CHANNELS",
    "KERNEL_SIZE",
    "CONVGRU_CELLS",
    "OUTPUT_LAYER",
    "ETA_INPUT",
    "LOSS_WEIGHTS",
    "TRAINING_NOISE_STD",
    "TRAINING_SEQUENCES",
    "TRAINING_FRAMES",
    "VALIDATION_MATCH",
    "FIG3B_EXAMPLE",
    "FIG3C_EXAMPLE",
    "EPOCHS",
    "CURRICULUM_EPOCHS",
    "SPEEDUP",
    "SPEEDUP_BY_SIZE",
    "SPEEDUP_RANGE",
    "SPEEDUP_SAME_DEVICE",
    "SPEEDUP_HARDWARE",
    # Sec. 3.1: accuracy on the test set
    "TEST_SPLIT",
    "MAE_WITHIN_TRAINING",
    "MAE_AT_500",
    "INTERFACE_ERROR_WITHIN_TRAINING",
    "INTERFACE_ERROR_AT_500",
    # Sec. 3.2: long times and noise
    "ENSEMBLES",
    "FREE_ENERGY_INSIDE_IQR",
    "FREE_ENERGY_INSIDE_IQR_LOW",
    "GEOMETRY_REPRODUCED",
    "NOISE_STD",
    "NOISE_IQR_RATIO",
    "MEAN_PROPERTIES_BREAKDOWN",
    # Sec. 3.3: larger domains
    "TRAINING_DOMAIN",
    "LARGE_DOMAIN",
    "LARGE_DOMAIN_SEQUENCES",
    "LARGE_DOMAIN_TIME",
    "LARGE_DOMAIN_ERRORS",
    "VARYING_COMPOSITION",
    "VARYING_COMPOSITION_ERROR",
    # Sec. 3.4: the phase diagram
    "SEPARATION_THRESHOLD",
    "CLASSIFICATION_TIME",
    "PHASE_DIAGRAM_SEQUENCES",
    "PHASE_DIAGRAM_AGREEMENT",
    "PHASE_DIAGRAM_ACCURACY",
    "PHASE_DIAGRAM_NN_SEPARATED_ONLY",
    "PHASE_DIAGRAM_NN_HOMOGENEOUS_ONLY",
    "PHASE_DIAGRAM_DIVERGED",
    "AMPLITUDE_PAIR",
    # Supporting Information: ablations
    "ABLATION_LOSS_TERMS",
    "ABLATION_OUTPUT_MU_VS_FLUX",
    "ABLATION_DIRECT_OUTPUT",
    "ABLATION_RECIPE",
    "ABLATION_CONCLUSIONS",
]


@dataclass(frozen=True)
class PaperValue:
    """One value of the paper.

    Attributes:
        value: the number, a tuple of numbers (a range ``(low, high)`` or a list of values) or,
            for a qualitative finding, the finding in words.
        unit: the unit of ``value`` ("" for pure numbers; misfits are fractions, times τ).
        source: where the paper states it, e.g. ``"Sec. 3.1, Fig. 4b"`` or ``"Eq. 9"``.
        text: how the book quotes it, e.g. ``"≤ 0.025 up to 100τ"``.
    """

    value: float | tuple[float, ...] | str
    unit: str
    source: str
    text: str

    def __post_init__(self) -> None:
        if not self.source or not self.text:
            raise ValueError(f"a paper value needs a source and a text, got {self!r}")

    def __str__(self) -> str:
        return self.text

    @property
    def cell(self) -> str:
        """The text and its source, as a "paper" column shows it: ``"≈ 150,000 (Sec. 2.3)"``."""
        return f"{self.text} ({self.source})"


#: The "paper" cell of a quantity the paper does not treat at all.
NOT_IN_PAPER = "(not in the paper)"
#: The "paper" cell of a quantity the paper treats without quoting a number.
NOT_QUOTED = "(not quoted)"


def _percent(eta: float) -> str:
    return f"{eta * 100:g} %"


# --- Sec. 2.1-2.2: the phase-field model and the data ---------------------------------------

ELASTIC_CONSTANTS = PaperValue(
    (3e4, 1.5e4, 3e4), "(C11, C12, C44), arbitrary units", "Sec. 2.1", "C₁₁ = C₄₄ = 2C₁₂ = 3 × 10⁴"
)
ZENER_RATIO = PaperValue(4.0, "", "Sec. 2.1", "Z = 2C₄₄/(C₁₁ − C₁₂) = 4")
MISFIT_RANGE = PaperValue((0.0, 0.012), "fraction", "Sec. 2.1", "η ∈ [0, 1.2 %]")
SOFT_DIRECTIONS = PaperValue("⟨10⟩, ⟨01⟩", "", "Sec. 2.1", "⟨10⟩, ⟨01⟩")
CHEMICAL_SPINODAL = PaperValue((0.21, 0.79), "⟨φ⟩", "Sec. 2.2", "≈ 0.21, 0.79")
EPSILON = PaperValue(5.0, "grid spacings", "Sec. 2.2", "ε = 5")
TIME_STEP = PaperValue(0.01, "time unit (M = 1)", "Sec. 2.2", "δt = 0.01")
STEPS_PER_FRAME = PaperValue(100, "steps of δt", "Sec. 2.2", "τ = 100 δt")
FIG1B_MISFIT = PaperValue(0.00482, "fraction", "Sec. 2.1, Fig. 1b", "η ≈ 0.482 %")
DATASET_SEQUENCES = PaperValue(2000, "sequences", "Sec. 2.2", "2000")
TRAIN_VALIDATION_RATIO = PaperValue((4, 1), "", "Sec. 2.3", "4:1")
SNAPSHOTS = PaperValue(100, "frames per sequence", "Sec. 2.2", "100")
DOMAIN_SIZE = PaperValue(128, "grid points per side", "Sec. 2.2", "128²")
PHI_MEAN_RANGE = PaperValue((0.2, 0.8), "⟨φ⟩", "Sec. 2.2", "[0.2, 0.8]")
AMPLITUDE_STD = PaperValue(0.1, "φ", "Sec. 2.2", "0.1")

# --- Sec. 2.3: the network, its training and its cost ---------------------------------------

PARAMETERS = PaperValue(150_000, "trainable parameters", "Sec. 2.3", "≈ 150,000")
HIDDEN_CHANNELS = PaperValue(24, "channels per convGRU", "Sec. 2.3", "24")
KERNEL_SIZE = PaperValue(5, "pixels", "Sec. 2.3", "5×5")
CONVGRU_CELLS = PaperValue(2, "cells", "Sec. 2.3", "2")
OUTPUT_LAYER = PaperValue("mu", "", "Sec. 2.3, Eq. 10", "μ̃, Eq. 10")
ETA_INPUT = PaperValue("uniform channel", "", "Sec. 2.3", "η as a uniform channel")
LOSS_WEIGHTS = PaperValue((60.0, 150.0), "(λ_∇, λ_f)", "Sec. 2.3, Eq. 11", "60, 150")
TRAINING_NOISE_STD = PaperValue(1e-3, "φ", "Sec. 2.3", "10⁻³")
_TRAIN = DATASET_SEQUENCES.value * 4 // 5
TRAINING_SEQUENCES = PaperValue(
    (_TRAIN, DATASET_SEQUENCES.value - _TRAIN),
    "(training, validation) sequences",
    "Sec. 2.3",
    f"{_TRAIN} (+ {DATASET_SEQUENCES.value - _TRAIN} validation)",
)
TRAINING_FRAMES = PaperValue(99, "frames after φ₀", "Sec. 2.3", "99 after φ₀")
VALIDATION_MATCH = PaperValue(
    "nearly one-to-one", "", "Sec. 3.1, Fig. 3b,c", 'not quoted ("nearly one-to-one")'
)
FIG3B_EXAMPLE = PaperValue(
    (0.0007, 0.396), "(η, ⟨φ⟩)", "Sec. 3.1, Fig. 3b", "η ≈ 0.07 %, ⟨φ⟩ ≈ 0.396"
)
FIG3C_EXAMPLE = PaperValue(
    (0.0076, 0.388), "(η, ⟨φ⟩)", "Sec. 3.1, Fig. 3c", "η ≈ 0.76 %, ⟨φ⟩ ≈ 0.388"
)
EPOCHS = PaperValue(100, "epochs", "Sec. 3.1, Fig. 3a", "≈ 100")
CURRICULUM_EPOCHS = PaperValue(10, "epochs", "Fig. 3a", "10")
SPEEDUP = PaperValue(
    (40.0, 90.0, 145.0),
    "× at 128², 256², 512² (CRNN on a GPU, solver on a CPU)",
    "Sec. 2.3",
    "40×, 90×, 145× at 128², 256², 512²",
)
SPEEDUP_SAME_DEVICE = PaperValue(
    (3.0, 4.0), "× (both on the CPU or both on the GPU)", "Sec. 2.3", "3–4×"
)
SPEEDUP_HARDWARE = PaperValue(
    ("NVIDIA RTX A5000 GPU", "Xeon W-2133 CPU"),
    "(CRNN, solver)",
    "Sec. 2.3",
    "CRNN on an NVIDIA RTX A5000 GPU, solver on a Xeon W-2133 CPU",
)
SPEEDUP_RANGE = PaperValue(
    (SPEEDUP.value[0], SPEEDUP.value[-1]), "× (128² to 512²)", "Sec. 2.3", "40–145×"
)
#: :data:`SPEEDUP` by domain side.
SPEEDUP_BY_SIZE: dict[int, float] = dict(zip((128, 256, 512), SPEEDUP.value, strict=True))


# --- Sec. 3.1: accuracy on the test set -----------------------------------------------------

TEST_SPLIT = PaperValue((500, 500, 128), "(sequences, τ, side)", "Sec. 3.1", "500 × 500τ on 128²")
MAE_WITHIN_TRAINING = PaperValue(
    0.025, "φ, median MAE to 100τ", "Sec. 3.1, Fig. 4b", "≤ 0.025 up to 100τ"
)
MAE_AT_500 = PaperValue(0.09, "φ, median MAE at 500τ", "Sec. 3.1, Fig. 4b", "≈ 0.09 at 500τ")
INTERFACE_ERROR_WITHIN_TRAINING = PaperValue(
    0.02, "relative, median to 100τ", "Sec. 3.1, Fig. 4c", "well below 2 % to 100τ"
)
INTERFACE_ERROR_AT_500 = PaperValue(
    0.05, "relative, upper quartile at 500τ", "Sec. 3.1, Fig. 4c", "< ≈ 5 % at 500τ (most cases)"
)

# --- Sec. 3.2: long times and noise ---------------------------------------------------------

ENSEMBLES = PaperValue(
    (50, 1000, 128, 0.5, 0.006, 0.003),
    "(sequences, τ, side, ⟨φ⟩, η, η of Fig. S6)",
    "Sec. 3.2, Fig. S6",
    "50 sequences × 1000τ on 128², ⟨φ⟩ = 0.5, η = 0.6 % and 0.3 %",
)
FREE_ENERGY_INSIDE_IQR = PaperValue(900, "τ", "Sec. 3.2, Fig. 5a", "up to ≈ 900τ")
FREE_ENERGY_INSIDE_IQR_LOW = PaperValue("similar", "", "Fig. S6", "similar")
GEOMETRY_REPRODUCED = PaperValue("well reproduced", "", "Sec. 3.2, Fig. 5d,e", "well reproduced")
NOISE_STD = PaperValue(7.5e-4, "φ per step", "Sec. 3.2, Fig. 6a", "σ = 7.5 × 10⁻⁴")
NOISE_IQR_RATIO = PaperValue(
    "> 1", "IQR of noisy-PF MAE / IQR of NN MAE", "Sec. 3.2, Fig. 6a", '> 1 ("quite wider")'
)
MEAN_PROPERTIES_BREAKDOWN = PaperValue("none", "", "Sec. 3.2", "no breakdown to 1000τ")

# --- Sec. 3.3: larger domains ---------------------------------------------------------------

TRAINING_DOMAIN = DOMAIN_SIZE
LARGE_DOMAIN = PaperValue((512, 16), "(side, area ratio)", "Sec. 3.3", "512² (16×)")
LARGE_DOMAIN_SEQUENCES = PaperValue(
    (0.45, 0.004, 0.008), "(⟨φ⟩, η, η)", "Sec. 3.3, Fig. 7a,b", "0.45; 0.4 % and 0.8 %"
)
LARGE_DOMAIN_TIME = PaperValue(100, "τ", "Sec. 3.3, Fig. 7a,b", "100τ")
LARGE_DOMAIN_ERRORS = PaperValue(
    "excellent agreement", "", "Sec. 3.3, Fig. 7a,b", 'not stated ("excellent agreement")'
)
VARYING_COMPOSITION = PaperValue((1000, 512), "(τ, side)", "Sec. 3.3, Fig. 7c", "1000τ on 512²")
VARYING_COMPOSITION_ERROR = PaperValue(
    "in accordance", "", "Sec. 3.3, Fig. 7c", 'not stated ("in accordance")'
)

# --- Sec. 3.4: the phase diagram ------------------------------------------------------------

SEPARATION_THRESHOLD = PaperValue(0.05, "max φ − min φ", "Sec. 3.4", "0.05")
CLASSIFICATION_TIME = PaperValue(100, "τ", "Sec. 3.4", "100τ")
PHASE_DIAGRAM_SEQUENCES = PaperValue((500, 128), "(sequences, side)", "Sec. 3.4", "500 on 128²")
_FAILED = 9
PHASE_DIAGRAM_NN_SEPARATED_ONLY = PaperValue(_FAILED, "sequences", "Sec. 3.4, Fig. 8a", "9")
PHASE_DIAGRAM_AGREEMENT = PaperValue(
    (500 - _FAILED, 500),
    "(agreeing, classified) sequences",
    "Sec. 3.4, Fig. 8a; abstract: 98 %",
    f"{500 - _FAILED} / 500 ({100 * (500 - _FAILED) / 500:.1f} %)",
)
PHASE_DIAGRAM_ACCURACY = PaperValue(0.98, "fraction", "abstract, Sec. 3.4", "98 %")
PHASE_DIAGRAM_NN_HOMOGENEOUS_ONLY = PaperValue(0, "sequences", "Sec. 3.4", "0")
PHASE_DIAGRAM_DIVERGED = PaperValue("not reported", "", "Sec. 3.4", "not reported")
AMPLITUDE_PAIR = PaperValue(
    "both captured", "", "Sec. 3.4, Fig. 8c", "yes, both outcomes (at 200τ on 128²)"
)

# --- Supporting Information: ablations ------------------------------------------------------

ABLATION_LOSS_TERMS = PaperValue(
    "L_∇ and L_f improve stability and quality",
    "",
    "Sec. 2.3, Figs. S1-S3",
    "both improve stability and quality, most in extrapolation",
)
ABLATION_OUTPUT_MU_VS_FLUX = PaperValue("mu superior", "", "Sec. 2.3", "μ superior")
ABLATION_DIRECT_OUTPUT = PaperValue("not conservative", "", "Sec. 2.3", "not conservative")
ABLATION_RECIPE = PaperValue(
    (EPOCHS.value, TRAINING_SEQUENCES.value[0]),
    "(epochs, training sequences)",
    "Sec. 2.3, 3.1",
    f"the full recipe ({EPOCHS.value} epochs, {TRAINING_SEQUENCES.value[0]} sequences)",
)

#: What the paper concludes of each ablation variant (the names of
#: :attr:`spinodal.presets.Preset.ablations`), in its words where it has them (Sec. 2.3,
#: Supporting Information Figs. S1-S3); the text of chapter 09's "the paper says" column.
ABLATION_CONCLUSIONS: dict[str, str] = {
    "paper": "the reference: μ output, all three loss terms",
    "no_grad": 'worse: L_∇ and L_f "significantly enhance" stability and quality, especially '
    "in extrapolation (Figs. S1-S3)",
    "no_free_energy": "worse, for the same reason (Figs. S1-S3)",
    "flux": 'worse: the μ output "is here found to provide superior results" than the flux of '
    "the earlier work",
    "direct": 'no conservation of φ by construction; the μ layer "acts as a strong regularizer", '
    "mitigating extrapolation errors",
}
