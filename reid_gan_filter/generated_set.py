"""The generated images to score, each paired with its real source image and checked against the real set.

Two ways in:

* a **manifest** (``common.gan.manifest``: ``manifest.csv`` or ``manifest.json``), one row per generated image;
* a **folder pair**: a folder of generated images named ``<source stem>_<anything>.<ext>`` and the folder of
  their sources (by default the real training folder). A generated image's source is the source image whose
  stem is the longest prefix of the generated stem that ends where a ``_`` starts (so CamStyle's
  ``<stem>_fake_<camera>.jpg`` and the synthetic set's ``<stem>_gen<k>.jpg`` pair up). Its row takes the
  source's pid and camera, ``target`` = the rest of the name (``fake_3``), and ``generator`` = the given name
  or the folder's.

Relative paths are resolved against ``path_root`` (default: the working directory, which is what
``common.gan.generate`` writes them relative to) and every path is made absolute and normalised.

Each row is checked, in order: the generated image exists; its source is an image of the real training set
(a folder image without a source fails here); its pid is a pid of the real set and its source's (a manifest
pid of -1, "unknown", takes the source's); it is listed once. A failing row stops the run with a
``GeneratedSetError`` naming the row (1-based, in file order), its file and the fix, or, with
``skip_missing``, is left out and counted (``GeneratedSet.skipped``).
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from common.gan.folders import IMAGE_SUFFIXES
from common.gan.manifest import ManifestRow, read_manifest
from common.reid.dataset import ReIDItem

#: Why a row is left out with ``skip_missing`` (``SkippedRow.kind``).
SKIP_KINDS = ("missing", "no_source", "pid", "duplicate")


class GeneratedSetError(ValueError):
    """A generated image that cannot be scored against the real set (the message names its row)."""


@dataclass(frozen=True)
class SkippedRow:
    """A row left out with ``skip_missing``: its 1-based number, generated path, kind (``SKIP_KINDS``) and why."""

    row: int
    generated_path: str
    kind: str
    reason: str


@dataclass
class GeneratedSet:
    """The checked rows (absolute paths, the real set's pids), the rows left out, and where they came from."""

    rows: list[ManifestRow]
    skipped: list[SkippedRow]
    origin: str

    def skipped_counts(self) -> dict[str, int]:
        """How many rows were left out, by ``SKIP_KINDS``."""
        counts = Counter(s.kind for s in self.skipped)
        return {kind: counts.get(kind, 0) for kind in SKIP_KINDS}


def resolve_path(path: str | Path, path_root: str | Path | None = None) -> str:
    """``path`` made absolute (a relative one joined to ``path_root``, default the working directory) and
    normalised, without touching the file system."""
    root = os.getcwd() if path_root is None else os.fspath(path_root)
    return os.path.normpath(os.path.join(root, os.fspath(path)))


def folder_rows(folder: str | Path, source_folder: str | Path, generator: str | None = None,
                extensions: Sequence[str] = IMAGE_SUFFIXES) -> list[ManifestRow]:
    """Rows of a folder pair (see the module docstring), sorted by generated file name, with absolute paths.

    A generated image without a source gets an empty ``source_path`` (``check_rows`` reports it); pids and
    cameras are filled in by ``check_rows`` from the sources.
    """
    folder, source_folder = Path(folder), Path(source_folder)
    for what, path in (("generated", folder), ("source", source_folder)):
        if not path.is_dir():
            raise FileNotFoundError(f"{what} image folder not found: {path}")
    suffixes = tuple(e.lower() for e in extensions)
    sources = {p.stem: resolve_path(p) for p in source_folder.iterdir() if p.suffix.lower() in suffixes and p.is_file()}
    name = generator or folder.name
    rows = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file()):
        stem, source, target = path.stem, "", ""
        cut = stem.rfind("_")
        while cut > 0:
            if stem[:cut] in sources:
                source, target = sources[stem[:cut]], stem[cut + 1:]
                break
            cut = stem.rfind("_", 0, cut)
        rows.append(ManifestRow(resolve_path(path), source, -1, -1, target, name))
    if not rows:
        raise GeneratedSetError(f"no image with a suffix of {', '.join(suffixes)} in the generated folder {folder}")
    return rows


