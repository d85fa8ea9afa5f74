"""One experiment per paper figure, each a module with ``DEFAULTS`` (its config schema),
``check(cfg)`` (value checks) and ``run(cfg, run, resume)`` (figures, JSON, summary table).

``dynamics/configs/`` holds one config file per figure; several configs may share an
experiment (e.g. the DCDT and DMTS versions of Fig 4). A config runs at ``scale="quick"`` (its
top-level values, sized for a 2-core CPU in a minute or two), ``scale="medium"`` (the paper's
learning rate and task settings with fewer seeds or epochs, ≤ 30 minutes on 2 cores; configs
without a ``medium`` dict run their quick values) or ``scale="paper"``: the values in the
``medium`` / ``paper`` dict then replace the top-level ones, except for keys given explicitly on
the command line.
"""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Mapping

from mmengine.config import Config

from common.config import ConfigKeyError, OpenSection, config_from_args

EXPERIMENTS = {
    "ghost_schematic": "fig1: ẋ = x² ± r, fixed points vs a ghost",
    "canonical_landscape": "fig2a: loss landscape L(r), closed form vs Euler simulation",
    "canonical_descent": "fig2b,c: gradient descent on r below/above the critical rate",
    "canonical_lr_sweep": "fig2d: final loss vs learning rate (oscillatory minimum, no-learning zone)",
    "critical_lr_scaling": "critical learning rate vs T: prediction, measurement, power law",
    "rank_one_ghost": "fig3: rank-one RNN, ghost before the abrupt drop, no bifurcation",
    "low_rank_flow": "fig4: rank-2 RNN latent flow maps on DCDT / DMTS",
    "full_rank_slow_points": "fig5: full-rank RNN slow points (ghosts) before abrupt learning",
    "learning_rate_sweep": "fig6a, fig7: loss vs learning rate for batched ensembles",
    "rank_sweep": "fig6b: fraction of runs that learn vs trainable rank, per learning rate",
    "confidence_gradient": "fig8a: no-learning-zone gradient vs output confidence a",
    "confidence_ablation": "fig8b: lowering the confidence rescues collapsed rank-one RNNs",
    "readout_intervention": "fig8c: readout-norm (confidence) intervention on full-rank DCDT RNNs",
}

COMMON_DEFAULTS: dict[str, Any] = {
    "experiment": "",
    "scale": "quick",
    "seed": 0,
    "device": "auto",
    "medium": OpenSection(),
    "paper": OpenSection(),
}
SCALES = ("quick", "medium", "paper")


def experiment_module(name: str) -> ModuleType:
    """The module implementing experiment ``name``."""
    if name not in EXPERIMENTS:
        raise ConfigKeyError(f"unknown experiment '{name}'; the config's `experiment` key must be one of "
                             f"{sorted(EXPERIMENTS)}")
    return importlib.import_module(f"{__name__}.{name}")


def schema_for(module: ModuleType) -> dict[str, Any]:
    """Common keys plus the experiment's own defaults."""
    return {**COMMON_DEFAULTS, **module.DEFAULTS}


def apply_scale(cfg: Config, explicit: Iterable[str] = ()) -> Config:
    """Resolve ``scale``: with "medium" or "paper", copy that dict over the top level (except
    ``explicit`` keys).

    Raises:
        ValueError: ``scale`` is not one of ``SCALES``.
        ConfigKeyError: the ``medium`` or ``paper`` dict names a key the config does not have.
    """
    if cfg.scale not in SCALES:
        raise ValueError(f"config key 'scale' must be one of {SCALES}, got '{cfg.scale}'")
    for scale in SCALES[1:]:
        for key in dict(cfg[scale] or {}):
            if key not in cfg or key in ("experiment", "scale", *SCALES[1:]):
                raise ConfigKeyError(f"'{scale}.{key}' does not name a top-level key of the config; "
                                     f"the {scale} dict may only replace existing experiment keys")
    if cfg.scale != "quick":
        top = {k.split(".")[0] for k in explicit}
        for key, value in dict(cfg[cfg.scale] or {}).items():
            if key not in top:
                cfg[key] = value
    return cfg


def load_experiment_config(args: argparse.Namespace) -> tuple[Config, ModuleType]:
    """Read ``args.config``, check it against its experiment's schema, apply overrides and scale."""
    if not Path(args.config).is_file():
        raise FileNotFoundError(f"config file not found: {args.config} (the figure configs are in dynamics/configs/)")
    name = Config.fromfile(args.config).get("experiment", "")
    module = experiment_module(name)
    cfg = config_from_args(args, schema=schema_for(module))
    explicit = list({**(args.overrides or {}), **(args.cfg_options or {})})
    apply_scale(cfg, explicit)
    module.check(cfg)
    return cfg, module


def require(cfg: Mapping, key: str, condition: bool, what: str) -> None:
    """Raise ``ValueError`` naming ``key`` when ``condition`` is false."""
    if not condition:
        raise ValueError(f"config key '{key}' = {cfg[key]!r} is invalid: {what}")


def require_positive(cfg: Mapping, *keys: str) -> None:
    """Every key (a number or a list of numbers) must be > 0."""
    for key in keys:
        values = cfg[key] if isinstance(cfg[key], (list, tuple)) else [cfg[key]]
        require(cfg, key, len(values) > 0 and all(isinstance(v, (int, float)) and v > 0 for v in values),
                "must be positive")
