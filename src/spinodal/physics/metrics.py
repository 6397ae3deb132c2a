"""The paper's measures of a field or a sequence (Secs. 3.1-3.4), batched over leading axes.

Every function takes fields ``[..., H, W]`` (numpy, or anything ``np.asarray`` accepts) and
returns numpy arrays ``[...]`` (one value per field):

==========================  ==================================================================
:func:`mae`                 mean absolute error ⟨|φ - φ̃|⟩ (Sec. 3.1, Fig. 4b)
:func:`interface_length`    interface length per unit area 2⟨w(φ)⟩ (Sec. 3.1, Fig. 4c)
:func:`relative_error`      |a - b| / |b|, e.g. of the interface length (Fig. 4c)
:func:`mass_drift`          max_t |⟨φ_t⟩ - ⟨φ_0⟩| of a sequence (conservation, supplementary)
:func:`isotropy`            isotropy degree I of Eq. 13 from histograms of oriented gradients
:func:`fractal_dimension`   box-counting dimension D_b of the φ = ½ boundary (Eq. 14)
:func:`contrast`            max φ - min φ
:func:`is_phase_separated`  contrast above a threshold (Sec. 3.4, Fig. 8); never for a
                            diverged field
:func:`has_diverged`        the project's one divergence criterion: non-finite, or a contrast
                            above :data:`PHYSICAL_RANGE`
:func:`divergence_frame`    first frame of a sequence that has diverged (-1: none)
:func:`ensemble_summary`    median and quartiles over an axis, NaN ignored (Figs. 4-6)
==========================  ==================================================================

The free-energy terms ⟨f⟩, 2⟨w⟩ and ⟨ρ⟩ come from :meth:`spinodal.PhaseFieldModel.free_energy`.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from .free_energy import double_well

__all__ = [
    "AXIAL_BINS",
    "HOG_ORIENTATIONS",
    "Summary",
    "box_sizes",
    "boundary",
    "box_counts",
    "contrast",
    "divergence_frame",
    "ensemble_summary",
    "exceeds_physical_range",
    "has_diverged",
    "fractal_dimension",
    "interface_length",
    "interface_length_error",
    "is_phase_separated",
    "isotropy",
    "mae",
    "mass_drift",
    "orientation_histogram",
    "PHYSICAL_RANGE",
    "relative_error",
]

HOG_ORIENTATIONS = 10
"""Orientation bins of the histogram of oriented gradients over 0-180° (Sec. 3.2)."""

AXIAL_BINS = (0, 4, 5, 9)
"""The HOG bins counted as axial in :func:`isotropy`: those bordering 0° and 90°.

