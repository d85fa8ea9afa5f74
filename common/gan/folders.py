"""Image folders described in a config: which files, and the pid and camera of each.

A folder spec is a dict (a ``data.*`` section of ``common.gan.defaults``)::

    dict(root="data/visda/trainval",        # the folder
         pattern="*.jpg",                     # glob relative to root ("**/*.png" recurses)
         name_regex=r"^(\\d+)_(\\d+)_(\\d+)",   # searched in each file name
         pid_group=1,                         # regex group holding the pid (None: unlabelled, pid -1)
         camera_group=2,                      # regex group holding the camera (None: camera_file or 0)
         camera_file=None)                    # optional "<name> <camera>" lines, e.g. a label list

The default rule reads the Bias-Eliminate re-organised tree (``{pid}_{cam}_{idx}.jpg``, parsed there by
``(\\d+)_(\\d+)_(\\d+)`` in ``data/datasets/visda_dataset.py``). Market-1501 names
(``0002_c1s1_000451_03.jpg``) use ``name_regex=r"^(-?\\d+)_c(\\d+)"``. With ``camera_file`` the camera
comes from the file instead (lines ``<path relative to root, or file name> <camera>``, separated by
spaces or a comma; ``#`` starts a comment), for sets whose names carry no camera.

Every problem stops with the config key and the file at fault.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, NamedTuple

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class ImageRecord(NamedTuple):
    """One image: its path, identity (-1: unknown) and camera."""

    path: str
    pid: int
    camera: int


def _read_camera_file(path: Path, key: str) -> dict[str, int]:
    if not path.is_file():
        raise FileNotFoundError(f"{key}.camera_file not found: {path}")
    cameras: dict[str, int] = {}
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise ValueError(f"{path}:{lineno}: expected '<image name> <camera>' ({key}.camera_file), got {line!r}")
        cameras[parts[0]] = int(parts[1])
    return cameras


def _group(match: re.Match, group: Any, what: str, key: str, regex: str, path: Path) -> int:
    try:
        text = match.group(group)
    except IndexError:  # the group number or name is not in the regex
        raise ValueError(f"{key}.{what}_group={group!r} is not a group of {key}.name_regex {regex!r}") from None
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: {what} group {group!r} of {regex!r} is {text!r} in {path}, not an integer") from None


def scan_image_folder(spec: Mapping[str, Any], key: str = "data") -> list[ImageRecord]:
    """List the images of a folder spec with their pid and camera, sorted by path.

    Args:
        spec: the folder spec (see the module docstring).
        key: the config key of the spec, used in error messages (e.g. ``"data.source"``).

    Raises:
        ValueError: ``root`` unset, a bad regex or group, a file name the regex does not match, a
            malformed camera file line.
        FileNotFoundError: missing folder or camera file, no image matching the pattern, an image
            missing from the camera file.
    """
    if spec.get("root") in (None, ""):
        raise ValueError(f"{key}.root is not set: give the image folder in the config or as {key}.root=DIR")
    root = Path(spec["root"])
    if not root.is_dir():
        raise FileNotFoundError(f"{key}.root: folder not found: {root}")
    pattern = spec.get("pattern") or "*"
    files = sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"{key}: no image file matches {root / pattern} ({key}.pattern={pattern!r})")
    regex_text = spec.get("name_regex")
    pid_group, camera_group = spec.get("pid_group"), spec.get("camera_group")
    try:
        regex = re.compile(regex_text) if regex_text else None
    except re.error as e:
        raise ValueError(f"{key}.name_regex {regex_text!r} is not a valid regular expression: {e}") from None
    if regex is None and (pid_group is not None or (camera_group is not None and not spec.get("camera_file"))):
        raise ValueError(f"{key}: pid_group/camera_group need {key}.name_regex (or set them to None)")
    cameras = _read_camera_file(Path(spec["camera_file"]), key) if spec.get("camera_file") else None
    records = []
    for path in files:
        match = regex.search(path.name) if regex is not None else None
        if regex is not None and match is None:
            raise ValueError(f"{key}.name_regex {regex_text!r} does not match the file name of {path}; fix the "
                             f"regex or narrow {key}.pattern so that only dataset images are listed")
        pid = _group(match, pid_group, "pid", key, regex_text, path) if pid_group is not None else -1
        if cameras is not None:
            rel = path.relative_to(root).as_posix()
            camera = cameras.get(rel, cameras.get(path.name))
            if camera is None:
                raise FileNotFoundError(f"{path} is not listed in {key}.camera_file {spec['camera_file']}")
        elif camera_group is not None:
            camera = _group(match, camera_group, "camera", key, regex_text, path)
        else:
            camera = 0
        records.append(ImageRecord(str(path), pid, camera))
    return records
