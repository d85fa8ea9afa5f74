"""Write a small synthetic data set in the AI City 2021 Track 2 on-disk layout.

``python -m reid_aicity.make_synthetic --out data/synthetic_aic21 [--scale demo|tiny] [--seed 0]``

What it writes under ``--out`` (the ``data.root`` of the configs)::

    AIC21/AIC21_Track2_ReID/
        image_train/ train_label.xml train_track.txt        real training cameras c001..c00N
        image_query/ query_label.xml                         queries (no track)
        image_test/  test_label.xml  test_track.txt          gallery tracks
        detections/{train,query,test}_{detections,images}.json   detector boxes (COCO results) and
                                                              the image list they refer to
        training_part_seg/cropped_patch/image_train/         CVF2-C crops  } made from the boxes by
        cropped_aic_test/{image_query,image_test}/           test crops    } crop_detections
    AIC21/AIC21_Track2_ReID_Simulation/
        sys_image_train/ train_label.xml                     VehicleX-like set with orientations
    synthetic_spec.json                                      the generator's settings

Structure that the method can learn from and that the post-processing can exploit:

* identities are drawn vehicles (``synthetic_vehicles``); training, simulation and test identities
  are disjoint, as in AI City (test vehicles are never seen in training);
* each identity passes several cameras; each pass is a track of consecutive frames (the vehicle moves,
  turns slightly and grows as it approaches), written to the track files;
* cameras differ in viewing direction, background, colour cast, blur and noise; the test set adds
  *new* cameras (``c041``..) with stronger casts and blur than any training camera, watching their own
  vehicles (as AI City's 6 new test cameras, which DMT's camera-group constraint keeps apart);
* the simulation cameras draw clean images on flat backgrounds at uniformly random orientations,
  stored in the ``orientation`` attribute (the orientation model's labels);
* images are loose crops; the detector boxes are the true boxes with noise (and some spurious
  low-score boxes), from which ``reid_aicity.crop_detections`` produces the tighter CVF2-C crops.

Unlike the real AI City release, ``query_label.xml`` and ``test_label.xml`` carry the ``vehicleID``
(the ground truth), so the test set can be scored. The XML files declare ``gb2312`` like VeRi-776's.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.fileio import atomic_open, write_json

from .crop_detections import crop_detections
from .datasets import AIC_DIR, SIM_DIR
from .label_xml import write_label_xml
from .synthetic_vehicles import CameraStyle, VehicleIdentity, render, sample_camera, sample_identities
from .track_files import write_track_file

#: COCO category of the detector boxes ("car").
CAR_CATEGORY = 3
#: AI City numbering of the cameras that appear only in the test set (DMT: camera IDs >= 40).
NEW_CAMERA_BASE = 41
#: Where DMT reads the crops of each split, relative to AIC21_Track2_ReID.
CROP_FOLDERS = {"train": "training_part_seg/cropped_patch/image_train", "query": "cropped_aic_test/image_query",
                "test": "cropped_aic_test/image_test"}


@dataclass(frozen=True)
class SyntheticSpec:
    """Sizes and difficulty of the synthetic data set.

    Attributes:
        image_size: side of the square images (pixels).
        train_ids, train_cameras, cameras_per_id, frames_per_track: real training set: each identity
            passes ``cameras_per_id`` of the ``train_cameras`` cameras, one track each.
        sim_ids, sim_cameras, sim_images_per_id: VehicleX-like set.
        test_ids_old: test identities seen by the training cameras (``cameras_per_id`` each).
        test_ids_new, new_cameras: test identities seen only by the new cameras (``c041``..).
        queries_per_id: query images per test identity (each from a different camera).
        camera_cast, camera_blur: colour-cast and blur bounds of the training cameras;
            ``new_camera_cast``/``new_camera_blur`` of the new ones.
        occlusion, flicker: per-frame probability of an occluder and brightness variation (real cameras).
        seed: random seed of everything.
    """

    image_size: int = 64
    train_ids: int = 40
    train_cameras: int = 6
    cameras_per_id: int = 3
    frames_per_track: int = 6
    sim_ids: int = 40
    sim_cameras: int = 4
    sim_images_per_id: int = 12
    test_ids_old: int = 24
    test_ids_new: int = 12
    new_cameras: int = 3
    queries_per_id: int = 2
    camera_cast: float = 0.18
    camera_blur: float = 0.6
    new_camera_cast: float = 0.38
    new_camera_blur: float = 1.1
    occlusion: float = 0.3
    flicker: float = 0.12
    seed: int = 0


#: Named sizes: ``demo`` for the demo and the learning tests, ``tiny`` for fast unit tests.
SCALES = {
    "demo": SyntheticSpec(),
    "tiny": SyntheticSpec(image_size=32, train_ids=8, train_cameras=3, cameras_per_id=2, frames_per_track=3,
                          sim_ids=6, sim_cameras=2, sim_images_per_id=4, test_ids_old=4, test_ids_new=2,
                          new_cameras=2, queries_per_id=2),
}


@dataclass
class _Pass:
    """A vehicle passing a camera: ``frames`` consecutive frames (orientation, shift, zoom)."""

    camera: CameraStyle
    frames: list[tuple[float, tuple[float, float], float]]


def _passes(cameras: list[CameraStyle], n_frames: int, rng: np.random.Generator) -> list[_Pass]:
    out = []
    for camera in cameras:
        direction = camera.view_angle + (180.0 if rng.random() < 0.5 else 0.0)
        theta0 = direction + rng.normal(0, camera.angle_spread)
        turn = rng.uniform(-3, 3)
        x_start, y0 = rng.uniform(-0.1, -0.04), rng.uniform(-0.05, 0.05)
        step = rng.uniform(0.015, 0.03)
        frames = [(theta0 + t * turn, (x_start + t * step, y0 + rng.normal(0, 0.005)), 0.93 + 0.025 * t)
                  for t in range(n_frames)]
        out.append(_Pass(camera, frames))
    return out


class _Writer:
    """Writes numbered images of one split with their labels, boxes and detections."""

    def __init__(self, folder: Path, spec: SyntheticSpec, rng: np.random.Generator) -> None:
        self.folder, self.size, self.rng = folder, spec.image_size, rng
        self.occlusion, self.flicker = spec.occlusion, spec.flicker
        folder.mkdir(parents=True, exist_ok=True)
        self.labels: list[dict] = []
        self.images: list[dict] = []
        self.detections: list[dict] = []

    def add(self, identity: VehicleIdentity, vehicle_id: int, camera: CameraStyle, frame: tuple,
            name: str | None = None, extra: dict | None = None) -> str:
        orientation, shift, zoom = frame
        spoil = {} if camera.simulation else {"occlusion": self.occlusion, "flicker": self.flicker}
        image, box = render(identity, camera, orientation, self.rng, self.size, shift, zoom, **spoil)
        name = name or f"{len(self.labels) + 1:06d}.jpg"
        image.save(self.folder / name, quality=95)
        image_id = len(self.images) + 1
        self.labels.append({"imageName": name, "vehicleID": f"{vehicle_id:04d}", "cameraID": f"c{camera.camera_id:03d}",
                            **(extra or {})})
        self.images.append({"id": image_id, "file_name": name, "width": self.size, "height": self.size})
        self.detections.extend(_detector_boxes(image_id, box, self.size, self.rng))
        return name


def _detector_boxes(image_id: int, box: tuple[float, float, float, float], size: int,
                    rng: np.random.Generator) -> list[dict]:
    """The true box with detector noise (slightly loose), and sometimes a spurious low-score box."""
    x, y, w, h = box
    grow = rng.uniform(0.0, 0.1, size=4)
    x0, y0 = max(0.0, x - grow[0] * w + rng.normal(0, 0.02) * w), max(0.0, y - grow[1] * h)
    x1, y1 = min(float(size), x + w * (1 + grow[2])), min(float(size), y + h * (1 + grow[3]))
    out = [{"image_id": image_id, "category_id": CAR_CATEGORY, "bbox": [round(x0, 2), round(y0, 2),
            round(x1 - x0, 2), round(y1 - y0, 2)], "score": round(float(rng.uniform(0.6, 0.99)), 3)}]
    if rng.random() < 0.3:
        bw, bh = rng.uniform(0.1, 0.3, size=2) * size
        bx, by = rng.uniform(0, size - bw), rng.uniform(0, size - bh)
        out.append({"image_id": image_id, "category_id": int(rng.choice([CAR_CATEGORY, 1])),
                    "bbox": [round(bx, 2), round(by, 2), round(bw, 2), round(bh, 2)],
                    "score": round(float(rng.uniform(0.05, 0.4)), 3)})
    return out


def make_synthetic_dataset(out: str | Path, spec: SyntheticSpec = SyntheticSpec(), crops: bool = True) -> Path:
    """Generate the data set under ``out`` (see the module docstring); returns ``out``.

    With ``crops``, ``crop_detections`` then cuts the images to their detector boxes into DMT's crop
    folders: ``training_part_seg/cropped_patch/image_train`` (CVF2-C) and ``cropped_aic_test/image_query``,
    ``cropped_aic_test/image_test`` (augmentation test).
    """
    out = Path(out)
    rng = np.random.default_rng(spec.seed)
    aic, sim = out / AIC_DIR, out / SIM_DIR
    identities = sample_identities(spec.train_ids + spec.sim_ids + spec.test_ids_old + spec.test_ids_new, rng)
    train_ids = identities[:spec.train_ids]
    sim_ids = identities[spec.train_ids:spec.train_ids + spec.sim_ids]
    test_ids = identities[spec.train_ids + spec.sim_ids:]
    old_cameras = [sample_camera(c + 1, rng, cast=spec.camera_cast, blur=spec.camera_blur)
                   for c in range(spec.train_cameras)]
    new_cameras = [sample_camera(NEW_CAMERA_BASE + c, rng, cast=spec.new_camera_cast, blur=spec.new_camera_blur)
                   for c in range(spec.new_cameras)]
    per_id_new = min(spec.cameras_per_id, spec.new_cameras)

    # real training set
    writer = _Writer(aic / "image_train", spec, rng)
    tracks = []
    for k, identity in enumerate(train_ids):
        cams = [old_cameras[i] for i in rng.choice(len(old_cameras), spec.cameras_per_id, replace=False)]
        for p in _passes(cams, spec.frames_per_track, rng):
            tracks.append([writer.add(identity, k + 1, p.camera, f) for f in p.frames])
    _write_split(aic, "train", writer, "TrainingImages")
    write_track_file(aic / "train_track.txt", tracks)

    # test set: gallery tracks and separate query frames
    gallery = _Writer(aic / "image_test", spec, rng)
    query = _Writer(aic / "image_query", spec, rng)
    gallery_frames, query_frames = [], []  # (identity index, pass, frame)
    for k in range(len(test_ids)):
        new_scene = k >= spec.test_ids_old
        pool, count = (new_cameras, per_id_new) if new_scene else (old_cameras, spec.cameras_per_id)
        cams = [pool[i] for i in rng.choice(len(pool), count, replace=False)]
        passes = _passes(cams, spec.frames_per_track + 1, rng)
        for p in passes:
            gallery_frames += [(k, p, f) for f in p.frames[:-1]]
        query_frames += [(k, p, p.frames[-1]) for p in passes[:spec.queries_per_id]]
    # Written in random order, so that file order carries no identity information.
    names = [""] * len(gallery_frames)
    for i in rng.permutation(len(gallery_frames)):
        k, p, frame = gallery_frames[i]
        names[i] = gallery.add(test_ids[k], spec.train_ids + spec.sim_ids + k + 1, p.camera, frame)
    for i in rng.permutation(len(query_frames)):
        k, p, frame = query_frames[i]
        query.add(test_ids[k], spec.train_ids + spec.sim_ids + k + 1, p.camera, frame)
    n = spec.frames_per_track  # gallery frames were collected track by track
    test_tracks = [names[start:start + n] for start in range(0, len(names), n)]
    _write_split(aic, "query", query, "QueryImages")
    _write_split(aic, "test", gallery, "TestImages")
    write_track_file(aic / "test_track.txt", test_tracks)

    # VehicleX-like simulation set
    sim_cameras = [sample_camera(c + 1, rng, simulation=True) for c in range(spec.sim_cameras)]
    sim_writer = _Writer(sim / "sys_image_train", spec, rng)
    for k, identity in enumerate(sim_ids):
        for j in range(spec.sim_images_per_id):
            camera = sim_cameras[j % len(sim_cameras)]
            orientation = float(rng.uniform(0, 360))
            frame = (orientation, tuple(rng.uniform(-0.05, 0.05, size=2)), float(rng.uniform(0.9, 1.05)))
            sim_writer.add(identity, k + 1, camera, frame, name=f"{k + 1:05d}_c{camera.camera_id:03d}_{j:05d}.jpg",
                           extra={"orientation": f"{orientation % 360:.1f}"})
    write_label_xml(sim / "train_label.xml", sim_writer.labels, "TrainingImages", encoding="gb2312")

    if crops:
        for split, target in CROP_FOLDERS.items():
            crop_detections(aic / f"image_{split}", aic / "detections" / f"{split}_detections.json",
                            aic / "detections" / f"{split}_images.json", aic / target, min_score=0.3,
                            categories=[CAR_CATEGORY], margin=0.05)
    spec_json = {**dataclasses.asdict(spec), "old_cameras": [c.camera_id for c in old_cameras],
                 "new_cameras": [c.camera_id for c in new_cameras]}
    write_json(out / "synthetic_spec.json", spec_json)
    return out


def _write_split(aic: Path, split: str, writer: _Writer, root_tag: str) -> None:
    write_label_xml(aic / f"{split}_label.xml", writer.labels, root_tag, encoding="gb2312")
    detections = aic / "detections"
    with atomic_open(detections / f"{split}_detections.json", "w") as f:
        json.dump(writer.detections, f)
    with atomic_open(detections / f"{split}_images.json", "w") as f:
        json.dump({"images": writer.images, "categories": [{"id": CAR_CATEGORY, "name": "car"}]}, f)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_aicity.make_synthetic",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder (becomes data.root)")
    parser.add_argument("--scale", default="demo", choices=sorted(SCALES), help="data set size")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the scale's)")
    parser.add_argument("--no-crops", action="store_true", help="do not run crop_detections on the boxes")
    return parser


def main(argv: list[str] | None = None) -> Path:
    args = build_parser().parse_args(argv)
    spec = SCALES[args.scale]
    if args.seed is not None:
        spec = dataclasses.replace(spec, seed=args.seed)
    out = make_synthetic_dataset(args.out, spec, crops=not args.no_crops)
    print(f"synthetic AI City data set ({args.scale}) written to {out}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
