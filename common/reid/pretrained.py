"""Loading ImageNet (or any) pretrained weights into a backbone, from a local file or a URL.

Nothing is downloaded unless the config names a URL; a URL is fetched once into torch's hub cache
(``torch.hub.load_state_dict_from_url``). Files are read safely (``torch.load(weights_only=True)`` or
safetensors). The check is strict: a key the model expects but the file lacks, a key the file has but
the model lacks, or a shape that differs stops with ``PretrainedWeightsError`` naming the file and the
keys, instead of silently training from a half-initialised network.
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Callable, Mapping

import torch
from torch import nn

StateDict = dict[str, torch.Tensor]


class PretrainedWeightsError(RuntimeError):
    """A pretrained-weights file cannot be read or does not match the model."""


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_state_dict(source: str | Path, cache_dir: str | Path | None = None) -> StateDict:
    """Read a state dict from a local ``.pth``/``.pt``/``.bin``/``.safetensors`` file or an http(s) URL.

    Wrappers are removed: a top-level ``state_dict`` or ``model`` entry is unpacked and a DDP
    ``module.`` prefix is stripped.

    Raises:
        FileNotFoundError: a local file that does not exist (the message names it).
        PretrainedWeightsError: the file is not a readable state dict.
    """
    source = str(source)
    try:
        if _is_url(source):
            state = torch.hub.load_state_dict_from_url(
                source, model_dir=None if cache_dir is None else str(cache_dir), map_location="cpu",
                weights_only=True)
        else:
            path = Path(source).expanduser()
            if not path.is_file():
                raise FileNotFoundError(
                    f"pretrained weights not found: {path}. Set the backbone's 'pretrained' key to an "
                    "existing file or a URL, or to None to start from random weights.")
            if path.suffix == ".safetensors":
                from safetensors.torch import load_file
                state = load_file(str(path), device="cpu")
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise PretrainedWeightsError(f"cannot read pretrained weights from {source}: {reason}") from e
    for wrapper in ("state_dict", "model"):
        if isinstance(state, Mapping) and isinstance(state.get(wrapper), Mapping):
            state = state[wrapper]
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise PretrainedWeightsError(f"{source} does not hold a state dict of tensors")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def _listing(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return f"{shown}{f', ... ({len(keys)} in all)' if len(keys) > limit else ''}"


def load_pretrained(module: nn.Module, source: str | Path, *, ignore_prefixes: tuple[str, ...] = (),
                    adapt: Callable[[StateDict], StateDict] | None = None,
                    cache_dir: str | Path | None = None) -> list[str]:
    """Load weights from ``source`` into ``module``, checking every key and shape.

    Args:
        module: the network to fill (its own ``state_dict`` names are the reference).
        source: local file path or http(s) URL.
        ignore_prefixes: file keys to skip (e.g. the ImageNet classifier ``fc.``); skipped keys are
            returned.
        adapt: optional transform of the file's state dict before the check (e.g. resizing a ViT's
            position embedding to the model's patch grid).
        cache_dir: where a URL is cached (default: torch's hub cache).

    Returns:
        The file keys that were skipped because of ``ignore_prefixes``.

    Raises:
        FileNotFoundError, PretrainedWeightsError: see ``read_state_dict``; also missing, unexpected or
        wrongly shaped keys (BatchNorm ``num_batches_tracked`` counters may be missing: old checkpoints
        lack them).
    """
    state = read_state_dict(source, cache_dir)
    skipped = sorted(k for k in state if k.startswith(tuple(ignore_prefixes)))
    state = {k: v for k, v in state.items() if k not in set(skipped)}
    if adapt is not None:
        state = adapt(state)
    own = module.state_dict()
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    wrong_shape = [f"{k} (file {tuple(state[k].shape)} vs model {tuple(own[k].shape)})"
                   for k in own if k in state and state[k].shape != own[k].shape]
    problems = []
    if missing:
        problems.append(f"missing from the file: {_listing(missing)}")
    if unexpected:
        problems.append(f"not in the model: {_listing(unexpected)}")
    if wrong_shape:
        problems.append(f"shape mismatch: {_listing(wrong_shape)}")
    if problems:
        raise PretrainedWeightsError(
            f"pretrained weights {source} do not match {type(module).__name__}: " + "; ".join(problems)
            + ". Check that the file is for this backbone (name, depth, IBN variant).")
    module.load_state_dict(state, strict=False)
    return skipped
