"""Write a translated image set: ``python -m common.gan.generate <run_dir> [--input DIR] [--output DIR] ...``.

The layout is the one ReID training reads:

* SPGAN: each input image translated to the other domain, under the same relative path and file name
  (e.g. ``trainval/0001_3_24.jpg`` -> ``trainval_spgan/0001_3_24.jpg``); ``--direction target_to_source``
  uses F instead of G.
* StarGAN: for each input image one copy per target camera, ``<stem>_fake_<camera>.jpg`` (so a loader
  keyed on the ``{pid}_{cam}_{idx}`` prefix groups the copies of one source image, as Bias-Eliminate's
  ``_process_camstyle_dir``).

Plus ``manifest.csv`` / ``manifest.json`` in the output folder (``common.gan.manifest``). Images are
translated at the run's ``data.size`` and saved at that size (``--resize-to-input``: back to each input's
own size). Extra ``key=value`` arguments override the input folder spec (``pattern=...``,
``name_regex=...``, ``camera_file=...``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from mmengine.config import Config, DictAction
from PIL import Image
from tqdm.auto import tqdm

from ..checkpoint import CheckpointError, CheckpointManager, load_checkpoint
from ..config import load_config
from ..device import resolve_device
from ..fileio import atomic_open
from .datasets import eval_loader, open_rgb, to_image
from .defaults import DEFAULTS, FOLDER
from .folders import scan_image_folder
from .manifest import ManifestRow, write_manifest
from .spgan import DIRECTIONS, SPGAN
from .stargan import StarGAN
from .train import build_translator, check_config

SUFFIX = {"spgan": "_spgan", "stargan": "_camstyle"}


def load_translator(run_dir: str | Path, checkpoint: str | Path | None = None,
                    device: str | torch.device = "auto") -> tuple[Config, SPGAN | StarGAN]:
    """The run's resolved config and its translator with the latest (or given) checkpoint's weights."""
    run_dir = Path(run_dir)
    cfg = load_config(run_dir / "config.py", schema=DEFAULTS)
    check_config(cfg)
    path = Path(checkpoint) if checkpoint is not None else CheckpointManager(run_dir / "checkpoints").latest()
    if path is None:
        raise CheckpointError(f"{run_dir / 'checkpoints'} holds no checkpoint: train the run first "
                              "(python -m common.gan.train ...)")
    state = load_checkpoint(path)["components"]["model"]
    cameras = state["camera_ids"].tolist() if cfg.method == "stargan" else None
    model = build_translator(cfg, cameras)
    model.load_state_dict(state)
    return cfg, model.to(resolve_device(device)).eval()


def _save(img: Image.Image, path: Path) -> None:
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG"}.get(path.suffix.lower(), path.suffix.lstrip(".").upper())
    with atomic_open(path, "wb") as f:
        img.save(f, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))


def generate(run_dir: str | Path, input_spec: str | Path | Mapping[str, Any] | None = None,
             output_dir: str | Path | None = None, *, direction: str = "source_to_target",
             cameras: Sequence[int] | None = None, checkpoint: str | Path | None = None,
             device: str | torch.device = "auto", batch_size: int = 16,
             resize_to_input: bool = False) -> list[ManifestRow]:
    """Translate an image folder with a trained run and write it with its manifest.

    Args:
        run_dir: a ``common.gan.train`` run directory.
        input_spec: the images: ``None`` (the run's ``data.source``, ``data.target`` for
            ``target_to_source``, or StarGAN's ``data.train``), a folder (read with that spec's name
            rules) or a full folder spec dict (``common.gan.folders``).
        output_dir: where to write (default ``<run_dir>/generated/<input folder name>_spgan|_camstyle``).
        direction: SPGAN only: ``source_to_target`` (G) or ``target_to_source`` (F).
        cameras: StarGAN only: target cameras (default: all of the model's cameras).
        checkpoint: a checkpoint file instead of the run's latest.
        device: ``auto``, ``cpu``, ``cuda``...
        batch_size: images per forward pass.
        resize_to_input: save each image at its input's size instead of the network size.

    Returns:
        The manifest rows (also written to ``output_dir/manifest.csv|json``).
    """
    cfg, model = load_translator(run_dir, checkpoint, device)
    dev = next(model.parameters()).device
    if cfg.method == "spgan" and direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got '{direction}'")
    base = {"spgan": "source" if direction == DIRECTIONS[0] else "target", "stargan": "train"}[cfg.method]
    if input_spec is None:
        spec = dict(cfg.data[base])
    elif isinstance(input_spec, Mapping):
        spec = {**FOLDER, **input_spec}
    else:
        spec = {**dict(cfg.data[base]), "root": str(input_spec)}
    records = scan_image_folder(spec, key="input")
    root = Path(spec["root"])
    out = Path(output_dir) if output_dir is not None else Path(run_dir) / "generated" / (root.name + SUFFIX[cfg.method])
    run_name = Path(run_dir).resolve().name
    if cfg.method == "spgan":
        other = "target" if direction == DIRECTIONS[0] else "source"
        targets = [(Path(cfg.data[other].root).name, None)]
        generator = f"spgan-{'G' if direction == DIRECTIONS[0] else 'F'}@{run_name}"
    else:
        wanted = model.camera_ids.tolist() if cameras is None else [int(c) for c in cameras]
        targets = [(str(c), int(model.domain_of(torch.tensor([c]))[0])) for c in wanted]
        generator = f"stargan@{run_name}"
    rows: list[ManifestRow] = []
    loader = eval_loader(records, cfg.data.size, batch_size, num_workers=cfg.data.num_workers)
    for batch in tqdm(loader, desc=f"generate {generator}", unit="batch", dynamic_ncols=True):
        x = batch["img"].to(dev)
        for target, domain in targets:
            with torch.no_grad():
                if domain is None:
                    y = model.translate(x, direction)
                else:
                    y = model.translate(x, torch.full((len(x),), domain, dtype=torch.long, device=dev))
            for i, index in enumerate(batch["index"].tolist()):
                record = records[index]
                rel = Path(record.path).relative_to(root)
                dest = out / (rel if domain is None else rel.with_name(f"{rel.stem}_fake_{target}.jpg"))
                img = to_image(y[i])
                if resize_to_input:
                    img = img.resize(open_rgb(record.path).size, Image.BICUBIC)
                _save(img, dest)
                rows.append(ManifestRow(str(dest), record.path, record.pid, record.camera, target, generator))
    write_manifest(rows, out)
    tqdm.write(f"generate: {len(rows)} images from {len(records)} inputs in {root} -> {out} (+ manifest.csv|json)")
    return rows


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m common.gan.generate", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a common.gan.train run directory (config.py + checkpoints/)")
    parser.add_argument("--input", default=None, help="image folder to translate (default: the run's own)")
    parser.add_argument("--output", default=None,
                        help="output folder (default: <run_dir>/generated/<input>_spgan|_camstyle)")
    parser.add_argument("--direction", default="source_to_target", choices=DIRECTIONS, help="SPGAN: G or F")
    parser.add_argument("--cameras", default=None, help="StarGAN: comma-separated target cameras (default: all)")
    parser.add_argument("--checkpoint", default=None, help="checkpoint file (default: the run's latest)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--resize-to-input", action="store_true", help="save at each input's own size")
    parser.add_argument("overrides", nargs="*", action=DictAction, default={},
                        help="input folder spec overrides, e.g. pattern='*.png' name_regex='^(\\d+)_c(\\d+)'")
    return parser


def main(argv: list[str] | None = None) -> list[ManifestRow]:
    args = build_parser().parse_intermixed_args(argv)
    spec: Any = args.input
    if args.overrides:
        unknown = sorted(set(args.overrides) - set(FOLDER))
        if unknown:
            raise ValueError(f"unknown input folder key(s) {', '.join(unknown)}: use {', '.join(FOLDER)}")
        cfg = load_config(Path(args.run_dir) / "config.py", schema=DEFAULTS)
        base = "train" if cfg.method == "stargan" else ("source" if args.direction == DIRECTIONS[0] else "target")
        spec = {**dict(cfg.data[base]), **({"root": args.input} if args.input else {}), **args.overrides}
    cameras = [int(c) for c in args.cameras.split(",")] if args.cameras else None
    return generate(args.run_dir, spec, args.output, direction=args.direction, cameras=cameras,
                    checkpoint=args.checkpoint, device=args.device, batch_size=args.batch_size,
                    resize_to_input=args.resize_to_input)


if __name__ == "__main__":
    main(sys.argv[1:])
