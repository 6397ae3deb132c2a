"""The book: the runner's caching and failure handling, every chapter executed at ``tiny`` with
papermill, the whole book built with warnings as errors, and a real browser that opens the built
HTML offline and finds its figures loaded and its equations typeset by MathJax.

The chapter tests and the build share one temporary data root (datasets and models are made
once) and one temporary copy of the book's sources (the repository's executed twins and
``_build`` are never touched).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from spinodal.book import runner as book
from spinodal.book.runner import BookError
from spinodal.presets import PRESETS, SPLIT_NAMES

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

try:
    CHAPTERS = book.chapters(REPO)
    TOC_ERROR = None
except BookError as error:  # reported by test_toc_lists_existing_chapters
    CHAPTERS, TOC_ERROR = [], str(error)


# --- a fake book: fast tests of the runner ------------------------------------------------------

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def _chapter(title: str, body: str) -> str:
    return (
        f"{HEADER}\n# {title}\n\n```{{code-cell}} ipython3\n:tags: [parameters]\n\n"
        'preset = "small"\ndevice = ""\nmodel_dir = ""\n```\n\n'
        f"```{{code-cell}} ipython3\n{body}\n```\n"
    )


@pytest.fixture
def fake_book(tmp_path, monkeypatch):
    """A two-chapter book (intro + 01_a) with its own data root."""
    monkeypatch.setenv("SPINODAL_DATA", str(tmp_path / "data"))
    root = tmp_path / "fake"
    (root / "book").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/00_intro\nchapters:\n")
    with open(root / "_toc.yml", "a") as toc:
        toc.write("  - file: book/01_a\n")
    (root / "book" / "00_intro.md").write_text(_chapter("Intro", "print(preset)"))
    (root / "book" / "01_a.md").write_text(_chapter("A", "value = len(preset)\nprint(value)"))
    return root


def test_toc_lists_existing_chapters():
    assert TOC_ERROR is None, TOC_ERROR
    assert CHAPTERS[0] == "00_intro"
    assert CHAPTERS == sorted(CHAPTERS), "chapters are listed in their numbered order"
    assert book.execution_order(CHAPTERS)[-1] == "00_intro"


def test_missing_chapter_is_named(fake_book):
    (fake_book / "book" / "01_a.md").unlink()
    with pytest.raises(BookError, match="01_a.md"):
        book.chapters(fake_book)


def test_resolve_chapters():
    names = ["00_intro", "01_model", "04_accuracy"]
    assert book.resolve_chapters(["04", "model", "00_intro"], names) == [
        "04_accuracy",
        "01_model",
        "00_intro",
    ]
    with pytest.raises(BookError, match="unknown chapter '05'"):
        book.resolve_chapters(["05"], names)


def test_cli_reports_errors_with_exit_code_2(fake_book, monkeypatch, caplog):
    from spinodal.cli import main

    monkeypatch.chdir(fake_book)  # `spinodal book` builds the book of the current folder
    assert main(["book", "--preset", "tiny", "--only", "zz"]) == 2
    assert "unknown chapter 'zz'" in caplog.text


def test_execution_is_cached_by_source_and_parameters(fake_book):
    parameters = book.book_parameters("tiny")
    first = book.execute_chapter("01_a", parameters, fake_book)
    assert first["status"] == "executed" and first["seconds"] > 0
    twin = nbformat.read(fake_book / "book" / "01_a.ipynb", as_version=4)
    assert twin.metadata[book.METADATA_KEY]["hash"] == first["hash"]
    assert "4" in "".join(o.get("text", "") for c in twin.cells for o in c.get("outputs", []))
    assert book.execute_chapter("01_a", parameters, fake_book)["status"] == "cached"
    changed = book.book_parameters("small")
    assert book.execute_chapter("01_a", changed, fake_book)["status"] == "executed"
    source = fake_book / "book" / "01_a.md"
    source.write_text(source.read_text().replace("print(value)", "print(value + 1)"))
    assert book.execute_chapter("01_a", changed, fake_book)["status"] == "executed"
    assert book.execute_chapter("01_a", changed, fake_book, force=True)["status"] == "executed"


def test_failed_chapter_is_named_and_leaves_no_twin(fake_book):
    parameters = book.book_parameters("tiny")
    book.execute_chapter("01_a", parameters, fake_book)  # a valid twin from an earlier build
    source = fake_book / "book" / "01_a.md"
    source.write_text(source.read_text().replace("print(value)", "raise ValueError('boom')"))
    with pytest.raises(BookError, match=r"chapter 01_a failed: .*ValueError: boom"):
        book.execute_chapter("01_a", parameters, fake_book)
    assert not (fake_book / "book" / "01_a.ipynb").exists()
    assert (fake_book / "book" / "01_a.failed.ipynb").exists()
    assert not list((fake_book / "book").glob(".*.ipynb"))
    with pytest.raises(BookError, match=r"(?s)1 chapter.*failed, HTML not built.*01_a"):
        book.build_book("tiny", root=fake_book)


def test_build_book_records_timings_and_runs_intro_last(fake_book):
    timings = book.build_book("tiny", root=fake_book, html=False)
    assert set(timings["chapters"]) == {"00_intro", "01_a"}
    stored = json.loads(book.timings_path("tiny").read_text())
    assert stored["chapters"]["01_a"]["seconds"] == timings["chapters"]["01_a"]["seconds"]
    intro, chapter = (stored["chapters"][n]["date"] for n in ("00_intro", "01_a"))
    assert intro >= chapter
    table = book.timings_table(stored, ["01_a", "02_b"])
    assert "| 02_b | not yet measured |" in table and "total of 1 measured" in table


def test_presets_table_lists_every_preset_and_split():
    table = book.presets_table()
    for name in PRESETS:
        assert f"`{name}`" in table
    for split in SPLIT_NAMES:
        assert f"| {split} |" in table
    paper = PRESETS["paper"].split("test")
    assert f"{paper.n_sequences} × {paper.n_frames} frames, {paper.size}²" in table
    assert book.preset_work("paper") > book.preset_work("small") > book.preset_work("tiny")


# --- the real book at the tiny preset -----------------------------------------------------------


@pytest.fixture(scope="session")
def data_root(tmp_path_factory):
    """One data root for every chapter test and the build: datasets and models made once."""
    root = tmp_path_factory.mktemp("book-data")
    previous = os.environ.get("SPINODAL_DATA")
    os.environ["SPINODAL_DATA"] = str(root)
    yield root
    if previous is None:
        del os.environ["SPINODAL_DATA"]
    else:
        os.environ["SPINODAL_DATA"] = previous


@pytest.fixture(scope="session")
def book_copy(tmp_path_factory):
    """The book's sources (configuration and chapter texts, no executed twins)."""
    root = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "book", root / "book", ignore=shutil.ignore_patterns("*.ipynb", ".*"))
    return root


