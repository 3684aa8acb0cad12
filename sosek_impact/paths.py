"""Where the project's data live: a clone's ``data/`` folders or the copy bundled in the package.

Three situations, checked in this order:

1. ``SOSEK_IMPACT_ROOT`` is set: the folder it names is the project root (``data/raw``,
   ``data/processed``, ``analysis/``, ``reports/`` below it). Tests use it for temporary copies; a user
   of an installed package can point it at a clone to build the panel there.
2. The package sits in a clone of the repository (an editable install, or ``PYTHONPATH`` set to the
   clone): the repository's own ``data/`` folders.
3. Otherwise (a wheel, ``pip install .`` or ``pip install git+URL``): the data bundled in the package
   under ``sosek_impact/_data`` (read through :mod:`importlib.resources`): the built panels
   (``_data/processed/*.parquet``) and the small extracts the registry and the harmoniser read
   (``_data/raw``). ``setup.py`` copies them from the repository's ``data/`` when the wheel is built.
   The panel cannot be rebuilt there (the 5.6 MB series extracts are not bundled); the study
   (``analysis/``, ``reports/``) is not part of the package.

``SOSEK_IMPACT_SHARED`` overrides where the shared public sources are looked for (``sosek-impact extract``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

__all__ = ["data_location", "missing_data_advice", "packaged", "processed_dir", "project_root",
           "raw_dir", "reports_dir", "shared_dir"]

ROOT_VARIABLE = "SOSEK_IMPACT_ROOT"
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=8)
def _is_clone(folder: Path) -> bool:
    """``folder`` holds the repository: its ``pyproject.toml`` names this project, or its extracts are there.

    The second test keeps a bare copy of the package and ``data/`` (e.g. a test's temporary root on
    ``PYTHONPATH``) working as before; an installed package's parent (``site-packages``) has neither.
    """
    if (folder / "data" / "raw" / "regencies.csv").is_file():
        return True
    meta = folder / "pyproject.toml"
    return meta.is_file() and 'name = "sosek_impact"' in meta.read_text(encoding="utf-8", errors="replace")


def data_location() -> Literal["root", "repository", "package"]:
    """Which data the loaders read: ``"root"``, ``"repository"`` or ``"package"`` (see the module notes)."""
    if os.environ.get(ROOT_VARIABLE):
        return "root"
    return "repository" if _is_clone(_PACKAGE_PARENT) else "package"


def packaged() -> bool:
    """``True`` when the loaders read the data bundled in the installed package."""
    return data_location() == "package"


@lru_cache(maxsize=1)
def _bundled_data() -> Path:
    """The ``_data`` folder of the installed package (a real folder for any ordinary install)."""
    folder = resources.files("sosek_impact") / "_data"
    if isinstance(folder, Path):
        return folder
    # A zip import: extract once for the life of the process.
    import atexit
    from contextlib import ExitStack

    stack = ExitStack()
    atexit.register(stack.close)
    return Path(stack.enter_context(resources.as_file(folder)))


def project_root() -> Path:
    """Root of the project (the folder holding ``data/``, ``analysis/`` and ``reports/``).

    Raises
    ------
    FileNotFoundError
        In an installed package with no ``SOSEK_IMPACT_ROOT``: the study's folders are not bundled.
    """
    env = os.environ.get(ROOT_VARIABLE)
    if env:
        return Path(env).resolve()
    if _is_clone(_PACKAGE_PARENT):
        return _PACKAGE_PARENT
    raise FileNotFoundError(
        f"sosek_impact is installed as a package ({_PACKAGE_PARENT / 'sosek_impact'}), which bundles the panels "
        f"and the registry but not the study (analysis/, reports/, data/raw series): clone the repository and "
        f"run from there, or set {ROOT_VARIABLE} to the folder of a clone")


def raw_dir() -> Path:
    """``data/raw``: the project's own tidy extracts (committed); the bundled subset in an installed package."""
    if packaged():
        return _bundled_data() / "raw"
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """``data/processed``: the built panels and their documentation; the bundled panels in an installed package."""
    if packaged():
        return _bundled_data() / "processed"
    return project_root() / "data" / "processed"


def reports_dir() -> Path:
    """``reports``: rendered figures, tables and the HTML report (a clone or ``SOSEK_IMPACT_ROOT`` only)."""
    return project_root() / "reports"


def shared_dir() -> Path | None:
    """``../shared/data`` if it exists (the public sources the extracts are made from), else ``None``."""
    env = os.environ.get("SOSEK_IMPACT_SHARED")
    if env:
        candidate = Path(env)
    elif packaged():
        return None
    else:
        candidate = project_root().parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def missing_data_advice(path: str | Path) -> str:
    """A message for a data file that is not where the loaders look, with advice that works where it is read.

    Parameters
    ----------
    path
        The file that is missing.

    Returns
    -------
    str
        ``"<path> is missing: ..."`` followed by what to do in the current situation (a clone, a
        ``SOSEK_IMPACT_ROOT`` folder or an installed package).
    """
    path = Path(path)
    where = data_location()
    if where == "package":
        return (f"{path} is missing: the installed sosek_impact bundles only the built panels and the registry "
                f"extracts ({_bundled_data()}); reinstall the package (pip install --force-reinstall sosek_impact) "
                f"if one of those is gone, or, to build the panel yourself, clone the repository and set "
                f"{ROOT_VARIABLE} to the clone")
    root = project_root()
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if rel.startswith("data/raw/"):
        restore = (f"the extracts in data/raw are committed: restore them with `git checkout -- data/raw` in {root}"
                   if where == "repository" else
                   f"{ROOT_VARIABLE}={root} points at a folder without the committed extracts: copy the "
                   f"repository's data/raw there or unset {ROOT_VARIABLE}")
        return (f"{path} is missing: {restore} (maintainers with ../shared/data can remake them with "
                f"`sosek-impact extract`)")
    if rel.startswith("data/processed/"):
        return f"{path} is missing: run `sosek-impact build` (it reads data/raw) in {root}"
    return f"{path} is missing (project root {root}, {where})"
