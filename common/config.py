"""One way to load and override configs for every non-detection pipeline.

Configs are `mmengine.Config` files (Python, ``_base_`` inheritance), exactly as in the detection
pipeline; command-line overrides are ``key.sub=value`` pairs parsed by mmengine's ``DictAction``.
Unlike ``Config.merge_from_dict`` (which silently creates new keys), every override key must already
exist, so a typo stops the run with its name instead of being ignored. A pipeline may also pass a
``schema`` (its defaults): keys the file sets that the schema lacks are rejected the same way, and
keys the file omits take the schema's value.
"""
from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from mmengine.config import Config, DictAction


class ConfigKeyError(KeyError):
    """An override or config file names a key that the config does not define."""

    def __str__(self) -> str:  # KeyError would print the message with quotes
        return str(self.args[0])


class OpenSection(dict):
    """Schema marker: a section whose keys are free (e.g. a ``model`` dict read by a registry)."""


def add_config_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the shared ``<config> [key=value ...] [--cfg-options ...] [--work-dir] [--resume]`` arguments."""
    parser.add_argument("config", help="path to an mmengine config file (.py)")
    parser.add_argument("--work-dir", default=None,
                        help="run directory (default: work_dirs/<config file stem>)")
    parser.add_argument("--resume", action="store_true",
                        help="resume from the latest checkpoint in the run directory")
    parser.add_argument("overrides", nargs="*", action=DictAction, default={},
                        help="overrides as key.sub=value (lists: key=1,2,3 or key='[1,2]')")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                        help="overrides, MMDetection style (same syntax as the positional ones)")
    return parser


def _all_keys(node: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every key (and list index) under ``node``."""
    keys = []
    if isinstance(node, Mapping):
        items: Iterable = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return keys
    for k, v in items:
        path = f"{prefix}{k}"
        keys.append(path)
        keys.extend(_all_keys(v, path + "."))
    return keys


def _unknown_key_error(key: str, known: list[str], where: str) -> ConfigKeyError:
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return ConfigKeyError(f"unknown config key '{key}' ({where}).{hint} "
                          "Check the spelling against the config file, or add the key there first.")


def _lookup(node: Any, key: str) -> bool:
    """Whether dotted ``key`` exists in ``node``; an ``OpenSection`` accepts anything below it."""
    for part in key.split("."):
        if isinstance(node, OpenSection):
            return True
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def check_overrides(cfg: Config, overrides: Mapping[str, Any], schema: Mapping | None = None,
                    where: str = "command line") -> None:
    """Raise ``ConfigKeyError`` for the first override key that the config does not define.

    A key may be new only as a direct argument of a registry-built component (a dict with a
    ``type`` key, e.g. ``model.backbone.init_cfg``): its constructor checks its arguments, so a
    misspelt one still stops the build with its name. Inside an ``OpenSection`` of ``schema`` any
    key is accepted.
    """
    tree = cfg.to_dict()
    for key in overrides:
        if not (_lookup(tree, key) or _is_component_argument(tree, key)
                or (schema is not None and _has_open_prefix(schema, key))):
            raise _unknown_key_error(key, _all_keys(tree), where)


def _is_component_argument(tree: Mapping, key: str) -> bool:
    *parents, _ = key.split(".")
    parent = ".".join(parents)
    if parents and not _lookup(tree, parent):
        return False
    node: Any = tree
    for part in parents:
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
    return isinstance(node, Mapping) and "type" in node


def _has_open_prefix(schema: Mapping, key: str) -> bool:
    node: Any = schema
    for part in key.split("."):
        if isinstance(node, OpenSection):
            return True
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return isinstance(node, OpenSection)


def _set_path(cfg: Config, key: str, value: Any) -> None:
    """Set dotted ``key`` (dict keys or list indices), creating dicts inside open sections."""
    *parents, leaf = key.split(".")
    node: Any = cfg
    for part in parents:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            if part not in node:
                node[part] = {}
            node = node[part]
    if isinstance(node, list):
        node[int(leaf)] = value
    else:
        node[leaf] = value


def _apply_schema(node: dict, schema: Mapping, path: str, source: str) -> dict:
    """Return ``schema`` updated by ``node``, rejecting keys the schema lacks."""
    if isinstance(schema, OpenSection):
        return dict(node)
    merged = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in schema.items()}
    for key, value in node.items():
        full = f"{path}{key}"
        if key not in schema:
            raise _unknown_key_error(full, _all_keys(schema), f"set in {source}")
        if isinstance(schema[key], Mapping) and isinstance(value, Mapping):
            merged[key] = _apply_schema(dict(value), schema[key], full + ".", source)
        else:
            merged[key] = value
    return merged


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None,
                schema: Mapping | None = None) -> Config:
    """Load an mmengine config file, check it against ``schema`` and apply ``overrides``.

    Args:
        path: config file (``.py``, ``.yaml`` or ``.json``; ``_base_`` inheritance allowed).
        overrides: ``{"dotted.key": value}``, e.g. from ``add_config_arguments``.
        schema: optional nested dict of defaults. Keys set by the file but absent from the schema
            are errors; keys absent from the file take the schema's value. Use ``OpenSection`` for
            free-form sub-dicts.

    Returns:
        The resolved ``Config`` (``cfg.filename`` is the file it came from).

    Raises:
        FileNotFoundError: the file does not exist.
        ConfigKeyError: an unknown key, naming it and the nearest known keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    cfg = Config.fromfile(str(path))
    if schema is not None:
        resolved = _apply_schema(cfg.to_dict(), schema, "", str(path))
        cfg = Config(resolved, filename=str(path))
    if overrides:
        check_overrides(cfg, overrides, schema)
        for key, value in overrides.items():
            _set_path(cfg, key, value)
    return cfg


def parse_config_args(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse a command line built with ``add_config_arguments``; overrides may come before or
    after options such as ``--work-dir`` (``parse_intermixed_args``)."""
    return parser.parse_intermixed_args(argv)


def work_dir_from_args(args: argparse.Namespace) -> Path:
    """The run directory: ``--work-dir`` or ``work_dirs/<config file stem>``."""
    return Path(args.work_dir) if args.work_dir else Path("work_dirs") / Path(args.config).stem


def config_from_args(args: argparse.Namespace, schema: Mapping | None = None) -> Config:
    """``load_config`` from the arguments added by ``add_config_arguments``."""
    overrides = {**(args.overrides or {}), **(args.cfg_options or {})}
    return load_config(args.config, overrides, schema)


def load_run_config(run_dir: str | Path, schema: Mapping | None = None, package: str = "this package") -> Config:
    """The resolved config a run directory was trained with (its ``config.py``, checked against ``schema``)."""
    path = Path(run_dir) / "config.py"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run directory of {package} (no config.py)")
    return load_config(path, schema=schema)


def run_demo_command(run_demo: Callable[..., Any], package: str, description: str, argv: list[str] | None = None,
                     seeded: bool = True) -> Any:
    """The command line of a pipeline's demo, ``python -m <package>.demo [--work-dir DIR] [--seed N]``: parses
    ``argv``, selects matplotlib's file backend and returns ``run_demo(work_dir[, seed])``."""
    import matplotlib

    parser = argparse.ArgumentParser(prog=f"python -m {package}.demo", description=description.splitlines()[0])
    parser.add_argument("--work-dir", default=f"work_dirs/demo/{package}", help="output folder")
    if seeded:
        parser.add_argument("--seed", type=int, default=0, help="seed of the data set and of every run")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    return run_demo(args.work_dir, args.seed) if seeded else run_demo(args.work_dir)
