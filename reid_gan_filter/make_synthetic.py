"""Write the synthetic real + generated person set of known quality.

``python -m reid_gan_filter.make_synthetic --root DIR [--scale test|demo] [--seed 0] [--size 64x32]``

Writes ``DIR/Market-1501-v15.09.15/`` (the real set) and ``DIR/generated/`` (good, near-copy and
identity-breaking images of every real training image, ``manifest.csv|json`` and the ground truth
``quality_synthetic.csv``); see ``reid_gan_filter.synthetic_generated``.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from pathlib import Path

from common.person.make_synthetic import parse_image_size

from .synthetic_generated import GENERATED_DIR, SCALES, GeneratedImage, make_generated_set


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_gan_filter.make_synthetic",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="output folder")
    parser.add_argument("--scale", default="demo", choices=sorted(SCALES), help="data set size")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the scale's)")
    parser.add_argument("--size", type=parse_image_size, default=None, help="image HEIGHTxWIDTH (default 64x32)")
    return parser


def main(argv: list[str] | None = None) -> list[GeneratedImage]:
    args = build_parser().parse_args(argv)
    spec = SCALES[args.scale]
    overrides = {k: v for k, v in (("seed", args.seed), ("image_size", args.size)) if v is not None}
    spec = dataclasses.replace(spec, market=dataclasses.replace(spec.market, **overrides))
    images = make_generated_set(args.root, spec)
    counts = Counter(im.quality for im in images)
    print(f"synthetic real + generated person set ({args.scale}) written to {args.root}: "
          f"{len(images)} generated images ({', '.join(f'{n} {q}' for q, n in sorted(counts.items()))}) in "
          f"{Path(args.root) / GENERATED_DIR}")
    return images


if __name__ == "__main__":
    main(sys.argv[1:])