scikit-image measures the gradient orientation θ = atan2(g_row, g_col) mod 180° (0°: φ varies
along the columns, i.e. an interface along a column; 90°: φ varies along the rows) and puts θ
in bin i when 18° i ≤ θ < 18° (i + 1). With ten bins no bin is centred on an axis: the axes
are bin edges. Gradients exactly along ⟨10⟩ and ⟨01⟩ (θ = 0°, 90°) fall in bins 0 and 5, but
an interface tilted by a few degrees the other way falls in bins 9 ([162°, 180°)) and 4
([72°, 90°)). Taking only bins 0 and 5 would make I depend on the sense of a tilt (a pattern and
its mirror image, physically equivalent under the cubic symmetry, would get different I; stripes
tilted by -3° would read I ≈ 9, by +3° I ≈ 0). We therefore count the four bins within 18° of an
axis, {0, 4, 5, 9}, as axial and the six others as non-axial; this set is invariant under the
symmetries of the square, and so is I. Pass ``axial_bins=(0, 5)`` for the literal reading."""


def _fields(phi, name: str = "phi") -> np.ndarray:
    array = np.asarray(phi)
    if array.ndim < 2:
        raise ValueError(f"{name} must have shape [..., H, W], got {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


# --- pixel-level and energetic ------------------------------------------------------------


def mae(a, b) -> np.ndarray:
    """Mean absolute error ⟨|a - b|⟩ over the last two axes, [...] (float64)."""
    a, b = _fields(a, "a"), _fields(b, "b")
    return np.abs(a - b).mean(axis=(-2, -1), dtype=np.float64)


def interface_length(phi, well_height: float = 18.0 / 5.0) -> np.ndarray:
    """The paper's interface-length measure 2⟨w(φ)⟩ [...] (Sec. 3.1), per unit area.

    With w(φ) = A φ²(1 - φ)², A = 18/κ (Eq. 2), a planar equilibrium interface has
    ∫ 2w dx = 1 per unit length, so for a field made of equilibrium phases and interfaces 2⟨w⟩
    is the interface length per unit area (grid units). It is a length only there: it is
    2⟨w⟩ for any field, and a field that has not separated, whose values sit between the
    wells, scores high (uniform φ = 0.5 gives 2A/16 = 0.45, more than a coarsened separated
    field). Compare it between fields that have both separated.
    """
    phi = _fields(phi)
    return 2 * double_well(phi, well_height).mean(axis=(-2, -1), dtype=np.float64)


def mass_drift(frames) -> np.ndarray:
    """Largest change of the mean composition along a sequence, max_t |⟨φ_t⟩ - ⟨φ_0⟩|.

    ``frames`` [..., T+1, H, W] (frame 0 the reference) → [...] (float64). Cahn-Hilliard
    dynamics conserve ⟨φ⟩, and so do the ``mu`` and ``flux`` outputs of the CRNN by
    construction (drift at float round-off); the ``direct`` output does not. NaN if a frame
    is not finite.
    """
    frames = _fields(frames, "frames")
    if frames.ndim < 3:
        raise ValueError(f"frames must have shape [..., T+1, H, W], got {frames.shape}")
    means = frames.mean(axis=(-2, -1), dtype=np.float64)
    return np.abs(means - means[..., :1]).max(axis=-1)


def relative_error(a, b) -> np.ndarray:
    """|a - b| / |b| elementwise (``b`` the reference); NaN where ``b`` is 0."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, np.abs(a - b) / np.abs(b), np.nan)


def interface_length_error(pred, true, well_height: float = 18.0 / 5.0) -> np.ndarray:
    """Relative error of the interface length of ``pred`` against ``true`` [...] (Fig. 4c)."""
    return relative_error(interface_length(pred, well_height), interface_length(true, well_height))


# --- morphology -----------------------------------------------------------------------------


