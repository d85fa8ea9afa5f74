"""A GAN-augmented person set whose generated images are of known quality.

The real images are ``common.person``'s synthetic Market-1501 set (procedural people in six styled target
cameras). For every real training image, ``per_source`` "generated" images are drawn, each of one of three
classes picked at random with ``class_probs``:

* **good** (``synthetic-good``): the same identity re-rendered in another camera (its colour cast, blur,
  noise and background), with new per-image lighting and a new pose. What a good CamStyle/SPGAN image
  should be: the identity is kept and the look changes, so it is close to its source in an identity space
  and far from it in a colour/texture space.
* **near-copy** (``synthetic-copy``): the source image itself with imperceptible changes (sensor-like
  Gaussian noise of ``copy_noise`` grey levels, a brightness gain within ``1 +- copy_gain``, JPEG
  re-encoding). It keeps the identity but adds no diversity: the diversity encoder must reject it.
* **identity-breaking** (``synthetic-break``): the source identity wearing the garment colours (top,
  accent, pattern, bottom, shoes) of another training identity, and with probability ``break_parts`` also
  that person's body parts and accessories (hair, sleeves, bottom type, backpack, bag, cap); drawn like a
  good image (another camera, new pose, lighting). It changes the look as much as a good image does but not
  only the look: the consistency encoder must reject it.

On disk (``make_generated_set``)::

    <root>/Market-1501-v15.09.15/{bounding_box_train,query,bounding_box_test}/   the real set
    <root>/generated/<source stem>_gen<k>.jpg                                   every generated image
    <root>/generated/manifest.csv, manifest.json                                ``common.gan.manifest`` rows
    <root>/generated/quality_synthetic.csv                                      ground truth (below)

Manifest rows carry the source's pid as in its file name, its 0-based camera, the ``target`` camera the
image is drawn in (the source's camera for a copy) and the generator name of its class. The ground-truth
sidecar (not part of any real format) has the columns ``generated_path,quality,detail``, quality one of
``QUALITIES``, detail e.g. ``camera 3`` or ``colours and parts of 0007``. Paths are written as
``root`` is given (relative to the working directory when ``root`` is relative), like ``common.gan.generate``.
One seed gives the same bytes.
"""
from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from common.fileio import atomic_open
from common.gan.manifest import ManifestRow, write_manifest
from common.person.make_synthetic import SCALES as MARKET_SCALES
from common.person.make_synthetic import MarketShots, Shot, SyntheticSpec, write_market1501
from common.person.synthetic import CameraStyle, PersonIdentity, render_person

QUALITIES = ("good", "copy", "break")
#: The manifest's generator name of each class.
GENERATORS = {quality: f"synthetic-{quality}" for quality in QUALITIES}
GENERATED_DIR = "generated"
GROUND_TRUTH_FILE = "quality_synthetic.csv"
GROUND_TRUTH_COLUMNS = ("generated_path", "quality", "detail")
#: What an identity-breaking image takes from another person: the garment colours and the top's pattern.
GARMENTS = ("top", "accent", "top_pattern", "bottom", "shoes")
#: Body parts and accessories that it also takes with probability ``break_parts``.
BODY_PARTS = ("hair", "long_hair", "long_sleeves", "bottom_type", "backpack", "bag", "hat")


@dataclass(frozen=True)
class GeneratedSpec:
    """Sizes and settings of the synthetic generated set.

    Attributes:
        market: the real Market-1501 set (``common.person.make_synthetic.SyntheticSpec``; its seed seeds
            everything).
        per_source: generated images per real training image.
        class_probs: probabilities of good, near-copy and identity-breaking images (``QUALITIES`` order).
        copy_noise: standard deviation of a near-copy's Gaussian noise (grey levels, 0-255).
        copy_gain: a near-copy's brightness gain lies in ``[1 - copy_gain, 1 + copy_gain]``.
        break_parts: probability that an identity-breaking image also takes the other person's body parts
            and accessories (not only the garment colours).
    """

    market: SyntheticSpec = MARKET_SCALES["demo"]
    per_source: int = 4
    class_probs: tuple[float, float, float] = (0.5, 0.25, 0.25)
    copy_noise: float = 2.0
    copy_gain: float = 0.02
    break_parts: float = 0.5

    def __post_init__(self) -> None:
        if self.per_source < 1:
            raise ValueError(f"GeneratedSpec.per_source must be >= 1, got {self.per_source}")
        probs = np.asarray(self.class_probs, dtype=float)
        if probs.shape != (3,) or (probs < 0).any() or not np.isclose(probs.sum(), 1.0):
            raise ValueError(f"GeneratedSpec.class_probs must be 3 probabilities (good, copy, break) summing to 1, "
                             f"got {self.class_probs}")
        if self.market.target_train_ids < 2:
            raise ValueError("GeneratedSpec.market.target_train_ids must be >= 2: an identity-breaking image "
                             "takes another training identity's clothes")


#: Named sizes: ``test`` (unit tests: 12 identities, about 300 generated images, a few seconds) and
#: ``demo`` (the demo and the slow tests: 48 identities, about 1,500 generated images). Every training
#: identity is seen by 2-4 cameras so that a ReID model trained on the real set learns camera invariance.
SCALES = {
    "test": GeneratedSpec(market=dataclasses.replace(
        MARKET_SCALES["test"], target_train_ids=12, target_train_images=(5, 8), target_train_cameras=(2, 4))),
    "demo": GeneratedSpec(market=dataclasses.replace(MARKET_SCALES["demo"], target_train_cameras=(2, 4))),
}


