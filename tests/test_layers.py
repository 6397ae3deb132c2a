"""The package's layers: each subpackage imports only the layers below it (README,
"Architecture"). Read from the source with ``ast``, so a late import inside a function counts
as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import spinodal

PACKAGE = Path(spinodal.__file__).parent
#: Bottom to top.
LAYERS = ("physics", "io", "surrogate", "analysis", "pipeline", "book")
#: Root modules every layer may use; they import no layer themselves.
FOUNDATIONS = ("presets", "devices", "_version", "paper")
#: Root modules on top of everything.
TOP = ("__init__", "cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the spinodal modules (or packages) that ``path`` imports."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            if stem.startswith("spinodal"):
                found |= {f"{stem}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("spinodal")}
    return found


def _place(name: str) -> tuple[str, int]:
    """(what, rank) of a spinodal module name: its layer and the layer's height."""
    parts = name.split(".")
    if len(parts) < 2:
        return "root", -1
    head = parts[1]
    if head in LAYERS:
        return head, LAYERS.index(head)
    if head in FOUNDATIONS:
        return "foundation", -1
    if head in TOP:
        return "top", len(LAYERS)
    return "root", -1  # a name defined in spinodal/__init__.py


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_module_lives_in_a_layer_or_is_named_at_the_root():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.stem not in FOUNDATIONS + TOP]
    assert loose == [], f"modules at the package root outside the architecture: {loose}"
    assert sorted(
        p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"
    ) == sorted(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_down(path):
    here, rank = _place(
        _module_name(path) if path.name != "__init__.py" else _module_name(path) + ".__init__"
    )
    if here == "top":
        return
    upward = []
    for name in sorted(_imports(path)):
        there, other = _place(name)
        if here == "foundation" and there not in ("foundation", "root") or there == "top":
            upward.append(name)
        elif here not in ("foundation", "root") and other > rank:
            upward.append(name)
        elif there == "root" and name.count(".") == 1 and here != "root":
            upward.append(name)  # "from spinodal import X" reaches through the top-level facade
    assert upward == [], f"{path.relative_to(PACKAGE)} ({here}) imports above itself: {upward}"


def _imports_h5py(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "h5py" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "h5py":
            return True
    return False


def test_only_the_io_layer_handles_hdf5_files():
    """Files are written and read by spinodal.io (atomic writes, schemas, clear errors); the
    layers above ask it for arrays."""
    handlers = sorted(_module_name(path) for path in MODULES if _imports_h5py(path))
    assert handlers and all(name.startswith("spinodal.io.") for name in handlers), handlers