def orientation_histogram(phi) -> np.ndarray:
    """The mean HOG orientation histogram of each image, [..., 10] (Sec. 3.2).

    Exactly scikit-image's ``hog(image, orientations=10, pixels_per_cell=(4, 4),
    cells_per_block=(2, 2), block_norm="L2-Hys", feature_vector=False)`` on the image in
    float64, averaged over every block and cell, but computed for the whole batch at once with
    numpy (about 20 times faster than calling ``hog`` per image; equality with ``hog`` is
    tested). Steps: central-difference gradients (zero on the border rows and columns),
    orientation θ = atan2(g_row, g_col) mod 180° into 10 bins [18° i, 18° (i + 1)), magnitudes
    summed per 4×4 cell and divided by 16, each 2×2-cell block normalized with L2-Hys (L2, clip
    at 0.2, L2 again, ε = 1e-5), then the mean over blocks and their cells.
    """
    phi = _fields(phi).astype(np.float64, copy=False)
    H, W = phi.shape[-2:]
    cell, orientations = 4, HOG_ORIENTATIONS
    rows, cols = H // cell, W // cell
    if rows < 2 or cols < 2:
        raise ValueError(f"isotropy needs images of at least 8 x 8, got {phi.shape[-2:]}")
    flat = phi.reshape(-1, H, W)
    g_row = np.zeros_like(flat)
    g_col = np.zeros_like(flat)
    g_row[:, 1:-1, :] = flat[:, 2:, :] - flat[:, :-2, :]
    g_col[:, :, 1:-1] = flat[:, :, 2:] - flat[:, :, :-2]
    g_row, g_col = g_row[:, : rows * cell, : cols * cell], g_col[:, : rows * cell, : cols * cell]
    magnitude = np.hypot(g_col, g_row)
    theta = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    width = 180.0 / orientations
    bins = np.floor(theta / width)
    bins -= theta < bins * width  # exact comparisons, as scikit-image makes them
    bins += theta >= (bins + 1) * width
    valid = (bins >= 0) & (bins < orientations)
    B = len(flat)
    cell_id = (np.arange(rows * cell)[:, None] // cell) * cols + np.arange(cols * cell) // cell
    index = (np.arange(B)[:, None, None] * (rows * cols) + cell_id) * orientations
    index = index + np.where(valid, bins, 0).astype(np.int64)
    histogram = (
        np.bincount(
            index.ravel(),
            weights=np.where(valid, magnitude, 0).ravel(),
            minlength=B * rows * cols * orientations,
        ).reshape(B, rows, cols, orientations)
        / cell**2
    )
    blocks = np.stack(
        [histogram[:, i : rows - 1 + i, j : cols - 1 + j] for i in (0, 1) for j in (0, 1)], axis=-2
    )  # [B, rows - 1, cols - 1, 4 cells, orientations]
    eps2 = 1e-5**2
    norm = np.sqrt((blocks**2).sum(axis=(-2, -1), keepdims=True) + eps2)
    blocks = np.minimum(blocks / norm, 0.2)
    blocks = blocks / np.sqrt((blocks**2).sum(axis=(-2, -1), keepdims=True) + eps2)
    mean = blocks.mean(axis=(1, 2, 3))
    return mean.reshape(*phi.shape[:-2], orientations)


def isotropy(phi, axial_bins: tuple[int, ...] = AXIAL_BINS) -> np.ndarray:
    """Isotropy degree I = ⟨M_non-axial⟩ / ⟨M_axial⟩ of Eq. 13, per field [...].

    M is the mean HOG histogram of :func:`orientation_histogram`; the axial bins are
    :data:`AXIAL_BINS` (bins 0, 4, 5 and 9: gradients within 18° of 0° or 90°), the non-axial
    ones the other six, each side averaged over its bins. I ≈ 1 for isotropic patterns, → 0
    for patterns aligned with the axes. Sharp interfaces (the paper's width, about one pixel)
    pixelate into staircases whose flat steps have exactly axial gradients, so a disc reads
    about 0.8 on 128², and every block with any gradient counts equally after the block
    normalization. NaN for a field without gradients (uniform).
    """
    axial = np.zeros(HOG_ORIENTATIONS, bool)
    axial[list(axial_bins)] = True
    histogram = orientation_histogram(phi)
    on_axis = histogram[..., axial].mean(axis=-1)
    off_axis = histogram[..., ~axial].mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(on_axis > 0, off_axis / on_axis, np.nan)


def boundary(phi, level: float = 0.5) -> np.ndarray:
    """Boundary pixels of the ``phi > level`` region [..., H, W] (bool), periodic.

    A pixel is on the boundary when its thresholded value differs from that of its left or
    upper neighbour (with periodic wrap-around): one pixel per crossing along each axis.
    """
    inside = _fields(phi) > level
    return (inside != np.roll(inside, 1, axis=-1)) | (inside != np.roll(inside, 1, axis=-2))


def box_sizes(shape: tuple[int, int]) -> np.ndarray:
    """Box sizes of :func:`fractal_dimension` for a grid ``shape``: 2, 4, 8, ... ≤ min(H, W)/4."""
    limit = min(shape) // 4
    sizes = 2 ** np.arange(1, max(int(np.log2(max(limit, 1))), 0) + 1)
    if len(sizes) < 2:
        raise ValueError(f"box counting needs a grid of at least 16 x 16, got {tuple(shape)}")
    return sizes


def box_counts(edges, sizes) -> np.ndarray:
    """Number of L×L boxes (a tiling from the origin, the last partial box included) holding
    at least one ``True`` pixel of ``edges`` [..., H, W], for each L in ``sizes``: [..., K]."""
    edges = np.asarray(edges, bool)
    H, W = edges.shape[-2:]
    counts = []
    for size in sizes:
        size = int(size)
        pad_h, pad_w = -H % size, -W % size
        padded = edges
        if pad_h or pad_w:
            pad = [(0, 0)] * (edges.ndim - 2) + [(0, pad_h), (0, pad_w)]
            padded = np.pad(edges, pad)
        boxes = padded.reshape(
            *edges.shape[:-2], (H + pad_h) // size, size, (W + pad_w) // size, size
        )
        counts.append(boxes.any(axis=(-3, -1)).sum(axis=(-2, -1)))
    return np.stack(counts, axis=-1)


def fractal_dimension(phi, level: float = 0.5, sizes=None) -> np.ndarray:
    """Box-counting dimension D_b of the φ = ``level`` boundary (Eq. 14), per field [...].

    The boundary is :func:`boundary`; N(L) counts the L×L boxes holding a boundary pixel for
    the box sizes L = 2, 4, 8, ... up to min(H, W)/4 (:func:`box_sizes`; 2-32 on 128²), and
    D_b = -slope of the least-squares line through (log L, log N(L)). NaN for a field without
    boundary (single phase).
    """
    edges = boundary(phi, level)
    sizes = box_sizes(edges.shape[-2:]) if sizes is None else np.asarray(sizes)
    counts = box_counts(edges, sizes).astype(np.float64)
    x = np.log(sizes.astype(np.float64))
    x = x - x.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(counts)
        slope = ((y - y.mean(axis=-1, keepdims=True)) * x).sum(axis=-1) / (x**2).sum()
    return np.where(counts[..., 0] > 0, -slope, np.nan)


# --- classification and ensembles -----------------------------------------------------------


def contrast(phi) -> np.ndarray:
    """max φ - min φ over the last two axes [...]."""
    phi = _fields(phi)
    return (phi.max(axis=(-2, -1)) - phi.min(axis=(-2, -1))).astype(np.float64)


PHYSICAL_RANGE = 1.5
"""Largest contrast max φ - min φ of a physical field. The phase field lives in about [0, 1]
(the equilibrium phases of the double well, slightly shifted by elasticity), so a contrast of
1.5 is far outside anything the dynamics of Eq. 7 produce from φ₀ ∈ [0, 1]: a rollout that
reaches it has left the physical range, i.e. diverged."""


def has_diverged(phi) -> np.ndarray:
    """The project's single divergence criterion, per field [...] bool: some value is not
    finite, or max φ - min φ exceeds :data:`PHYSICAL_RANGE`. Used by the evaluation, by
    ``spinodal predict``, by the training's stability check and by every chapter."""
    return exceeds_physical_range(contrast(phi))


def exceeds_physical_range(contrasts) -> np.ndarray:
    """:func:`has_diverged` from stored contrasts max φ - min φ [...] (NaN, as a non-finite
    field gives, counts as diverged)."""
    contrasts = np.asarray(contrasts, np.float64)
    with np.errstate(invalid="ignore"):
        return ~(contrasts <= PHYSICAL_RANGE)


def divergence_frame(frames) -> np.ndarray:
    """Index of the first frame of sequences [..., T, H, W] that :func:`has_diverged`, -1 where
    none has; [...] int."""
    frames = _fields(frames)
    if frames.ndim < 3:
        raise ValueError(f"frames must have shape [..., T, H, W], got {frames.shape}")
    diverged = has_diverged(frames)
    return np.where(diverged.any(axis=-1), np.argmax(diverged, axis=-1), -1)


def is_phase_separated(phi, threshold: float = 0.05) -> np.ndarray:
    """True where max φ - min φ exceeds ``threshold`` (Sec. 3.4: 0.05), [...] bool. A diverged
    field (:func:`has_diverged`, including one with NaN) is not counted as separated; it is
    not homogeneous either, so ask :func:`has_diverged` first: the phase diagram
    (:func:`spinodal.analysis.evaluation.phase_diagram_from_results`) gives it its own class."""
    return (contrast(phi) > threshold) & ~has_diverged(phi)


class Summary(NamedTuple):
    """Median and quartiles of an ensemble (NaN entries ignored)."""

    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray


def ensemble_summary(values, axis: int = 0) -> Summary:
    """Median, 25th and 75th percentiles of ``values`` along ``axis`` (the sequences),
    ignoring NaN (e.g. D_b of homogeneous fields); NaN where every value is NaN."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0 or values.shape[axis] == 0:
        raise ValueError(
            f"ensemble_summary needs at least one value along axis {axis}, got shape {values.shape}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
        q25, median, q75 = np.nanpercentile(values, [25, 50, 75], axis=axis)
    return Summary(median, q25, q75)