@pytest.mark.slow
@pytest.mark.parametrize("name", book.execution_order(CHAPTERS) if CHAPTERS else [])
def test_chapter_executes_at_tiny(name, data_root, book_copy):
    try:
        record = book.execute_chapter(name, book.book_parameters("tiny"), book_copy)
    except BookError as error:
        pytest.fail(str(error), pytrace=False)
    twin = nbformat.read(book_copy / "book" / f"{name}.ipynb", as_version=4)
    errors = [o for c in twin.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert record["seconds"] > 0


@pytest.fixture(scope="session")
def built_book(data_root, book_copy):
    """``spinodal book --preset tiny`` run as a user runs it, in the copy of the book."""
    result = subprocess.run(
        [sys.executable, "-m", "spinodal.cli", "book", "--preset", "tiny"],
        cwd=book_copy,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    return book_copy, result


@pytest.mark.slow
def test_book_builds_at_tiny_with_warnings_as_errors(built_book, data_root):
    root, result = built_book
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-8000:]
    for name in CHAPTERS:
        assert (root / "_build" / "html" / "book" / f"{name}.html").is_file()
        assert re.search(rf"spinodal.book.runner: {name} +(executed|cached)", result.stderr)
    timings = json.loads((data_root / "tiny" / "book-timings.json").read_text())
    assert set(timings["chapters"]) == set(CHAPTERS) and timings["html_seconds"] > 0
    # offline: nothing is loaded from the network (scripts, styles, fonts, images)
    remote = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//")
    for page in (root / "_build" / "html").rglob("*.html"):
        assert not remote.search(page.read_text()), f"{page.name} loads a remote resource"
    # a second build re-uses every executed twin
    again = subprocess.run(
        [sys.executable, "-m", "spinodal.cli", "book", "--preset", "tiny", "--no-html"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert again.returncode == 0, again.stderr[-4000:]
    # the introduction is re-executed once, to show the HTML build time now measured
    assert re.search(r"spinodal.book.runner: 00_intro +executed", again.stderr), again.stderr[
        -4000:
    ]
    assert len(re.findall(r"spinodal.book.runner: \S+ +cached", again.stderr)) == len(CHAPTERS) - 1
    intro = nbformat.read(root / "book" / "00_intro.ipynb", as_version=4)
    assert "the previous HTML build with this preset took" in json.dumps(intro.dict())
    # progress: the preset and workspace first, each chapter announced before it runs
    assert "building the book at preset tiny" in result.stderr
    assert re.search(r"spinodal.book.runner: 00_intro +executing … \(.* last time\)", again.stderr)
    assert "myst v" not in result.stdout + result.stderr  # Jupyter Book's configuration dump
    third = subprocess.run(
        [sys.executable, "-m", "spinodal.cli", "book", "--preset", "tiny", "--no-html"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert len(re.findall(r"spinodal.book.runner: \S+ +cached", third.stderr)) == len(CHAPTERS)


def test_pages_show_one_parameters_cell_and_fold_the_code(fake_book):
    book.execute_chapter("01_a", book.book_parameters("tiny"), fake_book)
    twin = nbformat.read(fake_book / "book" / "01_a.ipynb", as_version=4)
    tags = [cell.metadata.get("tags", []) for cell in twin.cells if cell.cell_type == "code"]
    assert (
        tags[0] == ["parameters"]
        and 'preset = "tiny"' in twin.cells[[c.cell_type for c in twin.cells].index("code")].source
    )
    assert "remove-cell" in tags[1] and "injected-parameters" in tags[1]
    assert all("hide-input" in t for t in tags[2:])


def _dump_dom(page: Path, profile: Path) -> str:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


# Appended to a copy of a page: once MathJax is done, it records in the DOM every image that did
# not load and every image, table or equation wider than the text column.
_PROBE = """
<script>
window.addEventListener("load", () => setTimeout(() => {
  const column = document.querySelector("main article, article.bd-article, main") || document.body;
  const width = column.getBoundingClientRect().width;
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
    .map(i => i.getAttribute("src").slice(0, 60));
  const wide = [...column.querySelectorAll("img, table, mjx-container[display='true']")]
    .filter(e => e.offsetParent !== null && e.scrollWidth > width + 2)
    .map(e => e.tagName + ":" + Math.round(e.scrollWidth) + ">" + Math.round(width) + ":"
         + (e.textContent || e.getAttribute("src") || "").trim().slice(0, 50));
  const out = document.createElement("pre");
  out.id = "probe-result";
  out.textContent = JSON.stringify({broken, wide, width});
  document.body.appendChild(out);
}, 5000));
</script>
"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("name", CHAPTERS)
def test_browser_shows_figures_and_typeset_equations(name, built_book, tmp_path):
    """Every page as a reader sees it: its images load, MathJax typeset every equation (no raw
    TeX is left in the text), and no image, table or equation is wider than the text column."""
    root, result = built_book
    assert result.returncode == 0, "the book did not build"
    page = root / "_build" / "html" / "book" / f"{name}.html"
    static = page.read_text()
    probe = page.with_name(f".probe-{name}.html")
    probe.write_text(static.replace("</body>", _PROBE + "</body>"))
    try:
        dom = _dump_dom(probe, tmp_path / "profile")
    finally:
        probe.unlink()
    assert "</html>" in dom
    # figures: every <img> points at a file of the build (or is inline data) that exists
    sources = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", dom)
    for source in sources:
        if not source.startswith("data:image/"):
            assert (page.parent / source.split("?")[0]).resolve().is_file(), source
    if name != "00_intro":
        assert sources, f"{name} shows no figure"
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', dom, re.S)
    assert found, f"{name}: the page's scripts did not finish"
    report = json.loads(
        found.group(1)
        .replace("&quot;", '"')
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&amp;", "&")
    )
    assert not report["broken"], f"{name}: images not loaded: {report['broken']}"
    assert not report["wide"], f"{name}: wider than the column ({report['width']} px): " + str(
        report["wide"]
    )
    # equations: every math node of the page was typeset by MathJax, no raw TeX is left
    math_nodes = len(re.findall(r"class=\"math[\" ]", static))
    typeset = dom.count("<mjx-container")
    assert typeset >= math_nodes
    if math_nodes:
        assert typeset > 0, f"{name}: MathJax typeset nothing"
    text = re.sub(r"<(script|style|mjx-container)\b.*?</\1>", "", dom, flags=re.S)
    text = re.sub(r"<pre\b.*?</pre>", "", text, flags=re.S)  # code and its printed output
    text = re.sub(r"<[^>]+>", " ", text)
    assert "$$" not in text and "\\begin{" not in text
    raw = re.findall(r"\$[^$\n]{1,40}\$|\\(?:frac|varphi|langle|nabla|tilde)\b|[φL]_\{", text)
    assert not raw, f"{name}: raw TeX in the text: {raw[:5]}"


# --- a deliberately unstable model: the book must say "diverged", never print its numbers -------

UNSTABLE_CHAPTERS = ["04_accuracy", "05_long_time", "06_domain_size", "07_phase_diagram"]


@pytest.fixture(scope="session")
def unstable_model(data_root, tmp_path_factory):
    """The tiny preset's model with the weights of its head multiplied by 30: its free
    rollouts leave the physical range within a few τ."""
    import torch

    from spinodal.pipeline.workspace import Workspace
    from spinodal.surrogate.checkpoint import read_card, save_checkpoint

    ws = Workspace("tiny", device="cpu")
    net = ws.net()
    with torch.no_grad():
        for parameter in net.head.parameters():
            parameter.mul_(30.0)
    return save_checkpoint(
        tmp_path_factory.mktemp("unstable") / "crnn-unstable", net, read_card(ws.model_path())
    )


def _printed_text(notebook) -> str:
    """What a chapter prints as prose or tables: its Markdown outputs and glued text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append(str(data.get("text/markdown", "")))
            parts.append(str(data.get("application/papermill.record/text/plain", "")))
            parts.append(str(data.get("application/papermill.record/text/markdown", "")))
    return "\n".join(parts)


@pytest.mark.slow
def test_no_number_is_printed_past_divergence(unstable_model, data_root, tmp_path):
    root = tmp_path / "book"
    (root / "book").mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(REPO / name, root / name)
    for name in UNSTABLE_CHAPTERS:
        shutil.copy(REPO / "book" / f"{name}.md", root / "book" / f"{name}.md")
    parameters = book.book_parameters("tiny", model_dir=str(unstable_model))
    texts = {}
    for name in UNSTABLE_CHAPTERS:
        try:
            book.execute_chapter(name, parameters, root)
        except BookError as error:
            pytest.fail(str(error), pytrace=False)
        texts[name] = _printed_text(nbformat.read(root / "book" / f"{name}.ipynb", as_version=4))
    for name, text in texts.items():
        # the blow-up's numbers (1e+07 %, 3e11) never appear; divergence is said in words
        assert not re.search(r"\d(?:\.\d+)?e[+-]?\d\d", text), f"{name}: {text[:2000]}"
        assert not re.search(r"\d{4,}(?:\.\d+)? ?%", text.replace(",", "")), name
        assert "left the physical range" in text or "leave the physical range" in text, name
    accuracy = texts["04_accuracy"]
    table = accuracy[accuracy.index("| quantity | paper | this build |") :]
    assert re.search(r"\| median MAE at \d+τ \| [^|]* \| diverged \(", table), table
    assert "no median error is quoted" in accuracy  # the standing, up front
    assert "diverged (" in texts["05_long_time"], texts["05_long_time"]
    assert "does not reconstruct" in texts["07_phase_diagram"], texts["07_phase_diagram"]
