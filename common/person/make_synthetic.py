"""Write a synthetic person ReID data set in a real on-disk layout.

``python -m common.person.make_synthetic --root DIR [--layout visda|market1501] [--scale test|demo|full]
[--seed 0] [--size 64x32]``

``--layout visda`` writes the VisDA-2020 challenge layout, read by ``common.person.visda``::

    personX/image_train/{pid:04d}_c{cam+1}s1_{frame}.jpg            source domain, 6 clean cameras
    target_training/image_train/{n:05d}.jpg                         target domain, cameras {0,1,3,4,5}
    target_training/label_target_training.txt                       "<name> <camera>" (0-based)
    target_validation/image_query/, image_gallery/                  {pid:04d}_c{cam+1}s1_{frame:06d}_01.jpg
                                                                    (Market names); the gallery adds junk
                                                                    (-1_c...) and distractors (0000_c...,
                                                                    empty backgrounds)
    target_test/image_query/{i:04d}.jpg, image_gallery/{i:06d}.jpg  anonymous, with distractors
    target_test/index_test_query.txt, index_test_gallery.txt        "<name>  <index>"
    synthetic_spec.json                                             the settings and the cameras' styles

Not part of the real format (the real target training and test sets are unlabelled): the ground
truth of the synthetic images, so that a pipeline can measure its pseudo labels and score the test
set: ``target_training/identities_synthetic.txt`` ("<name> <pid>") and
``target_test/identities_synthetic_{query,gallery}.txt`` ("<name> <pid> <camera>", 0-based cameras,
pid 0 for distractors); ``common.person.ground_truth`` reads them.

``--layout market1501`` writes target-domain people (all 6 target cameras) as
``Market-1501-v15.09.15/{bounding_box_train,bounding_box_test,query}`` with Market names, junk and
distractors in ``bounding_box_test`` (read by ``common.person.load_market1501``); it takes its
training identities from the ``target_train_*`` settings and its test identities from ``val_*``.
In Python, ``write_market1501(root, spec)`` also returns the ``Shot`` (identity, pid, camera, pose) behind
each file, for writers that draw more images of the same people.

Identities are disjoint across the source, target training, validation and test sets. File order
carries no identity information (images are written in random order). A seed gives the same bytes.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from common.fileio import atomic_open, write_json

from .ground_truth import TEST_IDENTITIES, TRAINING_IDENTITIES
from .synthetic import (SOURCE_PALETTE, TARGET_PALETTE, CameraStyle, PersonIdentity, Pose, fragment_pose,
                        render_person, sample_identities, source_cameras, target_cameras)
from .visda import (PERSONX_DIR, TARGET_TEST_DIR, TARGET_TRAINING_DIR, TARGET_TRAINING_LABELS,
                    TARGET_VALIDATION_DIR, TEST_INDEX_FILES)

#: Target cameras of the target training, validation and test sets (VisDA's target training set
#: has no camera 2).
TARGET_TRAINING_CAMERAS = (0, 1, 3, 4, 5)
MARKET_DIR = "Market-1501-v15.09.15"
LAYOUTS = ("visda", "market1501")


@dataclass(frozen=True)
class SyntheticSpec:
    """Sizes of the synthetic data set.

    Attributes:
        image_size: ``(height, width)`` of the images.
        source_ids, source_images_per_camera: PersonX-like set: every identity in each of 6 cameras.
        target_train_ids: identities of the target training set; each has ``target_train_images``
            (inclusive range) images from ``target_train_cameras`` (inclusive range) cameras.
        val_ids, test_ids: identities of the validation and test sets; each has ``queries_per_id``
            queries and ``gallery_per_id`` gallery images (inclusive ranges) over 2-3 cameras, with a
            gallery image in another camera than each query.
        junk, distractors: junk (pid -1: a badly framed passer-by) and distractor (pid 0: an empty
            background) gallery images of the validation set; the test set gets the distractors.
        seed: random seed of everything.
    """

    image_size: tuple[int, int] = (64, 32)
    source_ids: int = 48
    source_images_per_camera: int = 2
    target_train_ids: int = 48
    target_train_images: tuple[int, int] = (5, 11)
    target_train_cameras: tuple[int, int] = (1, 4)
    val_ids: int = 32
    test_ids: int = 32
    queries_per_id: tuple[int, int] = (1, 2)
    gallery_per_id: tuple[int, int] = (4, 6)
    junk: int = 6
    distractors: int = 6
    seed: int = 0

    def __post_init__(self) -> None:
        for key in ("target_train_images", "target_train_cameras", "queries_per_id", "gallery_per_id"):
            low, high = getattr(self, key)
            if not 1 <= low <= high:
                raise ValueError(f"SyntheticSpec.{key} must be an inclusive range (low, high) with 1 <= low <= "
                                 f"high, got {getattr(self, key)}")
        if self.target_train_ids + self.val_ids + self.test_ids > 9999:
            raise ValueError("SyntheticSpec: target_train_ids + val_ids + test_ids must stay below 10000 "
                             "(Market-1501 names have 4-digit pids)")
        if min(self.image_size) < 8:
            raise ValueError(f"SyntheticSpec.image_size must be (height, width) >= 8 pixels, got {self.image_size}")


#: Named sizes: ``test`` for unit tests (about a second), ``demo`` for the demo and the learning
#: tests, ``full`` for longer experiments.
SCALES = {
    "test": SyntheticSpec(source_ids=6, source_images_per_camera=1, target_train_ids=6, val_ids=4, test_ids=4,
                          junk=2, distractors=2),
    "demo": SyntheticSpec(),
    "full": SyntheticSpec(source_ids=300, source_images_per_camera=4, target_train_ids=400,
                          target_train_images=(4, 20), val_ids=100, test_ids=200, junk=40, distractors=40),
}


@dataclass(frozen=True)
class Shot:
    """One image to draw: who (``None``: nobody), which label, which camera, which pose (``None``: drawn by
    ``render_person`` from the data set's random stream)."""

    person: PersonIdentity | None
    pid: int
    camera: CameraStyle
    pose: Pose | None = None


class _Painter:
    """Draws shots and saves them as JPEG, all from one random stream."""

    def __init__(self, spec: SyntheticSpec, rng: np.random.Generator) -> None:
        self.size, self.rng = tuple(spec.image_size), rng

    def save(self, shot: Shot, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        render_person(shot.person, shot.camera, self.rng, self.size, shot.pose).save(path, quality=95)


def _between(bounds: tuple[int, int], rng: np.random.Generator) -> int:
    return int(rng.integers(bounds[0], bounds[1] + 1))


def _training_shots(people: Sequence[tuple[int, PersonIdentity]], cameras: Sequence[CameraStyle],
                    spec: SyntheticSpec, rng: np.random.Generator) -> list[Shot]:
    """Target training: a varying number of images per identity from a varying number of cameras."""
    shots = []
    for pid, person in people:
        count = _between(spec.target_train_cameras, rng)
        cams = [cameras[i] for i in rng.choice(len(cameras), min(count, len(cameras)), replace=False)]
        shots += [Shot(person, pid, cams[k % len(cams)]) for k in range(_between(spec.target_train_images, rng))]
    return shots


def _query_gallery_shots(people: Sequence[tuple[int, PersonIdentity]], cameras: Sequence[CameraStyle],
                         spec: SyntheticSpec, rng: np.random.Generator) -> tuple[list[Shot], list[Shot]]:
    """Each identity in 2-3 cameras: queries cycle through them from the first, gallery images (at least
    two) from the second, so that every query has a gallery match in another camera."""
    queries, gallery = [], []
    for pid, person in people:
        cams = [cameras[i] for i in rng.choice(len(cameras), int(rng.integers(2, 4)), replace=False)]
        queries += [Shot(person, pid, cams[k % len(cams)]) for k in range(_between(spec.queries_per_id, rng))]
        gallery += [Shot(person, pid, cams[(k + 1) % len(cams)])
                    for k in range(max(2, _between(spec.gallery_per_id, rng)))]
    return queries, gallery


def _distractor_shots(count: int, cameras: Sequence[CameraStyle], rng: np.random.Generator) -> list[Shot]:
    return [Shot(None, 0, cameras[rng.integers(len(cameras))]) for _ in range(count)]


def _junk_shots(passers_by: Sequence[PersonIdentity], cameras: Sequence[CameraStyle],
                rng: np.random.Generator) -> list[Shot]:
    shots = []
    for person in passers_by:
        camera = cameras[rng.integers(len(cameras))]
        shots.append(Shot(person, -1, camera, fragment_pose(camera, rng)))
    return shots


def _market_name(shot: Shot, frame: int) -> str:
    pid = "-1" if shot.pid == -1 else f"{shot.pid:04d}"
    return f"{pid}_c{shot.camera.camera_id + 1}s1_{frame:06d}_01.jpg"


def _write_market_folder(folder: Path, shots: Sequence[Shot], painter: _Painter, rng: np.random.Generator,
                         first_frame: int) -> dict[str, Shot]:
    """Write ``shots`` with Market names in random order, frames numbered from ``first_frame``; returns
    ``{file name: shot}``."""
    written = {}
    for frame, i in enumerate(rng.permutation(len(shots)), first_frame):
        name = _market_name(shots[i], frame)
        painter.save(shots[i], folder / name)
        written[name] = shots[i]
    return written


def _write_lines(path: Path, lines: Sequence[str]) -> None:
    with atomic_open(path, "w") as f:
        f.write("".join(f"{line}\n" for line in lines))


def _numbered(start: int, people: Sequence[PersonIdentity]) -> list[tuple[int, PersonIdentity]]:
    return [(start + k, person) for k, person in enumerate(people)]


def _write_personx(folder: Path, shots: Sequence[Shot], painter: _Painter, rng: np.random.Generator) -> None:
    """PersonX names ``{pid:04d}_c{camera + 1}s1_{frame}.jpg``, frames numbered in random order."""
    for frame, i in enumerate(rng.permutation(len(shots)), 1):
        painter.save(shots[i], folder / f"{shots[i].pid:04d}_c{shots[i].camera.camera_id + 1}s1_{frame}.jpg")


def _write_target_training(folder: Path, shots: Sequence[Shot], painter: _Painter, rng: np.random.Generator) -> None:
    """Anonymous names in random order, cameras in the label file, identities in the synthetic-only file."""
    named = [(f"{n:05d}.jpg", shots[i]) for n, i in enumerate(rng.permutation(len(shots)), 1)]
    for name, shot in named:
        painter.save(shot, folder / "image_train" / name)
    _write_lines(folder / TARGET_TRAINING_LABELS, [f"{name} {shot.camera.camera_id}" for name, shot in named])
    _write_lines(folder / TRAINING_IDENTITIES, [f"{name} {shot.pid}" for name, shot in named])


def _write_test(folder: Path, queries: Sequence[Shot], gallery: Sequence[Shot], painter: _Painter,
                rng: np.random.Generator) -> None:
    """Anonymous names in submission order, the index files and the synthetic-only identity files."""
    for split, shots, digits in (("query", queries, 4), ("gallery", gallery, 6)):
        order = rng.permutation(len(shots))
        names = [f"{i:0{digits}d}.jpg" for i in range(len(shots))]
        for name, i in zip(names, order):
            painter.save(shots[i], folder / f"image_{split}" / name)
        _write_lines(folder / TEST_INDEX_FILES[split], [f"{name}  {i:0{digits}d}" for i, name in enumerate(names)])
        _write_lines(folder / TEST_IDENTITIES[split],
                     [f"{name} {shots[i].pid} {shots[i].camera.camera_id}" for name, i in zip(names, order)])


def make_visda_layout(root: str | Path, spec: SyntheticSpec) -> Path:
    """Write the VisDA-2020 layout under ``root`` (see the module docstring); returns ``root``."""
    root = Path(root)
    rng = np.random.default_rng(spec.seed)
    painter = _Painter(spec, rng)
    seen: set = set()
    source_people = _numbered(1, sample_identities(spec.source_ids, SOURCE_PALETTE, rng, exclude=seen))
    n_train, n_val, n_test = spec.target_train_ids, spec.val_ids, spec.test_ids
    target_people = sample_identities(n_train + n_val + n_test + spec.junk, TARGET_PALETTE, rng, exclude=seen)
    numbered = _numbered(1, target_people[:n_train + n_val + n_test])  # one numbering: disjoint pids
    train_people, val_people = numbered[:n_train], numbered[n_train:n_train + n_val]
    test_people = numbered[n_train + n_val:]
    passers_by = target_people[n_train + n_val + n_test:]
    src_cams, tgt_cams = source_cameras(rng), target_cameras(rng)
    cams = [tgt_cams[c] for c in TARGET_TRAINING_CAMERAS]

    _write_personx(root / PERSONX_DIR / "image_train", [
        Shot(person, pid, camera) for pid, person in source_people for camera in src_cams
        for _ in range(spec.source_images_per_camera)], painter, rng)
    _write_target_training(root / TARGET_TRAINING_DIR, _training_shots(train_people, cams, spec, rng), painter, rng)
    queries, gallery = _query_gallery_shots(val_people, cams, spec, rng)
    gallery += _junk_shots(passers_by, cams, rng) + _distractor_shots(spec.distractors, cams, rng)
    _write_market_folder(root / TARGET_VALIDATION_DIR / "image_query", queries, painter, rng, 1)
    _write_market_folder(root / TARGET_VALIDATION_DIR / "image_gallery", gallery, painter, rng, 1 + len(queries))
    queries, gallery = _query_gallery_shots(test_people, cams, spec, rng)
    _write_test(root / TARGET_TEST_DIR, queries, gallery + _distractor_shots(spec.distractors, cams, rng), painter, rng)
    _write_spec(root, spec, "visda", {"source": src_cams, "target": tgt_cams})
    return root


@dataclass(frozen=True)
class MarketShots:
    """What ``write_market1501`` drew: the data set folder, the shot behind each file name of its three
    folders, and the six target cameras (``shot.camera`` is one of them)."""

    folder: Path
    train: dict[str, Shot]
    query: dict[str, Shot]
    gallery: dict[str, Shot]
    cameras: list[CameraStyle]


def write_market1501(root: str | Path, spec: SyntheticSpec) -> MarketShots:
    """Write target-domain people as Market-1501 under ``root/Market-1501-v15.09.15``; returns the shots
    behind the files (for writers that draw more images of the same people)."""
    root = Path(root)
    rng = np.random.default_rng(spec.seed)
    painter = _Painter(spec, rng)
    people = sample_identities(spec.target_train_ids + spec.val_ids + spec.junk, TARGET_PALETTE, rng)
    n_train, n_test = spec.target_train_ids, spec.val_ids
    cams = target_cameras(rng)
    folder = root / MARKET_DIR
    train = _training_shots(_numbered(1, people[:n_train]), cams, spec, rng)
    train_names = _write_market_folder(folder / "bounding_box_train", train, painter, rng, 1)
    queries, gallery = _query_gallery_shots(_numbered(n_train + 1, people[n_train:n_train + n_test]), cams, spec, rng)
    gallery += _junk_shots(people[n_train + n_test:], cams, rng) + _distractor_shots(spec.distractors, cams, rng)
    query_names = _write_market_folder(folder / "query", queries, painter, rng, 1 + len(train))
    gallery_names = _write_market_folder(folder / "bounding_box_test", gallery, painter, rng,
                                         1 + len(train) + len(queries))
    _write_spec(root, spec, "market1501", {"target": cams})
    return MarketShots(folder, train_names, query_names, gallery_names, cams)


def make_market1501_layout(root: str | Path, spec: SyntheticSpec) -> Path:
    """Write target-domain people as Market-1501 under ``root/Market-1501-v15.09.15``; returns ``root``."""
    write_market1501(root, spec)
    return Path(root)


def _write_spec(root: Path, spec: SyntheticSpec, layout: str, cameras: dict[str, list[CameraStyle]]) -> None:
    write_json(root / "synthetic_spec.json", {
        "layout": layout, **dataclasses.asdict(spec),
        "cameras": {domain: [dataclasses.asdict(c) for c in cams] for domain, cams in cameras.items()}})


def make_synthetic_dataset(root: str | Path, spec: SyntheticSpec = SCALES["demo"], layout: str = "visda") -> Path:
    """Write the synthetic data set in ``layout`` (``"visda"`` or ``"market1501"``) under ``root``."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout '{layout}': choose one of {', '.join(LAYOUTS)}")
    return (make_visda_layout if layout == "visda" else make_market1501_layout)(root, spec)


def parse_image_size(text: str) -> tuple[int, int]:
    """``"HEIGHTxWIDTH"`` (a command-line argument) -> ``(height, width)``."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be HEIGHTxWIDTH (e.g. 64x32), got {text!r}") from None
    return height, width


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m common.person.make_synthetic",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="output folder (the data root of the configs)")
    parser.add_argument("--layout", default="visda", choices=LAYOUTS, help="on-disk format")
    parser.add_argument("--scale", default="demo", choices=sorted(SCALES), help="data set size")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the scale's)")
    parser.add_argument("--size", type=parse_image_size, default=None, help="image HEIGHTxWIDTH (default 64x32)")
    return parser


def main(argv: list[str] | None = None) -> Path:
    args = build_parser().parse_args(argv)
    spec = SCALES[args.scale]
    overrides = {k: v for k, v in (("seed", args.seed), ("image_size", args.size)) if v is not None}
    root = make_synthetic_dataset(args.root, dataclasses.replace(spec, **overrides), args.layout)
    print(f"synthetic {args.layout} person data set ({args.scale}) written to {root}")
    return root


if __name__ == "__main__":
    main(sys.argv[1:])
