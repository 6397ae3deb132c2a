"""Build the book: execute every chapter with papermill into its executed twin, then the HTML.

The chapters are jupytext MyST-Markdown notebooks ``book/NAME.md`` listed in ``_toc.yml``.
:func:`build_book` executes each one with papermill into ``book/NAME.ipynb`` (its *executed
twin*, git-ignored) and then runs ``jupyter-book build`` with warnings as errors; Jupyter Book's
own execution is off (``_config.yml``), so the HTML shows exactly what the twins hold.

- **Order.** Chapters 01..09 first, in toc order, the root chapter (the introduction) last: it
  reports the measured execution time of every other chapter of this build.
- **Caching.** A twin stores (in its metadata) a hash of everything its outputs depend on: the
  chapter's text, the parameters, the source of every ``spinodal`` module and the files of the
  model used (and, for the introduction, the other chapters' timings). A chapter whose twin
  holds the same hash is not re-executed; datasets, models and evaluations are cached by
  :class:`spinodal.pipeline.workspace.Workspace` in any case.
- **Failures** raise :class:`BookError` naming the chapter and the failing cell's error; a
  twin is only ever written complete (executed into a temporary file, renamed on success), the
  failed notebook is kept as ``book/NAME.failed.ipynb`` for its traceback, and a stale twin of a
  failed chapter is removed, so no build can show an old result or a traceback as a result.
- **Timings.** Wall time, hardware and date of each chapter's last execution go to
  ``WORKSPACE/book-timings.json`` (:func:`timings_path`), which the introduction reads.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..io.provenance import environment
from ..pipeline.workspace import Workspace
from ..presets import PRESETS, SPLIT_NAMES, get_preset
from ..surrogate.checkpoint import CARD_FILE, read_card, training_stages
from .reporting import format_number

__all__ = [
    "BOOK_DIR",
    "BookError",
    "book_parameters",
    "build_book",
    "build_html",
    "chapter_hash",
    "merge_injected_parameters",
    "prepare_notebook",
    "chapters",
    "describe_model",
    "execute_chapter",
    "execution_order",
    "find_root",
    "preset_work",
    "presets_table",
    "read_timings",
    "repository_root",
    "resolve_chapters",
    "timings_path",
    "timings_table",
    "training_table",
    "build_time_sentence",
]

log = logging.getLogger("spinodal.book.runner")

#: Folder of the chapters, relative to the book's root (the folder holding ``_toc.yml``).
BOOK_DIR = "book"
#: Key of the twin's notebook metadata where the runner records hash, parameters and timing.
METADATA_KEY = "spinodal_book"
TIMINGS_FILE = "book-timings.json"


class BookError(Exception):
    """A chapter failed to execute, a chapter is missing, or the HTML build failed."""


def repository_root() -> Path:
    """The source tree holding ``_toc.yml`` (the book is built from a checkout)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "_toc.yml").is_file():
        raise BookError(
            f"no _toc.yml in {root}: the book is built from a source checkout "
            "(git clone, then pip install -e '.[book]')"
        )
    return root


