"""Track files: which images form one track (a vehicle seen in consecutive frames of one camera).

AI City ``train_track.txt`` / ``test_track.txt``: one track per line, its image names separated by
spaces; the line number (0-based) is the track ID (DMT ``_process_track``). VeRi-776's
``test_track.txt`` / ``test_track_VeRi.txt`` put a track name first (a token that is not an image
file name); it is skipped. Empty lines are skipped but still count as a line (a track ID).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from common.fileio import atomic_open

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
#: Track ID of an image that belongs to no track (AI City queries; DMT uses -1).
NO_TRACK = -1


def read_track_file(path: str | Path) -> list[list[str]]:
    """The tracks of a track file: ``tracks[track_id]`` is its list of image names.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an image listed in two tracks (naming the file, the image and both lines).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"track file not found: {path}")
    tracks, seen = [], {}
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="strict").splitlines()):
        names = line.split()
        if names and not names[0].lower().endswith(IMAGE_SUFFIXES):
            names = names[1:]  # VeRi: a track name comes first
        for name in names:
            if name in seen:
                raise ValueError(f"{path}: image {name} is listed in track lines {seen[name] + 1} and "
                                 f"{number + 1}; every image belongs to at most one track")
            seen[name] = number
        tracks.append(names)
    return tracks


def image_to_track(tracks: Sequence[Sequence[str]]) -> dict[str, int]:
    """``{image name: track ID}`` for ``read_track_file``'s output."""
    return {name: track_id for track_id, names in enumerate(tracks) for name in names}


def write_track_file(path: str | Path, tracks: Sequence[Sequence[str]]) -> Path:
    """Write tracks as AI City does: one line of space-separated image names per track."""
    with atomic_open(path, "w") as f:
        f.write("".join(" ".join(names) + "\n" for names in tracks))
    return Path(path)