def check_rows(rows: Sequence[ManifestRow], real_items: Sequence[ReIDItem], *, where: str,
               skip_missing: bool = False, path_root: str | Path | None = None) -> GeneratedSet:
    """Check ``rows`` against the real training set (see the module docstring).

    Args:
        rows: manifest rows (a folder pair's rows have pid -1 and camera -1: both come from the source).
        real_items: the real training set with the pids of its file names (``real_set.load_real_training_set``).
        where: what the rows come from, for messages (e.g. the manifest's path).
        skip_missing: leave failing rows out (counted) instead of stopping.
        path_root: base of relative paths (default: the working directory).

    Returns:
        The valid rows with absolute paths and the source's pid and camera where the row had none.

    Raises:
        GeneratedSetError: the first failing row (without ``skip_missing``), or no valid row at all.
    """
    if not rows:
        raise GeneratedSetError(f"{where} lists no generated image")
    real = {resolve_path(item.img_path): item for item in real_items}
    real_pids = {item.pid for item in real_items}
    fix = "fix the input, or set data.skip_missing=True to leave such rows out"
    kept, skipped, seen = [], [], {}
    for number, row in enumerate(rows, 1):
        generated = resolve_path(row.generated_path, path_root)
        source = real.get(resolve_path(row.source_path, path_root)) if row.source_path else None
        kind, reason = None, ""
        if not os.path.isfile(generated):
            kind, reason = "missing", f"generated image not found: {generated}"
        elif source is None:
            kind = "no_source"
            reason = (f"source image {row.source_path!r} is not an image of the real training set" if row.source_path
                      else "it has no source image (an empty source_path; in a folder pair: no source file's stem "
                           "starts its name as <source stem>_...)")
        elif row.pid != -1 and row.pid not in real_pids:
            kind, reason = "pid", f"pid {row.pid} is absent from the real training set"
        elif row.pid != -1 and row.pid != source.pid:
            kind, reason = "pid", f"pid {row.pid} is not the pid {source.pid} of its source {source.img_path}"
        elif generated in seen:
            kind, reason = "duplicate", f"the generated image is listed twice (first in row {seen[generated]})"
        if kind is not None:
            if not skip_missing:
                raise GeneratedSetError(f"{where}, row {number} ({row.generated_path}): {reason}; {fix}")
            skipped.append(SkippedRow(number, row.generated_path, kind, reason))
            continue
        seen[generated] = number
        camera = source.camid if row.source_camera == -1 else row.source_camera
        kept.append(ManifestRow(generated, resolve_path(source.img_path), source.pid, camera, row.target,
                                row.generator))
    if not kept:
        raise GeneratedSetError(f"{where}: none of its {len(rows)} rows can be scored ({skipped[0].reason}, ...)")
    return GeneratedSet(kept, skipped, where)


def load_generated_set(spec: Mapping, real_items: Sequence[ReIDItem], real_folder: str | Path,
                       skip_missing: bool = False) -> GeneratedSet:
    """The checked generated set described by a ``data.generated`` config section.

    Args:
        spec: ``manifest`` (a CSV/JSON manifest) or ``folder`` (+ optional ``source_folder``, default
            ``real_folder``; ``generator``; ``extensions``), and ``path_root``.
        real_items, skip_missing: see ``check_rows``.
        real_folder: the real training folder.
    """
    manifest, folder = spec.get("manifest"), spec.get("folder")
    if bool(manifest) == bool(folder):
        raise ValueError("set exactly one of data.generated.manifest (a manifest.csv|json) and "
                         "data.generated.folder (generated images named <source stem>_<anything>)")
    if manifest:
        rows = read_manifest(manifest)
        where = f"manifest {manifest}"
    else:
        rows = folder_rows(folder, spec.get("source_folder") or real_folder, spec.get("generator"),
                           spec.get("extensions") or IMAGE_SUFFIXES)
        where = f"generated folder {folder}"
    return check_rows(rows, real_items, where=where, skip_missing=skip_missing, path_root=spec.get("path_root"))