def find_root(start: str | Path = ".") -> Path:
    """The book's root: ``start`` or its nearest parent holding ``_toc.yml`` (a chapter's
    kernel runs in ``ROOT/book``), else :func:`repository_root`."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    return repository_root()


def chapters(root: str | Path) -> list[str]:
    """Chapter names (``"00_intro"``, ``"01_model"``, ...) in ``_toc.yml`` order, root first.

    Raises :class:`BookError` naming every listed chapter whose ``book/NAME.md`` is missing.
    """
    import yaml

    root = Path(root)
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    entries = [toc["root"]]

    def walk(items) -> None:
        for item in items or []:
            if "file" in item:
                entries.append(item["file"])
            walk(item.get("sections"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    names = []
    for entry in entries:
        path = Path(entry)
        if path.parent.as_posix() != BOOK_DIR or path.suffix:
            raise BookError(f"_toc.yml entry {entry!r} is not of the form {BOOK_DIR}/NAME")
        names.append(path.name)
    missing = [name for name in names if not (root / BOOK_DIR / f"{name}.md").is_file()]
    if missing:
        raise BookError(
            f"chapters listed in _toc.yml but missing on disk: "
            f"{', '.join(f'{BOOK_DIR}/{m}.md' for m in missing)}"
        )
    return names


def execution_order(names: Sequence[str]) -> list[str]:
    """The chapters in toc order with the root (the introduction, ``names[0]``) moved last."""
    return [*names[1:], names[0]]


def resolve_chapters(requested: Sequence[str], names: Sequence[str]) -> list[str]:
    """Map ``--only`` arguments (a full name ``04_accuracy``, its number ``04`` or its title
    part ``accuracy``) to chapter names; an unknown or ambiguous one raises :class:`BookError`."""
    chosen = []
    for item in requested:
        matches = [n for n in names if item in (n, n.split("_", 1)[0], n.split("_", 1)[-1])]
        if len(matches) != 1:
            raise BookError(f"unknown chapter {item!r}; choose among {', '.join(names)}")
        chosen.append(matches[0])
    return chosen


def book_parameters(preset: str, device: str = "", model_dir: str = "") -> dict[str, str]:
    """The papermill parameters given to every chapter ("" = the chapter's default)."""
    return {"preset": preset, "device": device or "", "model_dir": str(model_dir or "")}


def _model_dir(parameters: dict) -> Path | None:
    """The model folder a chapter will use: the given one, else the preset's shipped one."""
    if parameters.get("model_dir"):
        return Path(parameters["model_dir"])

    shipped = Workspace(parameters["preset"]).shipped_model
    return shipped if shipped.is_dir() else None


def chapter_hash(source: str, parameters: dict, extra: dict | None = None) -> str:
    """A hash of what a chapter's outputs depend on: its ``source`` text, the ``parameters``,
    the source of every ``spinodal`` module, the files of the model used (a trained model of
    a preset without a shipped one is determined by the sources) and ``extra``."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    add("source", source.encode())
    add("parameters", json.dumps(parameters, sort_keys=True).encode())
    add("extra", json.dumps(extra or {}, sort_keys=True).encode())
    for path in sorted(Path(__file__).parents[1].rglob("*.py")):
        add(f"module {path.name}", path.read_bytes())
    model_dir = _model_dir(parameters)
    if model_dir is not None:
        for path in sorted(p for p in model_dir.iterdir() if p.is_file()):
            add(f"model {path.name}", path.read_bytes())
    return digest.hexdigest()[:16]


def _twin_metadata(path: Path) -> dict | None:
    """The runner's record in an executed twin, or None (absent, unreadable, foreign)."""
    import nbformat

    if not path.is_file():
        return None
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # a corrupt twin is simply re-executed
        return None
    record = notebook.metadata.get(METADATA_KEY)
    return dict(record) if record else None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: Cell tags that already decide how a cell's input is shown.
_VISIBILITY_TAGS = {
    "parameters",
    "hide-input",
    "remove-input",
    "remove-cell",
    "hide-cell",
    "show-input",
}


def prepare_notebook(notebook):
    """Tag every code cell ``hide-input`` (its output shows, its code is one click away)
    unless it is the ``parameters`` cell or already says how to show itself (a
    ``show-input`` tag keeps a cell's code visible). Returns ``notebook``, changed."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        if not _VISIBILITY_TAGS & set(tags):
            tags.append("hide-input")
    return notebook


_ASSIGNMENT = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>[^#]*?)(?P<rest>\s*#.*)?$")


def merge_injected_parameters(notebook) -> bool:
    """Show one parameters cell: write the values papermill injected into the chapter's own
    ``parameters`` cell (keeping its comments, which say what each parameter does) and tag the
    injected cell ``remove-cell``. Only one-line assignments are rewritten; if an injected
    parameter has none, both cells are left as they are. Returns whether they were merged."""
    cells = notebook.cells
    original = next((c for c in cells if "parameters" in c.metadata.get("tags", [])), None)
    injected = next((c for c in cells if "injected-parameters" in c.metadata.get("tags", [])), None)
    if original is None or injected is None:
        return False
    values = {}
    for line in injected.source.splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            values[match["name"]] = match["value"]
    lines = original.source.splitlines()
    done = set()
    for i, line in enumerate(lines):
        match = _ASSIGNMENT.match(line)
        if match and match["name"] in values:
            lines[i] = f"{match['name']} = {values[match['name']]}{match['rest'] or ''}"
            done.add(match["name"])
    if done != set(values):
        return False
    original.source = "\n".join(lines)
    tags = injected.metadata.setdefault("tags", [])
    if "remove-cell" not in tags:
        tags.append("remove-cell")
    return True


def execute_chapter(
    name: str,
    parameters: dict,
    root: str | Path | None = None,
    *,
    extra: dict | None = None,
    force: bool = False,
    last_seconds: float | None = None,
) -> dict:
    """Execute ``book/NAME.md`` with papermill into ``book/NAME.ipynb`` unless cached.

    The reader sees the figures and the argument first: every code cell but the
    ``parameters`` one is tagged ``hide-input`` (one click shows it; see
    :func:`prepare_notebook`), and the parameters cell shows the values this execution used
    (:func:`merge_injected_parameters`), once.

    Args:
        name: chapter name, e.g. ``"04_accuracy"``.
        parameters: papermill parameters (:func:`book_parameters`).
        root: the book's root folder (default :func:`repository_root`); the kernel runs in
            ``ROOT/book``.
        extra: more inputs of the chapter's outputs for the cache hash (the introduction's
            timings).
        force: execute even if the twin is up to date.
        last_seconds: how long its last execution took (logged before executing; default:
            the old twin's record, if any).

    Returns:
        The twin's record: ``hash``, ``parameters``, ``seconds`` (wall time of its last
        execution), ``date``, ``environment`` and ``status`` (``"executed"`` or ``"cached"``).

    Raises:
        BookError: naming the chapter and the failing cell's error; the failed notebook is
            kept as ``book/NAME.failed.ipynb`` and no twin is left behind.
    """
    import jupytext
    import nbformat
    import papermill

    root = Path(root) if root is not None else repository_root()
    book = root / BOOK_DIR
    source_path = book / f"{name}.md"
    if not source_path.is_file():
        raise BookError(f"chapter {name}: no source {source_path}")
    source = source_path.read_text()
    digest = chapter_hash(source, parameters, extra)
    twin = book / f"{name}.ipynb"
    failed = book / f"{name}.failed.ipynb"
    record = _twin_metadata(twin)
    if not force and record is not None and record.get("hash") == digest:
        return {**record, "status": "cached"}

    notebook = prepare_notebook(jupytext.reads(source, fmt="md:myst"))
    running = book / f".{name}.running.ipynb"
    if last_seconds is None and record is not None:
        last_seconds = record.get("seconds")
    log.info(
        "%-20s executing … (%s)",
        name,
        f"{_duration(last_seconds)} last time" if last_seconds else "first execution",
    )
    start = time.perf_counter()
    try:
        executed = papermill.execute_notebook(
            notebook,
            str(running),
            parameters=dict(parameters),
            cwd=str(book),
            kernel_name="python3",
            progress_bar=False,
            # the kernel's own start-up warnings (e.g. about its local TCP transport) are noise
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except Exception as error:
        twin.unlink(missing_ok=True)
        if running.exists():
            os.replace(running, failed)
        raise BookError(_failure_message(name, error, failed)) from None
    seconds = time.perf_counter() - start
    record = {
        "hash": digest,
        "parameters": dict(parameters),
        "seconds": round(seconds, 2),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "environment": environment(parameters.get("device") or None),
    }
    merge_injected_parameters(executed)
    executed.metadata[METADATA_KEY] = record
    nbformat.write(executed, str(running))
    os.replace(running, twin)
    failed.unlink(missing_ok=True)
    return {**record, "status": "executed"}


def _failure_message(name: str, error: Exception, failed: Path) -> str:
    from papermill.exceptions import PapermillExecutionError  # the book's optional tools

    if isinstance(error, PapermillExecutionError):
        first_line = next((line for line in error.source.splitlines() if line.strip()), "")
        what = (
            f"cell {error.cell_index} ({first_line.strip()[:60]!r}) raised "
            f"{error.ename}: {_ANSI.sub('', str(error.evalue))}"
        )
    else:
        what = f"{type(error).__name__}: {_ANSI.sub('', str(error))}"
    where = f"; traceback in {failed}" if failed.exists() else ""
    return f"chapter {name} failed: {what}{where}"


def timings_path(preset: str, root: str | Path | None = None) -> Path:
    """``WORKSPACE/book-timings.json`` of ``preset`` (data ``root`` as in ``Workspace``)."""

    return Workspace(preset, root).dir / TIMINGS_FILE


def read_timings(preset: str, root: str | Path | None = None) -> dict:
    """The recorded chapter timings of ``preset``: ``{"chapters": {NAME: record}, ...}``;
    an empty ``chapters`` dict if none were recorded yet."""
    path = timings_path(preset, root)
    if not path.is_file():
        return {"preset": preset, "chapters": {}}
    return json.loads(path.read_text())


def _write_timings(path: Path, timings: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _timing_entry(record: dict) -> dict:
    return {
        "seconds": record["seconds"],
        "date": record["date"],
        "hardware": record["environment"]["hardware"],
        "torch": record["environment"]["torch"],
        "device": record["parameters"].get("device", ""),
        "model_dir": record["parameters"].get("model_dir", ""),
        "hash": record["hash"],
    }


def build_book(
    preset: str = "small",
    *,
    device: str = "",
    model_dir: str = "",
    only: Sequence[str] | None = None,
    force: bool = False,
    html: bool = True,
    root: str | Path | None = None,
) -> dict:
    """Execute the chapters (01..09, then the introduction) and build the HTML.

    Args:
        preset: ``tiny``, ``small`` or ``paper``.
        device: torch device for every chapter ("" = CUDA if available, else CPU).
        model_dir: CRNN checkpoint folder ("" = the preset's shipped model, else one trained).
        only: execute only these chapters (names, numbers or title parts); the others'
            twins are used as they are.
        force: re-execute even up-to-date chapters.
        html: run ``jupyter-book build`` afterwards (skipped, with a message, while a
            chapter has no twin).
        root: the book's root folder (default :func:`find_root`: the current folder or its
            nearest parent holding ``_toc.yml``, else the source checkout).

    Returns:
        The timings written to :func:`timings_path` (``chapters``: per-chapter records).

    Raises:
        BookError: a missing chapter, a failed chapter (all chapters are attempted first and
            every failure is named) or a failed HTML build.
    """

    get_preset(preset)  # KeyError naming the presets
    root = Path(root) if root is not None else find_root()
    if model_dir:
        model_dir = str(Path(model_dir).resolve())  # the kernels run in book/
    names = chapters(root)
    order = execution_order(names)
    selected = set(resolve_chapters(only, names)) if only else set(order)
    parameters = book_parameters(preset, device, model_dir)
    path = timings_path(preset)
    timings = read_timings(preset)
    timings.setdefault("chapters", {})
    intro = names[0]
    failures = []
    build_start = time.perf_counter()
    log.info(
        "building the book at preset %s (%s; model: %s) in %s, workspace %s",
        preset,
        device or "default device",
        model_dir or "the preset's",
        root,
        path.parent,
    )
    for name in order:
        if name not in selected:
            continue
        extra = None
        if name == intro:  # the introduction shows the other chapters' timings
            extra = {n: timings["chapters"].get(n, {}).get("seconds") for n in order[:-1]}
            # and the previous HTML build's time: re-executed once it is first measured
            extra["html measured"] = timings.get("html_seconds") is not None
        last = timings["chapters"].get(name, {}).get("seconds")
        try:
            record = execute_chapter(
                name, parameters, root, extra=extra, force=force, last_seconds=last
            )
        except BookError as error:
            failures.append(str(error))
            log.error("%-20s FAILED", name)
            continue
        if record["status"] == "cached":
            log.info(
                "%-20s cached   (executed in %.1f s on %s)", name, record["seconds"], record["date"]
            )
        else:
            log.info("%-20s executed %8.1f s", name, record["seconds"])
        timings["chapters"][name] = _timing_entry(record)
        timings.update(preset=preset, updated=datetime.datetime.now().isoformat("T", "seconds"))
        _write_timings(path, timings)
    if failures:
        raise BookError(
            f"{len(failures)} chapter(s) failed, HTML not built:\n  " + "\n  ".join(failures)
        )
    log.info("chapters done in %.1f s (timings in %s)", time.perf_counter() - build_start, path)
    if html:
        missing = [n for n in names if not (root / BOOK_DIR / f"{n}.ipynb").is_file()]
        if missing:
            log.warning("HTML not built: chapters not executed yet: %s", ", ".join(missing))
        else:
            start = time.perf_counter()
            last = timings.get("html_seconds")
            log.info(
                "building the HTML … (%s)",
                f"{_duration(last)} last time" if last else "first build",
            )
            build_html(root)
            seconds = time.perf_counter() - start
            log.info("HTML built in %.1f s: %s", seconds, root / "_build" / "html" / "index.html")
            timings["html_seconds"] = round(seconds, 1)
            _write_timings(path, timings)
    return timings


def build_html(root: str | Path | None = None) -> None:
    """``jupyter-book build . -W -n --keep-going --all`` in ``root``: warnings are errors and
    every page is rewritten (so a warning of an unchanged page cannot hide behind Sphinx's
    incremental build). Raises :class:`BookError` if it fails."""
    root = Path(root) if root is not None else repository_root()
    local = Path(sys.executable).parent / "jupyter-book"
    command = [str(local) if local.is_file() else "jupyter-book"]
    command += ["build", ".", "-W", "-n", "--keep-going", "--all"]
    # Jupyter Book prints its whole configuration (kilobytes) on every build: its output is
    # kept, and shown only when the build fails
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        sys.stderr.write("\n".join(output[-200:]) + "\n")
        raise BookError(
            f"the HTML build failed ({' '.join(command[1:])} exited {result.returncode}); "
            "the end of its output, with its warnings and errors, is printed above"
        )


# --- tables for the introduction -------------------------------------------------------------


def presets_table() -> str:
    """A Markdown table of every preset's splits: sequences × frames, domain side."""

    header = "| split | " + " | ".join(f"`{name}`" for name in PRESETS) + " |"
    lines = [header, "|---|" + "---|" * len(PRESETS)]
    for split in SPLIT_NAMES:
        cells = []
        for preset in PRESETS.values():
            s = preset.split(split)
            cells.append(f"{s.n_sequences} × {s.n_frames} frames, {s.size}²")
        lines.append(f"| {split} | " + " | ".join(cells) + " |")
    recipes = " | ".join(_recipe_text(p) for p in PRESETS.values())
    lines.append(f"| CRNN training | {recipes} |")
    work = {name: preset_work(preset) for name, preset in PRESETS.items()}
    reference = work.get("small") or next(iter(work.values()))
    lines.append(
        "| simulated pixel-frames (relative) | "
        + " | ".join(
            f"{format_number(w / 1e6)} million ({format_number(w / reference, 2)}×)"
            for w in work.values()
        )
        + " |"
    )
    return "\n".join(lines)


