"""The manifest of a generated image set: which file came from which, with its labels.

One row per generated image, written as ``manifest.csv`` and ``manifest.json`` in the output folder:

* ``generated_path``: the new image;
* ``source_path``: the image it was translated from;
* ``pid``: the source image's identity (-1: unknown);
* ``source_camera``: the source image's camera;
* ``target``: the target camera (StarGAN) or the target domain (SPGAN: the name of its image folder);
* ``generator``: what made it, e.g. ``spgan-G@<run>`` (source -> target), ``spgan-F@<run>``,
  ``stargan@<run>``.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterable, NamedTuple

from ..fileio import atomic_open, write_json


class ManifestRow(NamedTuple):
    """One generated image (see the module docstring)."""

    generated_path: str
    source_path: str
    pid: int
    source_camera: int
    target: str
    generator: str


MANIFEST_COLUMNS = ManifestRow._fields


def write_manifest(rows: Iterable[ManifestRow], directory: str | Path) -> tuple[Path, Path]:
    """Atomically write ``manifest.csv`` and ``manifest.json`` into ``directory``; returns both paths."""
    rows = list(rows)
    directory = Path(directory)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(rows)
    with atomic_open(directory / "manifest.csv", "w") as f:
        f.write(buf.getvalue())
    json_path = write_json(directory / "manifest.json", [r._asdict() for r in rows])
    return directory / "manifest.csv", json_path


def read_manifest(path: str | Path) -> list[ManifestRow]:
    """Read a ``manifest.csv`` or ``manifest.json`` back (integers restored); a malformed row stops with a
    ``ValueError`` naming its 1-based number."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"manifest not found: {path}")
    if path.suffix == ".json":
        items = json.loads(path.read_text())
    else:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != MANIFEST_COLUMNS:
                raise ValueError(f"{path}: columns {reader.fieldnames} are not {list(MANIFEST_COLUMNS)}")
            items = list(reader)
    rows = []
    for number, d in enumerate(items, 1):
        try:
            rows.append(ManifestRow(str(d["generated_path"]), str(d["source_path"]), int(d["pid"]),
                                    int(d["source_camera"]), str(d["target"]), str(d["generator"])))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}, row {number}: expected the fields {list(MANIFEST_COLUMNS)} with integer pid "
                             f"and source_camera, got {d!r} ({type(e).__name__}: {e})") from None
    return rows