@dataclass(frozen=True)
class GeneratedImage:
    """One generated image: its manifest row and its ground truth (``quality`` in ``QUALITIES``)."""

    row: ManifestRow
    quality: str
    detail: str


def mix_identity(person: PersonIdentity, donor: PersonIdentity, parts: bool) -> PersonIdentity:
    """``person`` wearing ``donor``'s garment colours and top pattern (``GARMENTS``), and with ``parts`` also
    its body parts and accessories (``BODY_PARTS``); skin, height and build stay ``person``'s."""
    taken = GARMENTS + (BODY_PARTS if parts else ())
    return dataclasses.replace(person, **{name: getattr(donor, name) for name in taken})


def near_copy(image: Image.Image, rng: np.random.Generator, noise: float, gain: float) -> Image.Image:
    """``image`` with Gaussian noise (std ``noise`` grey levels) and a brightness gain in ``1 +- gain``."""
    x = np.asarray(image, dtype=np.float32) * rng.uniform(1 - gain, 1 + gain)
    x += rng.normal(0.0, noise, size=x.shape).astype(np.float32)
    return Image.fromarray(np.clip(np.rint(x), 0, 255).astype(np.uint8))


def other_camera(cameras: Sequence[CameraStyle], camera: CameraStyle, rng: np.random.Generator) -> CameraStyle:
    """A camera of ``cameras`` other than ``camera``, at random."""
    others = [c for c in cameras if c.camera_id != camera.camera_id]
    return others[rng.integers(len(others))]


def _save_jpeg(image: Image.Image, path: Path) -> None:
    with atomic_open(path, "wb") as f:
        image.save(f, format="JPEG", quality=95)


class _GeneratedWriter:
    """Draws and writes the generated images of one real set, from one random stream."""

    def __init__(self, spec: GeneratedSpec, shots: MarketShots, out_dir: Path) -> None:
        self.spec, self.shots, self.out_dir = spec, shots, out_dir
        self.rng = np.random.default_rng([spec.market.seed, 2021])
        self.people = {shot.pid: shot.person for shot in shots.train.values()}
        self.size = tuple(spec.market.image_size)

    def _donor(self, pid: int) -> tuple[int, PersonIdentity]:
        others = sorted(p for p in self.people if p != pid)
        donor = others[self.rng.integers(len(others))]
        return donor, self.people[donor]

    def draw(self, quality: str, shot: Shot, source: Path) -> tuple[Image.Image, int, str]:
        """The image of class ``quality`` made from ``shot`` (written to ``source``), its target camera and
        its ground-truth detail."""
        if quality == "copy":
            with Image.open(source) as img:
                image = near_copy(img.convert("RGB"), self.rng, self.spec.copy_noise, self.spec.copy_gain)
            return image, shot.camera.camera_id, "noise and gain"
        camera = other_camera(self.shots.cameras, shot.camera, self.rng)
        person, detail = shot.person, f"camera {camera.camera_id}"
        if quality == "break":
            donor_pid, donor = self._donor(shot.pid)
            parts = bool(self.rng.random() < self.spec.break_parts)
            person = mix_identity(shot.person, donor, parts)
            detail = f"{'colours and parts' if parts else 'colours'} of {donor_pid:04d}"
        return render_person(person, camera, self.rng, self.size), camera.camera_id, detail

    def write(self) -> list[GeneratedImage]:
        train_dir = self.shots.folder / "bounding_box_train"
        images = []
        for name in sorted(self.shots.train):
            shot, source = self.shots.train[name], train_dir / name
            qualities = self.rng.choice(len(QUALITIES), size=self.spec.per_source, p=self.spec.class_probs)
            for k, q in enumerate(qualities):
                quality = QUALITIES[q]
                image, target, detail = self.draw(quality, shot, source)
                path = self.out_dir / f"{Path(name).stem}_gen{k}.jpg"
                _save_jpeg(image, path)
                row = ManifestRow(str(path), str(source), shot.pid, shot.camera.camera_id, str(target),
                                  GENERATORS[quality])
                images.append(GeneratedImage(row, quality, detail))
        return images


def write_ground_truth(images: Sequence[GeneratedImage], path: str | Path) -> Path:
    """Atomically write the ground-truth sidecar (``GROUND_TRUTH_COLUMNS``) of ``images``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(GROUND_TRUTH_COLUMNS)
    writer.writerows((im.row.generated_path, im.quality, im.detail) for im in images)
    with atomic_open(path, "w") as f:
        f.write(buf.getvalue())
    return Path(path)


def make_generated_set(root: str | Path, spec: GeneratedSpec = SCALES["demo"]) -> list[GeneratedImage]:
    """Write the real Market-1501 set and its generated images with their manifest and ground truth under
    ``root`` (see the module docstring); returns the generated images."""
    root = Path(root)
    shots = write_market1501(root, spec.market)
    out_dir = root / GENERATED_DIR
    images = _GeneratedWriter(spec, shots, out_dir).write()
    write_manifest([im.row for im in images], out_dir)
    write_ground_truth(images, out_dir / GROUND_TRUTH_FILE)
    return images