def _recipe_text(preset) -> str:
    """The training recipe of a preset in a few words: its stages, if it has any."""
    recipe = preset.training
    frames = preset.split("train").n_frames
    if not preset.stages:
        return f"{recipe.epochs} epochs on {frames} frames, batch {recipe.batch_size}"
    parts = []
    for stage in preset.stages:
        values = {"frames": frames, **stage.changes}
        parts.append(f"{values['epochs']} on {values['frames'] or frames}")
    return (
        f"{len(preset.stages)} stages, epochs on frames: "
        + " + ".join(parts)
        + f"; batch {recipe.batch_size}"
    )


def preset_work(preset) -> float:
    """Phase-field work of a preset's datasets: Σ over splits of sequences × frames × N²
    (pixel-frames; the solver's cost grows with it, times log N for the FFTs)."""

    return float(sum(s.n_sequences * s.n_frames * s.size**2 for s in get_preset(preset).splits))


def describe_model(workspace) -> str:
    """Which CRNN a :class:`~spinodal.pipeline.workspace.Workspace` uses, without training one."""

    if workspace.given_model_dir is not None:
        return f"the model `{workspace.given_model_dir}`"
    if (workspace.shipped_model / CARD_FILE).is_file():
        return f"the shipped model `{workspace.shipped_model.name}`"
    return "a model trained with the preset's recipe on first use (`models/crnn`)"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def timings_table(timings: dict, names: Sequence[str]) -> str:
    """A Markdown table of the execution time of each chapter in ``names`` ("not yet
    measured" where ``timings`` has none) and the total of those measured."""
    lines = ["| chapter | execution time | hardware | executed on |", "|---|---:|---|---|"]
    total, measured = 0.0, 0
    for name in names:
        entry = timings.get("chapters", {}).get(name)
        if entry is None:
            lines.append(f"| {name} | not yet measured | | |")
            continue
        total += entry["seconds"]
        measured += 1
        lines.append(
            f"| {name} | {_duration(entry['seconds'])} | {entry['hardware']} | "
            f"{entry['date'][:10]} |"
        )
    label = "total" if measured == len(names) else f"total of {measured} measured"
    lines.append(f"| **{label}** | **{_duration(total)}** | | |")
    return "\n".join(lines)


def training_table(model_dir: str | Path) -> str:
    """How a CRNN was trained, for the introduction (Markdown): "in one run:" or "in N
    stages, each from the previous one's weights:", then a table of its training stages
    (:func:`spinodal.surrogate.checkpoint.training_stages`: epochs and best epoch, frames,
    curriculum, batch, wall minutes and hardware; the paper's recipe is Sec. 2.3)."""

    stages = training_stages(model_dir)
    lines = [
        f"in {len(stages)} stages, each from the previous one's weights:"
        if len(stages) > 1
        else "in one run:",
        "",
        "| stage | epochs trained (best) | frames per sequence | curriculum epochs | batch | "
        "minutes | hardware |",
        "|---|---|---|---|---|---|---|",
    ]
    for st in stages:
        batch = read_card(st["path"])["recipe"].get("batch_size", "")
        lines.append(
            f"| {st['name']} | {st['epochs']} ({st['best_epoch']}) | {st['frames']} | "
            f"{st['curriculum_epochs']} | {batch} | {st['minutes']:.0f} | {st['hardware']} |"
        )
    return "\n".join(lines)


def build_time_sentence(timings: dict, names: Sequence[str]) -> str:
    """How long executing the chapters ``names`` took in their last executions (the ones
    ``timings`` of :func:`read_timings` has), and the previous HTML build, for the
    introduction (Markdown)."""
    chapters_done = timings.get("chapters", {})
    measured = [chapters_done[n]["seconds"] for n in names if n in chapters_done]
    html = timings.get("html_seconds")
    return (
        f"Executing these chapters took {sum(measured) / 60:.1f} min in all "
        f"({len(measured)} of {len(names)} chapters measured); "
    ) + (
        f"the previous HTML build with this preset took {html:.0f} s."
        if html is not None
        else "the HTML is built after this page, for the first time with this preset: its "
        "time will be shown here by the next `spinodal book`."
    )
